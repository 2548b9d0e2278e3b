/* regfsm: the registration machine on its own, with no engine: every
 * (state, event) pair of the table with its next state and effects, then the
 * retransmission backoff, Karn's rule, the deregistration that gives up, the
 * refresh time, which replies are awaited, the unexpected counter and names. */
#include <stdio.h>
#include <string.h>

#include "regfsm.h"
#include "testutil.h"

#define IDL UM3N_REG_IDLE
#define REQ UM3N_REG_REQUESTING
#define REG UM3N_REG_REGISTERED
#define DEN UM3N_REG_DENIED
#define DRG UM3N_REG_DEREGISTERING

#define S UM3N_REGFSM_FX_SEND
#define A UM3N_REGFSM_FX_ARM
#define D UM3N_REGFSM_FX_DISARM
#define R UM3N_REGFSM_FX_RTT
#define U UM3N_REGFSM_FX_UNBOUND
#define B UM3N_REGFSM_FX_BOUND
#define X UM3N_REGFSM_FX_UNEXPECTED

#define LIFETIME_S 300
#define RTO0_US 500000u
#define RTO_MAX_US 16000000u
#define NOW_US 10000000ull
#define SENT_US 1000ull /* when the request in flight went out */
#define GRANTED_S 40    /* lifetime in an ACCEPTED reply: refresh at 30 s */

static const struct um3n_regfsm_conf conf = {LIFETIME_S, RTO0_US, RTO_MAX_US};

struct reg_case {
	int num;
	int state;
	enum um3n_regfsm_ev ev;
	int next;
	uint32_t fx;
	uint16_t lifetime_s;  /* of the request sent (S) */
	uint64_t timer_in_us; /* ARM: timer_us - now */
};

/* Each case starts from a machine in `state` with a request in flight sent at
 * SENT_US, a first-try timeout of RTO0_US and no retries. The expectations are
 * written from RFC 5944 §3.6 and the design (backoff doubles up to the max, a
 * wrong key waits the max, refresh at 3/4 of the lifetime, deregistration is a
 * lifetime 0 request), not read off the table. */
/* clang-format off */
static const struct reg_case reg_cases[] = {
	/* IDLE: only link-up starts a registration */
	{1, IDL, UM3N_REGFSM_EV_LINK_UP, REQ, S | A, LIFETIME_S, RTO0_US},
	{2, IDL, UM3N_REGFSM_EV_LINK_DOWN, IDL, 0, 0, 0},
	{3, IDL, UM3N_REGFSM_EV_CHANGED, IDL, 0, 0, 0},
	{4, IDL, UM3N_REGFSM_EV_TIMER, IDL, X, 0, 0},
	{5, IDL, UM3N_REGFSM_EV_ACCEPTED, IDL, X, 0, 0},
	{6, IDL, UM3N_REGFSM_EV_DENIED, IDL, X, 0, 0},
	{7, IDL, UM3N_REGFSM_EV_DENIED_AUTH, IDL, X, 0, 0},
	{8, IDL, UM3N_REGFSM_EV_IDENT_MISMATCH, IDL, X, 0, 0},
	{9, IDL, UM3N_REGFSM_EV_SYNC_NEEDED, IDL, X, 0, 0},
	{10, IDL, UM3N_REGFSM_EV_SHUTDOWN, IDL, 0, 0, 0},
	/* REQUESTING: waiting for the reply */
	{11, REQ, UM3N_REGFSM_EV_LINK_UP, REQ, X, 0, 0},
	{12, REQ, UM3N_REGFSM_EV_LINK_DOWN, IDL, D | U, 0, 0},
	{13, REQ, UM3N_REGFSM_EV_CHANGED, REQ, S | A, LIFETIME_S, RTO0_US},
	{14, REQ, UM3N_REGFSM_EV_TIMER, REQ, S | A, LIFETIME_S, 2 * RTO0_US},
	{15, REQ, UM3N_REGFSM_EV_ACCEPTED, REG, A | R | B, 0, GRANTED_S * 750000ull},
	{16, REQ, UM3N_REGFSM_EV_DENIED, DEN, A, 0, 2 * RTO0_US},
	{17, REQ, UM3N_REGFSM_EV_DENIED_AUTH, DEN, A, 0, RTO_MAX_US},
	{18, REQ, UM3N_REGFSM_EV_IDENT_MISMATCH, REQ, S | A, LIFETIME_S, RTO0_US},
	{19, REQ, UM3N_REGFSM_EV_SYNC_NEEDED, REQ, 0, 0, 0},
	{20, REQ, UM3N_REGFSM_EV_SHUTDOWN, DRG, S | A, 0, RTO0_US},
	/* REGISTERED: refresh, re-register on change, sync */
	{21, REG, UM3N_REGFSM_EV_LINK_UP, REG, X, 0, 0},
	{22, REG, UM3N_REGFSM_EV_LINK_DOWN, IDL, D | U, 0, 0},
	{23, REG, UM3N_REGFSM_EV_CHANGED, REQ, S | A, LIFETIME_S, RTO0_US},
	{24, REG, UM3N_REGFSM_EV_TIMER, REQ, S | A, LIFETIME_S, RTO0_US},
	{25, REG, UM3N_REGFSM_EV_ACCEPTED, REG, X, 0, 0},
	{26, REG, UM3N_REGFSM_EV_DENIED, REG, X, 0, 0},
	{27, REG, UM3N_REGFSM_EV_DENIED_AUTH, REG, X, 0, 0},
	{28, REG, UM3N_REGFSM_EV_IDENT_MISMATCH, REG, X, 0, 0},
	{29, REG, UM3N_REGFSM_EV_SYNC_NEEDED, REQ, S | A, LIFETIME_S, RTO0_US},
	{30, REG, UM3N_REGFSM_EV_SHUTDOWN, DRG, S | A, 0, RTO0_US},
	/* DENIED: retry after the backoff */
	{31, DEN, UM3N_REGFSM_EV_LINK_UP, DEN, X, 0, 0},
	{32, DEN, UM3N_REGFSM_EV_LINK_DOWN, IDL, D | U, 0, 0},
	{33, DEN, UM3N_REGFSM_EV_CHANGED, REQ, S | A, LIFETIME_S, RTO0_US},
	{34, DEN, UM3N_REGFSM_EV_TIMER, REQ, S | A, LIFETIME_S, 2 * RTO0_US},
	{35, DEN, UM3N_REGFSM_EV_ACCEPTED, DEN, X, 0, 0},
	{36, DEN, UM3N_REGFSM_EV_DENIED, DEN, X, 0, 0},
	{37, DEN, UM3N_REGFSM_EV_DENIED_AUTH, DEN, X, 0, 0},
	{38, DEN, UM3N_REGFSM_EV_IDENT_MISMATCH, DEN, X, 0, 0},
	{39, DEN, UM3N_REGFSM_EV_SYNC_NEEDED, DEN, X, 0, 0},
	{40, DEN, UM3N_REGFSM_EV_SHUTDOWN, IDL, D | U, 0, 0},
	/* DEREGISTERING: lifetime 0 until answered or given up */
	{41, DRG, UM3N_REGFSM_EV_LINK_UP, DRG, X, 0, 0},
	{42, DRG, UM3N_REGFSM_EV_LINK_DOWN, IDL, D | U, 0, 0},
	{43, DRG, UM3N_REGFSM_EV_CHANGED, DRG, 0, 0, 0},
	{44, DRG, UM3N_REGFSM_EV_TIMER, DRG, S | A, 0, RTO0_US},
	{45, DRG, UM3N_REGFSM_EV_ACCEPTED, IDL, R | D | U, 0, 0},
	{46, DRG, UM3N_REGFSM_EV_DENIED, IDL, D | U, 0, 0},
	{47, DRG, UM3N_REGFSM_EV_DENIED_AUTH, IDL, D | U, 0, 0},
	{48, DRG, UM3N_REGFSM_EV_IDENT_MISMATCH, DRG, 0, 0, 0},
	{49, DRG, UM3N_REGFSM_EV_SYNC_NEEDED, DRG, X, 0, 0},
	{50, DRG, UM3N_REGFSM_EV_SHUTDOWN, DRG, 0, 0, 0},
};
/* clang-format on */

static bool is_reply(enum um3n_regfsm_ev ev)
{
	return ev == UM3N_REGFSM_EV_ACCEPTED || ev == UM3N_REGFSM_EV_DENIED ||
	       ev == UM3N_REGFSM_EV_DENIED_AUTH || ev == UM3N_REGFSM_EV_IDENT_MISMATCH;
}

static void in_flight(struct um3n_regfsm *fsm, int state)
{
	um3n_regfsm_init(fsm);
	fsm->state = state;
	fsm->ident = 100;
	fsm->sent_us = SENT_US;
	fsm->rto_us = RTO0_US;
}

static void check_case(const struct reg_case *c)
{
	struct um3n_regfsm fsm, before;
	struct um3n_regfsm_event ev = {c->ev, 200, GRANTED_S, 7};
	struct um3n_regfsm_fx fx;

	in_flight(&fsm, c->state);
	before = fsm;
	fx = um3n_regfsm_step(&fsm, &conf, NOW_US, &ev);
	if (fx.to != c->next || fsm.state != c->next || fx.flags != c->fx)
		fprintf(stderr, "\n  regfsm case %d: %s on %s -> %s fx %#x, want %s fx %#x\n",
			c->num, um3n_regfsm_event_name(c->ev), um3n_regfsm_state_name(c->state),
			um3n_regfsm_state_name(fsm.state), fx.flags,
			um3n_regfsm_state_name(c->next), c->fx);
	CU_ASSERT_EQUAL(fx.from, c->state);
	CU_ASSERT_EQUAL(fx.to, c->next);
	CU_ASSERT_EQUAL(fsm.state, c->next);
	CU_ASSERT_EQUAL(fx.flags, c->fx);
	if (c->fx & X) { /* nothing changed but the counter */
		CU_ASSERT_EQUAL(fsm.unexpected, 1);
		fsm.unexpected = 0;
		CU_ASSERT_EQUAL(memcmp(&fsm, &before, sizeof(fsm)), 0);
		return;
	}
	CU_ASSERT_EQUAL(fsm.unexpected, 0);
	CU_ASSERT_EQUAL(fsm.last_code, is_reply(c->ev) ? 7 : -1);
	if (c->fx & S) { /* the request carries the identification drawn for it */
		CU_ASSERT_EQUAL(fx.lifetime_s, c->lifetime_s);
		CU_ASSERT_EQUAL(fsm.ident, 200);
		CU_ASSERT_EQUAL(fsm.sent_us, NOW_US);
	} else {
		CU_ASSERT_EQUAL(fsm.ident, 100);
		CU_ASSERT_EQUAL(fsm.sent_us, SENT_US);
	}
	if (c->fx & A)
		CU_ASSERT_EQUAL(fx.timer_us, NOW_US + c->timer_in_us);
	if (c->fx & R)
		CU_ASSERT_EQUAL(fx.rtt_us, NOW_US - SENT_US);
	if (c->fx & B)
		CU_ASSERT_EQUAL(fx.expires_us, NOW_US + GRANTED_S * 1000000ull);
}

static void test_transition_table(void)
{
	bool seen[UM3N_REG_COUNT][UM3N_REGFSM_EV_COUNT] = {{false}};
	size_t n = sizeof(reg_cases) / sizeof(reg_cases[0]);

	CU_ASSERT_EQUAL(n, (size_t)UM3N_REG_COUNT * UM3N_REGFSM_EV_COUNT);
	for (size_t i = 0; i < n; i++) {
		const struct reg_case *c = &reg_cases[i];

		CU_ASSERT_EQUAL(c->num, (int)i + 1);
		CU_ASSERT_FALSE(seen[c->state][c->ev]);
		seen[c->state][c->ev] = true;
		check_case(c);
	}
}

static struct um3n_regfsm_fx step(struct um3n_regfsm *fsm, uint64_t now_us,
				  enum um3n_regfsm_ev type, uint64_t *ident)
{
	struct um3n_regfsm_event ev = {type, ++*ident, GRANTED_S, 0};

	return um3n_regfsm_step(fsm, &conf, now_us, &ev);
}

/* Each retransmission doubles the timeout up to the maximum and stays there. */
static void test_backoff(void)
{
	static const uint32_t rto_us[] = {500000,  1000000,  2000000,  4000000,
					  8000000, 16000000, 16000000, 16000000};
	struct um3n_regfsm fsm;
	struct um3n_regfsm_fx fx;
	uint64_t ident = 0, now_us = 0;

	um3n_regfsm_init(&fsm);
	fx = step(&fsm, now_us, UM3N_REGFSM_EV_LINK_UP, &ident);
	for (size_t i = 0; i < sizeof(rto_us) / sizeof(rto_us[0]); i++) {
		CU_ASSERT_EQUAL(fsm.state, REQ);
		CU_ASSERT_EQUAL(fsm.retries, i);
		CU_ASSERT_EQUAL(fsm.rto_us, rto_us[i]);
		CU_ASSERT_EQUAL(fx.flags, S | A);
		CU_ASSERT_EQUAL(fx.timer_us, now_us + rto_us[i]);
		now_us = fx.timer_us;
		fx = step(&fsm, now_us, UM3N_REGFSM_EV_TIMER, &ident);
	}
	/* a change starts the exchange over at the first timeout */
	fx = step(&fsm, now_us, UM3N_REGFSM_EV_CHANGED, &ident);
	CU_ASSERT_EQUAL(fsm.retries, 0);
	CU_ASSERT_EQUAL(fx.timer_us, now_us + RTO0_US);
	/* denied: no request, the retry waits the doubled timeout, then goes out */
	fx = step(&fsm, now_us + 1000, UM3N_REGFSM_EV_DENIED, &ident);
	CU_ASSERT_EQUAL(fx.flags, A);
	CU_ASSERT_EQUAL(fx.timer_us, now_us + 1000 + 2 * RTO0_US);
	fx = step(&fsm, fx.timer_us, UM3N_REGFSM_EV_TIMER, &ident);
	CU_ASSERT_EQUAL(fsm.state, REQ);
	CU_ASSERT_EQUAL(fx.flags, S | A);
	CU_ASSERT_EQUAL(fsm.rto_us, 4 * RTO0_US);
}

/* Karn's rule: only a reply to a request sent once gives an RTT sample. */
static void test_karn(void)
{
	struct um3n_regfsm fsm;
	struct um3n_regfsm_fx fx;
	uint64_t ident = 0;

	um3n_regfsm_init(&fsm);
	step(&fsm, 1000, UM3N_REGFSM_EV_LINK_UP, &ident);
	fx = step(&fsm, 31000, UM3N_REGFSM_EV_ACCEPTED, &ident);
	CU_ASSERT_EQUAL(fx.flags & R, R);
	CU_ASSERT_EQUAL(fx.rtt_us, 30000);
	/* refresh, lost once, answered: no sample */
	step(&fsm, 2000000, UM3N_REGFSM_EV_TIMER, &ident);
	step(&fsm, 2500000, UM3N_REGFSM_EV_TIMER, &ident);
	CU_ASSERT_EQUAL(fsm.retries, 1);
	fx = step(&fsm, 2530000, UM3N_REGFSM_EV_ACCEPTED, &ident);
	CU_ASSERT_EQUAL(fx.flags, A | B);
	/* a deregistration answered at the first try gives one, after a retry not */
	step(&fsm, 3000000, UM3N_REGFSM_EV_SHUTDOWN, &ident);
	fx = step(&fsm, 3020000, UM3N_REGFSM_EV_ACCEPTED, &ident);
	CU_ASSERT_EQUAL(fx.flags, R | D | U);
	CU_ASSERT_EQUAL(fx.rtt_us, 20000);
	in_flight(&fsm, REG);
	ident = fsm.ident; /* identifications only grow */
	step(&fsm, 4000000, UM3N_REGFSM_EV_SHUTDOWN, &ident);
	step(&fsm, 4500000, UM3N_REGFSM_EV_TIMER, &ident);
	fx = step(&fsm, 4520000, UM3N_REGFSM_EV_ACCEPTED, &ident);
	CU_ASSERT_EQUAL(fx.flags, D | U);
}

/* Deregistration: UM3N_REGFSM_DEREGISTER_TRIES lifetime-0 requests, each after
 * the first timeout (no backoff), then idle with the timer stopped. The
 * binding is not declared gone: only a reply or the link going down says so. */
static void test_deregister_gives_up(void)
{
	struct um3n_regfsm fsm;
	struct um3n_regfsm_fx fx;
	uint64_t ident = 0, now_us = 5000000;
	int sent = 0;

	in_flight(&fsm, REG);
	ident = fsm.ident;
	fx = step(&fsm, now_us, UM3N_REGFSM_EV_SHUTDOWN, &ident);
	while (fx.flags & S) {
		sent++;
		CU_ASSERT_EQUAL(fx.lifetime_s, 0);
		CU_ASSERT_EQUAL(fx.timer_us, now_us + RTO0_US);
		CU_ASSERT_EQUAL(fsm.state, DRG);
		CU_ASSERT_TRUE(um3n_regfsm_awaits(&fsm, fsm.ident));
		now_us = fx.timer_us;
		fx = step(&fsm, now_us, UM3N_REGFSM_EV_TIMER, &ident);
	}
	CU_ASSERT_EQUAL(sent, UM3N_REGFSM_DEREGISTER_TRIES);
	CU_ASSERT_EQUAL(fx.flags, D);
	CU_ASSERT_EQUAL(fx.from, DRG);
	CU_ASSERT_EQUAL(fx.to, IDL);
	CU_ASSERT_EQUAL(fsm.state, IDL);
	CU_ASSERT_FALSE(um3n_regfsm_awaits(&fsm, fsm.ident));
}

/* Refresh at 3/4 of the granted lifetime, but never sooner than a second. */
static void test_refresh_time(void)
{
	static const struct {
		int num;
		uint16_t granted_s;
		uint64_t refresh_in_us;
	} cases[] = {
		{1, 300, 225000000},        {2, 4, 3000000}, {3, 1, 1000000}, {4, 0, 1000000},
		{5, 65535, 49151250000ull},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct um3n_regfsm fsm;
		struct um3n_regfsm_event ev = {UM3N_REGFSM_EV_ACCEPTED, 1, cases[i].granted_s, 0};
		struct um3n_regfsm_fx fx;

		in_flight(&fsm, REQ);
		fx = um3n_regfsm_step(&fsm, &conf, NOW_US, &ev);
		CU_ASSERT_EQUAL(fx.timer_us, NOW_US + cases[i].refresh_in_us);
		CU_ASSERT_EQUAL(fx.expires_us, NOW_US + cases[i].granted_s * 1000000ull);
	}
}

/* Only a request in flight awaits a reply, matched on the low 32 bits. */
static void test_awaits(void)
{
	static const int awaiting[UM3N_REG_COUNT] = {0, 1, 0, 0, 1};
	struct um3n_regfsm fsm;

	for (int st = 0; st < UM3N_REG_COUNT; st++) {
		in_flight(&fsm, st);
		fsm.ident = 0x1122334455667788ull;
		CU_ASSERT_EQUAL(um3n_regfsm_awaits(&fsm, 0x1122334455667788ull), awaiting[st]);
		CU_ASSERT_EQUAL(um3n_regfsm_awaits(&fsm, 0xffffffff55667788ull), awaiting[st]);
		CU_ASSERT_FALSE(um3n_regfsm_awaits(&fsm, 0x1122334455667789ull));
	}
}

/* Unexpected events accumulate in the counter and never move the machine. */
static void test_unexpected_counted(void)
{
	struct um3n_regfsm fsm;
	uint64_t ident = 0;

	um3n_regfsm_init(&fsm);
	CU_ASSERT_EQUAL(step(&fsm, 1, UM3N_REGFSM_EV_TIMER, &ident).flags, X);
	CU_ASSERT_EQUAL(step(&fsm, 2, UM3N_REGFSM_EV_ACCEPTED, &ident).flags, X);
	CU_ASSERT_EQUAL(fsm.unexpected, 2);
	CU_ASSERT_EQUAL(fsm.state, IDL);
	CU_ASSERT_EQUAL(fsm.last_code, -1);
	step(&fsm, 3, UM3N_REGFSM_EV_LINK_UP, &ident);
	CU_ASSERT_EQUAL(step(&fsm, 4, UM3N_REGFSM_EV_LINK_UP, &ident).flags, X);
	CU_ASSERT_EQUAL(fsm.unexpected, 3);
	CU_ASSERT_EQUAL(fsm.state, REQ);
}

static void test_names(void)
{
	static const char *const states[] = {"idle", "requesting", "registered", "denied",
					     "deregistering"};
	static const char *const events[] = {"link-up",     "link-down",      "changed",
					     "timer",       "accepted",       "denied",
					     "denied-auth", "ident-mismatch", "sync-needed",
					     "shutdown"};

	for (int i = 0; i < UM3N_REG_COUNT; i++)
		CU_ASSERT_STRING_EQUAL(um3n_regfsm_state_name(i), states[i]);
	for (int i = 0; i < UM3N_REGFSM_EV_COUNT; i++)
		CU_ASSERT_STRING_EQUAL(um3n_regfsm_event_name(i), events[i]);
	CU_ASSERT_STRING_EQUAL(um3n_regfsm_state_name(UM3N_REG_COUNT), "?");
	CU_ASSERT_STRING_EQUAL(um3n_regfsm_state_name(-1), "?");
	CU_ASSERT_STRING_EQUAL(um3n_regfsm_event_name(UM3N_REGFSM_EV_COUNT), "?");
}

static CU_TestInfo regfsm_tests[] = {
	{"01 transition table: every state x event, effects", test_transition_table},
	{"02 retransmission backoff doubles up to the maximum", test_backoff},
	{"03 Karn: RTT samples only from unretransmitted exchanges", test_karn},
	{"04 deregistration gives up after its tries", test_deregister_gives_up},
	{"05 refresh at 3/4 of the lifetime, at least 1 s", test_refresh_time},
	{"06 which replies are awaited", test_awaits},
	{"07 unexpected events are counted, nothing moves", test_unexpected_counted},
	{"08 state and event names", test_names},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"regfsm", regfsm_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
