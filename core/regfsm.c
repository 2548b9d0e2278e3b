/* The registration state machine of one uplink: the table, its actions and the
 * step function (regfsm.h). Every (state, event) pair either has a row or is
 * unexpected; the numbered test in tests/test_regfsm.c walks all of them. */
#include "regfsm.h"

#include <assert.h>
#include <string.h>

enum reg_action {
	ACT_NONE,             /* expected, and nothing to do */
	ACT_SEND,             /* a fresh request, first timeout */
	ACT_RETRANSMIT,       /* the request again, doubled timeout */
	ACT_BACKOFF,          /* denied: retry after a doubled timeout */
	ACT_BACKOFF_MAX,      /* denied for our key: retry only after the longest timeout */
	ACT_ACCEPTED,         /* the HA holds a binding: refresh before it ends */
	ACT_STOP,             /* no request, no binding */
	ACT_DEREGISTER,       /* lifetime 0 request */
	ACT_DEREGISTER_AGAIN, /* the same until DEREGISTER_TRIES went out */
	ACT_DEREGISTERED,     /* the HA dropped the binding */
};

/* `next` for the rows whose action picks the state itself. */
#define ACTION_DECIDES (-1)

struct reg_transition {
	int state;
	enum um3n_regfsm_ev ev;
	enum reg_action action;
	int next; /* enum um3n_reg_state, or ACTION_DECIDES */
};

#define IDLE UM3N_REG_IDLE
#define REQUESTING UM3N_REG_REQUESTING
#define REGISTERED UM3N_REG_REGISTERED
#define DENIED UM3N_REG_DENIED
#define DEREGISTERING UM3N_REG_DEREGISTERING

/* The whole machine. Replies reach it only while a request is in flight
 * (um3n_regfsm_awaits), so IDLE, REGISTERED and DENIED have no reply rows;
 * SYNC_NEEDED goes to a requesting or registered link only; the timer is
 * never armed in IDLE. Those pairs, and LINK_UP on a link that is not idle,
 * are unexpected. */
static const struct reg_transition reg_table[] = {
	{IDLE, UM3N_REGFSM_EV_LINK_UP, ACT_SEND, REQUESTING},
	/* a link with carrier but no address goes down, or loses both in turn */
	{IDLE, UM3N_REGFSM_EV_LINK_DOWN, ACT_NONE, IDLE},
	/* nothing to update: the next link-up registers with what is current */
	{IDLE, UM3N_REGFSM_EV_CHANGED, ACT_NONE, IDLE},
	{IDLE, UM3N_REGFSM_EV_SHUTDOWN, ACT_NONE, IDLE},

	{REQUESTING, UM3N_REGFSM_EV_LINK_DOWN, ACT_STOP, IDLE},
	{REQUESTING, UM3N_REGFSM_EV_CHANGED, ACT_SEND, REQUESTING},
	{REQUESTING, UM3N_REGFSM_EV_TIMER, ACT_RETRANSMIT, REQUESTING},
	{REQUESTING, UM3N_REGFSM_EV_ACCEPTED, ACT_ACCEPTED, REGISTERED},
	{REQUESTING, UM3N_REGFSM_EV_DENIED, ACT_BACKOFF, DENIED},
	{REQUESTING, UM3N_REGFSM_EV_DENIED_AUTH, ACT_BACKOFF_MAX, DENIED},
	/* RFC 5944 §5.7: the engine resynchronised its identification */
	{REQUESTING, UM3N_REGFSM_EV_IDENT_MISMATCH, ACT_SEND, REQUESTING},
	/* the reply to the request in flight asks for the next chunk */
	{REQUESTING, UM3N_REGFSM_EV_SYNC_NEEDED, ACT_NONE, REQUESTING},
	{REQUESTING, UM3N_REGFSM_EV_SHUTDOWN, ACT_DEREGISTER, DEREGISTERING},

	{REGISTERED, UM3N_REGFSM_EV_LINK_DOWN, ACT_STOP, IDLE},
	{REGISTERED, UM3N_REGFSM_EV_CHANGED, ACT_SEND, REQUESTING},
	{REGISTERED, UM3N_REGFSM_EV_TIMER, ACT_SEND, REQUESTING}, /* refresh */
	{REGISTERED, UM3N_REGFSM_EV_SYNC_NEEDED, ACT_SEND, REQUESTING},
	{REGISTERED, UM3N_REGFSM_EV_SHUTDOWN, ACT_DEREGISTER, DEREGISTERING},

	{DENIED, UM3N_REGFSM_EV_LINK_DOWN, ACT_STOP, IDLE},
	{DENIED, UM3N_REGFSM_EV_CHANGED, ACT_SEND, REQUESTING},
	{DENIED, UM3N_REGFSM_EV_TIMER, ACT_RETRANSMIT, REQUESTING},
	{DENIED, UM3N_REGFSM_EV_SHUTDOWN, ACT_STOP, IDLE}, /* nothing to deregister */

	{DEREGISTERING, UM3N_REGFSM_EV_LINK_DOWN, ACT_STOP, IDLE},
	/* leaving anyway */
	{DEREGISTERING, UM3N_REGFSM_EV_CHANGED, ACT_NONE, DEREGISTERING},
	/* gives up (IDLE) after UM3N_REGFSM_DEREGISTER_TRIES requests */
	{DEREGISTERING, UM3N_REGFSM_EV_TIMER, ACT_DEREGISTER_AGAIN, ACTION_DECIDES},
	{DEREGISTERING, UM3N_REGFSM_EV_ACCEPTED, ACT_DEREGISTERED, IDLE},
	{DEREGISTERING, UM3N_REGFSM_EV_DENIED, ACT_STOP, IDLE},
	{DEREGISTERING, UM3N_REGFSM_EV_DENIED_AUTH, ACT_STOP, IDLE},
	/* the next try (timer) carries the resynchronised identification */
	{DEREGISTERING, UM3N_REGFSM_EV_IDENT_MISMATCH, ACT_NONE, DEREGISTERING},
	/* shut down twice */
	{DEREGISTERING, UM3N_REGFSM_EV_SHUTDOWN, ACT_NONE, DEREGISTERING},
};

static const char *const reg_event_names[UM3N_REGFSM_EV_COUNT] = {
	"link-up", "link-down",   "changed",        "timer",       "accepted",
	"denied",  "denied-auth", "ident-mismatch", "sync-needed", "shutdown",
};

const char *um3n_regfsm_event_name(int ev)
{
	return ev >= 0 && ev < UM3N_REGFSM_EV_COUNT ? reg_event_names[ev] : "?";
}

const char *um3n_regfsm_state_name(int state)
{
	static const char *const names[UM3N_REG_COUNT] = {
		"idle", "requesting", "registered", "denied", "deregistering",
	};

	return state >= 0 && state < UM3N_REG_COUNT ? names[state] : "?";
}

void um3n_regfsm_init(struct um3n_regfsm *fsm)
{
	memset(fsm, 0, sizeof(*fsm));
	fsm->state = UM3N_REG_IDLE;
	fsm->last_code = -1;
}

bool um3n_regfsm_awaits(const struct um3n_regfsm *fsm, uint64_t ident)
{
	assert(fsm->state >= 0 && fsm->state < UM3N_REG_COUNT);
	return (fsm->state == UM3N_REG_REQUESTING || fsm->state == UM3N_REG_DEREGISTERING) &&
	       (uint32_t)ident == (uint32_t)fsm->ident;
}

static void arm(struct um3n_regfsm_fx *fx, uint64_t at_us)
{
	fx->flags |= UM3N_REGFSM_FX_ARM;
	fx->timer_us = at_us;
}

static void send_request(struct um3n_regfsm *fsm, uint64_t now_us,
			 const struct um3n_regfsm_event *ev, uint16_t lifetime_s,
			 struct um3n_regfsm_fx *fx)
{
	/* a fresh identification (RFC 5944 §5.7), so that replies to the old
	 * request are told apart: the engine draws each above the last, except
	 * when a 133 moved its clock back to the HA's (mn_reg.c mn_reg_reply) */
	assert(ev->ident != fsm->ident);
	fsm->ident = ev->ident;
	fsm->sent_us = now_us;
	fx->flags |= UM3N_REGFSM_FX_SEND;
	fx->lifetime_s = lifetime_s;
	arm(fx, now_us + fsm->rto_us);
}

static uint32_t doubled(uint32_t rto_us, uint32_t max_us)
{
	return (uint64_t)rto_us * 2 > max_us ? max_us : rto_us * 2;
}

/* Karn's rule: no RTT sample from an exchange that was retransmitted. */
static void rtt_sample(const struct um3n_regfsm *fsm, uint64_t now_us, struct um3n_regfsm_fx *fx)
{
	if (fsm->retries != 0)
		return;
	assert(now_us >= fsm->sent_us);
	fx->flags |= UM3N_REGFSM_FX_RTT;
	fx->rtt_us = now_us - fsm->sent_us;
}

static void act_stop(struct um3n_regfsm_fx *fx)
{
	fx->flags |= UM3N_REGFSM_FX_DISARM | UM3N_REGFSM_FX_UNBOUND;
}

/* Refresh at 3/4 of the granted lifetime (at least a second from now). */
static void act_accepted(struct um3n_regfsm *fsm, uint64_t now_us,
			 const struct um3n_regfsm_event *ev, struct um3n_regfsm_fx *fx)
{
	uint64_t life_us = (uint64_t)ev->lifetime_s * 1000000u;

	rtt_sample(fsm, now_us, fx);
	fx->flags |= UM3N_REGFSM_FX_BOUND;
	fx->expires_us = now_us + life_us;
	arm(fx, now_us + (life_us * 3 / 4 > 1000000 ? life_us * 3 / 4 : 1000000));
}

/* The only action that picks the next state: it gives up after the last try. */
static void act_deregister_again(struct um3n_regfsm *fsm, const struct um3n_regfsm_conf *conf,
				 uint64_t now_us, const struct um3n_regfsm_event *ev,
				 struct um3n_regfsm_fx *fx)
{
	assert(fsm->retries < UM3N_REGFSM_DEREGISTER_TRIES);
	if (++fsm->retries >= UM3N_REGFSM_DEREGISTER_TRIES) {
		fx->flags |= UM3N_REGFSM_FX_DISARM;
		fsm->state = UM3N_REG_IDLE;
		return;
	}
	fsm->rto_us = conf->retry_initial_us;
	send_request(fsm, now_us, ev, 0, fx);
	fsm->state = UM3N_REG_DEREGISTERING;
}

static void run_action(struct um3n_regfsm *fsm, const struct um3n_regfsm_conf *conf,
		       uint64_t now_us, const struct um3n_regfsm_event *ev, enum reg_action a,
		       struct um3n_regfsm_fx *fx)
{
	switch (a) {
	case ACT_NONE: break;
	case ACT_SEND:
		fsm->retries = 0;
		fsm->rto_us = conf->retry_initial_us;
		send_request(fsm, now_us, ev, conf->lifetime_s, fx);
		break;
	case ACT_RETRANSMIT:
		fsm->retries++;
		fsm->rto_us = doubled(fsm->rto_us, conf->retry_max_us);
		send_request(fsm, now_us, ev, conf->lifetime_s, fx);
		break;
	case ACT_BACKOFF:
		fsm->rto_us = doubled(fsm->rto_us, conf->retry_max_us);
		arm(fx, now_us + fsm->rto_us);
		break;
	case ACT_BACKOFF_MAX: /* a wrong key: retrying fast is futile */
		fsm->rto_us = conf->retry_max_us;
		arm(fx, now_us + fsm->rto_us);
		break;
	case ACT_ACCEPTED: act_accepted(fsm, now_us, ev, fx); break;
	case ACT_STOP: act_stop(fx); break;
	case ACT_DEREGISTER:
		fsm->retries = 0;
		fsm->rto_us = conf->retry_initial_us;
		send_request(fsm, now_us, ev, 0, fx);
		break;
	case ACT_DEREGISTER_AGAIN: act_deregister_again(fsm, conf, now_us, ev, fx); break;
	case ACT_DEREGISTERED:
		rtt_sample(fsm, now_us, fx);
		act_stop(fx);
		break;
	}
}

static bool is_reply(enum um3n_regfsm_ev ev)
{
	return ev == UM3N_REGFSM_EV_ACCEPTED || ev == UM3N_REGFSM_EV_DENIED ||
	       ev == UM3N_REGFSM_EV_DENIED_AUTH || ev == UM3N_REGFSM_EV_IDENT_MISMATCH;
}

struct um3n_regfsm_fx um3n_regfsm_step(struct um3n_regfsm *fsm, const struct um3n_regfsm_conf *conf,
				       uint64_t now_us, const struct um3n_regfsm_event *ev)
{
	struct um3n_regfsm_fx fx = {.from = fsm->state, .to = fsm->state};

	assert(fsm->state >= 0 && fsm->state < UM3N_REG_COUNT);
	assert(ev->type >= 0 && ev->type < UM3N_REGFSM_EV_COUNT);
	assert(conf->retry_initial_us > 0 && conf->retry_max_us >= conf->retry_initial_us);
	for (size_t i = 0; i < sizeof(reg_table) / sizeof(reg_table[0]); i++) {
		const struct reg_transition *t = &reg_table[i];

		if (t->state != fx.from || t->ev != ev->type)
			continue;
		if (is_reply(ev->type))
			fsm->last_code = ev->code;
		run_action(fsm, conf, now_us, ev, t->action, &fx);
		/* only ACTION_DECIDES rows' actions set the state */
		assert(t->next == ACTION_DECIDES || fsm->state == fx.from);
		if (t->next != ACTION_DECIDES)
			fsm->state = t->next;
		fx.to = fsm->state;
		assert(fx.to >= 0 && fx.to < UM3N_REG_COUNT);
		assert(!(fx.flags & UM3N_REGFSM_FX_ARM) || fx.timer_us > now_us);
		assert(!(fx.flags & UM3N_REGFSM_FX_ARM) || !(fx.flags & UM3N_REGFSM_FX_DISARM));
		assert(!(fx.flags & UM3N_REGFSM_FX_BOUND) || !(fx.flags & UM3N_REGFSM_FX_UNBOUND));
		assert(!(fx.flags & UM3N_REGFSM_FX_SEND) || fx.to == UM3N_REG_REQUESTING ||
		       fx.to == UM3N_REG_DEREGISTERING);
		return fx;
	}
	fsm->unexpected++;
	fx.flags = UM3N_REGFSM_FX_UNEXPECTED;
	return fx;
}
