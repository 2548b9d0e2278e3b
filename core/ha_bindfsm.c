/* The HA's per-binding registration FSM: the table and its actions. Each action
 * only chooses effects; the table alone moves the state. */
#include "ha_bindfsm.h"

#include <assert.h>
#include <stddef.h>

#include "wire.h"

#define NONE UM3N_HA_BINDFSM_NONE
#define BOUND UM3N_HA_BINDFSM_BOUND
#define DO(x) UM3N_HA_BINDFSM_DO_##x

typedef void (*bindfsm_act)(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx);

struct bindfsm_row {
	uint8_t state;
	enum um3n_ha_bindfsm_event ev;
	bindfsm_act act;
	uint8_t next;
};

/* A request accepted: the binding answers for its link with the lifetime granted. */
static void accepted(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	assert(in->lifetime_s > 0);
	fx->mask |= DO(ARM) | DO(POLICY) | DO(SCHED) | DO(REPLY);
	fx->code = UM3N_CODE_ACCEPTED;
	fx->lifetime_s = in->lifetime_s;
	fx->weak = in->degraded;
}

static void act_bind(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	assert(!in->moved); /* nothing to move from */
	fx->mask = DO(INDEX);
	accepted(in, fx);
}

static void act_bind_sole(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	act_bind(in, fx);
	fx->mask |= DO(RELEASE);
}

/* A refresh re-indexes only when the MN's NAT gave it a new source. */
static void act_refresh(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	fx->mask = in->moved ? DO(INDEX) : 0;
	accepted(in, fx);
}

static void act_refresh_sole(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	act_refresh(in, fx);
	fx->mask |= DO(RELEASE);
}

/* A deregistration is accepted even with nothing to remove (RFC 5944 §3.8.2:
 * the MN may be cleaning up after a reboot). */
static void act_dereg(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	(void)in;
	fx->mask = DO(SCHED) | DO(REPLY);
	fx->code = UM3N_CODE_ACCEPTED;
	fx->lifetime_s = 0;
}

static void act_dereg_all(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	act_dereg(in, fx);
	fx->mask |= DO(RELEASE);
}

static void act_unbind_dereg(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	act_dereg(in, fx);
	fx->mask |= DO(UNBIND);
}

static void act_unbind_dereg_all(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	act_dereg_all(in, fx);
	fx->mask |= DO(UNBIND);
}

/* A denial changes no binding (RFC 5944 §3.8.3). */
static void act_deny(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	assert(in->code >= UM3N_CODE_DENIED_REASON_UNSPEC && in->code != UM3N_CODE_IDENT_MISMATCH);
	fx->mask = DO(REPLY);
	fx->code = in->code;
	fx->lifetime_s = 0;
}

static void act_resync(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	(void)in;
	fx->mask = DO(REPLY) | DO(RESYNC);
	fx->code = UM3N_CODE_IDENT_MISMATCH;
	fx->lifetime_s = 0;
}

static void act_expire(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	(void)in;
	fx->mask = DO(UNBIND) | DO(SCHED);
}

/* The sibling's own event refreshes the scheduler once, after all releases. */
static void act_release(const struct um3n_ha_bindfsm_in *in, struct um3n_ha_bindfsm_fx *fx)
{
	(void)in;
	fx->mask = DO(UNBIND);
}

#define EV(x) UM3N_HA_BINDFSM_EV_##x

/* The whole machine. No row has "the action decides": every next state is
 * fixed. Missing on purpose: EXPIRED and RELEASED in NONE (no lifetime runs
 * and nothing is there to release): the engine never sends them, so if it
 * does they are reported as unexpected. */
static const struct bindfsm_row bindfsm_table[] = {
	{NONE, EV(REQ_SIMUL), act_bind, BOUND},
	{NONE, EV(REQ_SOLE), act_bind_sole, BOUND},
	{NONE, EV(DEREG_ONE), act_dereg, NONE},
	{NONE, EV(DEREG_ALL), act_dereg_all, NONE},
	{NONE, EV(DENIED), act_deny, NONE},
	{NONE, EV(STALE), act_resync, NONE},
	{BOUND, EV(REQ_SIMUL), act_refresh, BOUND},
	{BOUND, EV(REQ_SOLE), act_refresh_sole, BOUND},
	{BOUND, EV(DEREG_ONE), act_unbind_dereg, NONE},
	{BOUND, EV(DEREG_ALL), act_unbind_dereg_all, NONE},
	{BOUND, EV(DENIED), act_deny, BOUND},
	{BOUND, EV(STALE), act_resync, BOUND},
	{BOUND, EV(EXPIRED), act_expire, NONE},
	{BOUND, EV(RELEASED), act_release, NONE},
};

void um3n_ha_bindfsm_init(struct um3n_ha_bindfsm *f) { f->state = NONE; }

struct um3n_ha_bindfsm_fx um3n_ha_bindfsm_step(struct um3n_ha_bindfsm *f,
					       const struct um3n_ha_bindfsm_in *in)
{
	struct um3n_ha_bindfsm_fx fx = {.unexpected = true};

	assert(f->state < UM3N_HA_BINDFSM_STATE_COUNT);
	assert(in->ev < UM3N_HA_BINDFSM_EV_COUNT);
	for (size_t i = 0; i < sizeof(bindfsm_table) / sizeof(bindfsm_table[0]); i++) {
		const struct bindfsm_row *r = &bindfsm_table[i];

		if (r->state != f->state || r->ev != in->ev)
			continue;
		fx.unexpected = false;
		r->act(in, &fx);
		f->state = r->next;
		break;
	}
	/* Effects agree with where the table went: a binding is indexed and
	 * armed only on the way to BOUND, removed only on the way to NONE. */
	assert(!(fx.mask & (DO(INDEX) | DO(ARM))) || f->state == BOUND);
	assert(!(fx.mask & DO(UNBIND)) || f->state == NONE);
	assert(!(fx.mask & DO(RESYNC)) || fx.mask & DO(REPLY));
	return fx;
}

const char *um3n_ha_bindfsm_state_name(int state)
{
	static const char *const names[UM3N_HA_BINDFSM_STATE_COUNT] = {"none", "bound"};

	return state >= 0 && state < UM3N_HA_BINDFSM_STATE_COUNT ? names[state] : "?";
}

const char *um3n_ha_bindfsm_event_name(int ev)
{
	static const char *const names[UM3N_HA_BINDFSM_EV_COUNT] = {
		"request-simul", "request-sole", "dereg-one", "dereg-all",
		"denied",        "stale",        "expired",   "released",
	};

	return ev >= 0 && ev < UM3N_HA_BINDFSM_EV_COUNT ? names[ev] : "?";
}
