/* pacer: the sender's queue of aggregate rules (core/pacer.h). Off without a
 * conf; packets released at the rate, one burst after idle; the byte bound
 * drops and counts; the packed buffer wraps without touching a held packet
 * (contents checked over many cycles); no rate, nothing goes; the memory
 * comes at the first push and a failed allocation drops; with the bound
 * raised past the buffer (it is allocated once), the buffer still never
 * overwrites a held packet. */
#include <string.h>

#include "pacer.h"
#include "testutil.h"

static const struct um3n_pacer_conf conf_5k = {97, 5000};

static void fill(uint8_t *b, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(tag * 31 + i);
}

static bool same(const uint8_t *b, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != (uint8_t)(tag * 31 + i))
			return false;
	return true;
}

/* 1: no conf or pct 0: off; on: nothing allocated before the first push. */
static void test_pacer_off(void)
{
	struct um3n_env env = test_env(1);
	static const struct um3n_pacer_conf zero = {0, 5000};
	struct um3n_pacer p;

	um3n_pacer_init(&p, &env, NULL);
	CU_ASSERT_FALSE(um3n_pacer_on(&p));
	um3n_pacer_init(&p, &env, &zero);
	CU_ASSERT_FALSE(um3n_pacer_on(&p));
	um3n_pacer_init(&p, &env, &conf_5k);
	CU_ASSERT_TRUE(um3n_pacer_on(&p));
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
	CU_ASSERT_EQUAL(um3n_pacer_next_us(&p), UM3N_TIME_NONE);
	um3n_pacer_fini(&p);
}

/* 2: 1000-byte packets at 1 Mbit/s go 8 ms apart; after a long idle spell the
 * first goes at once with a 2 ms burst's credit, so the second is due 6 ms
 * later; a rate of 0 (no usable link) holds everything. */
static void test_pacer_rate(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_pacer p;
	uint8_t b[1000];
	size_t len;
	uint64_t t = 1000000;

	um3n_pacer_init(&p, &env, &conf_5k);
	for (unsigned i = 0; i < 4; i++) {
		fill(b, sizeof(b), i);
		CU_ASSERT_EQUAL_FATAL(um3n_pacer_push(&p, b, sizeof(b), t), UM3N_OK);
	}
	CU_ASSERT_PTR_NULL(um3n_pacer_due(&p, t, 0, &len)); /* no rate */
	for (unsigned i = 0; i < 4; i++) {
		uint64_t due = i == 0 ? t : t + 6000 + 8000 * (i - 1);
		const uint8_t *pkt;

		CU_ASSERT_EQUAL(um3n_pacer_next_us(&p), i == 0 ? t - 2000 : due);
		if (i)
			CU_ASSERT_PTR_NULL(um3n_pacer_due(&p, due - 1, 1000000, &len));
		pkt = um3n_pacer_due(&p, due, 1000000, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
		CU_ASSERT_EQUAL(len, 1000);
		CU_ASSERT_TRUE(same(pkt, len, i));
		um3n_pacer_pop(&p, due, 1000000, 1000);
	}
	CU_ASSERT_EQUAL(um3n_pacer_next_us(&p), UM3N_TIME_NONE);
	CU_ASSERT_EQUAL(p.st.sent, 4);
	CU_ASSERT_EQUAL(p.st.rate_kbps, 1000);
	CU_ASSERT_EQUAL(p.st.bytes, 0);
	/* Idle for a second: the next push may go at once again. */
	t += 1000000;
	CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, sizeof(b), t), UM3N_OK);
	CU_ASSERT_PTR_NOT_NULL(um3n_pacer_due(&p, t, 1000000, &len));
	um3n_pacer_fini(&p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* 3: the byte bound: five 1000-byte packets fit 5000, the sixth is dropped
 * and counted; after one goes, one more fits. */
static void test_pacer_bound(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_pacer p;
	uint8_t b[1000] = {0};
	size_t len;

	um3n_pacer_init(&p, &env, &conf_5k);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, sizeof(b), 0), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, sizeof(b), 0), UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(p.st.dropped, 1);
	CU_ASSERT_EQUAL(p.st.bytes, 5000);
	CU_ASSERT_EQUAL(p.st.max_bytes, 5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(um3n_pacer_due(&p, 0, 1000000, &len));
	um3n_pacer_pop(&p, 0, 1000000, len);
	CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, 999, 0), UM3N_OK);
	CU_ASSERT_EQUAL(p.st.queued, 6);
	um3n_pacer_fini(&p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* 4: packets of varied sizes through the packed buffer, about half a queue
 * held at a time, for many wraps: each comes out whole and in order. */
static void test_pacer_wrap(void)
{
	static const struct um3n_pacer_conf conf = {100, 20000};
	struct um3n_env env = test_env(1);
	struct um3n_pacer p;
	struct um3n_prng prng;
	uint8_t b[UM3N_PKT_MAX];
	unsigned in = 0, out = 0;
	size_t sizes[4096];

	um3n_prng_seed(&prng, 7);
	um3n_pacer_init(&p, &env, &conf);
	for (int round = 0; round < 3000; round++) {
		size_t len = 28 + um3n_prng_below(&prng, UM3N_PKT_MAX - 27);

		fill(b, len, in);
		if (um3n_pacer_push(&p, b, len, 0) == UM3N_OK)
			sizes[in++ % 4096] = len;
		while (p.st.bytes > 10000 || (p.n && um3n_prng_below(&prng, 4) == 0)) {
			size_t got;
			const uint8_t *pkt = um3n_pacer_due(&p, UINT64_MAX / 2, 1000000000, &got);

			CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
			CU_ASSERT_EQUAL_FATAL(got, sizes[out % 4096]);
			CU_ASSERT_TRUE_FATAL(same(pkt, got, out));
			um3n_pacer_pop(&p, 0, 1000000000, got);
			out++;
		}
	}
	CU_ASSERT_TRUE(in > 2500);
	CU_ASSERT_EQUAL(p.st.sent, out);
	CU_ASSERT_TRUE(p.st.max_bytes <= conf.queue_bytes);
	um3n_pacer_fini(&p);
}

/* 5: the memory comes at the first push; when it cannot, the packet is
 * dropped and counted, and a later push tries again. */
static void *no_alloc(void *ctx, size_t size)
{
	(void)ctx;
	(void)size;
	return NULL;
}

static void test_pacer_alloc(void)
{
	struct um3n_env env = test_env(1), broke = env;
	struct um3n_pacer p;
	uint8_t b[100] = {0};

	broke.alloc = no_alloc;
	um3n_pacer_init(&p, &broke, &conf_5k);
	CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, sizeof(b), 0), UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(p.st.dropped, 1);
	CU_ASSERT_EQUAL(p.n, 0);
	p.env = &env; /* memory again */
	CU_ASSERT_EQUAL(um3n_pacer_push(&p, b, sizeof(b), 0), UM3N_OK);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 2);
	um3n_pacer_fini(&p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* 6: queue_bytes raised after the buffer was allocated (it is not resized):
 * pushes that would wrap onto the oldest held packet are refused, whatever
 * the bound says, and every held packet comes out intact. */
static void test_pacer_no_overlap(void)
{
	struct um3n_pacer_conf conf = {100, 4096};
	struct um3n_env env = test_env(1);
	struct um3n_pacer p;
	uint8_t b[1500];
	unsigned in = 0, out = 0, refused = 0;

	um3n_pacer_init(&p, &env, &conf);
	fill(b, sizeof(b), in);
	CU_ASSERT_EQUAL_FATAL(um3n_pacer_push(&p, b, sizeof(b), 0), UM3N_OK);
	in++;
	conf.queue_bytes = 1000000;
	for (int round = 0; round < 200; round++) {
		size_t got;
		const uint8_t *pkt;

		for (int k = 0; k < 4; k++) { /* more than the buffer holds */
			fill(b, sizeof(b), in);
			if (um3n_pacer_push(&p, b, sizeof(b), 0) == UM3N_OK)
				in++;
			else
				refused++;
		}
		pkt = um3n_pacer_due(&p, UINT64_MAX / 2, 1000000000, &got);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
		CU_ASSERT_TRUE_FATAL(same(pkt, got, out));
		um3n_pacer_pop(&p, 0, 1000000000, got);
		out++;
	}
	CU_ASSERT_TRUE(refused > 0);
	CU_ASSERT_TRUE(in - out <= 4); /* 6144 bytes of buffer: four of 1500 */
	um3n_pacer_fini(&p);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 off without a conf, memory only when used", test_pacer_off},
		{"2 released at the rate, a burst after idle", test_pacer_rate},
		{"3 the byte bound drops and counts", test_pacer_bound},
		{"4 packed buffer wraps, packets whole and in order", test_pacer_wrap},
		{"5 failed allocation drops, the next push retries", test_pacer_alloc},
		{"6 a bound past the buffer never overwrites a held packet", test_pacer_no_overlap},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"pacer", tests}, {NULL, NULL}};

	return test_main(suites);
}
