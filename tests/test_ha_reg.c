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

static CU_TestInfo reg_tests[] = {
	{"01 numbered requests against one engine", test_requests},
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
