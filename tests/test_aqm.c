/* aqm.h: the sender-side queue management of traffic moved onto a link --
 * the virtual queue at the link's rate, the hard limits (with and without
 * traffic of the link's own), CoDel's interval and control law, the cap of
 * own traffic, and the switches that turn it off. */
#include <string.h>

#include "aqm.h"
#include "testutil.h"

static const struct um3n_aqm_conf conf = {5000, 100000, 20000, 60000};

#define KBPS 3610u /* the testbed's cell link */
#define PKT 1458u  /* + UM3N_AQM_LINK_EXTRA = 1500 bytes on the link: 3.32 ms */

struct run {
	uint64_t admitted_bytes, dropped, max_backlog_us, max_moved_us, first_drop_us;
};

/* Moved packets every gap_us from t0 for dur_us (own packets every own_gap_us
 * too, 0: none); the largest backlog a moved packet was admitted at. */
static struct run offer(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint64_t t0,
			uint64_t dur_us, uint64_t gap_us, uint64_t own_gap_us)
{
	struct run r = {0, 0, 0, 0, 0};
	uint64_t next_own = t0;

	for (uint64_t t = t0; t < t0 + dur_us; t += gap_us) {
		uint64_t b;

		while (own_gap_us && next_own <= t) {
			um3n_aqm_charge(a, c, KBPS, PKT, next_own);
			next_own += own_gap_us;
		}
		b = um3n_aqm_backlog_us(a, t);
		uint64_t m = um3n_aqm_moved_backlog_us(a, t);

		if (um3n_aqm_admit_moved(a, c, KBPS, PKT, t, 1)) {
			r.admitted_bytes += PKT;
			if (b > r.max_backlog_us)
				r.max_backlog_us = b;
			if (m > r.max_moved_us)
				r.max_moved_us = m;
		} else {
			r.dropped++;
			if (!r.first_drop_us)
				r.first_drop_us = t;
		}
	}
	return r;
}

/* 1. Moved traffic at three times the rate, alone on the link: never admitted
 * above aqm_alone_ms; what passes is the link's rate (within 5%). */
static void test_alone_limit_and_rate(void)
{
	struct um3n_aqm_link a;
	struct run r;
	double mbps;

	memset(&a, 0, sizeof(a));
	r = offer(&a, &conf, 1000000, 2000000, 1100, 0);
	CU_ASSERT(r.max_backlog_us < conf.alone_us);
	CU_ASSERT(r.dropped > 0);
	mbps = (double)(r.admitted_bytes + r.admitted_bytes / PKT * UM3N_AQM_LINK_EXTRA) * 8 / 2e6;
	CU_ASSERT(mbps > KBPS / 1000.0 * 0.95 && mbps < KBPS / 1000.0 * 1.05);
}

/* 2. Precedence: the link's own traffic at 70% of its rate and moved traffic
 * at twice the rate: moved traffic never enters when its part of the queue
 * is aqm_limit_ms (nor the whole queue above that and one own packet), and
 * gets at most what the own traffic leaves (30%, 5% slack). */
static void test_own_traffic_first(void)
{
	struct um3n_aqm_link a;
	struct run r;
	uint64_t own_gap = 3320 * 10 / 7; /* one 1500-byte packet per 4.74 ms */
	double share;

	memset(&a, 0, sizeof(a));
	r = offer(&a, &conf, 1000000, 2000000, 1660, own_gap);
	CU_ASSERT(r.max_moved_us < conf.limit_us);
	CU_ASSERT(r.max_backlog_us < conf.limit_us + 3400);
	share = (double)(r.admitted_bytes + r.admitted_bytes / PKT * UM3N_AQM_LINK_EXTRA) * 8 /
		2e6 / (KBPS / 1000.0);
	CU_ASSERT(share > 0.2 && share < 0.35);
}

/* 3. CoDel: moved traffic 10% over the rate with the limits out of reach
 * stands above the target; nothing is dropped for one interval after that,
 * then drops come closer and closer (the control law) and the queue stays
 * short, where without CoDel it would grow by 10% of the elapsed time. */
static void test_codel_interval_and_law(void)
{
	struct um3n_aqm_conf c = {5000, 100000, 1000000, 1000000};
	struct um3n_aqm_link a;
	struct run r;
	uint64_t t0 = 1000000, above = 0, last_drop = 0, gap1 = 0, gap_last = 0;
	unsigned drops = 0;

	memset(&a, 0, sizeof(a));
	for (uint64_t t = t0; t < t0 + 3000000; t += 3020) { /* 1500 B per 3.02 ms: 1.1x */
		if (!above && um3n_aqm_backlog_us(&a, t) >= c.target_us)
			above = t;
		if (um3n_aqm_admit_moved(&a, &c, KBPS, PKT, t, 1))
			continue;
		if (!drops)
			CU_ASSERT(t >= above + c.interval_us);
		if (drops == 1)
			gap1 = t - last_drop;
		if (drops > 1)
			gap_last = t - last_drop;
		last_drop = t;
		drops++;
	}
	CU_ASSERT(above > 0 && drops > 3);
	CU_ASSERT(gap_last > 0 && gap_last < gap1);
	r = offer(&a, &c, t0 + 3000000, 1000, 1000, 0); /* where the queue stands now */
	(void)r;
	CU_ASSERT(um3n_aqm_backlog_us(&a, t0 + 3000000) < 60000);
}

/* 4. Own traffic is only charged, up to one interval of backlog; moved
 * traffic is shut out by it, and lets in again once it drained. */
static void test_own_cap(void)
{
	struct um3n_aqm_link a;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 200; i++) /* 200 packets at once: 664 ms at the rate */
		um3n_aqm_charge(&a, &conf, KBPS, PKT, 1000000);
	CU_ASSERT(um3n_aqm_backlog_us(&a, 1000000) >= conf.interval_us);
	CU_ASSERT(um3n_aqm_backlog_us(&a, 1000000) < conf.interval_us + 3400);
	CU_ASSERT_FALSE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, 1000000, 1));
	CU_ASSERT_TRUE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, 1000000 + conf.interval_us, 1));
}

/* 5. Off: no configuration, a limit of 0, or a link of unknown rate. */
static void test_off(void)
{
	struct um3n_aqm_conf off = conf;
	struct um3n_aqm_link a;

	off.limit_us = 0;
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 1000; i++) {
		CU_ASSERT_TRUE(um3n_aqm_admit_moved(&a, NULL, KBPS, PKT, 1000, 1));
		CU_ASSERT_TRUE(um3n_aqm_admit_moved(&a, &off, KBPS, PKT, 1000, 1));
		CU_ASSERT_TRUE(um3n_aqm_admit_moved(&a, &conf, 0, PKT, 1000, 1));
		um3n_aqm_charge(&a, &off, KBPS, PKT, 1000);
	}
	CU_ASSERT_EQUAL(a.vfinish_ns, 0);
	CU_ASSERT_EQUAL(um3n_aqm_bytes_in(KBPS, 20000), 9025);
}

/* 6. Two moved flows: a bulk one at twice the link's rate and a video at a
 * quarter of it. CoDel's drops fall on the bulk flow only (the video sends
 * less than the moved flows' average); with one flow, that flow is judged. */
static void test_sparse_flow_spared(void)
{
	/* no hard limit in reach: CoDel's part alone (an open-loop bulk flow
	 * would otherwise fill the queue to it: TCP backs off, this does not) */
	struct um3n_aqm_conf c = {20000, 100000, 20000, 60000000};
	struct um3n_aqm_link a;
	uint64_t bulk_drop = 0, video_drop = 0, video_sent = 0, next_video = 1000000;

	memset(&a, 0, sizeof(a));
	for (uint64_t t = 1000000; t < 4000000; t += 1660) { /* bulk: 2 x 3.61 Mbit/s */
		if (!um3n_aqm_admit_moved(&a, &c, KBPS, PKT, t, 7))
			bulk_drop++;
		while (next_video <= t) { /* video: 1/4 of the rate */
			video_sent++;
			if (!um3n_aqm_admit_moved(&a, &c, KBPS, PKT, next_video, 12))
				video_drop++;
			next_video += 13280;
		}
	}
	CU_ASSERT(bulk_drop > 100);
	CU_ASSERT(video_sent > 200);
	CU_ASSERT_EQUAL(video_drop, 0);
}

/* 7. A burst of the own traffic (a video's key frame: 20 packets, 66 ms at
 * the rate) does not shut moved traffic out: moved packets enter behind it
 * until their own part reaches aqm_limit_ms, then wait until the link sent
 * some of theirs; the whole queue never passes one interval. */
static void test_behind_own_burst(void)
{
	struct um3n_aqm_link a;
	uint64_t t = 1000000;
	int admitted = 0;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 20; i++)
		um3n_aqm_charge(&a, &conf, KBPS, PKT, t);
	CU_ASSERT(um3n_aqm_backlog_us(&a, t) > 60000);
	CU_ASSERT_EQUAL(um3n_aqm_moved_backlog_us(&a, t), 0);
	while (admitted < 100 && um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, t, 1))
		admitted++;
	CU_ASSERT_EQUAL(admitted, 7); /* six make 19.9 ms, below 20: a 7th enters */
	CU_ASSERT(um3n_aqm_moved_backlog_us(&a, t) >= conf.limit_us);
	CU_ASSERT(um3n_aqm_backlog_us(&a, t) < conf.interval_us);
	CU_ASSERT_FALSE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, t + 3000, 1));
	/* The own burst drains first (FIFO): the moved part shrinks only after. */
	CU_ASSERT_FALSE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, t + 60000, 1));
	CU_ASSERT_TRUE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, t + 70000, 1));
	/* An own burst that filled a whole interval leaves no room. */
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 31; i++)
		um3n_aqm_charge(&a, &conf, KBPS, PKT, t);
	CU_ASSERT_EQUAL(um3n_aqm_room_us(&a, &conf, t), 0);
	CU_ASSERT_FALSE(um3n_aqm_admit_moved(&a, &conf, KBPS, PKT, t, 1));
}

static CU_TestInfo aqm_tests[] = {
	{"1 moved traffic alone: aqm_alone_ms, the link's rate", test_alone_limit_and_rate},
	{"2 own traffic first: aqm_limit_ms, the share left", test_own_traffic_first},
	{"3 CoDel: one interval above target, then the control law", test_codel_interval_and_law},
	{"4 own traffic charged up to one interval", test_own_cap},
	{"5 off: no conf, limit 0, unknown rate", test_off},
	{"6 two moved flows: CoDel drops the bulk one, spares the video", test_sparse_flow_spared},
	{"7 moved traffic enters behind a burst of the own traffic", test_behind_own_burst},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"aqm", aqm_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
