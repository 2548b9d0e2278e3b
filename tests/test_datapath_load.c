/* datapath, continued (the rig: datapath_rig.h): the peer's base delays,
 * pure TCP acknowledgements of aggregate rules on the fastest link, and under
 * load the re-send budget and the AQM of moved traffic (aqm.h). */
#include "datapath_rig.h"

/* The base delay: the smallest sample of the current and the last 10 s
 * window, so a queue that builds and drains moves it only downwards, a
 * standing queue of up to one window (BBR drains its queues every 10 s) is
 * not taken for the path, and a path that became slower for good shows within
 * two windows. The smoothed delay (the hold) is kept apart. */
static void test_base_delay(void)
{
	struct rig r;
	const uint64_t W = UM3N_DATAPATH_BASE_WINDOW_US;

	CU_ASSERT(W >= 10000000);
	rig_init(&r, 8, UM3N_OUTQ_SLOT_MIN, 0, UM3N_DATAPATH_BY_DST);
	um3n_datapath_set_rx_delay(&r.dp, 1, 70000);
	CU_ASSERT_EQUAL(r.dp.rx_delay_us[1], 70000);
	CU_ASSERT_FALSE(r.dp.rx_paths_ok);
	um3n_datapath_rx_sample(&r.dp, 1, 50000, 1000);
	um3n_datapath_rx_sample(&r.dp, 1, 90000, 2000); /* a queue */
	CU_ASSERT_EQUAL(r.dp.rx_sample_us[1], 90000);
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].cur, 50000);
	for (uint64_t t = 2000; t < 1000 + W; t += 15000) /* standing for a window */
		um3n_datapath_rx_sample(&r.dp, 1, 150000, t);
	um3n_datapath_rx_sample(&r.dp, 1, 80000, 1000 + W); /* next window */
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].prev, 50000);
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].cur, 80000);
	CU_ASSERT_EQUAL(um3n_winmin_get(&r.dp.rx_sample_base[1]), 50000);
	um3n_datapath_rx_sample(&r.dp, 1, 70000, 1000 + 2 * W); /* 50 ms forgotten */
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].prev, 80000);
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].cur, 70000);
	um3n_datapath_rx_sample(&r.dp, 1, 60000, 2000 + 2 * W);
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[1].cur, 60000);
	CU_ASSERT_EQUAL(r.dp.rx_sample_base[0].cur, 0); /* other links untouched */
	rig_fini(&r);
}

/* Aggregate rules: pure acknowledgements on the fastest link; data, SYN and
 * FIN by the scheduler (which here, with a backlog on link 2 that lasts
 * longer than the links' delay differences, spreads them). */
static void test_pure_ack(void)
{
	struct rig r;
	int links[64];
	size_t n;
	unsigned elsewhere = 0;

	rig_init(&r, 64, UM3N_OUTQ_SLOT_MIN, 0, UM3N_DATAPATH_BY_DST);
	r.dp.sched.max_spread_us = 100000;
	um3n_linksched_set_delay(&r.dp.sched, 0, 10000);
	um3n_linksched_set_delay(&r.dp.sched, 1, 12000);
	um3n_linksched_set_delay(&r.dp.sched, 2, 5000);
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(send_tcp(&r, 0, v4(10, 3, 0, 1), 0, 0x10), 0); /* ACK */
	n = drain(&r, links, 64);
	CU_ASSERT_EQUAL_FATAL(n, 20);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(links[i], 2);
	for (uint64_t i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(send_tcp(&r, i * 1000, v4(10, 3, 0, 1), 100, 0x18), 0); /* data */
		CU_ASSERT_EQUAL(send_tcp(&r, i * 1000, v4(10, 3, 0, 1), 0, 0x12), 0); /* SYN-ACK */
		CU_ASSERT_EQUAL(send_tcp(&r, i * 1000, v4(10, 3, 0, 1), 0, 0x11), 0); /* FIN-ACK */
	}
	n = drain(&r, links, 64);
	CU_ASSERT_EQUAL_FATAL(n, 60);
	for (size_t i = 0; i < n; i++)
		elsewhere += links[i] != 2;
	CU_ASSERT(elsewhere > 20); /* not all on the fastest: the scheduler chose */
	rig_fini(&r);
}

/* Failover under load (aqm.h), links at 1000 kbit/s: when both wifi links
 * fail, the failover re-sends only the newest of link 0's window that fit
 * below aqm_alone_ms on the cell link (it carries nothing of its own), and
 * the wifi traffic moved onto the cell link is refused (drops.aqm) while the
 * cell link's own traffic, never refused, keeps it above aqm_limit_ms. */
static void test_failover_under_load(void)
{
	static const struct um3n_aqm_conf aqm = {5000, 100000, 20000, 60000};
	struct rig r;
	struct um3n_out o = {0};
	size_t resent, taken;
	uint8_t tag = 23;

	rig_init(&r, 64, 0, 64, UM3N_DATAPATH_BY_DST);
	r.dp.aqm = &aqm;
	for (uint8_t i = 0; i < 30; i++) /* 1012-byte datagrams on link 0 */
		CU_ASSERT_EQUAL(send_at(&r, r.policy, 1000000, v4(10, 200, 0, 2), v4(10, 9, 9, 9),
					1000, i),
				UM3N_OK);
	while (um3n_outq_pop(&r.q, &o))
		CU_ASSERT_EQUAL(o.link, 0);
	um3n_datapath_set_link(&r.dp, 0, true, UM3N_LS_FAILED);
	um3n_datapath_set_link(&r.dp, 2, true, UM3N_LS_FAILED);
	um3n_datapath_links_changed(&r.dp);
	/* 60 ms at 1000 kbit/s: 7500 bytes, 7 datagrams; the newest seven */
	taken = um3n_datapath_failover(&r.dp, &r.q, &r.drops, 1050000, 150000, 0, r.policy,
				       &resent);
	CU_ASSERT_EQUAL(taken, 7);
	CU_ASSERT_EQUAL(resent, 7);
	while (um3n_outq_pop(&r.q, &o)) {
		CU_ASSERT_EQUAL(o.link, 1);
		CU_ASSERT_EQUAL(o.data[o.len - 1], tag++);
	}
	CU_ASSERT_EQUAL(tag, 30);
	CU_ASSERT_EQUAL(r.drops.aqm, 0);
	/* The cell link's own traffic goes; moved traffic not above 20 ms of it. */
	CU_ASSERT_EQUAL(send_at(&r, r.policy, 1050000, v4(10, 200, 0, 2), v4(10, 1, 0, 1), 1000, 1),
			UM3N_OK);
	CU_ASSERT_EQUAL(send_at(&r, r.policy, 1050000, v4(10, 200, 0, 2), v4(10, 9, 9, 9), 100, 2),
			UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(r.drops.aqm, 1);
	CU_ASSERT_EQUAL(r.drops.queue_full, 0);
	CU_ASSERT_EQUAL(send_at(&r, r.policy, 1050000, v4(10, 200, 0, 2), v4(10, 1, 0, 1), 1000, 3),
			UM3N_OK);
	/* Drained (75 ms of backlog): moved traffic goes again. */
	CU_ASSERT_EQUAL(send_at(&r, r.policy, 1130000, v4(10, 200, 0, 2), v4(10, 9, 9, 9), 100, 4),
			UM3N_OK);
	CU_ASSERT_EQUAL(r.drops.aqm, 1);
	while (um3n_outq_pop(&r.q, &o))
		CU_ASSERT_EQUAL(o.link, 1);
	rig_fini(&r);
}

static CU_TestInfo datapath_load_tests[] = {
	{"10 base delay: windowed minimum of the peer's delays", test_base_delay},
	{"11 aggregate: pure TCP acknowledgements on the fastest link", test_pure_ack},
	{"12 failover under load: newest re-sends, own traffic first", test_failover_under_load},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"datapath_load", datapath_load_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
