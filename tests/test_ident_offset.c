/* Clock offsets against the NTP-format registration identification (RFC 5944
 * §5.7, issue 13 "Restarts"): an MN whose wall clock is hours ahead of or
 * behind the HA's still registers, through one identification mismatch (133)
 * whose reply it resynchronises from, within 1 s; and an MN restarted with its
 * clock stepped hours back (or forward) re-registers at an HA that remembers
 * its last identification. The wall-time source is the engines' own
 * (ident_base, which the daemons take from the clock plus UM3N_CLOCK_OFFSET_S),
 * never the machine's clock. Numbered cases, one pair of engines each. */
#include <stdio.h>
#include <string.h>

#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define HOUR_NTP (3600ull << 32)
#define WALL_NTP (3912000000ull << 32) /* NTP seconds of late 2023 */

struct offset_case {
	int num;
	const char *what;
	bool ha_knows_time;    /* HA ident_base set (window 60 s) or 0 (the daemon's) */
	int64_t mn_hours;      /* MN's clock against the HA's at the start */
	int64_t restart_hours; /* the MN restarts at 2 s with this offset (99: no restart) */
	bool want_133;         /* a 133 is part of the way there */
};

/* clang-format off */
static const struct offset_case cases[] = {
	{1, "in step", true, 0, 99, false},
	{2, "MN 3 h ahead of an HA that knows the time", true, 3, 99, true},
	{3, "MN 3 h behind an HA that knows the time", true, -3, 99, true},
	{4, "MN 30 h ahead", true, 30, 99, true},
	{5, "MN restarts with its clock 3 h back (HA without wall time)", false, 0, -3, true},
	{6, "MN restarts back in step after 3 h ahead (HA without wall time)", false, 3, 0, true},
	{7, "MN restarts 3 h back, HA knows the time", true, 0, -3, true},
	{8, "MN restarts 5 h ahead, HA knows the time", true, 0, 5, true},
};
/* clang-format on */

static uint64_t ntp_at(int64_t hours)
{
	return hours >= 0 ? WALL_NTP + (uint64_t)hours * HOUR_NTP
			  : WALL_NTP - (uint64_t)(-hours) * HOUR_NTP;
}

static bool all_registered(struct pairnet *net)
{
	struct um3n_mn_status st;
	struct um3n_ha_mn_status hs;

	um3n_mn_status(net->mn, net->now_us, &st);
	for (size_t l = 0; l < net->mn_conf.n_links; l++)
		if (st.links[l].reg_state != UM3N_REG_REGISTERED)
			return false;
	return um3n_ha_mn_status(net->ha, net->now_us, 0, &hs) == UM3N_OK &&
	       hs.n_bindings == net->mn_conf.n_links;
}

/* Runs in 1 ms steps until both links are registered; the µs it took. */
static uint64_t until_registered(struct pairnet *net, uint64_t limit_us)
{
	uint64_t t0 = net->now_us;

	while (!all_registered(net) && net->now_us - t0 < limit_us)
		pairnet_run(net, net->now_us + 1000);
	return net->now_us - t0;
}

static void run_case(const struct offset_case *c)
{
	struct pairnet net;
	uint64_t took, took_restart = 0;

	pairnet_init(&net, NULL);
	net.ha_conf.ident_base = c->ha_knows_time ? WALL_NTP : 0;
	net.ha_conf.ident_window_s = 60;
	net.mn_conf.ident_base = ntp_at(c->mn_hours);
	pairnet_start(&net);
	took = until_registered(&net, 5000000);
	if (c->restart_hours != 99) {
		pairnet_run(&net, 2000000);
		um3n_mn_free(
			net.mn); /* the restart: a fresh engine, its last identification lost */
		net.mn_conf.ident_base = ntp_at(c->restart_hours);
		net.mn = um3n_mn_new(&net.mn_conf, &net.env);
		CU_ASSERT_PTR_NOT_NULL_FATAL(net.mn);
		for (size_t i = 0; i < net.mn_conf.n_links; i++)
			um3n_mn_link_event(net.mn, net.now_us, (int)i, UM3N_LINK_EV_UP, 0);
		took_restart = until_registered(&net, 5000000);
	}
	if (took >= 1000000 || took_restart >= 1000000 || !all_registered(&net) ||
	    (net.rrp_codes[UM3N_CODE_IDENT_MISMATCH] > 0) != c->want_133)
		fprintf(stderr,
			"\n  case %d (%s): registered after %llu ms, after restart %llu ms, "
			"%llu replies 133\n",
			c->num, c->what, (unsigned long long)took / 1000,
			(unsigned long long)took_restart / 1000,
			(unsigned long long)net.rrp_codes[UM3N_CODE_IDENT_MISMATCH]);
	CU_ASSERT(took < 1000000);
	CU_ASSERT(took_restart < 1000000);
	CU_ASSERT(all_registered(&net));
	CU_ASSERT_EQUAL(net.rrp_codes[UM3N_CODE_IDENT_MISMATCH] > 0, c->want_133);
	pairnet_fini(&net);
}

static void test_offsets(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static CU_TestInfo offset_tests[] = {
	{"01 clock offsets and restarts: registered within 1 s", test_offsets},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ident_offset", offset_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
