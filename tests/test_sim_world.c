/* The simulated world end to end through the real MN and HA engines: exact
 * one-way delay arithmetic, policy routing onto links, goodput attribution,
 * a silent cut, run-to-run determinism, a constant uplink under a trace, a
 * rate-limited core. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "world.h"

static struct sim_scenario sc;
static struct sim_world w;

static int load(const char *text)
{
	char err[SIM_ERR_MAX];
	int rc;

	sim_scenario_free(&sc); /* the previous scenario's outage tables */
	rc = sim_scenario_parse("w.ini", text, strlen(text), &sc, err, sizeof(err));

	if (rc)
		fprintf(stderr, "  %s\n", err);
	return rc;
}

static int run(uint64_t seed)
{
	struct sim_world_opts o = {.seed = seed, .log_level = -1};
	char err[SIM_ERR_MAX];
	int rc = sim_world_init(&w, &sc, &o, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "  %s\n", err);
		return rc;
	}
	return sim_world_run(&w);
}

/* 1: 1000-byte CBR packets both ways over one lossless 10 Mbit/s link with
 * 10 ms delay: every packet takes the outer packet's serialisation (1000 +
 * 12 tunnel + 28 outer bytes = 832 us) plus 10 ms, p50 = p99 = 10.832 ms. */
static void test_world_delay_arithmetic(void)
{
	static const char text[] =
		"[sim]\nduration_s = 5\n"
		"[link wifi]\nrate_mbps = 10\ndelay_ms = 10\n"
		"[flow down]\ntype = cbr\nserver = 10.9.1.10\nrate_mbps = 1\npacket_bytes = 1000\n"
		"start_s = 1\n"
		"[flow up]\ntype = cbr\nserver = 10.9.1.11\ndirection = up\nrate_mbps = 0.5\n"
		"packet_bytes = 1000\nstart_s = 1\n";

	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(run(1), 0);
	for (size_t i = 0; i < 2; i++) {
		const struct sim_flow_metrics *f = &w.metrics.flows[i];

		CU_ASSERT_EQUAL(f->lost, 0);
		CU_ASSERT_EQUAL(f->reordered, 0);
		CU_ASSERT_EQUAL(f->dup_pkts, 0);
		CU_ASSERT_TRUE(f->sent_pkts > 100);
		CU_ASSERT_DOUBLE_EQUAL(f->owd_p50_ms, 10.832, 0.0005);
		CU_ASSERT_DOUBLE_EQUAL(f->owd_p99_ms, 10.832, 0.0005);
	}
	/* 1 Mbit/s offered for 4 s; the last packet in flight at the end is not counted */
	CU_ASSERT_DOUBLE_EQUAL(w.metrics.flows[0].goodput_mbps, 1.0, 0.01);
	CU_ASSERT_DOUBLE_EQUAL(w.metrics.flows[1].goodput_mbps, 0.5, 0.01);
	CU_ASSERT_EQUAL(w.errs.mn_tun + w.errs.ha_tun + w.errs.ha_unroutable, 0);
	CU_ASSERT_EQUAL(w.live_allocs > 0, true); /* engines alive until free */
	sim_world_free(&w);
}

/* 2: the policy sends the video server's traffic over cell and the rest over
 * WiFi: each link carries exactly its flow's bytes. */
static void test_world_policy_routing(void)
{
	static const char text[] =
		"[sim]\nduration_s = 6\n"
		"[link cell]\nrate_mbps = 5\ndelay_ms = 30\n"
		"[link wifi]\nrate_mbps = 20\ndelay_ms = 5\n"
		"[policy]\ndefault = wifi\nrule = 10.9.2.0/24 cell\n"
		"[flow video]\ntype = video\nserver = 10.9.2.10\nrate_mbps = 2\nstart_s = 1\n"
		"[flow ftp]\ntype = bulk\nserver = 10.9.1.10\nrate_mbps = 8\nstart_s = 1\n";
	const struct sim_metrics *m = &w.metrics;

	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(run(3), 0);
	CU_ASSERT_EQUAL(m->flows[0].lost + m->flows[1].lost, 0);
	CU_ASSERT_EQUAL(m->late_frames, 0);
	/* cell: 30 ms + serialisation; wifi: 5 ms + serialisation */
	CU_ASSERT_TRUE(m->flows[0].owd_p50_ms > 30 && m->flows[0].owd_p50_ms < 60);
	CU_ASSERT_TRUE(m->flows[1].owd_p50_ms > 5 && m->flows[1].owd_p50_ms < 7);
	CU_ASSERT_EQUAL(m->links[0].down_bytes, m->flows[0].recv_bytes);
	CU_ASSERT_EQUAL(m->links[1].down_bytes, m->flows[1].recv_bytes);
	CU_ASSERT_DOUBLE_EQUAL(m->goodput_mbps, m->flows[0].goodput_mbps + m->flows[1].goodput_mbps,
			       1e-9);
	sim_world_free(&w);
}

/* 3: a silent cut of the only link loses what was sent during it, and the
 * handover figures see the gap (longest silence and added gap); the same seed
 * gives the same run. */
static void test_world_cut_and_determinism(void)
{
	static const char text[] =
		"[sim]\nduration_s = 8\n"
		"[link wifi]\nrate_mbps = 10\ndelay_ms = 5\njitter_ms = 2\nloss = 1%\n"
		"outage = 4-4.5 cut\n"
		"[flow f]\ntype = cbr\nserver = 10.9.1.10\nrate_mbps = 0.8\npacket_bytes = 1000\n"
		"start_s = 1\n";
	uint64_t events, lost, gap_us;
	double p99;

	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(run(9), 0);
	events = w.events;
	lost = w.metrics.flows[0].lost;
	gap_us = w.metrics.flows[0].gap_us;
	p99 = w.metrics.flows[0].owd_p99_ms;
	/* 100 packets/s: ~50 sent into the cut, plus ~1% random loss */
	CU_ASSERT_TRUE(w.metrics.ho_lost >= 49 && w.metrics.ho_lost <= 60);
	CU_ASSERT_TRUE(gap_us >= 500000 && gap_us < 700000);
	/* CBR: the added gap is the silence less about one packet interval (10 ms) */
	CU_ASSERT_TRUE(w.metrics.flows[0].ho_added_gap_us <= gap_us &&
		       w.metrics.flows[0].ho_added_gap_us + 15000 >= gap_us);
	CU_ASSERT_DOUBLE_EQUAL(w.metrics.ho_added_gap_ms, w.metrics.flows[0].ho_added_gap_us / 1e3,
			       1e-9);
	CU_ASSERT_TRUE(w.down[0].stats.drop_outage >= 49);
	sim_world_free(&w);
	CU_ASSERT_EQUAL_FATAL(run(9), 0);
	CU_ASSERT_EQUAL(w.events, events);
	CU_ASSERT_EQUAL(w.metrics.flows[0].lost, lost);
	CU_ASSERT_EQUAL(w.metrics.flows[0].gap_us, gap_us);
	CU_ASSERT_EQUAL(w.metrics.flows[0].owd_p99_ms, p99);
	sim_world_free(&w);
}

/* 4: up_rate_mbps beside a trace takes effect: the uplink runs at 0.5 Mbit/s
 * while the downlink follows the trace (norway_bus_7, mean 3.04 Mbit/s), so a
 * 2 Mbit/s uplink flow gets 0.5 Mbit/s less the 40 outer bytes a packet, and
 * a 2 Mbit/s downlink flow nearly all it asks for. */
static void test_world_trace_up_rate(void)
{
	static const char text[] =
		"[sim]\nduration_s = 20\n"
		"[link cell]\ntrace = " UM3N_SIM_TRACES "/links/norway_bus_7\nup_rate_mbps = 0.5\n"
		"delay_ms = 20\n"
		"[flow up]\ntype = bulk\nserver = 10.9.1.11\ndirection = up\nrate_mbps = 2\n"
		"start_s = 1\n"
		"[flow down]\ntype = bulk\nserver = 10.9.1.10\nrate_mbps = 2\nstart_s = 1\n";

	CU_ASSERT_EQUAL_FATAL(load(text), 0);
	CU_ASSERT_EQUAL_FATAL(run(1), 0);
	CU_ASSERT_TRUE(w.metrics.flows[0].goodput_mbps > 0.45);
	CU_ASSERT_TRUE(w.metrics.flows[0].goodput_mbps < 0.5);
	CU_ASSERT_TRUE(w.metrics.flows[1].goodput_mbps > 1.7);
	sim_world_free(&w);
}

/* 5: core_rate_mbps = 2 with a 10,000-byte queue: 1000-byte packets take
 * 4 ms on the core each way besides its 5 ms, so an uncongested flow's
 * one-way delay is exactly 9 ms more than test 1's; 4 Mbit/s offered gets
 * the core's 2, the rest dropped by its queue (and counted there), no
 * packet later than a full queue (40 ms) behind. */
static void test_world_core_rate(void)
{
	static const char fits[] =
		"[sim]\nduration_s = 5\ncore_delay_ms = 5\ncore_rate_mbps = 2\n"
		"core_queue_bytes = 10000\n"
		"[link wifi]\nrate_mbps = 10\ndelay_ms = 10\n"
		"[flow down]\ntype = cbr\nserver = 10.9.1.10\nrate_mbps = 1\npacket_bytes = 1000\n"
		"start_s = 1\n"
		"[flow up]\ntype = cbr\nserver = 10.9.1.11\ndirection = up\nrate_mbps = 0.5\n"
		"packet_bytes = 1000\nstart_s = 1\n";
	char over[sizeof(fits)];
	char *r;

	CU_ASSERT_EQUAL_FATAL(load(fits), 0);
	CU_ASSERT_EQUAL_FATAL(run(1), 0);
	for (size_t i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(w.metrics.flows[i].lost, 0);
		CU_ASSERT_DOUBLE_EQUAL(w.metrics.flows[i].owd_p50_ms, 19.832, 0.0005);
		CU_ASSERT_DOUBLE_EQUAL(w.metrics.flows[i].owd_p99_ms, 19.832, 0.0005);
	}
	CU_ASSERT_TRUE(w.metrics.core_limited);
	CU_ASSERT_EQUAL(w.metrics.core_down.drop_queue + w.metrics.core_up.drop_queue, 0);
	CU_ASSERT_EQUAL(w.metrics.core_up.sent_pkts, w.metrics.flows[1].sent_pkts);
	sim_world_free(&w);

	memcpy(over, fits, sizeof(fits)); /* the downlink offered 4 Mbit/s */
	r = strstr(over, "rate_mbps = 1\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r[12] = '4';
	CU_ASSERT_EQUAL_FATAL(load(over), 0);
	CU_ASSERT_EQUAL_FATAL(run(1), 0);
	CU_ASSERT_DOUBLE_EQUAL(w.metrics.flows[0].goodput_mbps, 2.0, 0.05);
	CU_ASSERT_EQUAL(w.metrics.core_down.sent_pkts, w.metrics.flows[0].sent_pkts);
	CU_ASSERT_EQUAL(w.metrics.core_down.deliver_pkts + w.metrics.core_down.drop_queue,
			w.metrics.core_down.sent_pkts);
	CU_ASSERT_TRUE(w.metrics.core_down.drop_queue > 900);
	CU_ASSERT_TRUE(w.metrics.flows[0].lost > 800);
	/* what the core let through arrived, but for the last few in flight */
	CU_ASSERT_TRUE(w.metrics.flows[0].recv_pkts <= w.metrics.core_down.deliver_pkts);
	CU_ASSERT_TRUE(w.metrics.flows[0].recv_pkts + 20 > w.metrics.core_down.deliver_pkts);
	CU_ASSERT_TRUE(w.metrics.flows[0].owd_p99_ms <= 19.832 + 40.0 + 0.001);
	CU_ASSERT_TRUE(w.metrics.flows[0].owd_p50_ms > 19.832 + 30.0);
	CU_ASSERT_EQUAL(w.metrics.flows[1].lost, 0);
	sim_world_free(&w);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 exact one-way delay through both engines", test_world_delay_arithmetic},
		{"2 policy routing and per-link goodput", test_world_policy_routing},
		{"3 silent cut and determinism", test_world_cut_and_determinism},
		{"4 up_rate_mbps beside a trace", test_world_trace_up_rate},
		{"5 a rate-limited core", test_world_core_rate},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_world", tests}, {NULL, NULL}};

	return test_main(suites);
}
