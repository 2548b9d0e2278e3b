/* Daemon platform layer: the route messages and the `routes =` value of
 * droute.c, without a socket. d_route_parse must read IPv4 and IPv6 routes as
 * the kernel sends them (dnl.c hands it every RTM_NEWROUTE/RTM_DELROUTE of
 * both families) and refuse other families and addresses of the wrong size;
 * `routes =` takes IPv4 and IPv6 prefixes, refuses a prefix twice, and
 * d_routes_eq/d_routes_has6 tell what a reload and the config check need. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "droute.h"
#include "testutil.h"

/* An RTM_NEWROUTE of `family` with dst/plen (alen bytes), table, oif, prefsrc. */
static struct nlmsghdr *route_msg(char *buf, uint8_t family, const void *dst, size_t alen,
				  uint8_t plen, uint32_t table, uint32_t oif, const void *src)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	if (dst)
		mnl_attr_put(nlh, RTA_DST, alen, dst);
	if (src)
		mnl_attr_put(nlh, RTA_PREFSRC, alen, src);
	return nlh;
}

static void test_parse_v4(void)
{
	char buf[512];
	uint32_t dst = htonl(0x0a090100u);
	struct d_route r;

	CU_ASSERT_TRUE_FATAL(d_route_parse(route_msg(buf, AF_INET, &dst, 4, 24, 254, 7, NULL), &r));
	CU_ASSERT_EQUAL(r.family, AF_INET);
	CU_ASSERT_EQUAL(r.dst, 0x0a090100u);
	CU_ASSERT_EQUAL(r.plen, 24);
	CU_ASSERT_EQUAL(r.table, 254);
	CU_ASSERT_EQUAL(r.oif, 7);
	CU_ASSERT_EQUAL(r.gw, 0);
}

static void test_parse_v6(void)
{
	char buf[512];
	struct in6_addr dst, src;
	struct d_route r;

	inet_pton(AF_INET6, "2001:db8:9::", &dst);
	inet_pton(AF_INET6, "2001:db8:1::2", &src);
	CU_ASSERT_TRUE_FATAL(
		d_route_parse(route_msg(buf, AF_INET6, &dst, 16, 64, 4340, 9, &src), &r));
	CU_ASSERT_EQUAL(r.family, AF_INET6);
	CU_ASSERT_EQUAL(memcmp(r.dst6, &dst, 16), 0);
	CU_ASSERT_EQUAL(memcmp(r.src6, &src, 16), 0);
	CU_ASSERT_EQUAL(r.plen, 64);
	CU_ASSERT_EQUAL(r.table, 4340);
	CU_ASSERT_EQUAL(r.oif, 9);
	CU_ASSERT_EQUAL(r.dst, 0); /* the IPv4 fields stay zero */
}

static void test_parse_refused(void)
{
	char buf[512];
	uint8_t a[16] = {0x20, 0x01};
	struct d_route r;

	/* an IPv4-sized address in an IPv6 route, and the reverse */
	CU_ASSERT_FALSE(d_route_parse(route_msg(buf, AF_INET6, a, 4, 32, 254, 1, NULL), &r));
	CU_ASSERT_FALSE(d_route_parse(route_msg(buf, AF_INET, a, 16, 32, 254, 1, NULL), &r));
	/* a length beyond the family's */
	CU_ASSERT_FALSE(d_route_parse(route_msg(buf, AF_INET, a, 4, 33, 254, 1, NULL), &r));
	CU_ASSERT_FALSE(d_route_parse(route_msg(buf, AF_INET6, a, 16, 129, 254, 1, NULL), &r));
	/* another family */
	CU_ASSERT_FALSE(d_route_parse(route_msg(buf, AF_BRIDGE, a, 4, 0, 254, 1, NULL), &r));
	CU_ASSERT_TRUE(d_route_parse(route_msg(buf, AF_INET6, NULL, 16, 0, 254, 1, NULL), &r));
	CU_ASSERT_EQUAL(r.plen, 0); /* ::/0 carries no RTA_DST */
}

static void test_routes_key(void)
{
	struct d_routes a = {.table = D_ROUTE_TABLE_DEFAULT}, b = a;
	char err[96];

	CU_ASSERT_EQUAL_FATAL(d_routes_key(&a, "routes", "default, 10.9.0.0/16 2001:db8::/32 ::/0",
					   err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(a.n, 4);
	CU_ASSERT_EQUAL(a.table, D_ROUTE_TABLE_DEFAULT);
	CU_ASSERT_TRUE(d_routes_has6(&a));
	CU_ASSERT_EQUAL(a.p[3].dst.family, UM3N_AF_INET6);
	CU_ASSERT_EQUAL(a.p[3].plen, 0);
	CU_ASSERT_FALSE(d_routes_eq(&a, &b));
	CU_ASSERT_EQUAL(d_routes_key(&b, "routes", "default 10.9.0.0/16 2001:db8::/32 ::/0", err,
				     sizeof(err)),
			0);
	CU_ASSERT_TRUE(d_routes_eq(&a, &b));
	CU_ASSERT_EQUAL(d_routes_key(&b, "routes", "default 10.9.0.0/16 2001:db8::/33", err,
				     sizeof(err)),
			0);
	CU_ASSERT_FALSE(d_routes_eq(&a, &b)); /* another length */
	CU_ASSERT_FALSE(d_routes_has6(&(struct d_routes){.n = 0}));

	/* refused, the value unchanged */
	CU_ASSERT_EQUAL(d_routes_key(&b, "routes", "::/0 0::/0", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "listed twice"));
	CU_ASSERT_EQUAL(d_routes_key(&b, "routes", "2001:db8::/129", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "want default, none or prefixes"));
	CU_ASSERT_EQUAL(b.n, 3);
}

static CU_TestInfo route_tests[] = {
	{"parse_v4", test_parse_v4},
	{"parse_v6", test_parse_v6},
	{"parse_refused", test_parse_refused},
	{"routes_key", test_routes_key},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_route", route_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
