/* Simulated link: serialisation/delay arithmetic, drop-tail, random and
 * Gilbert-Elliott loss, outages, jitter ordering, trace-driven rate. */
#include <string.h>

#include "link.h"
#include "testutil.h"

static struct sim_link_conf base_conf(uint64_t rate_bps, uint32_t delay_us)
{
	struct sim_link_conf c;

	memset(&c, 0, sizeof(c));
	c.rate_bps = rate_bps;
	c.delay_us = delay_us;
	c.seed = 1;
	return c;
}

static uint64_t submit(struct sim_link *l, uint64_t now, uint32_t len, enum sim_link_verdict *v)
{
	uint64_t arrive = 0;

	CU_ASSERT_EQUAL(sim_link_submit(l, now, len, v, &arrive), 0);
	return arrive;
}

/* 1: 1500 B at 12 Mbit/s is 1000 us on the wire; then the propagation delay;
 * back-to-back packets queue behind each other; idle capacity is not banked. */
static void test_link_serialisation(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(12000000, 5000);
	enum sim_link_verdict v;

	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	CU_ASSERT_EQUAL(sim_link_tx_time_us(&l, 0, 1500), 1000);
	CU_ASSERT_EQUAL(submit(&l, 0, 1500, &v), 6000);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	CU_ASSERT_EQUAL(submit(&l, 0, 1500, &v), 7000);
	CU_ASSERT_EQUAL(submit(&l, 100, 750, &v), 7500);
	CU_ASSERT_EQUAL(sim_link_backlog(&l, 1000), 2250); /* first one is out */
	/* Idle from 2500 to 100000: the next packet starts at once. */
	CU_ASSERT_EQUAL(submit(&l, 100000, 1500, &v), 100000 + 1000 + 5000);
	/* A rate that does not divide evenly rounds the finish time up. */
	c = base_conf(3610000, 0);
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	CU_ASSERT_EQUAL(submit(&l, 0, 1500, &v), 3325); /* 12000/3.61 = 3324.1 us */
}

/* 2: drop-tail on the bytes still waiting for the serialiser. */
static void test_link_drop_tail(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(12000000, 0);
	enum sim_link_verdict v;

	c.queue_bytes = 3000;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	submit(&l, 0, 1500, &v);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	submit(&l, 0, 1500, &v);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	CU_ASSERT_EQUAL(submit(&l, 0, 1500, &v), 0);
	CU_ASSERT_EQUAL(v, SIM_LINK_DROP_QUEUE);
	CU_ASSERT_EQUAL(l.stats.drop_queue, 1);
	/* After the first packet is serialised there is room for one more. */
	submit(&l, 1000, 1500, &v);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	submit(&l, 1000, 100, &v);
	CU_ASSERT_EQUAL(v, SIM_LINK_DROP_QUEUE);
}

static double loss_ratio(struct sim_link *l, size_t n, double *mean_burst)
{
	enum sim_link_verdict v;
	size_t lost = 0, bursts = 0;
	bool prev_lost = false;

	for (size_t i = 0; i < n; i++) {
		submit(l, i * 1000, 100, &v); /* spaced out: never queued */
		if (v == SIM_LINK_DROP_LOSS) {
			lost++;
			if (!prev_lost)
				bursts++;
		}
		prev_lost = v == SIM_LINK_DROP_LOSS;
	}
	*mean_burst = bursts ? (double)lost / (double)bursts : 0;
	return (double)lost / (double)n;
}

/* 3: independent loss of 1% over 200000 packets: within 5 sigma (+-0.11%). */
static void test_link_random_loss(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(100000000, 0);
	double burst, r;

	c.loss_ppb = SIM_PPB / 100;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	r = loss_ratio(&l, 200000, &burst);
	CU_ASSERT_TRUE(r > 0.0089 && r < 0.0111);
	CU_ASSERT_TRUE(burst < 1.1);
}

/* 4: Gilbert-Elliott p(G->B) 1%, p(B->G) 10%, loss 100% in Bad, 0% in Good:
 * stationary loss 0.01/0.11 = 9.09%, mean burst 1/0.1 = 10 packets. */
static void test_link_gilbert_elliott(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(100000000, 0);
	double burst, r;

	c.ge_p_gb_ppb = SIM_PPB / 100;
	c.ge_p_bg_ppb = SIM_PPB / 10;
	c.ge_loss_bad_ppb = SIM_PPB;
	c.seed = 1234;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	r = loss_ratio(&l, 200000, &burst);
	CU_ASSERT_TRUE(r > 0.080 && r < 0.102);
	CU_ASSERT_TRUE(burst > 8.5 && burst < 11.5);
}

/* 5: an outage loses what is on the link during [start, end), including a
 * packet sent just before whose propagation ends inside it. */
static void test_link_outage(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(12000000, 10000);
	enum sim_link_verdict v;
	static const struct sim_outage o = {.start_us = 1000000, .end_us = 2000000};

	c.n_outages = 1;
	c.outages = &o;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	CU_ASSERT_EQUAL(submit(&l, 900000, 1500, &v), 911000);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	submit(&l, 995000, 1500, &v); /* would arrive at 1006000 */
	CU_ASSERT_EQUAL(v, SIM_LINK_DROP_OUTAGE);
	submit(&l, 1500000, 1500, &v);
	CU_ASSERT_EQUAL(v, SIM_LINK_DROP_OUTAGE);
	CU_ASSERT_TRUE(sim_link_in_outage(&l, 1999999));
	CU_ASSERT_FALSE(sim_link_in_outage(&l, 2000000));
	CU_ASSERT_EQUAL(submit(&l, 2000000, 1500, &v), 2011000);
	CU_ASSERT_EQUAL(v, SIM_LINK_DELIVER);
	CU_ASSERT_EQUAL(l.stats.drop_outage, 2);
	sim_link_free(&l);
}

/* 5b: thousands of outages, unsorted, overlapping, touching: every verdict and
 * sim_link_in_outage as a scan of all of them says (issue 19: no cap). */
static void test_link_many_outages(void)
{
	enum { N = 3000 };
	static struct sim_outage o[N];
	static struct sim_link l;
	struct sim_link_conf c = base_conf(100000000, 5000);
	struct um3n_prng rng;
	uint64_t t = 0;

	um3n_prng_seed(&rng, 19);
	for (size_t i = 0; i < N; i++) {
		o[i].start_us = um3n_prng_below(&rng, 600000000);
		o[i].end_us = o[i].start_us + 1 + um3n_prng_below(&rng, 300000);
		if (i % 7 == 0 && i) /* touching the previous one */
			o[i].start_us = o[i - 1].end_us, o[i].end_us = o[i].start_us + 1000;
	}
	c.n_outages = N;
	c.outages = o;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	CU_ASSERT_TRUE(l.n_span < N);
	while (t < 610000000) {
		enum sim_link_verdict v;
		uint64_t tx = sim_link_tx_time_us(&l, t, 1000), to = t + tx + 5000;
		bool in = false, over = false;

		for (size_t i = 0; i < N; i++) {
			in |= t >= o[i].start_us && t < o[i].end_us;
			over |= t < o[i].end_us && to >= o[i].start_us;
		}
		CU_ASSERT_EQUAL_FATAL(sim_link_in_outage(&l, t), in);
		submit(&l, t, 1000, &v);
		CU_ASSERT_EQUAL_FATAL(v == SIM_LINK_DROP_OUTAGE, over);
		t += 1 + um3n_prng_below(&rng, 400000);
	}
	sim_link_free(&l);
}

/* 6: jitter never reorders unless asked; with reorder allowed it does. */
static void test_link_jitter_order(void)
{
	static struct sim_link l;
	struct sim_link_conf c = base_conf(100000000, 20000);
	enum sim_link_verdict v;
	uint64_t prev = 0, min_extra = UINT64_MAX, max_extra = 0;
	size_t inversions = 0;

	c.jitter_us = 5000;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t a = submit(&l, i * 200, 125, &v); /* 10 us on the wire */

		CU_ASSERT_TRUE(a >= prev);
		prev = a;
	}
	c.allow_reorder = true;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	prev = 0;
	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t a = submit(&l, i * 200, 125, &v), extra = a - (i * 200 + 10 + 20000);

		inversions += a < prev;
		prev = a;
		min_extra = extra < min_extra ? extra : min_extra;
		max_extra = extra > max_extra ? extra : max_extra;
	}
	CU_ASSERT_TRUE(inversions > 100);
	CU_ASSERT_TRUE(max_extra <= 5000 && max_extra > 4900 && min_extra < 100);
}

/* 7: a link following a mahimahi trace: one 1500-byte opportunity at each
 * listed millisecond; two 750-byte packets share one opportunity. */
static void test_link_trace_rate(void)
{
	static struct sim_link l;
	static const char trace[] = "0\n10\n20\n20\n40\n";
	struct sim_trace t;
	struct sim_link_conf c = base_conf(0, 0);
	enum sim_link_verdict v;
	char err[200];

	CU_ASSERT_EQUAL_FATAL(sim_trace_parse("t", trace, sizeof(trace) - 1, SIM_TRACE_MAHIMAHI,
					      1.0, &t, err, sizeof(err)),
			      0);
	c.trace = &t;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&l, &c), 0);
	CU_ASSERT_EQUAL(submit(&l, 1000, 1500, &v), 10000); /* opportunity at 10 ms */
	CU_ASSERT_EQUAL(submit(&l, 1000, 750, &v), 20000);
	CU_ASSERT_EQUAL(submit(&l, 1000, 750, &v), 20000);  /* same opportunity */
	CU_ASSERT_EQUAL(submit(&l, 1000, 1500, &v), 20000); /* the second one at 20 */
	CU_ASSERT_EQUAL(submit(&l, 1000, 1500, &v), 40000);
	/* The trace loops with period 40 ms: next opportunities 40+0, 40+10 ... */
	CU_ASSERT_EQUAL(submit(&l, 1000, 1500, &v), 40000);
	CU_ASSERT_EQUAL(submit(&l, 1000, 1500, &v), 50000);
	sim_trace_free(&t);
}

/* 8: the same seed gives the same losses; another seed different ones. */
static void test_link_seeded(void)
{
	static struct sim_link a, b;
	struct sim_link_conf c = base_conf(100000000, 0);
	enum sim_link_verdict va, vb;
	size_t differ = 0;

	c.loss_ppb = SIM_PPB / 10;
	c.jitter_us = 1000;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&a, &c), 0);
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&b, &c), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		CU_ASSERT_EQUAL(submit(&a, i * 5000, 100, &va), submit(&b, i * 5000, 100, &vb));
		CU_ASSERT_EQUAL(va, vb);
	}
	c.seed = 2;
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&b, &c), 0);
	CU_ASSERT_EQUAL_FATAL(sim_link_init(&a, &(struct sim_link_conf){.rate_bps = 100000000,
									.loss_ppb = SIM_PPB / 10,
									.jitter_us = 1000,
									.seed = 1}),
			      0);
	for (uint64_t i = 0; i < 1000; i++) {
		submit(&a, i * 5000, 100, &va);
		submit(&b, i * 5000, 100, &vb);
		differ += va != vb;
	}
	CU_ASSERT_TRUE(differ > 50);
	/* Bad configurations are refused. */
	c.loss_ppb = SIM_PPB + 1;
	CU_ASSERT_EQUAL(sim_link_init(&a, &c), UM3N_EINVAL);
	c = base_conf(0, 0);
	CU_ASSERT_EQUAL(sim_link_init(&a, &c), UM3N_EINVAL);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 serialisation and delay arithmetic", test_link_serialisation},
		{"2 drop-tail queue in bytes", test_link_drop_tail},
		{"3 random loss ratio", test_link_random_loss},
		{"4 Gilbert-Elliott loss ratio and bursts", test_link_gilbert_elliott},
		{"5 scheduled outage", test_link_outage},
		{"5b thousands of outages in any order", test_link_many_outages},
		{"6 jitter keeps FIFO order unless reorder", test_link_jitter_order},
		{"7 rate from a mahimahi trace", test_link_trace_rate},
		{"8 seeded determinism, bad conf", test_link_seeded},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_link", tests}, {NULL, NULL}};

	return test_main(suites);
}
