/* datapath with the pacer (core/pacer.h): an aggregate rule's TCP data goes
 * at pct% of the usable links' rates, the rest when due (um3n_datapath_deadline,
 * um3n_datapath_timeout); its pure acknowledgements, its UDP and other rules'
 * packets go at once; past the bound a packet is dropped and counted as aqm;
 * with pct 0 nothing waits; with no usable link nothing waits either, and
 * what waited is dropped as no_link (no deadline left behind: a timer due
 * forever was what the engine fuzzer found). */
#include "datapath_rig.h"

/* The rig (its policy's 10.3/16 is an aggregate rule) with the pacer at conf. */
static void rig_paced(struct rig *r, const struct um3n_pacer_conf *conf)
{
	rig_init(r, 64, 0, 0, UM3N_DATAPATH_BY_DST);
	um3n_pacer_init(&r->dp.pacer, &r->env, conf);
}

/* Three links at 1000 kbit/s (their weights), paced at 100%: a 1000-byte
 * segment and its 44 bytes of outer headers take 2.784 ms of the 3 Mbit/s.
 * Ten at once: the first goes (the burst allowance after idle), each next
 * one when the timer says. */
static void test_pace_aggregate_tcp(void)
{
	static const struct um3n_pacer_conf conf = {100, 150000};
	const uint64_t t0 = 1000000, step = 1044ull * 8 * 1000000 / 3000000;
	struct rig r;
	int links[16];
	uint64_t t;
	size_t sent;

	rig_paced(&r, &conf);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(send_tcp(&r, t0, v4(10, 3, 0, 1), 960, 0x18), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 1);
	CU_ASSERT_EQUAL(r.dp.pacer.n, 9);
	t = um3n_datapath_deadline(&r.dp);
	CU_ASSERT_EQUAL(t, t0 - UM3N_PACER_BURST_US + step);
	/* Pure ACKs and UDP of the same rule, and another rule's TCP: at once. */
	CU_ASSERT_EQUAL(send_tcp(&r, t0, v4(10, 3, 0, 1), 0, 0x10), UM3N_OK);
	CU_ASSERT_EQUAL(send_at(&r, r.policy, t0, v4(10, 200, 0, 2), v4(10, 3, 0, 1), 500, 0),
			UM3N_OK);
	CU_ASSERT_EQUAL(send_tcp(&r, t0, v4(10, 1, 0, 1), 960, 0x18), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 3);
	CU_ASSERT_EQUAL(r.dp.pacer.n, 9);
	/* Early: nothing; then one per step. */
	um3n_datapath_timeout(&r.dp, &r.q, &r.drops, r.policy, t - 1);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 0);
	for (sent = 0; r.dp.pacer.n; sent++) {
		t = um3n_datapath_deadline(&r.dp);
		um3n_datapath_timeout(&r.dp, &r.q, &r.drops, r.policy, t);
		CU_ASSERT_EQUAL_FATAL(drain(&r, links, 16), 1);
	}
	CU_ASSERT_EQUAL(sent, 9);
	CU_ASSERT_EQUAL(t, t0 - UM3N_PACER_BURST_US + 9 * step);
	CU_ASSERT_EQUAL(um3n_datapath_deadline(&r.dp), UM3N_TIME_NONE);
	CU_ASSERT_EQUAL(r.dp.pacer.st.rate_kbps, 3000);
	CU_ASSERT_EQUAL(r.drops.aqm, 0);
	rig_fini(&r);
}

/* The bound: 4000 bytes hold four 1000-byte segments beside the one that
 * went; the sixth is dropped, counted as aqm. pct 0: nothing waits, and
 * nothing is allocated. */
static void test_pace_bound_and_off(void)
{
	static const struct um3n_pacer_conf small = {100, 4000}, off = {0, 150000};
	struct rig r;
	int links[16];

	rig_paced(&r, &small);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(send_tcp(&r, 1000000, v4(10, 3, 0, 1), 960, 0x18), UM3N_OK);
	CU_ASSERT_EQUAL(send_tcp(&r, 1000000, v4(10, 3, 0, 1), 960, 0x18), UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(r.drops.aqm, 1);
	CU_ASSERT_EQUAL(r.dp.pacer.st.dropped, 1);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 1);
	rig_fini(&r);

	rig_paced(&r, &off);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(send_tcp(&r, 1000000, v4(10, 3, 0, 1), 960, 0x18), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 10);
	CU_ASSERT_PTR_NULL(r.dp.pacer.buf);
	rig_fini(&r);
}

static void test_pace_no_link(void)
{
	static const struct um3n_pacer_conf conf = {100, 150000};
	struct rig r;
	int links[16];

	rig_paced(&r, &conf);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(send_tcp(&r, 1000000, v4(10, 3, 0, 1), 960, 0x18), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 1);
	CU_ASSERT_EQUAL(r.dp.pacer.n, 3);
	for (int l = 0; l < N; l++)
		um3n_datapath_set_link(&r.dp, l, true, UM3N_LS_FAILED);
	um3n_datapath_links_changed(&r.dp);
	um3n_datapath_timeout(&r.dp, &r.q, &r.drops, r.policy, 1000000);
	CU_ASSERT_EQUAL(r.dp.pacer.n, 0);
	CU_ASSERT_EQUAL(r.drops.no_link, 3);
	CU_ASSERT_EQUAL(um3n_datapath_deadline(&r.dp), UM3N_TIME_NONE);
	CU_ASSERT_EQUAL(send_tcp(&r, 1000000, v4(10, 3, 0, 1), 960, 0x18), UM3N_ENOLINK);
	CU_ASSERT_EQUAL(r.drops.no_link, 4);
	CU_ASSERT_EQUAL(um3n_datapath_deadline(&r.dp), UM3N_TIME_NONE);
	CU_ASSERT_EQUAL(drain(&r, links, 16), 0);
	rig_fini(&r);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"aggregate TCP data paced, the rest at once", test_pace_aggregate_tcp},
		{"the bound drops as aqm; pct 0 holds nothing", test_pace_bound_and_off},
		{"no usable link: nothing waits, what waited is dropped", test_pace_no_link},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"datapath_pace", tests}, {NULL, NULL}};

	return test_main(suites);
}
