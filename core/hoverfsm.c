/* The handover manager's machine (hoverfsm.h): the events it derives from a
 * view of the uplinks, the table {state, event, action, next} and the actions.
 * Every (state, event) pair either has a row or is unexpected; the numbered
 * test in tests/test_hoverfsm.c walks all of them. */
#include "hoverfsm.h"

#include <assert.h>
#include <string.h>

#define NONE UM3N_HOVER_NONE
#define IDLE UM3N_HOVER_IDLE
#define ACTIVE UM3N_HOVER_ACTIVE
#define PREPARING UM3N_HOVER_PREPARING
#define MOVED UM3N_HOVER_MOVED
#define EV(x) UM3N_HOVERFSM_EV_##x
#define FX(x) UM3N_HOVERFSM_FX_##x

/* A failed bring-up waits 1 s, doubled per failure in a row, up to 64 s. */
#define BACKOFF_US 1000000ull
#define BACKOFF_MAX_SHIFT 6

/* `next` for the rows whose action picks the state itself. */
#define ACTION_DECIDES (-1)

typedef void (*hover_act)(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
			  const struct um3n_hover_view *v, uint64_t now_us,
			  struct um3n_hoverfsm_fx *fx);

struct hover_row {
	int state;
	enum um3n_hoverfsm_ev ev;
	hover_act act;
	int next; /* enum um3n_hover_state, or ACTION_DECIDES */
};

/* --- choosing uplinks -------------------------------------------------------- */

enum pick {
	PICK_USABLE = 1 << 0, /* registered and answering */
	PICK_STRONG = 1 << 1, /* not weak */
	PICK_READY = 1 << 2,  /* not waiting after a failed bring-up */
	PICK_COLD = 1 << 3,   /* cold (a hot one comes up by itself) */
	PICK_WARM = 1 << 4,   /* usable, or cold: a hot one that does not answer is not */
};

/* The best uplink by (rank, index) with carrier and what `need` asks, other
 * than `skip`; NONE if there is none. */
static int best(const struct um3n_hoverfsm *fsm, const struct um3n_hover_view *v, uint64_t now_us,
		unsigned need, int skip)
{
	int b = NONE;

	for (size_t i = 0; i < v->n; i++) {
		const struct um3n_hover_link *l = &v->l[i];

		if ((int)i == skip || !l->carrier || ((need & PICK_USABLE) && !l->usable) ||
		    ((need & PICK_STRONG) && l->weak) ||
		    ((need & PICK_READY) && now_us < fsm->backoff_until_us[i]) ||
		    ((need & PICK_COLD) && !l->cold) ||
		    ((need & PICK_WARM) && !l->usable && !l->cold))
			continue;
		if (b == NONE || l->rank < v->l[b].rank)
			b = (int)i;
	}
	return b;
}

/* The uplink the traffic should leave the active one for, or NONE: a strong
 * one while the active is weak, or one ranked above it; a hot one only when
 * it answers (a hot uplink that does not is failed or still registering:
 * bringing it up again would not help). */
static int better(const struct um3n_hoverfsm *fsm, const struct um3n_hover_view *v, uint64_t now_us)
{
	int a = fsm->active, p = best(fsm, v, now_us, PICK_STRONG | PICK_READY | PICK_WARM, NONE);

	assert(a >= 0 && (size_t)a < v->n);
	if (p == NONE || p == a)
		return NONE;
	return v->l[a].weak || v->l[p].rank < v->l[a].rank ? p : NONE;
}

/* Cold uplinks up that no one wants. */
static uint32_t strays(const struct um3n_hoverfsm *fsm, const struct um3n_hover_view *v)
{
	uint32_t m = 0;

	for (size_t i = 0; i < v->n; i++)
		if (v->l[i].cold && v->l[i].registered && !um3n_hoverfsm_wants(fsm, (int)i))
			m |= 1u << i;
	return m;
}

/* --- events ------------------------------------------------------------------- */

static int derive(const struct um3n_hoverfsm *fsm, const struct um3n_hover_view *v, uint64_t now_us)
{
	int a = fsm->active, t = fsm->target;

	switch (fsm->state) {
	case IDLE:
		if (best(fsm, v, now_us, PICK_USABLE, NONE) != NONE)
			return EV(READY);
		/* a hot uplink with carrier registers by itself: wait for it */
		t = best(fsm, v, now_us, PICK_STRONG, NONE);
		if (t == NONE)
			t = best(fsm, v, now_us, 0, NONE);
		if (t != NONE && v->l[t].cold && now_us >= fsm->backoff_until_us[t] &&
		    fsm->need_after_us == 1)
			return EV(NEED);
		return strays(fsm, v) ? EV(STRAY) : -1;
	case ACTIVE:
		if (!v->l[a].usable)
			return EV(LOST);
		if (better(fsm, v, now_us) != NONE) {
			if (now_us >= fsm->hold_until_us)
				return EV(LEAVE);
			if (fsm->timer_us != fsm->hold_until_us)
				return EV(HOLD);
		}
		return strays(fsm, v) ? EV(STRAY) : -1;
	case PREPARING:
		if (a != NONE && !v->l[a].usable)
			return EV(LOST);
		if (v->l[t].usable)
			return EV(TARGET_READY);
		if (!v->l[t].carrier || now_us >= fsm->timer_us)
			return EV(TARGET_FAILED);
		if (a != NONE && !v->l[a].weak && v->l[a].rank <= v->l[t].rank)
			return EV(CANCEL);
		return -1;
	case MOVED:
		if (!v->l[a].usable)
			return EV(LOST);
		return now_us >= fsm->timer_us ? EV(DRAINED) : -1;
	default: assert(0); return -1;
	}
}

/* --- actions ------------------------------------------------------------------ */

static void arm(struct um3n_hoverfsm *fsm, struct um3n_hoverfsm_fx *fx, uint64_t at_us)
{
	fsm->timer_us = at_us;
	fx->flags |= FX(ARM);
	fx->timer_us = at_us;
}

static void release(struct um3n_hoverfsm_fx *fx, int link)
{
	if (link == NONE)
		return;
	fx->flags |= FX(RELEASE);
	fx->release |= 1u << link;
}

static void bring_up(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		     uint64_t now_us, struct um3n_hoverfsm_fx *fx, int link)
{
	assert(link != NONE);
	fsm->target = link;
	fx->flags |= FX(UP);
	fx->up = link;
	arm(fsm, fx, now_us + conf->bringup_us);
}

/* Traffic goes to `to`; a move between two uplinks is a handover. */
static void move(struct um3n_hoverfsm *fsm, uint64_t now_us, struct um3n_hoverfsm_fx *fx, int to,
		 int from)
{
	assert(to != NONE && to != from);
	fx->flags |= FX(MOVE);
	fx->move_to = to;
	fx->move_from = from;
	fsm->active = to;
	fsm->moved_us = now_us;
	fsm->last_to = to;
	fsm->fails[to] = 0;
	if (from == NONE)
		return;
	fsm->handovers++;
	assert(now_us >= fsm->started_us);
	if (fsm->max_move_us == UM3N_TIME_NONE || now_us - fsm->started_us > fsm->max_move_us)
		fsm->max_move_us = now_us - fsm->started_us;
}

static void begin(struct um3n_hoverfsm *fsm, uint64_t now_us, int reason)
{
	fsm->reason = reason;
	fsm->last_from = fsm->active;
	fsm->started_us = now_us;
	fsm->moved_us = fsm->released_us = UM3N_TIME_NONE;
}

static void act_start(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		      const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	(void)conf;
	begin(fsm, now_us, UM3N_HOVER_R_START);
	move(fsm, now_us, fx, best(fsm, v, now_us, PICK_USABLE, NONE), NONE);
	fsm->timer_us = UM3N_TIME_NONE;
}

static void act_need(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		     const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	int t = best(fsm, v, now_us, PICK_STRONG, NONE);

	begin(fsm, now_us, UM3N_HOVER_R_START);
	bring_up(fsm, conf, now_us, fx, t != NONE ? t : best(fsm, v, now_us, 0, NONE));
}

/* The active uplink is gone: to the best usable standby at once (what it
 * carried lately goes again there), else bring the best one up. */
static void act_lost(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		     const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	int gone = fsm->active, u = best(fsm, v, now_us, PICK_USABLE, gone), c;

	begin(fsm, now_us, UM3N_HOVER_R_LOST);
	fsm->lost++;
	fsm->hold_until_us = now_us + conf->hold_us; /* no return to it at once */
	if (fsm->state == MOVED && fsm->old != u)
		release(fx, fsm->old);
	fsm->old = NONE;
	if (u != NONE) {
		move(fsm, now_us, fx, u, gone);
		fx->emergency = true;
		release(fx, gone);
		fsm->released_us = now_us;
		fsm->timer_us = UM3N_TIME_NONE;
		fsm->state = ACTIVE;
		return;
	}
	fsm->active = NONE;
	c = best(fsm, v, now_us, PICK_READY | PICK_COLD, gone);
	if (c == NONE) {
		release(fx, gone);
		fsm->timer_us = UM3N_TIME_NONE;
		fsm->state = IDLE;
		return;
	}
	fsm->old = gone; /* released when the traffic moved: its re-sends go first */
	bring_up(fsm, conf, now_us, fx, c);
	fsm->state = PREPARING;
}

/* Preparing, and the uplink the traffic is still on is lost. */
static void act_lost_waiting(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
			     const struct um3n_hover_view *v, uint64_t now_us,
			     struct um3n_hoverfsm_fx *fx)
{
	(void)conf, (void)v, (void)fx;
	assert(fsm->old == NONE && fsm->active != NONE);
	fsm->reason = UM3N_HOVER_R_LOST;
	fsm->lost++;
	fsm->old = fsm->active;
	fsm->active = NONE;
	fsm->started_us = now_us;
}

static void act_leave(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		      const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	int a = fsm->active, t = better(fsm, v, now_us);

	assert(t != NONE);
	begin(fsm, now_us, v->l[a].weak ? UM3N_HOVER_R_SIGNAL : UM3N_HOVER_R_BETTER);
	fsm->hold_until_us = now_us + conf->hold_us;
	if (fsm->leave_us != UM3N_TIME_NONE &&
	    (fsm->min_between_us == UM3N_TIME_NONE || now_us - fsm->leave_us < fsm->min_between_us))
		fsm->min_between_us = now_us - fsm->leave_us;
	fsm->leave_us = now_us;
	if (!v->l[t].usable) {
		bring_up(fsm, conf, now_us, fx, t);
		fsm->state = PREPARING;
		return;
	}
	move(fsm, now_us, fx, t, a); /* a hot standby: nothing to wait for */
	fsm->old = a;
	arm(fsm, fx, now_us + v->l[a].drain_us);
	fsm->state = MOVED;
}

static void act_hold(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		     const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	(void)conf, (void)v, (void)now_us;
	assert(fsm->hold_until_us > now_us);
	arm(fsm, fx, fsm->hold_until_us);
}

/* The target answers: the traffic moves. A working old uplink drains first. */
static void act_ready(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		      const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	int from = fsm->active, t = fsm->target;

	(void)conf;
	fsm->target = NONE;
	move(fsm, now_us, fx, t, from != NONE ? from : fsm->old);
	if (from != NONE) {
		fsm->old = from;
		arm(fsm, fx, now_us + v->l[from].drain_us);
		fsm->state = MOVED;
		return;
	}
	fx->emergency = fsm->old != NONE;
	release(fx, fsm->old);
	fsm->released_us = fsm->old != NONE ? now_us : UM3N_TIME_NONE;
	fsm->old = NONE;
	fsm->timer_us = UM3N_TIME_NONE;
	fsm->state = ACTIVE;
}

static void act_failed(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		       const struct um3n_hover_view *v, uint64_t now_us,
		       struct um3n_hoverfsm_fx *fx)
{
	int t = fsm->target;
	unsigned shift = fsm->fails[t] < BACKOFF_MAX_SHIFT ? fsm->fails[t] : BACKOFF_MAX_SHIFT;

	(void)conf, (void)v;
	fsm->failed++;
	fsm->fails[t]++;
	fsm->backoff_until_us[t] = now_us + (BACKOFF_US << shift);
	release(fx, t);
	fsm->target = NONE;
	fsm->timer_us = UM3N_TIME_NONE;
	if (fsm->active == NONE) { /* the lost one stays released too */
		release(fx, fsm->old);
		fsm->old = NONE;
	}
	fsm->state = fsm->active != NONE ? ACTIVE : IDLE;
}

static void act_cancel(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		       const struct um3n_hover_view *v, uint64_t now_us,
		       struct um3n_hoverfsm_fx *fx)
{
	(void)conf, (void)v, (void)now_us;
	fsm->cancelled++;
	release(fx, fsm->target);
	fsm->target = NONE;
	fsm->timer_us = UM3N_TIME_NONE;
}

static void act_drained(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
			const struct um3n_hover_view *v, uint64_t now_us,
			struct um3n_hoverfsm_fx *fx)
{
	(void)conf, (void)v;
	release(fx, fsm->old);
	fsm->old = NONE;
	fsm->released_us = now_us;
	fsm->timer_us = UM3N_TIME_NONE;
}

static void act_stray(struct um3n_hoverfsm *fsm, const struct um3n_hoverfsm_conf *conf,
		      const struct um3n_hover_view *v, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	(void)conf, (void)now_us;
	fx->flags |= FX(RELEASE);
	fx->release |= strays(fsm, v);
}

/* The whole machine. LOST needs an active uplink (none in IDLE); the target
 * events need a target (PREPARING only); DRAINED needs an old uplink (MOVED);
 * READY and NEED are IDLE's; LEAVE, HOLD and STRAY come only while the
 * traffic is settled on one uplink (ACTIVE, and STRAY also in IDLE). Every
 * other pair is unexpected. */
static const struct hover_row hover_table[] = {
	{IDLE, EV(READY), act_start, ACTIVE},
	{IDLE, EV(NEED), act_need, PREPARING},
	{IDLE, EV(STRAY), act_stray, IDLE},

	{ACTIVE, EV(LOST), act_lost, ACTION_DECIDES},
	{ACTIVE, EV(LEAVE), act_leave, ACTION_DECIDES},
	{ACTIVE, EV(HOLD), act_hold, ACTIVE},
	{ACTIVE, EV(STRAY), act_stray, ACTIVE},

	{PREPARING, EV(LOST), act_lost_waiting, PREPARING},
	{PREPARING, EV(TARGET_READY), act_ready, ACTION_DECIDES},
	{PREPARING, EV(TARGET_FAILED), act_failed, ACTION_DECIDES},
	{PREPARING, EV(CANCEL), act_cancel, ACTIVE},

	{MOVED, EV(LOST), act_lost, ACTION_DECIDES},
	{MOVED, EV(DRAINED), act_drained, ACTIVE},
};

static const char *const event_names[UM3N_HOVERFSM_EV_COUNT] = {
	"ready",        "need",          "lost",   "leave",   "hold",
	"target-ready", "target-failed", "cancel", "drained", "stray",
};

const char *um3n_hoverfsm_event_name(int ev)
{
	return ev >= 0 && ev < UM3N_HOVERFSM_EV_COUNT ? event_names[ev] : "?";
}

const char *um3n_hoverfsm_state_name(int state)
{
	static const char *const names[UM3N_HOVER_COUNT] = {"idle", "active", "preparing", "moved"};

	return state >= 0 && state < UM3N_HOVER_COUNT ? names[state] : "?";
}

const char *um3n_hoverfsm_reason_name(int reason)
{
	static const char *const names[UM3N_HOVER_R_COUNT] = {"none", "start", "signal", "better",
							      "lost"};

	return reason >= 0 && reason < UM3N_HOVER_R_COUNT ? names[reason] : "?";
}

void um3n_hoverfsm_init(struct um3n_hoverfsm *fsm)
{
	memset(fsm, 0, sizeof(*fsm));
	fsm->state = IDLE;
	fsm->active = fsm->target = fsm->old = NONE;
	fsm->last_from = fsm->last_to = NONE;
	fsm->timer_us = UM3N_TIME_NONE;
	fsm->started_us = fsm->moved_us = fsm->released_us = UM3N_TIME_NONE;
	fsm->leave_us = fsm->min_between_us = fsm->max_move_us = UM3N_TIME_NONE;
}

bool um3n_hoverfsm_wants(const struct um3n_hoverfsm *fsm, int link)
{
	return link != NONE && (link == fsm->active || link == fsm->target || link == fsm->old);
}

uint64_t um3n_hoverfsm_next_us(const struct um3n_hoverfsm *fsm)
{
	uint64_t t = fsm->timer_us;

	if (fsm->state == IDLE && fsm->need_after_us > 1 && fsm->need_after_us < t)
		t = fsm->need_after_us;
	for (int i = 0; i < UM3N_MAX_LINKS; i++)
		if (fsm->backoff_until_us[i] && fsm->backoff_until_us[i] < t)
			t = fsm->backoff_until_us[i];
	return t;
}

/* Which uplinks each state names: what the actions rely on. */
static void check(const struct um3n_hoverfsm *fsm, size_t n)
{
	(void)fsm, (void)n; /* NDEBUG */
	assert(fsm->state >= 0 && fsm->state < UM3N_HOVER_COUNT);
	assert(fsm->active == NONE || (fsm->active >= 0 && (size_t)fsm->active < n));
	assert((fsm->state == IDLE) == (fsm->active == NONE && fsm->target == NONE));
	assert((fsm->state == PREPARING) == (fsm->target != NONE));
	assert(fsm->state != ACTIVE || (fsm->old == NONE && fsm->active != NONE));
	assert(fsm->state != MOVED || (fsm->old != NONE && fsm->old != fsm->active));
	assert(fsm->state == PREPARING || fsm->state == MOVED || fsm->old == NONE);
}

struct um3n_hoverfsm_fx um3n_hoverfsm_run(struct um3n_hoverfsm *fsm,
					  const struct um3n_hoverfsm_conf *conf,
					  const struct um3n_hover_view *v, uint64_t now_us,
					  enum um3n_hoverfsm_ev ev)
{
	struct um3n_hoverfsm_fx fx = {
		.ev = ev,
		.from = fsm->state,
		.to = fsm->state,
		.move_to = NONE,
		.move_from = NONE,
		.up = NONE,
	};

	assert(ev >= 0 && ev < UM3N_HOVERFSM_EV_COUNT && v->n <= UM3N_MAX_LINKS);
	check(fsm, v->n);
	for (size_t i = 0; i < sizeof(hover_table) / sizeof(hover_table[0]); i++) {
		const struct hover_row *r = &hover_table[i];

		if (r->state != fx.from || r->ev != ev)
			continue;
		r->act(fsm, conf, v, now_us, &fx);
		assert(r->next == ACTION_DECIDES || fsm->state == fx.from);
		if (r->next != ACTION_DECIDES)
			fsm->state = r->next;
		fx.to = fsm->state;
		check(fsm, v->n);
		/* the traffic never moves onto an uplink that does not answer */
		assert(!(fx.flags & FX(MOVE)) || v->l[fx.move_to].usable);
		/* the uplink carrying the traffic is never released */
		assert(fsm->active == NONE || !(fx.release >> fsm->active & 1));
		return fx;
	}
	fsm->unexpected++;
	fx.flags = FX(UNEXPECTED);
	return fx;
}

struct um3n_hoverfsm_fx um3n_hoverfsm_step(struct um3n_hoverfsm *fsm,
					   const struct um3n_hoverfsm_conf *conf,
					   const struct um3n_hover_view *v, uint64_t now_us)
{
	struct um3n_hoverfsm_fx none = {.ev = -1, .from = fsm->state, .to = fsm->state};
	int ev;

	/* a hold that passed with nothing to leave for, a backoff that ended:
	 * no wake-up for them any more */
	if (fsm->state == ACTIVE && fsm->timer_us != UM3N_TIME_NONE && now_us >= fsm->timer_us)
		fsm->timer_us = UM3N_TIME_NONE;
	for (int i = 0; i < UM3N_MAX_LINKS; i++)
		if (fsm->backoff_until_us[i] && now_us >= fsm->backoff_until_us[i])
			fsm->backoff_until_us[i] = 0;
	if (fsm->state != IDLE)
		fsm->need_after_us = 0;
	else if (fsm->need_after_us == 0)
		fsm->need_after_us = now_us + conf->idle_grace_us;
	if (fsm->need_after_us > 1 && now_us >= fsm->need_after_us)
		fsm->need_after_us = 1;
	ev = derive(fsm, v, now_us);
	return ev < 0 ? none : um3n_hoverfsm_run(fsm, conf, v, now_us, ev);
}
