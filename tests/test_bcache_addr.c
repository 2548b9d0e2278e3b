/* bcache: the addresses beyond an IPv4 care-of. An MN's prefixes (the
 * downlink to its IPv6 home address and the networks behind it: the longest
 * match over every MN's) and IPv6 care-of addresses (keyed by a hash that
 * every lookup checks against the binding's own care-of). The table's core
 * (get/bind/unbind against a reference, edge cases, the wake heap) is
 * test_bcache.c. */
#include <string.h>

#include "bcache.h"
#include "testutil.h"

#define HOME(k) (0x0a640001u + (uint32_t)(k)) /* 10.100.0.1 + k */
#define IP1 0xc6336401u

static struct um3n_sockaddr coa_of(uint32_t ip, uint16_t port)
{
	struct um3n_sockaddr s;

	memset(&s, 0, sizeof(s));
	um3n_addr_from_v4(&s.ip, ip);
	s.port = port;
	return s;
}

static struct um3n_addr addr_of(const char *text)
{
	struct um3n_addr a;

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL_FATAL(um3n_addr_parse(text, &a), 0);
	return a;
}

static struct um3n_prefix pfx(const char *addr, uint8_t plen)
{
	return (struct um3n_prefix){.addr = addr_of(addr), .plen = plen};
}

static struct um3n_mn_rec *find(const struct um3n_bcache *c, const char *addr)
{
	struct um3n_addr a = addr_of(addr);

	return um3n_bcache_find_prefix(c, &a);
}

/* The downlink to what lies behind an MN: its IPv6 home address or prefix
 * and IPv4 networks, the longest match over every MN's, a prefix held by
 * another MN left out, and all of it gone with the record. */
static void test_prefixes(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_bcache bc;
	struct um3n_sockaddr a = coa_of(IP1, 4000), b = coa_of(IP1, 4001);
	struct um3n_mn_rec *r0, *r1;
	struct um3n_prefix p0[3] = {pfx("2001:db8:1::", 48), pfx("2001:db8:1:2::7", 128),
				    pfx("192.168.50.0", 24)};
	struct um3n_prefix p1[2] = {pfx("2001:db8:1:2::", 64), pfx("192.168.50.0", 24)};

	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&bc, &env, 8, 0), 0);
	r0 = um3n_bcache_get(&bc, &env, HOME(0), 1);
	r1 = um3n_bcache_get(&bc, &env, HOME(1), 1);
	CU_ASSERT_FATAL(r0 && r1);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r0, 0, &a), 0);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r1, 0, &b), 0);
	CU_ASSERT_PTR_NULL(find(&bc, "2001:db8:1::5"));
	CU_ASSERT_EQUAL(um3n_bcache_set_prefixes(&bc, r0, p0, 3), 0);
	CU_ASSERT_EQUAL(um3n_bcache_set_prefixes(&bc, r1, p1, 2), 1); /* the /24 is r0's */
	CU_ASSERT_PTR_EQUAL(find(&bc, "2001:db8:1::5"), r0);          /* r0's /48 */
	CU_ASSERT_PTR_EQUAL(find(&bc, "2001:db8:1:2::5"), r1);        /* r1's /64, longer */
	CU_ASSERT_PTR_EQUAL(find(&bc, "2001:db8:1:2::7"), r0);        /* r0's /128, longest */
	CU_ASSERT_PTR_EQUAL(find(&bc, "192.168.50.9"), r0);
	CU_ASSERT_PTR_NULL(find(&bc, "192.168.51.9"));
	CU_ASSERT_PTR_NULL(find(&bc, "2001:db8:2::1"));
	/* new prefixes replace the old ones */
	CU_ASSERT_EQUAL(um3n_bcache_set_prefixes(&bc, r0, p0, 1), 0);
	CU_ASSERT_PTR_EQUAL(find(&bc, "2001:db8:1:2::7"), r1);
	CU_ASSERT_PTR_NULL(find(&bc, "192.168.50.9")); /* r1 was refused it */
	/* a record gone takes its prefixes along */
	um3n_bcache_unbind(&bc, &env, r1, 0);
	CU_ASSERT_PTR_EQUAL(find(&bc, "2001:db8:1:2::7"), r0);
	um3n_bcache_unbind(&bc, &env, r0, 0);
	CU_ASSERT_PTR_NULL(find(&bc, "2001:db8:1::5"));
	for (int f = 0; f < 2; f++)
		for (int l = 0; l <= 128; l++)
			CU_ASSERT_EQUAL(bc.plen_used[f][l], 0);
	um3n_bcache_fini(&bc, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static struct um3n_sockaddr coa6(const char *ip, uint16_t port)
{
	return (struct um3n_sockaddr){.ip = addr_of(ip), .port = port};
}

/* IPv6 care-of addresses (an uplink with only IPv6): bound and found like
 * IPv4 ones, but found only when the binding's own care-of matches (their
 * keys are hashes), and a key another binding holds is refused, not taken
 * over; the unspecified address and port 0 are refused; a care-of given up
 * is recognised for a while. */
static void test_coa6(void)
{
	struct um3n_env env = test_env(6);
	struct um3n_bcache bc;
	struct um3n_sockaddr a = coa6("2001:db8:c::2", 4000), b = coa6("2001:db8:c::3", 4000),
			     a2 = coa6("2001:db8:c::2", 4001), v4 = coa_of(IP1, 4000);
	struct um3n_sockaddr zero = coa6("::", 4000), noport = coa6("2001:db8:c::2", 0);
	struct um3n_mn_rec *r0, *r1;
	int link = -1;

	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&bc, &env, 4, 0), 0);
	r0 = um3n_bcache_get(&bc, &env, HOME(0), 1);
	r1 = um3n_bcache_get(&bc, &env, HOME(1), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r0, 0, &zero), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r0, 0, &noport), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r0, 0, &a), 0);
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r0, 1, &v4), 0); /* one MN, both families */
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r1, 2, &b), 0);
	CU_ASSERT_PTR_EQUAL(um3n_bcache_find_coa(&bc, &a, &link), r0);
	CU_ASSERT_EQUAL(link, 0);
	CU_ASSERT_PTR_EQUAL(um3n_bcache_find_coa(&bc, &v4, &link), r0);
	CU_ASSERT_EQUAL(link, 1);
	CU_ASSERT_PTR_EQUAL(um3n_bcache_find_coa(&bc, &b, &link), r1);
	CU_ASSERT_EQUAL(link, 2);
	CU_ASSERT_PTR_NULL(um3n_bcache_find_coa(&bc, &a2, &link)); /* another port */
	CU_ASSERT_FALSE(um3n_bcache_bind_ok(&bc, r1, 0, &a));      /* r0's */
	CU_ASSERT_TRUE(um3n_bcache_bind_ok(&bc, r0, 0, &a));       /* its own again */

	/* As if a's key were another care-of's hash: the lookup finds the key
	 * but not the care-of, and no one may bind a in its place. */
	r0->b[0].coa = a2;
	CU_ASSERT_PTR_NULL(um3n_bcache_find_coa(&bc, &a, &link));
	CU_ASSERT_FALSE(um3n_bcache_bind_ok(&bc, r1, 0, &a));
	r0->b[0].coa = a;

	um3n_bcache_note_gone(&bc, r0, 0, 1000);
	um3n_bcache_unbind(&bc, &env, r0, 0);
	CU_ASSERT_PTR_NULL(um3n_bcache_find_coa(&bc, &a, &link));
	CU_ASSERT_TRUE(um3n_bcache_recently_gone(&bc, &a, 2000));
	CU_ASSERT_FALSE(um3n_bcache_recently_gone(&bc, &b, 2000));
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, r1, 0, &a), 0); /* free again */
	um3n_bcache_fini(&bc, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo addr_tests[] = {
	{"01 prefixes: longest match over every MN's, held by one, gone with it", test_prefixes},
	{"02 IPv6 care-of addresses: bound, found exactly, a hash held is never overwritten",
	 test_coa6},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"bcache_addr", addr_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
