/* Scenario loader: the shipped scenarios parse; every malformed line gives
 * one error "FILE:LINE: ..." with the right line. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "testutil.h"

#ifndef UM3N_SIM_SCENARIOS
#define UM3N_SIM_SCENARIOS "traces/scenarios"
#endif

static struct sim_scenario sc;

static int parse(const char *text, char *err, size_t cap)
{
	sim_scenario_free(&sc); /* the previous parse's outage tables */
	return sim_scenario_parse("t.ini", text, strlen(text), &sc, err, cap);
}

/* 1: the five shipped scenarios load and say what the issue asks for. */
static void test_scenario_shipped(void)
{
	static const struct {
		const char *file;
		size_t links, flows;
		bool handover;
	} cases[] = {
		{"fig5-3g.ini", 1, 1, false},          {"fig5-wifi.ini", 1, 1, false},
		{"fig5-multihoming.ini", 2, 2, false}, {"handover-planned.ini", 2, 2, true},
		{"handover-cut.ini", 2, 2, true},
	};
	char path[512], err[SIM_ERR_MAX];
	uint64_t at;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", UM3N_SIM_SCENARIOS, cases[i].file);
		sim_scenario_free(&sc);
		if (sim_scenario_load(path, &sc, err, sizeof(err)) != 0)
			fprintf(stderr, "  %s\n", err);
		sim_scenario_free(&sc);
		CU_ASSERT_EQUAL_FATAL(sim_scenario_load(path, &sc, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(sc.n_links, cases[i].links);
		CU_ASSERT_EQUAL(sc.n_flows, cases[i].flows);
		CU_ASSERT_EQUAL(sim_scenario_handover(&sc, &at), cases[i].handover);
	}
	/* multihoming: the video server's prefix goes to the cell class. */
	snprintf(path, sizeof(path), "%s/fig5-multihoming.ini", UM3N_SIM_SCENARIOS);
	sim_scenario_free(&sc);
	CU_ASSERT_EQUAL_FATAL(sim_scenario_load(path, &sc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sc.n_rules, 1);
	CU_ASSERT_EQUAL(sc.rules[0].plen, 24);
	CU_ASSERT_EQUAL(sc.rules[0].link_class, 1 /* UM3N_CLASS_CELL */);
	CU_ASSERT_EQUAL(sc.default_class, 2 /* UM3N_CLASS_WIFI */);
	CU_ASSERT_EQUAL(sc.links[0].rate_bps, 3610000);
}

/* 2: values, units and defaults. */
static void test_scenario_values(void)
{
	static const char text[] =
		"[sim]\nduration_s = 12.5\nseed = 99\ncore_rate_mbps = 17.5\n"
		"core_queue_bytes = 150000\n"
		"[link a]\nclass = cell\nrate_mbps = 3.61\ndelay_ms = 45.5\nloss = 1%\n"
		"outage = 2-3 carrier\noutage = 5.5-end\nsignal = 1:-60, 2:-80\nsignal = 3:-90\n"
		"trace_scale = 2\n"
		"[link b]\nclass = wifi\ntrace = x/y.down\nup_trace = /abs/y.up\npriority = 3\n"
		"weight_kbps = 2500\n"
		"[policy]\ndefault = cell aggregate\nrule = 10.9.2.0/24 wifi redundant\n"
		"[flow v]\ntype = video\nserver = 10.9.2.10\nrate_mbps = 2.5\nstart_s = 1\n"
		"[mn]\ndead_after_ms = 80\nlifetime = 120\n[ha]\nresend_slots = 64\n";
	char err[SIM_ERR_MAX];

	sim_scenario_free(&sc);
	CU_ASSERT_EQUAL_FATAL(
		sim_scenario_parse("dir/t.ini", text, strlen(text), &sc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sc.duration_us, 12500000);
	CU_ASSERT_EQUAL(sc.seed, 99);
	CU_ASSERT_EQUAL(sc.core_rate_bps, 17500000);
	CU_ASSERT_EQUAL(sc.core_queue_bytes, 150000);
	CU_ASSERT_EQUAL(sc.links[0].delay_us, 45500);
	CU_ASSERT_EQUAL(sc.links[0].loss_ppb, 10000000);
	CU_ASSERT_EQUAL(sc.links[0].n_outages, 2);
	CU_ASSERT_TRUE(sc.links[0].outages[0].carrier);
	CU_ASSERT_FALSE(sc.links[0].outages[1].carrier);
	CU_ASSERT_EQUAL(sc.links[0].outages[1].end_us, UINT64_MAX);
	CU_ASSERT_EQUAL(sc.links[0].n_signals, 3);
	CU_ASSERT_EQUAL(sc.links[0].signals[1].dbm, -80);
	CU_ASSERT_STRING_EQUAL(sc.links[1].trace, "dir/x/y.down");
	CU_ASSERT_STRING_EQUAL(sc.links[1].up_trace, "/abs/y.up");
	CU_ASSERT_EQUAL(sc.links[0].engine.link_class, 1 /* UM3N_CLASS_CELL */);
	CU_ASSERT_EQUAL(sc.links[1].engine.priority, 3);
	CU_ASSERT_EQUAL(sc.links[1].engine.weight_kbps, 2500);
	CU_ASSERT_EQUAL(sc.default_mode, 1 /* aggregate */);
	CU_ASSERT_EQUAL(sc.rules[0].mode, 2 /* redundant */);
	CU_ASSERT_EQUAL(sc.flows[0].dir, SIM_DIR_DOWN);
	CU_ASSERT_EQUAL(sc.flows[0].stop_us, 12500000);
	CU_ASSERT_EQUAL(sc.flows[0].packet_bytes, 1400);
	CU_ASSERT_TRUE(sc.mn_set && sc.mn.dead_after_us == 80000);
	CU_ASSERT_EQUAL(sc.mn.lifetime_s, 120); /* the daemons' spelling is an alias */
	CU_ASSERT_TRUE(sc.ha_set && sc.ha.resend_slots == 64);
	CU_ASSERT_EQUAL(sc.measure_from_us, 1000000);
	CU_ASSERT_EQUAL(sim_scenario_set_duration(&sc, 5000000), 0);
	CU_ASSERT_EQUAL(sc.flows[0].stop_us, 5000000);
}

/* 3: malformed scenarios: the error names the file and the offending line. */
static void test_scenario_malformed(void)
{
	static const struct {
		const char *text, *prefix, *word;
	} cases[] = {
		{"[sim]\nduration_s = abc\n", "t.ini:2: ", "duration_s"},
		{"[sim]\nduration_s = 0\n", "t.ini:2: ", "duration_s"},
		{"[sim]\nfoo = 1\n", "t.ini:2: ", "foo"},
		{"[sim]\ncore_rate_mbps = 0\n", "t.ini:2: ", "core_rate_mbps"},
		{"[sim]\ncore_queue_bytes = 100\n", "t.ini:2: ", "core_queue_bytes"},
		{"[sim]\ncore_queue_bytes = 3000\n[link wifi]\nrate_mbps = 3\n",
		 "t.ini:5: ", "core_queue_bytes only with core_rate_mbps"},
		{"[bogus]\nx = 1\n", "t.ini:1: ", "bogus"},
		{"[sim]\nduration_s 10\n", "t.ini:2: ", "expected"},
		{"[link wifi]\nrate_mbps = -3\n", "t.ini:2: ", "rate_mbps"},
		{"[link wifi]\nrate_mbps = 3\nloss = 1.5\n", "t.ini:3: ", "loss"},
		{"[link wifi]\nrate_mbps = 3\noutage = 5-2\n", "t.ini:3: ", "outage"},
		{"[link wifi]\nrate_mbps = 3\noutage = 5-6 maybe\n", "t.ini:3: ", "outage"},
		{"[link wifi]\nrate_mbps = 3\nsignal = 5:-60, 4:-70\n", "t.ini:3: ", "signal"},
		{"[link wifi]\nrate_mbps = 3\nclass = lte\n", "t.ini:3: ", "class"},
		{"; comment\n\n[link wifi]\ndelay_ms = 3\n", "t.ini:3: ", "rate_mbps or trace"},
		{"[link x]\nrate_mbps = 3\n", "t.ini:1: ", "class"},
		{"[link wifi]\nrate_mbps = 3\n[link wifi]\nrate_mbps = 4\n",
		 "t.ini:3: ", "duplicate"},
		{"[link bad name!]\nrate_mbps = 3\n", "t.ini:1: ", "name"},
		{"[link wifi]\nrate_mbps = 3\n[policy]\nrule = 10.9.2.1/24 cell\n",
		 "t.ini:4: ", "rule"},
		{"[link wifi]\nrate_mbps = 3\n[policy]\nrule = 10.9.2.0/24 moon\n",
		 "t.ini:4: ", "rule"},
		{"[link wifi]\nrate_mbps = 3\n[flow f]\ntype = bulk\nrate_mbps = 1\n",
		 "t.ini:3: ", "server"},
		{"[link wifi]\nrate_mbps = 3\n[flow f]\ntype = warp\n", "t.ini:4: ", "type"},
		{"[link wifi]\nrate_mbps = 3\n[flow f]\ntype = pcap\nserver = 10.1.1.1\n",
		 "t.ini:3: ", "pcap"},
		{"[sim]\nduration_s = 10\n", "t.ini:3: ", "link"},
		{"x = 1\n", "t.ini:1: ", "section"},
		{"[link wifi]\nrate_mbps = 3\n[mn]\ndead_after_ms = soon\n",
		 "t.ini:4: ", "dead_after"},
		{"[link wifi]\nrate_mbps = 3\n[mn]\nlifetime_s = 65535\n",
		 "t.ini:4: ", "lifetime_s: expected seconds in 1..65534"},
		{"[link wifi]\nrate_mbps = 3\n[ha]\nprobe_interval_ms = 5\n",
		 "t.ini:4: ", "unknown key 'probe_interval_ms' in [ha]"},
	};
	char err[SIM_ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].text, err, sizeof(err));
		bool ok = rc != 0 && !strncmp(err, cases[i].prefix, strlen(cases[i].prefix)) &&
			  strstr(err, cases[i].word) && !strchr(err, '\n');

		if (!ok)
			fprintf(stderr, "  case %zu: rc %d err '%s'\n", i + 1, rc, err);
		CU_ASSERT_TRUE(ok);
	}
	/* A line longer than inih's buffer is an error on that line. */
	{
		static char text[400];

		snprintf(text, sizeof(text), "[sim]\nseed = 1\n; %0300d\n", 0);
		CU_ASSERT_NOT_EQUAL(parse(text, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(strncmp(err, "t.ini:3: ", 9), 0);
	}
	sim_scenario_free(&sc);
	CU_ASSERT_NOT_EQUAL(sim_scenario_load("/nonexistent.ini", &sc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strncmp(err, "/nonexistent.ini:", 17), 0);
}

/* 4: [sim] event_jitter_ms moves every scheduled event by one offset drawn
 * from the seed, within bounds; seeds give different offsets; without the key
 * nothing moves. */
static void test_scenario_event_jitter(void)
{
	static const char text[] = "[sim]\nevent_jitter_ms = 50\n[link wifi]\nrate_mbps = 3\n"
				   "outage = 20-21\noutage = 25-end\nsignal = 10:-70, 12:-60\n"
				   "[handover]\nat_s = 20\n";
	char err[SIM_ERR_MAX];
	uint64_t d, first = 0, at;
	bool differ = false;

	for (uint64_t seed = 1; seed <= 8; seed++) {
		CU_ASSERT_EQUAL_FATAL(parse(text, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(sc.event_jitter_us, 50000);
		sim_scenario_jitter_events(&sc, seed);
		d = sc.links[0].outages[0].start_us - 20000000;
		CU_ASSERT_TRUE(sc.links[0].outages[0].start_us >= 20000000 && d <= 50000);
		CU_ASSERT_EQUAL(sc.links[0].outages[0].end_us, 21000000 + d);
		CU_ASSERT_EQUAL(sc.links[0].outages[1].start_us, 25000000 + d);
		CU_ASSERT_EQUAL(sc.links[0].outages[1].end_us, UINT64_MAX);
		CU_ASSERT_EQUAL(sc.links[0].signals[0].t_us, 10000000 + d);
		CU_ASSERT_EQUAL(sc.links[0].signals[1].t_us, 12000000 + d);
		CU_ASSERT_TRUE(sim_scenario_handover(&sc, &at) && at == 20000000 + d);
		if (seed == 1)
			first = d;
		differ |= d != first;
	}
	CU_ASSERT_TRUE(differ);
	CU_ASSERT_EQUAL_FATAL(parse(strstr(text, "[link"), err, sizeof(err)), 0); /* no key */
	sim_scenario_jitter_events(&sc, 3);
	CU_ASSERT_EQUAL(sc.links[0].outages[0].start_us, 20000000);
	CU_ASSERT_EQUAL(sc.links[0].signals[0].t_us, 10000000);
	CU_ASSERT_NOT_EQUAL(parse("[sim]\nevent_jitter_ms = -1\n[link wifi]\nrate_mbps = 3\n", err,
				  sizeof(err)),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "event_jitter_ms"));
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 shipped scenarios load", test_scenario_shipped},
		{"2 values, units, defaults", test_scenario_values},
		{"3 malformed lines give FILE:LINE", test_scenario_malformed},
		{"4 event_jitter_ms moves the events by a seeded offset",
		 test_scenario_event_jitter},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_scenario", tests}, {NULL, NULL}};

	return test_main(suites);
}
