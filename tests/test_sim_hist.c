/* The log-bucketed histogram of sim/hist.c: its error bound against exact
 * nearest-rank percentiles, merging, the empty histogram, extreme values. */
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "testutil.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t exact(const uint64_t *sorted, size_t n, double p)
{
	return sorted[sim_hist_rank(p, n) - 1];
}

static void check_bound(const struct sim_hist *h, const uint64_t *sorted, size_t n)
{
	static const double ps[] = {0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 1};

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact(sorted, n, ps[i]), got = sim_hist_percentile(h, ps[i]);
		uint64_t diff = got > want ? got - want : want - got;

		CU_ASSERT_TRUE_FATAL(diff <= want / 256);
	}
}

/* 1: every bucket: index and bounds agree; a bucket is at most 1/128 of its values. */
static void test_hist_buckets(void)
{
	for (size_t i = 0; i < SIM_HIST_BUCKETS; i++) {
		uint64_t lo = sim_hist_bucket_low(i), w = sim_hist_bucket_width(i);

		CU_ASSERT_EQUAL_FATAL(sim_hist_index(lo), i);
		CU_ASSERT_EQUAL_FATAL(sim_hist_index(lo + (w - 1)), i);
		if (lo + w > lo) /* the last bucket ends at 2^64 */
			CU_ASSERT_EQUAL_FATAL(sim_hist_index(lo + w), i + 1);
		CU_ASSERT_TRUE_FATAL(lo < 256 ? w == 1 : w * 128 <= lo);
	}
	CU_ASSERT_EQUAL(sim_hist_index(UINT64_MAX), SIM_HIST_BUCKETS - 1);
}

/* 2: one-way delays of many shapes (µs, 0 .. minutes): every percentile within
 * exact / 256 of the exact nearest-rank value. */
static void test_hist_error_bound(void)
{
	enum { N = 200000 };
	static uint64_t v[N];
	static struct sim_hist h;
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 19);
	for (int shape = 0; shape < 4; shape++) {
		sim_hist_init(&h);
		for (size_t i = 0; i < N; i++) {
			uint64_t x = shape == 0   ? um3n_prng_below(&rng, 300)
				     : shape == 1 ? 20000 + um3n_prng_below(&rng, 5000)
				     : shape == 2 ? um3n_prng_below(&rng, 1u << 20) *
							    (1 + um3n_prng_below(&rng, 100))
						  : (uint64_t)1 << um3n_prng_below(&rng, 40);

			v[i] = x;
			sim_hist_add(&h, x);
		}
		qsort(v, N, sizeof(v[0]), cmp_u64);
		CU_ASSERT_EQUAL(h.n, N);
		CU_ASSERT_EQUAL(h.min, v[0]);
		CU_ASSERT_EQUAL(h.max, v[N - 1]);
		check_bound(&h, v, N);
	}
}

/* 3: merging two histograms is the histogram of both sample sets. */
static void test_hist_merge(void)
{
	static struct sim_hist a, b, all;
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 7);
	sim_hist_init(&a);
	sim_hist_init(&b);
	sim_hist_init(&all);
	for (int i = 0; i < 50000; i++) {
		uint64_t x = 1000 + um3n_prng_below(&rng, 1000000);

		sim_hist_add(i % 3 ? &a : &b, x);
		sim_hist_add(&all, x);
	}
	sim_hist_merge(&a, &b);
	CU_ASSERT_EQUAL(memcmp(&a, &all, sizeof(a)), 0);
	sim_hist_init(&b); /* merging an empty one changes nothing, into one copies */
	sim_hist_merge(&a, &b);
	CU_ASSERT_EQUAL(memcmp(&a, &all, sizeof(a)), 0);
	sim_hist_merge(&b, &all);
	CU_ASSERT_EQUAL(memcmp(&b, &all, sizeof(b)), 0);
}

/* 4: empty: 0 like the exact percentiles; one sample: itself at every p. */
static void test_hist_empty_single(void)
{
	static struct sim_hist h;

	sim_hist_init(&h);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0.5), 0);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 1), 0);
	sim_hist_add(&h, 123456789);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0), 123456789);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0.5), 123456789);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0.99), 123456789);
}

/* 5: extremes: 0, UINT64_MAX and values at power-of-two edges. */
static void test_hist_extremes(void)
{
	static struct sim_hist h;
	uint64_t v[] = {0,         0, 255, 256, 257, 511, 512, (uint64_t)1 << 62, UINT64_MAX - 1,
			UINT64_MAX};
	size_t n = sizeof(v) / sizeof(v[0]);

	sim_hist_init(&h);
	for (size_t i = 0; i < n; i++)
		sim_hist_add(&h, v[i]);
	CU_ASSERT_EQUAL(h.min, 0);
	CU_ASSERT_EQUAL(h.max, UINT64_MAX);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 1), UINT64_MAX);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0.1), 0);
	CU_ASSERT_EQUAL(sim_hist_percentile(&h, 0.3), 255); /* exact below 256 */
	check_bound(&h, v, n);
	CU_ASSERT_EQUAL(h.counts[SIM_HIST_BUCKETS - 1], 2);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 bucket bounds", test_hist_buckets},
		{"2 percentiles within exact / 256", test_hist_error_bound},
		{"3 merge", test_hist_merge},
		{"4 empty and single sample", test_hist_empty_single},
		{"5 extremes", test_hist_extremes},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_hist", tests}, {NULL, NULL}};

	return test_main(suites);
}
