/* hoverfsm: the handover manager of uplinks = one. First the machine on its
 * own (every state x event pair of the table with its next state and effects;
 * the events it derives: hysteresis through the weak flag, the hold against
 * flapping, make-before-break, losing the active uplink with a hot and a cold
 * standby, the backoff of a failed bring-up), then the MN engine in handover
 * mode against a real HA (pairnet): a cold standby sends nothing while WiFi
 * works, a planned handover moves the traffic without a loss and releases
 * the cell when WiFi is back, and uplinks = all ignores `standby`. */
#include <stdio.h>
#include <string.h>

#include "hoverfsm.h"
#include "pairnet.h"
#include "testutil.h"

#define NONE UM3N_HOVER_NONE
#define IDL UM3N_HOVER_IDLE
#define ACT UM3N_HOVER_ACTIVE
#define PRE UM3N_HOVER_PREPARING
#define MOV UM3N_HOVER_MOVED
#define EV(x) UM3N_HOVERFSM_EV_##x

#define M UM3N_HOVERFSM_FX_MOVE
#define R UM3N_HOVERFSM_FX_RELEASE
#define U UM3N_HOVERFSM_FX_UP
#define A UM3N_HOVERFSM_FX_ARM
#define X UM3N_HOVERFSM_FX_UNEXPECTED

#define NOW_US 100000000ull
#define HOLD_US 4000000ull
#define BRINGUP_US 5000000ull
#define DRAIN_US 80000ull

#define GRACE_US 200000ull

static const struct um3n_hoverfsm_conf conf = {HOLD_US, BRINGUP_US, GRACE_US};

/* Views of two uplinks: 0 wifi (rank 0, hot), 1 cell (rank 1, cold unless said). */
enum view_kind {
	V_OK,      /* wifi strong and usable; cell has carrier, is down */
	V_WEAK,    /* wifi weak, usable; cell has carrier, is down */
	V_CELL_UP, /* wifi weak, usable; cell registered and usable */
	V_NO_WIFI, /* wifi gone; cell has carrier, is down */
	V_NO_CELL, /* wifi weak, usable; cell gone */
};

static struct um3n_hover_view view(enum view_kind k)
{
	struct um3n_hover_view v = {.n = 2};

	v.l[0] = (struct um3n_hover_link){.carrier = true,
					  .registered = true,
					  .usable = true,
					  .rank = 0,
					  .drain_us = DRAIN_US};
	v.l[1] = (struct um3n_hover_link){
		.carrier = true, .cold = true, .rank = 1, .drain_us = DRAIN_US};
	v.l[0].weak = k != V_OK;
	if (k == V_CELL_UP)
		v.l[1].registered = v.l[1].usable = true;
	if (k == V_NO_WIFI)
		v.l[0] = (struct um3n_hover_link){.rank = 0, .drain_us = DRAIN_US};
	if (k == V_NO_CELL)
		v.l[1].carrier = false;
	return v;
}

/* A machine in `state`: ACTIVE on wifi; PREPARING wifi -> cell; MOVED to
 * cell, wifi draining; hold_until at `hold_until_us`. */
static void machine(struct um3n_hoverfsm *f, int state, uint64_t hold_until_us)
{
	um3n_hoverfsm_init(f);
	f->state = state;
	f->hold_until_us = hold_until_us;
	f->started_us = NOW_US - 1000; /* the handover under way began then */
	if (state == ACT || state == PRE)
		f->active = 0;
	if (state == PRE) {
		f->target = 1;
		f->timer_us = NOW_US + BRINGUP_US;
	}
	if (state == MOV) {
		f->active = 1;
		f->old = 0;
		f->timer_us = NOW_US + DRAIN_US;
	}
}

struct hover_case {
	int num, state;
	enum um3n_hoverfsm_ev ev;
	enum view_kind v;
	int next;
	uint32_t fx;
	int up, move_to;
	uint32_t release;
};

/* Written from the design (hoverfsm.h), not read off the table: LOST needs an
 * active uplink, the target events a target, DRAINED an old uplink, READY and
 * NEED an idle machine; LEAVE, HOLD and STRAY a settled one. */
/* clang-format off */
static const struct hover_case cases[] = {
	{1, IDL, EV(READY), V_OK, ACT, M, NONE, 0, 0},
	{2, IDL, EV(NEED), V_NO_WIFI, PRE, U | A, 1, NONE, 0},
	{3, IDL, EV(LOST), V_OK, IDL, X, NONE, NONE, 0},
	{4, IDL, EV(LEAVE), V_OK, IDL, X, NONE, NONE, 0},
	{5, IDL, EV(HOLD), V_OK, IDL, X, NONE, NONE, 0},
	{6, IDL, EV(TARGET_READY), V_OK, IDL, X, NONE, NONE, 0},
	{7, IDL, EV(TARGET_FAILED), V_OK, IDL, X, NONE, NONE, 0},
	{8, IDL, EV(CANCEL), V_OK, IDL, X, NONE, NONE, 0},
	{9, IDL, EV(DRAINED), V_OK, IDL, X, NONE, NONE, 0},
	{10, IDL, EV(STRAY), V_CELL_UP, IDL, R, NONE, NONE, 1u << 1},

	{11, ACT, EV(READY), V_OK, ACT, X, NONE, NONE, 0},
	{12, ACT, EV(NEED), V_OK, ACT, X, NONE, NONE, 0},
	/* wifi lost, the cold cell comes up; wifi released when the traffic moved */
	{13, ACT, EV(LOST), V_NO_WIFI, PRE, U | A, 1, NONE, 0},
	{14, ACT, EV(LEAVE), V_WEAK, PRE, U | A, 1, NONE, 0},
	{15, ACT, EV(HOLD), V_WEAK, ACT, A, NONE, NONE, 0},
	{16, ACT, EV(TARGET_READY), V_OK, ACT, X, NONE, NONE, 0},
	{17, ACT, EV(TARGET_FAILED), V_OK, ACT, X, NONE, NONE, 0},
	{18, ACT, EV(CANCEL), V_OK, ACT, X, NONE, NONE, 0},
	{19, ACT, EV(DRAINED), V_OK, ACT, X, NONE, NONE, 0},
	{20, ACT, EV(STRAY), V_CELL_UP, ACT, R, NONE, NONE, 1u << 1},

	{21, PRE, EV(READY), V_WEAK, PRE, X, NONE, NONE, 0},
	{22, PRE, EV(NEED), V_WEAK, PRE, X, NONE, NONE, 0},
	/* the traffic has nowhere to go yet: it waits for the target */
	{23, PRE, EV(LOST), V_NO_WIFI, PRE, 0, NONE, NONE, 0},
	{24, PRE, EV(LEAVE), V_WEAK, PRE, X, NONE, NONE, 0},
	{25, PRE, EV(HOLD), V_WEAK, PRE, X, NONE, NONE, 0},
	/* make-before-break: moved, wifi drains before it is let go */
	{26, PRE, EV(TARGET_READY), V_CELL_UP, MOV, M | A, NONE, 1, 0},
	{27, PRE, EV(TARGET_FAILED), V_NO_CELL, ACT, R, NONE, NONE, 1u << 1},
	{28, PRE, EV(CANCEL), V_OK, ACT, R, NONE, NONE, 1u << 1},
	{29, PRE, EV(DRAINED), V_WEAK, PRE, X, NONE, NONE, 0},
	{30, PRE, EV(STRAY), V_WEAK, PRE, X, NONE, NONE, 0},

	{31, MOV, EV(READY), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{32, MOV, EV(NEED), V_CELL_UP, MOV, X, NONE, NONE, 0},
	/* the cell lost while wifi drains: straight back to wifi */
	{33, MOV, EV(LOST), V_NO_CELL, ACT, M | R, NONE, 0, 1u << 1},
	{34, MOV, EV(LEAVE), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{35, MOV, EV(HOLD), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{36, MOV, EV(TARGET_READY), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{37, MOV, EV(TARGET_FAILED), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{38, MOV, EV(CANCEL), V_CELL_UP, MOV, X, NONE, NONE, 0},
	{39, MOV, EV(DRAINED), V_CELL_UP, ACT, R, NONE, NONE, 1u << 0},
	{40, MOV, EV(STRAY), V_CELL_UP, MOV, X, NONE, NONE, 0},
};
/* clang-format on */

static void test_table(void)
{
	CU_ASSERT_EQUAL(N_ELEMS(cases), UM3N_HOVER_COUNT * UM3N_HOVERFSM_EV_COUNT);
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		const struct hover_case *c = &cases[i];
		struct um3n_hoverfsm f;
		struct um3n_hover_view v = view(c->v);
		struct um3n_hoverfsm_fx fx;

		CHECK(c->num == (int)i + 1, "case %d numbered", c->num);
		CHECK(c->state == (int)i / UM3N_HOVERFSM_EV_COUNT &&
			      (int)c->ev == (int)i % UM3N_HOVERFSM_EV_COUNT,
		      "case %d: every state x event once, in order", c->num);
		machine(&f, c->state, c->ev == EV(HOLD) ? NOW_US + 1000 : 0);
		fx = um3n_hoverfsm_run(&f, &conf, &v, NOW_US, c->ev);
		CHECK(fx.from == c->state && fx.to == c->next && f.state == c->next,
		      "case %d: %s --%s--> %s, want %s", c->num, um3n_hoverfsm_state_name(c->state),
		      um3n_hoverfsm_event_name(c->ev), um3n_hoverfsm_state_name(fx.to),
		      um3n_hoverfsm_state_name(c->next));
		CHECK(fx.flags == c->fx, "case %d: effects 0x%x, want 0x%x", c->num, fx.flags,
		      c->fx);
		CHECK(!(c->fx & U) || fx.up == c->up, "case %d: up %d", c->num, fx.up);
		CHECK(!(c->fx & M) || fx.move_to == c->move_to, "case %d: moved to %d", c->num,
		      fx.move_to);
		CHECK(fx.release == c->release, "case %d: release 0x%x, want 0x%x", c->num,
		      fx.release, c->release);
		CHECK((c->fx & X) == (f.unexpected == 1 ? X : 0), "case %d: unexpected counted",
		      c->num);
	}
}

/* --- derived events: a small model of the engine around the machine ---------- */

/* Carries the effects into the view as an engine would: a brought-up uplink
 * answers `answer_after` steps later, a released one is down at once. */
struct model {
	struct um3n_hoverfsm f;
	struct um3n_hover_view v;
	int answer_in[2];
	int moves, releases_of_active;
	uint64_t last_move_us, min_between_us;
};

static void model_init(struct model *m, enum view_kind k)
{
	um3n_hoverfsm_init(&m->f);
	m->v = view(k);
	m->answer_in[0] = m->answer_in[1] = -1;
	m->moves = m->releases_of_active = 0;
	m->last_move_us = 0;
	m->min_between_us = UM3N_TIME_NONE;
}

static struct um3n_hoverfsm_fx model_step(struct model *m, uint64_t now_us)
{
	struct um3n_hoverfsm_fx fx;

	for (int i = 0; i < 2; i++)
		if (m->answer_in[i] >= 0 && m->answer_in[i]-- == 0)
			m->v.l[i].usable = true;
	fx = um3n_hoverfsm_step(&m->f, &conf, &m->v, now_us);
	if ((fx.flags & M) && fx.move_from != NONE) {
		if (m->moves && now_us - m->last_move_us < m->min_between_us)
			m->min_between_us = now_us - m->last_move_us;
		m->moves++;
		m->last_move_us = now_us;
	}
	for (int i = 0; i < 2; i++)
		if (fx.release >> i & 1) {
			m->releases_of_active += i == m->f.active;
			if (m->v.l[i].cold)
				m->v.l[i].registered = m->v.l[i].usable = false;
		}
	if (fx.flags & U) {
		m->v.l[fx.up].registered = true;
		m->answer_in[fx.up] = 2;
	}
	return fx;
}

/* Hysteresis is the weak flag's; the hold lets a flapping flag move the
 * traffic at most once per hold. */
static void test_flapping_hold(void)
{
	struct model m;
	uint64_t t = NOW_US;

	model_init(&m, V_OK);
	model_step(&m, t);
	CU_ASSERT_EQUAL(m.f.state, ACT);
	/* the flag flips every second for a minute; steps every 10 ms */
	for (int ms = 0; ms < 60000; ms += 10) {
		m.v.l[0].weak = (ms / 1000) % 2 == 0;
		model_step(&m, t + (uint64_t)ms * 1000);
	}
	CU_ASSERT(m.moves >= 2);
	CU_ASSERT(m.moves <= (int)(60000 / (HOLD_US / 1000)) + 1);
	CU_ASSERT(m.min_between_us >= HOLD_US - 20000); /* a move follows its start by steps */
	CU_ASSERT_EQUAL(m.releases_of_active, 0);
	CU_ASSERT_EQUAL(m.f.unexpected, 0);
}

/* Make-before-break: nothing moves before the cell answers, wifi is not let
 * go before the drain; a recovered signal cancels a bring-up. */
static void test_make_before_break(void)
{
	struct model m;
	struct um3n_hoverfsm_fx fx;
	uint64_t t = NOW_US;

	model_init(&m, V_OK);
	model_step(&m, t);
	m.v.l[0].weak = true;
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(LEAVE));
	CU_ASSERT(fx.flags & U);
	CU_ASSERT_FALSE(fx.flags & M);
	CU_ASSERT_EQUAL(m.f.active, 0);
	CU_ASSERT(um3n_hoverfsm_wants(&m.f, 1));
	fx = model_step(&m, t += 1000); /* not answering yet */
	CU_ASSERT_EQUAL(fx.ev, -1);
	model_step(&m, t += 1000);
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(TARGET_READY));
	CU_ASSERT_EQUAL(fx.move_to, 1);
	CU_ASSERT_EQUAL(m.f.state, MOV);
	fx = model_step(&m, t + DRAIN_US - 1);
	CU_ASSERT_EQUAL(fx.ev, -1); /* still draining: wifi kept */
	CU_ASSERT(um3n_hoverfsm_wants(&m.f, 0));
	CU_ASSERT_EQUAL(um3n_hoverfsm_next_us(&m.f), t + DRAIN_US);
	fx = model_step(&m, t + DRAIN_US);
	CU_ASSERT_EQUAL(fx.ev, EV(DRAINED));
	CU_ASSERT_EQUAL(fx.release, 1u << 0);
	CU_ASSERT_EQUAL(m.f.handovers, 1);
	CU_ASSERT_EQUAL(m.f.reason, UM3N_HOVER_R_SIGNAL);
	CU_ASSERT_EQUAL(m.f.max_move_us, 3000);

	/* a bring-up cancelled: the signal recovers before the cell answers */
	model_init(&m, V_OK);
	model_step(&m, t);
	m.v.l[0].weak = true;
	model_step(&m, t += 1000);
	m.v.l[0].weak = false;
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(CANCEL));
	CU_ASSERT_EQUAL(fx.release, 1u << 1);
	CU_ASSERT_FALSE(um3n_hoverfsm_wants(&m.f, 1));
	CU_ASSERT_EQUAL(m.f.handovers, 0);
}

/* Losing wifi: a hot cell takes the traffic in the same step, a cold one as
 * soon as it answers; a cell that never answers backs off and is retried. */
static void test_lost(void)
{
	struct model m;
	struct um3n_hoverfsm_fx fx;
	uint64_t t = NOW_US;

	model_init(&m, V_OK);
	m.v.l[1].cold = false;
	m.v.l[1].registered = m.v.l[1].usable = true;
	model_step(&m, t);
	m.v.l[0] = view(V_NO_WIFI).l[0];
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(LOST));
	CU_ASSERT(fx.flags & M);
	CU_ASSERT_EQUAL(fx.move_to, 1);
	CU_ASSERT(fx.emergency);
	CU_ASSERT_EQUAL(m.f.state, ACT);

	model_init(&m, V_OK);
	model_step(&m, t);
	m.v.l[0].usable = false; /* silent, carrier still there */
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.up, 1);
	CU_ASSERT_EQUAL(m.f.active, NONE);
	CU_ASSERT_EQUAL(m.f.old, 0);
	model_step(&m, t += 1000);
	model_step(&m, t += 1000);
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(TARGET_READY));
	CU_ASSERT(fx.emergency);
	CU_ASSERT_EQUAL(fx.move_from, 0); /* its packets go again on the cell */
	CU_ASSERT_EQUAL(fx.release, 1u << 0);
	CU_ASSERT_EQUAL(m.f.state, ACT);
	CU_ASSERT_EQUAL(m.f.lost, 1);
	/* wifi answers again at once: no return before the hold */
	m.v.l[0].usable = true;
	fx = model_step(&m, t += 1000);
	CU_ASSERT_EQUAL(fx.ev, EV(HOLD));

	/* a cold cell that never answers; brought up once the idle grace passed */
	model_init(&m, V_NO_WIFI);
	fx = model_step(&m, t - GRACE_US);
	CU_ASSERT_EQUAL(fx.ev, -1);
	CU_ASSERT_EQUAL(um3n_hoverfsm_next_us(&m.f), t);
	fx = model_step(&m, t);
	CU_ASSERT_EQUAL(fx.ev, EV(NEED));
	m.answer_in[1] = -1;
	fx = model_step(&m, t + BRINGUP_US);
	CU_ASSERT_EQUAL(fx.ev, EV(TARGET_FAILED));
	CU_ASSERT_EQUAL(m.f.state, IDL);
	CU_ASSERT_EQUAL(um3n_hoverfsm_next_us(&m.f), t + BRINGUP_US + 1000000);
	fx = model_step(&m, t + BRINGUP_US + 999999);
	CU_ASSERT_EQUAL(fx.ev, -1); /* backing off */
	/* idle again: the backoff, then the idle grace from the first idle step */
	fx = model_step(&m, t + BRINGUP_US + 999999 + GRACE_US);
	CU_ASSERT_EQUAL(fx.ev, EV(NEED));
	CU_ASSERT_EQUAL(m.f.failed, 1);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(um3n_hoverfsm_state_name(PRE), "preparing");
	CU_ASSERT_STRING_EQUAL(um3n_hoverfsm_event_name(EV(TARGET_READY)), "target-ready");
	CU_ASSERT_STRING_EQUAL(um3n_hoverfsm_reason_name(UM3N_HOVER_R_LOST), "lost");
	CU_ASSERT_STRING_EQUAL(um3n_hoverfsm_state_name(99), "?");
	CU_ASSERT_STRING_EQUAL(um3n_hoverfsm_event_name(-1), "?");
}

/* --- the engine in handover mode (pairnet: 0 cell 50 ms, 1 wifi 5 ms) ------ */

static uint64_t sent_to_ha[UM3N_MAX_LINKS];

static bool count_to_ha(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	(void)net, (void)d, (void)len;
	if (dir == TO_HA)
		sent_to_ha[link]++;
	return false;
}

static void start_one(struct pairnet *net, uint8_t uplinks)
{
	pairnet_init(net, NULL);
	net->mn_conf.uplinks = uplinks;
	net->mn_conf.links[0].standby = UM3N_STANDBY_COLD; /* cell */
	net->drop = count_to_ha;
	memset(sent_to_ha, 0, sizeof(sent_to_ha));
	pairnet_start(net);
}

/* A cold cell sends nothing while wifi works; uplinks = all ignores standby. */
static void test_engine_cold_idle(void)
{
	struct pairnet net;
	struct um3n_mn_status st;

	start_one(&net, UM3N_MN_UPLINKS_ONE);
	pairnet_run(&net, 1000000);
	for (int i = 0; i < 100; i++) {
		pairnet_send_up(&net, "10.9.9.9", 1);
		pairnet_run(&net, net.now_us + 100000);
	}
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(sent_to_ha[0], 0);
	CU_ASSERT(sent_to_ha[1] > 100);
	CU_ASSERT_EQUAL(st.links[0].reg_state, UM3N_REG_IDLE);
	CU_ASSERT_EQUAL(st.links[0].probes_sent, 0);
	CU_ASSERT_EQUAL(st.hover.state, UM3N_HOVER_ACTIVE);
	CU_ASSERT_EQUAL(st.hover.active, 1);
	CU_ASSERT_EQUAL(st.links[0].standby, UM3N_STANDBY_COLD);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 100);
	pairnet_check_bindings(&net, 1);
	pairnet_fini(&net);

	start_one(&net, UM3N_MN_UPLINKS_ALL);
	pairnet_run(&net, 2000000);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT(sent_to_ha[0] > 0);
	CU_ASSERT_EQUAL(st.links[0].reg_state, UM3N_REG_REGISTERED);
	CU_ASSERT_EQUAL(st.hover.uplinks, UM3N_MN_UPLINKS_ALL);
	pairnet_check_bindings(&net, 2);
	pairnet_fini(&net);
}

/* A planned handover: wifi fades, the cell comes up, the traffic moves with
 * nothing lost either way; wifi recovers, the traffic returns after the hold
 * and the cell is deregistered and falls silent. */
static void test_engine_planned(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	uint64_t cell_sent, up = 0, down = 0;

	start_one(&net, UM3N_MN_UPLINKS_ONE);
	pairnet_run(&net, 1000000);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -80);
	for (int i = 0; i < 300; i++) { /* 3 s of traffic both ways */
		pairnet_send_up(&net, "10.9.9.9", 1);
		pairnet_send_down(&net, "10.9.9.9", 1);
		up++, down++;
		pairnet_run(&net, net.now_us + 10000);
	}
	pairnet_run(&net, net.now_us + 200000); /* what is in flight on the cell */
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.hover.active, 0);
	CU_ASSERT_EQUAL(st.hover.handovers, 1);
	CU_ASSERT_EQUAL(st.hover.last_reason, UM3N_HOVER_R_SIGNAL);
	CU_ASSERT(st.hover.max_move_ms >= 100 && st.hover.max_move_ms < 200); /* cell RTT */
	CU_ASSERT(st.links[0].tx_pkts > 0);
	if (net.ha_tun_pkts != up || net.mn_tun_pkts != down)
		fprintf(stderr, "\nup %llu of %llu, down %llu of %llu\n",
			(unsigned long long)net.ha_tun_pkts, (unsigned long long)up,
			(unsigned long long)net.mn_tun_pkts, (unsigned long long)down);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, up);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, down);
	pairnet_check_bindings(&net, 2);

	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -60);
	for (int i = 0; i < 600; i++) { /* 6 s: past the hold */
		pairnet_send_up(&net, "10.9.9.9", 1);
		pairnet_send_down(&net, "10.9.9.9", 1);
		up++, down++;
		pairnet_run(&net, net.now_us + 10000);
	}
	pairnet_run(&net, net.now_us + 200000); /* what is in flight on the cell */
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.hover.active, 1);
	CU_ASSERT_EQUAL(st.hover.handovers, 2);
	CU_ASSERT_EQUAL(st.hover.last_reason, UM3N_HOVER_R_BETTER);
	CU_ASSERT(st.hover.released_ago_ms >= 0);
	CU_ASSERT_EQUAL(st.links[0].reg_state, UM3N_REG_IDLE);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, up);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, down);
	pairnet_check_bindings(&net, 1);
	cell_sent = sent_to_ha[0];
	pairnet_run(&net, net.now_us + 10000000);
	CU_ASSERT_EQUAL(sent_to_ha[0], cell_sent); /* silent again */
	pairnet_fini(&net);
}

/* An on-demand cold cell (the daemon's up_command) without carrier is still a
 * candidate: when wifi fades the manager wants it (the daemon then runs the
 * command), and once its carrier and address come the traffic moves with
 * nothing lost. Without on_demand nothing wants it: no carrier, no handover. */
static void test_engine_on_demand(void)
{
	struct um3n_sockaddr none = {0}, cell_local;

	for (int on_demand = 0; on_demand <= 1; on_demand++) {
		struct pairnet net;
		struct um3n_mn_status st;
		uint64_t up = 0;

		pairnet_init(&net, NULL);
		net.mn_conf.uplinks = UM3N_MN_UPLINKS_ONE;
		net.mn_conf.links[0].standby = UM3N_STANDBY_COLD;
		net.mn_conf.links[0].on_demand = on_demand;
		cell_local = net.mn_conf.links[0].local;
		pairnet_start(&net);
		um3n_mn_link_event(net.mn, net.now_us, 0, UM3N_LINK_EV_DOWN, 0);
		um3n_mn_link_addr(net.mn, net.now_us, 0, &none);
		pairnet_run(&net, 1000000);
		CU_ASSERT_FALSE(um3n_mn_link_wanted(net.mn, 0));
		um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -80);
		pairnet_run(&net, net.now_us + 10000);
		CU_ASSERT_EQUAL(um3n_mn_link_wanted(net.mn, 0), on_demand);
		pairnet_run(&net, net.now_us + 300000); /* the command runs 300 ms */
		if (on_demand) {                        /* what the command does */
			um3n_mn_link_addr(net.mn, net.now_us, 0, &cell_local);
			um3n_mn_link_event(net.mn, net.now_us, 0, UM3N_LINK_EV_UP, 0);
		}
		for (int i = 0; i < 200; i++) {
			pairnet_send_up(&net, "10.9.9.9", 1);
			up++;
			pairnet_run(&net, net.now_us + 10000);
		}
		pairnet_run(&net, net.now_us + 200000);
		um3n_mn_status(net.mn, net.now_us, &st);
		CU_ASSERT_EQUAL(st.hover.active, on_demand ? 0 : 1);
		CU_ASSERT_EQUAL(st.hover.handovers, on_demand ? 1 : 0);
		CU_ASSERT_EQUAL(net.ha_tun_pkts, up);
		pairnet_fini(&net);
	}
}

static CU_TestInfo hoverfsm_tests[] = {
	{"01 transition table: every state x event, effects", test_table},
	{"02 a flapping signal: at most one handover per hold", test_flapping_hold},
	{"03 make-before-break, cancel", test_make_before_break},
	{"04 losing the active uplink: hot, cold, failed bring-up", test_lost},
	{"05 names", test_names},
	{"06 engine: a cold standby sends nothing; uplinks = all", test_engine_cold_idle},
	{"07 engine: planned handover and return, nothing lost", test_engine_planned},
	{"08 engine: an on-demand cold uplink is brought up without carrier",
	 test_engine_on_demand},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"hoverfsm", hoverfsm_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
