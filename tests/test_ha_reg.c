/* ha_reg: the HA carrying out its binding FSM's effects, as numbered requests
 * on one engine (an MN registered on two links): refresh, NAT rebinding with
 * the degraded flag, a care-of held by a sibling, a request without S
 * replacing the others, deregistration of an unbound link, of all, of an
 * unknown MN, and a replayed identification. No event is ever unexpected. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define SEC 1000000ull
#define S UM3N_RRQ_FLAG_S
#define MOVED 2 /* from: link 1's address with a new NAT port */

struct reg_case {
	int num;
	int link_id;   /* the request's link extension */
	int from;      /* 0, 1: that link's care-of; MOVED */
	uint8_t flags; /* S or 0 */
	uint16_t lifetime_s;
	bool degraded;
	int ident_step; /* identification: base + this (a repeat replays) */
	int rc, code;   /* return and reply code */
	size_t n_mns;
	uint8_t bound; /* bit l: link l bound afterwards */
	int state1;    /* link 1's link monitor state, -1 if unbound */
};

/* clang-format off */
static const struct reg_case reg_cases[] = {
	{1, 1, 1, S, 300, false, 1, 0, 0, 1, 0x3, UM3N_LS_UP},
	{2, 1, MOVED, S, 300, true, 2, 0, 0, 1, 0x3, UM3N_LS_DEGRADED},
	{3, 0, MOVED, S, 300, false, 3, UM3N_EINVAL, 128, 1, 0x3, UM3N_LS_DEGRADED},
	{4, 1, MOVED, 0, 300, false, 4, 0, 0, 1, 0x2, UM3N_LS_UP},
	{5, 0, 0, S, 0, false, 5, 0, 0, 1, 0x2, UM3N_LS_UP},
	{6, 0, 0, 0, 0, false, 6, 0, 0, 0, 0x0, -1},
	{7, 0, 0, 0, 0, false, 7, 0, 0, 0, 0x0, -1},
	{8, 1, 1, S, 300, false, 8, 0, 0, 1, 0x2, UM3N_LS_UP},
	{9, 1, 1, S, 300, false, 8, UM3N_EREPLAY, 133, 1, 0x2, UM3N_LS_UP},
};
/* clang-format on */

static int request(struct pairnet *net, const struct reg_case *c, int *code)
{
	struct um3n_rrq rrq = {0};
	struct um3n_sockaddr from = net->mn_conf.links[c->from == MOVED ? 1 : c->from].local;
	struct um3n_out out;
	uint8_t buf[512];
	size_t len, auth_off;
	int rc;

	if (c->from == MOVED)
		from.port = 40099;
	rrq.flags = (uint8_t)(c->flags | UM3N_RRQ_FLAG_D);
	rrq.lifetime_s = c->lifetime_s;
	rrq.home_addr = pairnet_v4("10.200.0.2");
	rrq.ha_addr = pairnet_v4("192.0.2.1");
	rrq.coa = um3n_addr_v4(&from.ip);
	rrq.ident = (0xE0000000ull + 2) << 32 | (uint64_t)c->ident_step;
	rrq.has_udp_tun_req = true;
	rrq.encap = UM3N_ENCAP_GRE;
	rrq.has_link_info = true;
	rrq.link.link_id = (uint8_t)c->link_id;
	rrq.link.flags = c->degraded ? UM3N_LINK_F_DEGRADED : 0;
	rrq.spi = 256;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&rrq, buf, sizeof(buf), &len, &auth_off), 0);
	um3n_auth_sign(pairnet_key, sizeof(pairnet_key), buf, auth_off, buf + auth_off);
	rc = um3n_ha_udp_input(net->ha, net->now_us, &from, buf, len);
	*code = -1;
	while (um3n_ha_poll_output(net->ha, &out))
		if (out.kind == UM3N_OUT_UDP && out.len > 1 && out.data[0] == UM3N_MSG_RRP)
			*code = out.data[1];
	return rc;
}

static void check_bindings(struct pairnet *net, const struct reg_case *c)
{
	struct um3n_ha_mn_status ms;
	uint8_t bound = 0;
	int state1 = -1;

	if (um3n_ha_mn_status(net->ha, net->now_us, 0, &ms) == 0) {
		for (size_t i = 0; i < ms.n_bindings; i++) {
			bound |= (uint8_t)(1u << ms.bindings[i].link_id);
			if (ms.bindings[i].link_id == 1) {
				state1 = ms.bindings[i].state;
				CU_ASSERT_EQUAL(ms.bindings[i].coa.port,
						c->num >= 2 && c->num < 6 ? 40099 : 40001);
			}
		}
	}
	if (bound != c->bound || state1 != c->state1)
		fprintf(stderr, "\n  reg case %d: bound %#x state1 %d\n", c->num, bound, state1);
	CU_ASSERT_EQUAL(bound, c->bound);
	CU_ASSERT_EQUAL(state1, c->state1);
}

static void test_requests(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;

	pairnet_init(&net, NULL);
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.n_mns, 1);
	for (size_t i = 0; i < sizeof(reg_cases) / sizeof(reg_cases[0]); i++) {
		const struct reg_case *c = &reg_cases[i];
		int code, rc = request(&net, c, &code);

		if (rc != c->rc || code != c->code)
			fprintf(stderr, "\n  reg case %d: rc %d code %d\n", c->num, rc, code);
		CU_ASSERT_EQUAL(rc, c->rc);
		CU_ASSERT_EQUAL(code, c->code);
		um3n_ha_status(net.ha, net.now_us, &hs);
		CU_ASSERT_EQUAL(hs.n_mns, c->n_mns);
		CU_ASSERT_EQUAL(hs.reg_unexpected, 0);
		check_bindings(&net, c);
	}
	pairnet_fini(&net);
}

static char last_log[200];
static size_t n_rl_logs, n_deny_logs;

static void capture_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	n_deny_logs += strstr(msg, "denied: code") != NULL;
	if (strstr(msg, "registration requests over")) {
		n_rl_logs++;
		snprintf(last_log, sizeof(last_log), "%s", msg);
	}
}

/* A request for the MN signed with the wrong key, as a flood sends it. */
static size_t forged(uint8_t *buf, size_t cap, uint64_t ident)
{
	struct um3n_rrq rrq = {0};
	static const uint8_t bad_key[32] = {1};
	size_t len, auth_off;

	rrq.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D;
	rrq.lifetime_s = 300;
	rrq.home_addr = pairnet_v4("10.200.0.2");
	rrq.ha_addr = pairnet_v4("192.0.2.1");
	rrq.ident = ident;
	rrq.has_udp_tun_req = true;
	rrq.encap = UM3N_ENCAP_GRE;
	rrq.spi = 256;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&rrq, buf, cap, &len, &auth_off), 0);
	um3n_auth_sign(bad_key, sizeof(bad_key), buf, auth_off, buf + auth_off);
	return len;
}

static void feed(struct pairnet *net, const struct um3n_sockaddr *from, const uint8_t *b, size_t n)
{
	struct um3n_out out;

	um3n_ha_udp_input(net->ha, net->now_us, from, b, n);
	while (um3n_ha_poll_output(net->ha, &out))
		;
}

/* 02: forged requests from one ip:port at 50,000/s for 2 s: only the bucket's
 * worth reach the authenticator (auth_failed), the rest are counted before it
 * and logged once per 10 s (a source idle since refills, then floods again); the MN, on its own care-of addresses, stays
 * registered through its refreshes; then 1000 other sources at once (a
 * re-registration storm, 100 of them ports of one NAT address) all reach it.
 * The denials are logged once per 10 s too, with their count. Last, forgers
 * from 20,000 ports share one budget of sources with no binding. */
static void test_rate_limit(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;
	struct um3n_sockaddr flood;
	uint8_t buf[256];
	uint64_t ident = (0xE0000000ull + 5) << 32, t0, auth0, accepted0;
	size_t n = forged(buf, sizeof(buf), ident);

	pairnet_init(&net, NULL);
	net.env.log = capture_log;
	net.mn_conf.lifetime_s = 1; /* a refresh every half second during the flood */
	n_rl_logs = n_deny_logs = 0;
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_ha_status(net.ha, net.now_us, &hs);
	auth0 = hs.drops.auth_failed;
	CU_ASSERT_EQUAL_FATAL(hs.reg_accepted >= 2, true);
	CU_ASSERT_EQUAL(um3n_addr_parse("198.51.100.77", &flood.ip), 0);
	flood.port = 5353;
	t0 = net.now_us;
	for (int i = 0; i < 100000; i++) {
		feed(&net, &flood, buf, n);
		if (i % 50 == 49)
			pairnet_run(&net, net.now_us + 1000);
	}
	um3n_ha_status(net.ha, net.now_us, &hs);
	CHECK(hs.drops.auth_failed - auth0 <= 64 + 20 * (net.now_us - t0) / SEC + 1,
	      "%llu reached the authenticator", (unsigned long long)(hs.drops.auth_failed - auth0));
	CU_ASSERT_EQUAL(hs.drops.reg_ratelimited + hs.drops.auth_failed - auth0, 100000);
	CU_ASSERT_EQUAL(n_rl_logs, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, "from 198.51.100.77 port 5353"));
	pairnet_check_bindings(&net, 2);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT(hs.reg_accepted >= 8);
	/* 10 s on, one more: logged again with the count since the last line */
	net.now_us += 10 * SEC;
	for (int i = 0; i < 100; i++)
		feed(&net, &flood, buf, n);
	CU_ASSERT_EQUAL(n_rl_logs, 2);
	/* the storm */
	um3n_ha_status(net.ha, net.now_us, &hs);
	auth0 = hs.drops.auth_failed;
	for (uint32_t i = 0; i < 1000; i++) {
		struct um3n_sockaddr a = {.port = (uint16_t)(20000 + i)};

		um3n_addr_from_v4(&a.ip, i < 100 ? 0xcb007101u : 0x0a100000u + i);
		feed(&net, &a, buf, n);
	}
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.auth_failed - auth0, 1000);
	/* over 1000 denials in 12 s: one line per 10 s, with the count */
	CU_ASSERT(hs.reg_denied > 1000);
	CHECK(n_deny_logs >= 1 && n_deny_logs <= 3, "%zu denial lines", n_deny_logs);
	/* forgers from 20,000 ports at once: all sources with no binding share 5000/s
	 * (a second's worth at once), the MN's refreshes from its bound care-of pass */
	net.now_us += 10 * SEC;
	auth0 = hs.drops.auth_failed;
	accepted0 = hs.reg_accepted;
	for (uint32_t i = 0; i < 20000; i++) {
		struct um3n_sockaddr a = {.port = (uint16_t)(30000 + i)};

		um3n_addr_from_v4(&a.ip, 0x0a140000u + i / 1000);
		feed(&net, &a, buf, n);
	}
	pairnet_run(&net, net.now_us + 2 * SEC);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.auth_failed - auth0, 5000);
	CU_ASSERT(hs.reg_accepted >= accepted0 + 2);
	pairnet_check_bindings(&net, 2);
	pairnet_fini(&net);
}

static CU_TestInfo reg_tests[] = {
	{"01 numbered requests against one engine", test_requests},
	{"02 rate limit per source ip:port before the authenticator", test_rate_limit},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ha_reg", reg_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
