/* ha_bindfsm: the HA's per-binding registration FSM. Every (state, event) pair,
 * numbered, with the next state and the effects written from RFC 5944 §3.8
 * and the binding's documented life (ha_bindfsm.h), not from the table; then
 * the cases where the request's facts (moved care-of, degraded flag, lifetime)
 * shape the effects, and a binding's whole life. */
#include <stdio.h>

#include "ha_bindfsm.h"
#include "testutil.h"
#include "wire.h"

#define NO UM3N_HA_BINDFSM_NONE
#define BD UM3N_HA_BINDFSM_BOUND
#define EV(x) UM3N_HA_BINDFSM_EV_##x
#define INDEX UM3N_HA_BINDFSM_DO_INDEX
#define RELEASE UM3N_HA_BINDFSM_DO_RELEASE
#define ARM UM3N_HA_BINDFSM_DO_ARM
#define POLICY UM3N_HA_BINDFSM_DO_POLICY
#define UNBIND UM3N_HA_BINDFSM_DO_UNBIND
#define SCHED UM3N_HA_BINDFSM_DO_SCHED
#define REPLY UM3N_HA_BINDFSM_DO_REPLY
#define RESYNC UM3N_HA_BINDFSM_DO_RESYNC
#define ACCEPT (ARM | POLICY | SCHED | REPLY)
#define X 0xff /* unexpected: no row, state kept, no effect */

struct fsm_case {
	int num;
	int state;
	struct um3n_ha_bindfsm_in in;
	int next; /* X: unexpected */
	unsigned mask;
	int code; /* -1: no reply */
	uint16_t lifetime_s;
	bool weak;
};

#define REQ(e, mv, dg)                                                      \
	{                                                                   \
		.ev = EV(e), .lifetime_s = 300, .moved = mv, .degraded = dg \
	}
#define DENY(c)                             \
	{                                   \
		.ev = EV(DENIED), .code = c \
	}
#define PLAIN(e)            \
	{                   \
		.ev = EV(e) \
	}

/* clang-format off */
static const struct fsm_case fsm_cases[] = {
	/* NONE: a request creates the binding; a deregistration or a denial is
	 * answered and changes nothing; no lifetime runs, nothing to release */
	{1, NO, REQ(REQ_SIMUL, false, false), BD, INDEX | ACCEPT, 0, 300, false},
	{2, NO, REQ(REQ_SOLE, false, false), BD, INDEX | RELEASE | ACCEPT, 0, 300, false},
	{3, NO, PLAIN(DEREG_ONE), NO, SCHED | REPLY, 0, 0, false},
	{4, NO, PLAIN(DEREG_ALL), NO, RELEASE | SCHED | REPLY, 0, 0, false},
	{5, NO, DENY(UM3N_CODE_MN_FAILED_AUTH), NO, REPLY, 131, 0, false},
	{6, NO, PLAIN(STALE), NO, REPLY | RESYNC, 133, 0, false},
	{7, NO, PLAIN(EXPIRED), X, 0, -1, 0, false},
	{8, NO, PLAIN(RELEASED), X, 0, -1, 0, false},
	/* BOUND: a request refreshes it (re-indexed only when moved); a
	 * deregistration, expiry or release removes it */
	{9, BD, REQ(REQ_SIMUL, false, false), BD, ACCEPT, 0, 300, false},
	{10, BD, REQ(REQ_SOLE, false, false), BD, RELEASE | ACCEPT, 0, 300, false},
	{11, BD, PLAIN(DEREG_ONE), NO, UNBIND | SCHED | REPLY, 0, 0, false},
	{12, BD, PLAIN(DEREG_ALL), NO, RELEASE | UNBIND | SCHED | REPLY, 0, 0, false},
	{13, BD, DENY(UM3N_CODE_UNKNOWN_HA), BD, REPLY, 136, 0, false},
	{14, BD, PLAIN(STALE), BD, REPLY | RESYNC, 133, 0, false},
	{15, BD, PLAIN(EXPIRED), NO, UNBIND | SCHED, -1, 0, false},
	{16, BD, PLAIN(RELEASED), NO, UNBIND, -1, 0, false},
	/* the request's facts: NAT rebinding, degraded flag, granted lifetime */
	{17, BD, REQ(REQ_SIMUL, true, false), BD, INDEX | ACCEPT, 0, 300, false},
	{18, BD, REQ(REQ_SOLE, true, true), BD, INDEX | RELEASE | ACCEPT, 0, 300, true},
	{19, NO, REQ(REQ_SIMUL, false, true), BD, INDEX | ACCEPT, 0, 300, true},
	{20, BD, REQ(REQ_SIMUL, false, true), BD, ACCEPT, 0, 300, true},
	{21, BD, {.ev = EV(REQ_SIMUL), .lifetime_s = 1}, BD, ACCEPT, 0, 1, false},
	{22, NO, DENY(UM3N_CODE_DENIED_NO_RESOURCES), NO, REPLY, 130, 0, false},
	{23, BD, DENY(UM3N_CODE_DENIED_REASON_UNSPEC), BD, REPLY, 128, 0, false},
	{24, BD, DENY(UM3N_CODE_UDP_ENCAP_UNAVAIL), BD, REPLY, 142, 0, false},
};
/* clang-format on */

static void test_every_state_event(void)
{
	bool seen[UM3N_HA_BINDFSM_STATE_COUNT][UM3N_HA_BINDFSM_EV_COUNT] = {{false}};

	for (size_t i = 0; i < sizeof(fsm_cases) / sizeof(fsm_cases[0]); i++) {
		const struct fsm_case *c = &fsm_cases[i];
		struct um3n_ha_bindfsm f;
		struct um3n_ha_bindfsm_fx fx;
		int want_state = c->next == X ? c->state : c->next;

		um3n_ha_bindfsm_init(&f);
		CU_ASSERT_EQUAL(f.state, NO);
		f.state = (uint8_t)c->state;
		fx = um3n_ha_bindfsm_step(&f, &c->in);
		seen[c->state][c->in.ev] = true;
		if (f.state != want_state || fx.mask != c->mask || fx.unexpected != (c->next == X))
			fprintf(stderr, "\n  bindfsm case %d: %s in %s -> %s %#x, want %s %#x\n",
				c->num, um3n_ha_bindfsm_event_name(c->in.ev),
				um3n_ha_bindfsm_state_name(c->state),
				um3n_ha_bindfsm_state_name(f.state), fx.mask,
				um3n_ha_bindfsm_state_name(want_state), c->mask);
		CU_ASSERT_EQUAL(f.state, want_state);
		CU_ASSERT_EQUAL(fx.unexpected, c->next == X);
		CU_ASSERT_EQUAL(fx.mask, c->mask);
		if (c->mask & REPLY) {
			CU_ASSERT_EQUAL(fx.code, c->code);
			CU_ASSERT_EQUAL(fx.lifetime_s, c->lifetime_s);
		}
		if (c->mask & ARM) {
			CU_ASSERT_EQUAL(fx.lifetime_s, c->lifetime_s);
			CU_ASSERT_EQUAL(fx.weak, c->weak);
		}
	}
	for (int s = 0; s < UM3N_HA_BINDFSM_STATE_COUNT; s++)
		for (int e = 0; e < UM3N_HA_BINDFSM_EV_COUNT; e++) {
			if (!seen[s][e])
				fprintf(stderr, "\n  no case for %s in %s\n",
					um3n_ha_bindfsm_event_name(e),
					um3n_ha_bindfsm_state_name(s));
			CU_ASSERT_TRUE(seen[s][e]);
		}
}

/* A binding's life: registered, refreshed, moved by a NAT, degraded and back,
 * a stale request and a denial in between, deregistered; again, expired; again,
 * released by a request without S on a sibling. */
static void test_binding_life(void)
{
	static const struct {
		struct um3n_ha_bindfsm_in in;
		int state;
	} steps[] = {
		{REQ(REQ_SIMUL, false, false), BD},
		{REQ(REQ_SIMUL, false, false), BD},
		{REQ(REQ_SIMUL, true, false), BD},
		{REQ(REQ_SIMUL, false, true), BD},
		{PLAIN(STALE), BD},
		{DENY(UM3N_CODE_UNKNOWN_HA), BD},
		{REQ(REQ_SOLE, false, false), BD},
		{PLAIN(DEREG_ONE), NO},
		{PLAIN(DEREG_ONE), NO},
		{REQ(REQ_SOLE, false, false), BD},
		{PLAIN(EXPIRED), NO},
		{PLAIN(EXPIRED), NO},
		{REQ(REQ_SIMUL, false, false), BD},
		{PLAIN(RELEASED), NO},
		{PLAIN(DEREG_ALL), NO},
	};
	struct um3n_ha_bindfsm f;
	int unexpected = 0;

	um3n_ha_bindfsm_init(&f);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct um3n_ha_bindfsm_fx fx = um3n_ha_bindfsm_step(&f, &steps[i].in);

		unexpected += fx.unexpected;
		CU_ASSERT_EQUAL(f.state, steps[i].state);
	}
	CU_ASSERT_EQUAL(unexpected, 1); /* the second expiry */
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_state_name(NO), "none");
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_state_name(BD), "bound");
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_state_name(UM3N_HA_BINDFSM_STATE_COUNT), "?");
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_event_name(EV(REQ_SOLE)), "request-sole");
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_event_name(EV(RELEASED)), "released");
	CU_ASSERT_STRING_EQUAL(um3n_ha_bindfsm_event_name(-1), "?");
	for (int e = 0; e < UM3N_HA_BINDFSM_EV_COUNT; e++)
		CU_ASSERT_STRING_NOT_EQUAL(um3n_ha_bindfsm_event_name(e), "?");
}

static CU_TestInfo bindfsm_tests[] = {
	{"01 table: every state x event, numbered", test_every_state_event},
	{"02 a binding's life", test_binding_life},
	{"03 state and event names", test_names},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ha_bindfsm", bindfsm_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
