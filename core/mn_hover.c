/* The handover manager of `[mn] uplinks = one` as the MN engine sees it: the
 * view of the uplinks the machine (hoverfsm.c) is stepped with, every step
 * logged, what a cold uplink may do, which uplink the data path may use, and
 * the status. mn.c steps it after every change of an uplink's state and
 * carries out the effects (bring up, move, release); this file calls nothing
 * in mn.c. With uplinks = all every function here leaves the engine as it
 * was: every uplink registers, every bound one carries traffic. */
#include <assert.h>

#include "mn_int.h"

/* A target that does not answer within this long has failed (its
 * registration retransmits 0.5 + 1 + 2 s by then with the default retry). */
#define BRINGUP_US 5000000ull
/* Idle (at start): the uplinks are reported one by one; a cold one waits this
 * long for a hot one to be reported before it is brought up. */
#define IDLE_GRACE_US 200000ull

static bool on(const struct um3n_mn *mn) { return mn->conf.uplinks == UM3N_MN_UPLINKS_ONE; }

static bool cold(const struct um3n_mn *mn, int link)
{
	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	return mn->links[link].conf.standby == UM3N_STANDBY_COLD;
}

void mn_hover_init(struct um3n_mn *mn) { um3n_hoverfsm_init(&mn->hover); }

/* A cold uplink registers only while the manager wants it (the active one,
 * the target, the old one draining): no packet on it otherwise. */
bool mn_hover_may_register(const struct um3n_mn *mn, int link)
{
	return !on(mn) || !cold(mn, link) || um3n_hoverfsm_wants(&mn->hover, link);
}

bool um3n_mn_link_wanted(const struct um3n_mn *mn, int link)
{
	return mn_hover_may_register(mn, link) || mn->links[link].reg.state != UM3N_REG_IDLE;
}

/* Only the active uplink is offered to the data path; while a lost one's
 * successor comes up, the lost one (if it still has a binding: a silence may
 * be a false alarm), whose packets are re-sent on the successor at the move. */
bool mn_hover_carries(const struct um3n_mn *mn, int link)
{
	const struct um3n_hoverfsm *h = &mn->hover;

	return !on(mn) || link == h->active || (h->active == UM3N_HOVER_NONE && link == h->old);
}

static bool bound(const struct mn_link *l)
{
	return l->tm.expires_us != UM3N_TIME_NONE &&
	       (l->reg.state == UM3N_REG_REGISTERED || l->reg.state == UM3N_REG_REQUESTING);
}

/* A hot standby the data path does not use, but that could take the traffic
 * at once: the active uplink's silence may then be taken for a failure. */
bool mn_hover_standby_usable(const struct um3n_mn *mn, int link)
{
	const struct mn_link *l = &mn->links[link];

	return on(mn) && !mn->shutting_down && bound(l) && um3n_linkmon_usable(&l->lm);
}

/* What the HA sent on the old uplink before it switched (before the new
 * one's registration reply left it) arrives within about its RTO. */
static uint64_t drain_us(const struct um3n_mn *mn, const struct mn_link *l)
{
	uint64_t rto = l->lm.srtt_us + 4 * l->lm.rttvar_us;

	return rto > mn->conf.dead_after_us ? rto : mn->conf.dead_after_us;
}

static void view(const struct um3n_mn *mn, struct um3n_hover_view *v)
{
	v->n = mn->conf.n_links;
	for (size_t i = 0; i < v->n; i++) {
		const struct mn_link *l = &mn->links[i];
		struct um3n_hover_link *h = &v->l[i];
		int rs = l->reg.state;

		h->cold = l->conf.standby == UM3N_STANDBY_COLD;
		h->registered = rs == UM3N_REG_REQUESTING || rs == UM3N_REG_REGISTERED ||
				rs == UM3N_REG_DENIED;
		/* an idle on-demand uplink gets its carrier by being brought up (the
		 * driver's up_command); once it registers, its real one counts */
		h->carrier = (l->carrier && mn_link_has_addr(mn, l)) ||
			     (h->cold && l->conf.on_demand && !h->registered);
		/* a silence kept on the last usable uplink counts as losing it here:
		 * a cold standby can take over only if asked */
		h->usable = bound(l) && um3n_linkmon_usable(&l->lm) && !l->tm.silence_noted;
		h->weak = l->lm.weak;
		h->rank = l->conf.priority;
		h->drain_us = drain_us(mn, l);
	}
}

static const char *name(const struct um3n_mn *mn, int link)
{
	return link == UM3N_HOVER_NONE ? "-" : mn->links[link].conf.name;
}

/* One step; false when there is nothing to do (uplinks = all, shutting
 * down, no event). Each step is logged, the unexpected ones as such. */
bool mn_hover_step(struct um3n_mn *mn, uint64_t now_us, struct um3n_hoverfsm_fx *fx)
{
	const struct um3n_hoverfsm_conf hc = {.hold_us = mn->conf.handover_hold_us,
					      .bringup_us = BRINGUP_US,
					      .idle_grace_us = IDLE_GRACE_US};
	struct um3n_hover_view v;

	if (!on(mn) || mn->shutting_down)
		return false;
	view(mn, &v);
	*fx = um3n_hoverfsm_step(&mn->hover, &hc, &v, now_us);
	if (fx->ev < 0)
		return false;
	if (fx->flags & UM3N_HOVERFSM_FX_UNEXPECTED) {
		um3n_log(&mn->env, UM3N_LOG_WARN, "handover: event %s not expected in state %s",
			 um3n_hoverfsm_event_name(fx->ev), um3n_hoverfsm_state_name(fx->from));
		return false;
	}
	um3n_log(&mn->env, UM3N_LOG_INFO,
		 "handover: %s --%s--> %s (active %s, target %s, reason %s%s%s%s%s)",
		 um3n_hoverfsm_state_name(fx->from), um3n_hoverfsm_event_name(fx->ev),
		 um3n_hoverfsm_state_name(fx->to), name(mn, mn->hover.active),
		 name(mn, mn->hover.target), um3n_hoverfsm_reason_name(mn->hover.reason),
		 fx->flags & UM3N_HOVERFSM_FX_UP ? ", bring up " : "",
		 fx->flags & UM3N_HOVERFSM_FX_UP ? name(mn, fx->up) : "",
		 fx->flags & UM3N_HOVERFSM_FX_MOVE ? ", traffic moved to " : "",
		 fx->flags & UM3N_HOVERFSM_FX_MOVE ? name(mn, fx->move_to) : "");
	return true;
}

static int64_t ago_ms(uint64_t at_us, uint64_t now_us)
{
	return at_us == UM3N_TIME_NONE || at_us > now_us ? -1 : (int64_t)((now_us - at_us) / 1000);
}

void mn_hover_status(const struct um3n_mn *mn, uint64_t now_us, struct um3n_mn_status *st)
{
	const struct um3n_hoverfsm *h = &mn->hover;
	struct um3n_mn_hover_status *s = &st->hover;

	for (size_t i = 0; i < mn->conf.n_links; i++)
		st->links[i].standby = mn->links[i].conf.standby;
	s->uplinks = mn->conf.uplinks;
	s->state = h->state;
	s->active = h->active;
	s->target = h->target;
	s->draining = h->state == UM3N_HOVER_MOVED ? h->old : UM3N_HOVER_NONE;
	s->last_reason = h->reason;
	s->last_from = h->last_from;
	s->last_to = h->last_to;
	s->started_ago_ms = ago_ms(h->started_us, now_us);
	s->moved_ago_ms = ago_ms(h->moved_us, now_us);
	s->released_ago_ms = ago_ms(h->released_us, now_us);
	s->handovers = h->handovers;
	s->lost = h->lost;
	s->cancelled = h->cancelled;
	s->failed_bringups = h->failed;
	s->unexpected = h->unexpected;
	s->min_between_ms = h->min_between_us == UM3N_TIME_NONE
				    ? -1
				    : (int64_t)(h->min_between_us / 1000);
	s->max_move_ms = h->max_move_us == UM3N_TIME_NONE ? -1 : (int64_t)(h->max_move_us / 1000);
}
