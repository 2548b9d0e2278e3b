/* ratelimit: per-source token buckets in a fixed table. A flood from one
 * ip:port is cut to burst + rate x time; 1000 distinct sources, and 100 ports
 * of one NAT address, all pass; idle sources refill; a full set evicts the
 * source idle longest; nothing is allocated after init. */
#include <string.h>

#include "ratelimit.h"
#include "testutil.h"

#define SEC 1000000ull

static struct um3n_sockaddr src(uint32_t ip, uint16_t port)
{
	struct um3n_sockaddr a = {.port = port};

	um3n_addr_from_v4(&a.ip, ip);
	return a;
}

static size_t allowed(struct um3n_ratelimit *rl, const struct um3n_sockaddr *a, uint64_t now,
		      size_t n)
{
	size_t ok = 0;

	for (size_t i = 0; i < n; i++)
		ok += um3n_ratelimit_allow(rl, a, now);
	return ok;
}

/* 1: one source at 50,000/s for 10 s passes its burst plus rate x 10 s. */
static void test_flood_one_source(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_ratelimit rl;
	struct um3n_sockaddr a = src(0xc6336401, 4000);
	size_t ok = 0;

	CU_ASSERT_EQUAL_FATAL(um3n_ratelimit_init(&rl, &env, 4096, 20, 64, 7), 0);
	for (uint64_t t = 0; t < 10 * SEC; t += 20) /* one every 20 us */
		ok += um3n_ratelimit_allow(&rl, &a, 1000 + t);
	CHECK(ok >= 64 + 199 && ok <= 64 + 201, "flood: %zu passed", ok);
	/* another port of the same address has a bucket of its own */
	a.port = 4001;
	CU_ASSERT_EQUAL(allowed(&rl, &a, 10 * SEC, 100), 64);
	um3n_ratelimit_fini(&rl, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* 2: a storm of 1000 MNs (3 requests each at once: a request and two
 * retransmissions), and 100 MNs behind one address: nothing is refused. */
static void test_storm_passes(void)
{
	struct um3n_env env = test_env(2);
	struct um3n_ratelimit rl;
	size_t refused = 0;

	CU_ASSERT_EQUAL_FATAL(um3n_ratelimit_init(&rl, &env, 4 * 1024, 20, 64, 9), 0);
	for (int round = 0; round < 3; round++)
		for (uint32_t i = 0; i < 1000; i++) {
			struct um3n_sockaddr a = src(0x0a000000u + i * 7919u, (uint16_t)(1024 + i));

			refused += !um3n_ratelimit_allow(&rl, &a, 5 * SEC + round * 1000);
		}
	for (uint16_t p = 0; p < 100; p++) {
		struct um3n_sockaddr a = src(0xcb007101, (uint16_t)(30000 + p));

		refused += 10 - allowed(&rl, &a, 6 * SEC, 10);
	}
	CHECK(refused == 0, "%zu refused", refused);
	um3n_ratelimit_fini(&rl, &env);
}

/* 3: an emptied bucket refills at the rate, never above the burst. */
static void test_refill(void)
{
	struct um3n_env env = test_env(3);
	struct um3n_ratelimit rl;
	struct um3n_sockaddr a = src(0x01020304, 434);

	CU_ASSERT_EQUAL_FATAL(um3n_ratelimit_init(&rl, &env, 1, 10, 5, 1), 0);
	CU_ASSERT_EQUAL(allowed(&rl, &a, 0, 10), 5);
	CU_ASSERT_EQUAL(allowed(&rl, &a, 100000, 10), 1);     /* 100 ms: one token */
	CU_ASSERT_EQUAL(allowed(&rl, &a, 3600 * SEC, 10), 5); /* an hour: the burst only */
	um3n_ratelimit_fini(&rl, &env);
}

/* 4: sources that collide in one set: the one idle longest gives way, and the
 * flooding source keeps its (empty) bucket. Tiny table: 1024 slots, 256 sets. */
static void test_eviction(void)
{
	struct um3n_env env = test_env(4);
	struct um3n_ratelimit rl;
	struct um3n_sockaddr flood = src(0x0a0a0a0a, 1);
	size_t again = 0;

	CU_ASSERT_EQUAL_FATAL(um3n_ratelimit_init(&rl, &env, 1, 1, 2, 3), 0);
	CU_ASSERT_EQUAL(allowed(&rl, &flood, 0, 100), 2);
	/* 5000 other sources pass through the table (every set, many times) */
	for (uint32_t i = 0; i < 5000; i++) {
		struct um3n_sockaddr a = src(0x0b000000u + i, 9);

		CU_ASSERT(um3n_ratelimit_allow(&rl, &a, 10 + i));
		again += um3n_ratelimit_allow(&rl, &flood, 10 + i);
	}
	/* the flood source was refilled at most once a second, or evicted: at
	 * most its burst more */
	CHECK(again <= 2, "flood passed %zu more", again);
	um3n_ratelimit_fini(&rl, &env);
	CU_ASSERT_EQUAL(um3n_ratelimit_init(&rl, &env, 1, 0, 2, 3), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_ratelimit_init(&rl, &env, 1, 1, 0, 3), UM3N_EINVAL);
}

static CU_TestInfo rl_tests[] = {
	{"1 a flood from one ip:port is cut to burst + rate", test_flood_one_source},
	{"2 1000 sources and 100 ports of one address all pass", test_storm_passes},
	{"3 refill at the rate, capped at the burst", test_refill},
	{"4 a full set evicts the source idle longest", test_eviction},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ratelimit", rl_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
