/* Metrics: percentiles against sorting, loss with the settle time, handover
 * gap and lost packets, late video frames, the JSON keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "testutil.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* 1: quickselect gives the same k-th value as a sort, ties and all. */
static void test_metrics_select(void)
{
	enum { N = 1001 };
	static uint32_t v[N], w[N], s[N];
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 5);
	for (int round = 0; round < 60; round++) {
		size_t n = 1 + um3n_prng_below(&rng, N);
		uint64_t range = round % 3 == 0 ? 4 : 1000000;

		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)um3n_prng_below(&rng, range);
		memcpy(s, v, n * sizeof(*v));
		qsort(s, n, sizeof(*s), cmp_u32);
		for (int t = 0; t < 5; t++) {
			size_t k = um3n_prng_below(&rng, n);

			memcpy(w, v, n * sizeof(*v));
			CU_ASSERT_EQUAL_FATAL(sim_quant_select_kth(w, n, k), s[k]);
		}
	}
}

static void scenario_one_flow(struct sim_scenario *sc, bool video, uint64_t outage_at)
{
	memset(sc, 0, sizeof(*sc));
	sc->duration_us = 10000000;
	sc->n_links = 1;
	strcpy(sc->links[0].name, "wifi");
	if (outage_at) {
		static struct sim_outage o;

		o.start_us = outage_at;
		o.end_us = UINT64_MAX;
		sc->links[0].n_outages = 1;
		sc->links[0].outages = &o;
		sc->handover_before_us = 1000000;
		sc->handover_after_us = 2000000;
	}
	sc->n_flows = 1;
	strcpy(sc->flows[0].name, "f");
	sc->flows[0].type = video ? SIM_FLOW_VIDEO : SIM_FLOW_CBR;
	sc->flows[0].dir = SIM_DIR_DOWN;
	sc->flows[0].start_us = 1000000;
	sc->flows[0].stop_us = 10000000;
	sc->flows[0].playout_us = 100000;
}

/* 2: a CBR flow every 10 ms with 10 ms delay; packets 500..519 (sent
 * 6.0-6.19 s) never arrive; the last 0.5 s are in flight, not lost. */
static void test_metrics_loss_gap(void)
{
	static struct sim_scenario sc;
	static struct sim_metrics m;

	scenario_one_flow(&sc, false, 6000000);
	CU_ASSERT_EQUAL_FATAL(sim_metrics_init(&m, &sc, 3), 0);
	for (uint32_t seq = 0; seq < 900; seq++) {
		uint64_t t = 1000000 + (uint64_t)seq * 10000;

		CU_ASSERT_EQUAL_FATAL(sim_metrics_sent(&m, 0, seq, t, 1000, false, 0, 0), 0);
		if ((seq >= 500 && seq < 520) || t + 10000 > 9800000)
			continue;
		sim_metrics_received(&m, 0, 0, false, t + 10000, seq, t, 1000, 0);
	}
	/* a duplicate and a late reordered packet */
	sim_metrics_received(&m, 0, 0, false, 7000000, 10, 1100000, 1000, 0);
	CU_ASSERT_EQUAL(sim_metrics_finish(&m, 10000000), 0);
	CU_ASSERT_EQUAL(m.flows[0].dup_pkts, 1);
	CU_ASSERT_EQUAL(m.flows[0].lost, 20);
	CU_ASSERT_EQUAL(m.ho_lost, 20);
	/* last delivery 5.99+0.01 = 6.00 s, next 6.20+0.01 = 6.21 s: gap 210 ms */
	CU_ASSERT_DOUBLE_EQUAL(m.ho_gap_ms, 210.0, 0.001);
	CU_ASSERT_DOUBLE_EQUAL(m.ho_loss_window_ms, 190.0, 0.001);
	CU_ASSERT_DOUBLE_EQUAL(m.flows[0].owd_p50_ms, 10.0, 0.001);
	CU_ASSERT_EQUAL(m.flows[0].reordered, 0);
	/* judged: sent at or before 9.5 s = seq 0..850 */
	CU_ASSERT_DOUBLE_EQUAL(m.flows[0].loss, 20.0 / 851.0, 1e-9);
	sim_metrics_free(&m);
}

/* 3: video frames: complete in time, one packet late, one frame missing a packet. */
static void test_metrics_late_frames(void)
{
	static struct sim_scenario sc;
	static struct sim_metrics m;
	uint32_t seq = 0;

	scenario_one_flow(&sc, true, 0);
	CU_ASSERT_EQUAL_FATAL(sim_metrics_init(&m, &sc, 1), 0);
	for (uint32_t fr = 0; fr < 30; fr++) {
		uint64_t t = 1000000 + fr * 33333ULL;

		for (uint16_t k = 0; k < 3; k++, seq++) {
			uint64_t delay = 20000;

			CU_ASSERT_EQUAL_FATAL(sim_metrics_sent(&m, 0, seq, t, 1400, false, fr, 3),
					      0);
			if (fr == 5 && k == 2)
				delay = 100000 + 33000 + 1; /* just past playout + 33 ms */
			if (fr == 9 && k == 1)
				continue;
			sim_metrics_received(&m, 0, 0, false, t + delay, seq, t, 1400, fr);
		}
	}
	CU_ASSERT_EQUAL(sim_metrics_finish(&m, 10000000), 0);
	CU_ASSERT_EQUAL(m.flows[0].frames_judged, 30);
	CU_ASSERT_EQUAL(m.late_frames, 2);
	CU_ASSERT_EQUAL(m.flows[0].reordered, 0);
	sim_metrics_free(&m);
}

/* 4: metrics.json has exactly the documented keys, with fixed decimals. */
static void test_metrics_json(void)
{
	static struct sim_scenario sc;
	static struct sim_metrics m;
	char path[] = "/tmp/test_sim_metrics.XXXXXX", buf[2048];
	FILE *f;
	size_t n;
	int fd = mkstemp(path);

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	scenario_one_flow(&sc, true, 6000000);
	CU_ASSERT_EQUAL_FATAL(sim_metrics_init(&m, &sc, 42), 0);
	CU_ASSERT_EQUAL(sim_metrics_finish(&m, 10000000), 0);
	CU_ASSERT_EQUAL(sim_metrics_write_json(&m, path), 0);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"seed\": 42,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"duration_s\": 10.000,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"wifi\": {\"goodput_mbps\": 0.000}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf,
				      "\"f\": {\"goodput_mbps\": 0.000, \"loss\": 0.000000, "
				      "\"lost_packets\": 0, \"owd_p50_ms\": 0.000, \"owd_p99_ms\": "
				      "0.000, \"reordered\": 0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"handover\": {\"gap_ms\": "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"video\": {\"late_frames\": 0}"));
	sim_metrics_free(&m);
}

/* 5: a natural pause of the sender (nothing sent in [5.5, 6.5) s) across the
 * handover window [5, 8] s, then three packets 30 ms late: the longest
 * silence (gap_ms) counts the pause, the added gap only the lateness; both
 * and the extra delay are in metrics.json. */
static void test_metrics_pause(void)
{
	static struct sim_scenario sc;
	static struct sim_metrics m;
	char path[] = "/tmp/test_sim_metrics.XXXXXX";
	uint32_t seq = 0;
	char *json;
	int fd = mkstemp(path);

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	close(fd);
	scenario_one_flow(&sc, false, 6000000);
	CU_ASSERT_EQUAL_FATAL(sim_metrics_init(&m, &sc, 1), 0);
	for (uint64_t t = 1000000; t < 9900000; t += 10000) {
		uint64_t delay = t >= 6500000 && t < 6530000 ? 40000 : 10000;

		if (t >= 5500000 && t < 6500000)
			continue;
		CU_ASSERT_EQUAL_FATAL(sim_metrics_sent(&m, 0, seq, t, 1000, false, 0, 0), 0);
		sim_metrics_received(&m, 0, 0, false, t + delay, seq++, t, 1000, 0);
	}
	CU_ASSERT_EQUAL(sim_metrics_finish(&m, 10000000), 0);
	CU_ASSERT_DOUBLE_EQUAL(m.ho_gap_ms, 1040.0, 0.001); /* 5.50 -> 6.54 s */
	CU_ASSERT_DOUBLE_EQUAL(m.ho_added_gap_ms, 30.0, 0.001);
	CU_ASSERT_DOUBLE_EQUAL(m.ho_extra_ms[0], 0.0, 0.001);
	CU_ASSERT_DOUBLE_EQUAL(m.ho_extra_ms[1], 30.0, 0.001);
	CU_ASSERT_DOUBLE_EQUAL(m.ho_extra_ms[2], 30.0, 0.001);
	CU_ASSERT_EQUAL(m.ho_lost, 0);
	CU_ASSERT_EQUAL(sim_metrics_write_json(&m, path), 0);
	json = test_slurp(path);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(json,
				      "\"handover\": {\"gap_ms\": 1040.000, \"lost_packets\": 0, "
				      "\"added_gap_ms\": 30.000, \"extra_delay_ms\": "
				      "{\"p50\": 0.000, \"p99\": 30.000, \"max\": 30.000}}"));
	free(json);
	sim_metrics_free(&m);
}

/* Two hours of a video flow (90 packets/s, 3 per frame) with random delays,
 * 1 % loss, a cut at 3600 s and one packet delivered 70 s late, fed to the
 * default (bounded) and the exact metrics. */
static void long_run(struct sim_metrics *m, bool exact)
{
	static struct sim_scenario sc;
	const uint64_t hours2 = 7200ULL * 1000000, stale_seq = 1000;
	uint64_t stale_send = 0;
	struct um3n_prng rng;

	scenario_one_flow(&sc, true, 3600000000ULL);
	sc.duration_us = sc.flows[0].stop_us = hours2;
	CU_ASSERT_EQUAL_FATAL(sim_metrics_init(m, &sc, 1), 0);
	if (exact)
		sim_metrics_set_exact(m);
	um3n_prng_seed(&rng, 19);
	for (uint32_t seq = 0;; seq++) {
		uint64_t t = 1000000 + (uint64_t)seq * 11111,
			 d = 10000 + um3n_prng_below(&rng, 40000);
		bool cut = t >= 3600000000ULL && t < 3600300000ULL;

		if (t + 1000000 > hours2)
			break;
		if (seq % 300 == 7)
			d = 200000; /* its frame is late */
		CU_ASSERT_EQUAL_FATAL(sim_metrics_sent(m, 0, seq, t, 1200, false, seq / 3, 3), 0);
		if (seq == stale_seq) {
			stale_send = t;
			continue;
		}
		if (stale_send && t >= stale_send + 70000000) {
			sim_metrics_received(m, 0, 0, false, t, stale_seq, stale_send, 1200,
					     stale_seq / 3);
			stale_send = 0;
		}
		if (!cut && um3n_prng_below(&rng, 100) != 0)
			sim_metrics_received(m, 0, 0, false, t + d, seq, t, 1200, seq / 3);
	}
	CU_ASSERT_EQUAL(sim_metrics_finish(m, hours2), 0);
}

/* 6: the bounded metrics equal the exact ones over a long run: losses, late
 * frames, handover figures; delay percentiles within 1/256 (histogram past
 * 2^18 samples); held records stay at a minute of packets. A delivery after
 * SIM_HORIZON_US is stale: counted lost by the bounded metrics only. */
static void test_metrics_long_bounded(void)
{
	static struct sim_metrics a, b;
	const struct sim_flow_metrics *fa = &a.flows[0], *fb = &b.flows[0];

	long_run(&a, false);
	CU_ASSERT_TRUE(a.flows[0].pkts.cap <= 8192); /* 60 s of 90 packets/s */
	CU_ASSERT_TRUE(a.flows[0].frames.cap <= 1024);
	CU_ASSERT_FALSE(a.flows[0].owd.exact);
	long_run(&b, true);
	CU_ASSERT_TRUE(b.flows[0].owd.exact);
	CU_ASSERT_TRUE(fa->sent_pkts > 600000);
	CU_ASSERT_EQUAL(fa->stale_pkts, 1);
	CU_ASSERT_EQUAL(fb->stale_pkts, 0);
	CU_ASSERT_EQUAL(fa->lost, fb->lost + 1);
	CU_ASSERT_TRUE(fb->lost > 6000);
	CU_ASSERT_EQUAL(fa->frames_judged, fb->frames_judged);
	CU_ASSERT_EQUAL(fa->late_frames, fb->late_frames);
	CU_ASSERT_TRUE(fa->late_frames > 700);
	CU_ASSERT_EQUAL(fa->ho_lost, fb->ho_lost);
	CU_ASSERT_TRUE(fa->ho_lost >= 27);
	CU_ASSERT_DOUBLE_EQUAL(a.ho_gap_ms, b.ho_gap_ms, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(a.ho_added_gap_ms, b.ho_added_gap_ms, b.ho_added_gap_ms / 256);
	CU_ASSERT_TRUE(b.ho_added_gap_ms > 250);
	CU_ASSERT_DOUBLE_EQUAL(fa->owd_p50_ms, fb->owd_p50_ms, fb->owd_p50_ms / 256);
	CU_ASSERT_DOUBLE_EQUAL(fa->owd_p99_ms, fb->owd_p99_ms, fb->owd_p99_ms / 256);
	CU_ASSERT_TRUE(fb->owd_p50_ms > 25 && fb->owd_p50_ms < 35);
	sim_metrics_free(&a);
	sim_metrics_free(&b);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 quickselect vs sort", test_metrics_select},
		{"2 loss, settle time, handover gap and window", test_metrics_loss_gap},
		{"3 late video frames", test_metrics_late_frames},
		{"4 metrics.json keys and format", test_metrics_json},
		{"5 natural pause across the handover window: silence vs added gap",
		 test_metrics_pause},
		{"6 bounded metrics over two hours vs exact", test_metrics_long_bounded},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_metrics", tests}, {NULL, NULL}};

	return test_main(suites);
}
