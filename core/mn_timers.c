/* Every deadline of the MN engine, in the manner of WireGuard's timers.c: per
 * uplink the registration machine's timer, the binding's expiry, the next probe
 * and the silence that declares a link failed (with its adaptive floor). The
 * engine reports what happened through the named hooks below, which are the
 * only writers of struct mn_timers and of lm.last_heard_us; um3n_mn_timeout
 * asks what is due; mn_timers_next_wake_us is the minimum over all of them
 * and the reorder queue's deadline (held packets of aggregate rules, owned
 * by reorder.c: the engine's timeout releases them).
 * Idle probing: a radio kept awake by a probe every 15 ms never sleeps, so
 * with no tunnel data either way for idle_after_us the next probe announces,
 * and waits, the keepalive instead (the HA judges the link's silence by the
 * interval a probe announces, tunnel.h); data or a link event brings every
 * link's fast probes back at once, and their silence is judged from then.
 * Time is monotonic microseconds; "no deadline" is UM3N_TIME_NONE. */
#include <assert.h>

#include "mn_int.h"

/* A link heard again soon after it was declared failed was probably only
 * slow: a queue filling up faster than the RTT estimate can follow (TCP slow
 * start on a 3G uplink). Each such false alarm doubles that link's silence
 * floor, up to MAX_DEAD_FLOOR_US; a quiet stretch halves it back toward the
 * configured value, so a flaky link does not flap and a good one stays fast. */
#define FALSE_ALARM_US 1000000ull
#define MAX_DEAD_FLOOR_US 1000000ull
#define DEAD_FLOOR_DECAY_US 30000000ull

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static struct mn_timers *timers(struct um3n_mn *mn, int link)
{
	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	return &mn->links[link].tm;
}

void mn_timers_init(struct um3n_mn *mn, int link)
{
	struct mn_timers *t = timers(mn, link);

	t->reg_us = UM3N_TIME_NONE;
	t->expires_us = UM3N_TIME_NONE;
	t->probe_us = UM3N_TIME_NONE;
	t->dead_floor_us = mn->conf.dead_after_us;
	t->interval_us = mn->conf.probe_interval_us;
	t->woke_us = 0;
	t->failed_at_us = 0;
	t->silence_noted = false;
}

/* Probes go on every link with a binding, FAILED ones included: an answer is
 * how a failed link is found alive again. */
static bool probing(const struct um3n_mn *mn, const struct mn_link *l)
{
	return mn->conf.probe_interval_us && l->carrier && l->tm.expires_us != UM3N_TIME_NONE &&
	       !mn->shutting_down;
}

/* Silence that means death: the floor, but never less than an RTO-like
 * srtt + 4 rttvar plus one probe interval (RFC 6298 §2), so a long-delay
 * cellular link is not declared dead while its answers are in flight. */
static uint64_t dead_after(const struct um3n_mn *mn, const struct mn_link *l)
{
	uint64_t var = l->lm.srtt_us + 4 * l->lm.rttvar_us, rto = var + l->tm.interval_us;
	uint64_t floor = l->tm.dead_floor_us;

	assert(floor >= mn->conf.dead_after_us);
	(void)mn; /* for the asserts */
	/* the floor only doubles below MAX_DEAD_FLOOR_US, a larger configured one stays */
	assert(floor <= MAX_DEAD_FLOOR_US || floor == mn->conf.dead_after_us);
	/* Idle (the last probe announced the keepalive): the next probe goes
	 * out a whole interval after the last answer, and its own answer needs
	 * the floor on top, else the link is silent the moment it is probed. */
	if (l->tm.interval_us > floor)
		return l->tm.interval_us + (var > floor ? var : floor);
	return rto > floor ? rto : floor;
}

/* --- hooks: the registration machine's effects ---------------------------- */

/* The machine wants its TIMER event at at_us (retransmission, refresh, retry). */
void mn_timers_reg_arm(struct um3n_mn *mn, int link, uint64_t at_us)
{
	assert(at_us != UM3N_TIME_NONE);
	timers(mn, link)->reg_us = at_us;
}

void mn_timers_reg_disarm(struct um3n_mn *mn, int link)
{
	timers(mn, link)->reg_us = UM3N_TIME_NONE;
}

/* A reply was accepted: the HA holds the binding until expires_us. */
void mn_timers_bound(struct um3n_mn *mn, int link, uint64_t expires_us)
{
	assert(expires_us != UM3N_TIME_NONE);
	timers(mn, link)->expires_us = expires_us;
}

/* Registration stopped (link down, deregistered): no binding to expire. */
void mn_timers_unbound(struct um3n_mn *mn, int link)
{
	timers(mn, link)->expires_us = UM3N_TIME_NONE;
}

/* --- hooks: what the link did ------------------------------------------------ */

/* A registration reply came back: the silence clock restarts, but a silence
 * noted on the last usable link stays noted until data or a probe answer shows
 * the path carries traffic again. */
void mn_timers_reply_heard(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_link *l = &mn->links[link];

	assert(now_us >= l->lm.last_heard_us);
	l->lm.last_heard_us = now_us;
}

/* Data or a probe answer arrived. A failed link heard again soon after it
 * failed was a false alarm: its silence floor doubles. */
void mn_timers_heard(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_link *l = &mn->links[link];
	struct mn_timers *t = timers(mn, link);

	assert(now_us >= l->lm.last_heard_us);
	l->lm.last_heard_us = now_us;
	t->silence_noted = false;
	if (l->lm.state != UM3N_LS_FAILED || now_us - t->failed_at_us >= FALSE_ALARM_US ||
	    t->dead_floor_us >= MAX_DEAD_FLOOR_US)
		return;
	t->dead_floor_us = min_u64(t->dead_floor_us * 2, MAX_DEAD_FLOOR_US);
	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: back after %llu ms, silence floor now %llu ms",
		 l->conf.name, (unsigned long long)((now_us - t->failed_at_us) / 1000),
		 (unsigned long long)(t->dead_floor_us / 1000));
}

static bool idle(const struct um3n_mn *mn, uint64_t now_us)
{
	return mn->conf.idle_after_us && now_us - mn->active_us >= mn->conf.idle_after_us;
}

/* The idle probe interval: the keepalive, or the HA's if it asked for less. */
static uint64_t idle_interval_us(const struct um3n_mn *mn)
{
	uint64_t s = mn->conf.keepalive_s;

	if (mn->ha_keepalive_s && mn->ha_keepalive_s < s)
		s = mn->ha_keepalive_s;
	s *= 1000000;
	return s > mn->conf.probe_interval_us ? s : mn->conf.probe_interval_us;
}

void mn_timers_probe_sent(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_timers *t = timers(mn, link);

	assert(mn->conf.probe_interval_us > 0);
	t->interval_us = idle(mn, now_us) ? idle_interval_us(mn) : mn->conf.probe_interval_us;
	t->probe_us = now_us + t->interval_us;
	if (t->interval_us > mn->conf.probe_interval_us && !mn->probing_idle) {
		mn->probing_idle = true;
		um3n_log(&mn->env, UM3N_LOG_INFO, "idle: no data for %llu ms, probing every %llu s",
			 (unsigned long long)((now_us - mn->active_us) / 1000),
			 (unsigned long long)(t->interval_us / 1000000));
	}
}

uint32_t mn_timers_probe_interval_ms(const struct um3n_mn *mn, int link)
{
	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	return (uint32_t)((mn->links[link].tm.interval_us + 999) / 1000);
}

/* Tunnel data either way, or a link event: out of idle probing at once. */
void mn_timers_active(struct um3n_mn *mn, uint64_t now_us)
{
	if (idle(mn, now_us)) {
		if (mn->probing_idle)
			um3n_log(&mn->env, UM3N_LOG_INFO, "idle: data after %llu s, probing fast",
				 (unsigned long long)((now_us - mn->active_us) / 1000000));
		mn->probing_idle = false;
		for (size_t i = 0; i < mn->conf.n_links; i++) {
			struct mn_timers *t = &mn->links[i].tm;

			if (t->probe_us != UM3N_TIME_NONE && t->probe_us > now_us)
				t->probe_us = now_us;
			if (t->interval_us > mn->conf.probe_interval_us)
				t->woke_us = now_us;
		}
	}
	mn->active_us = now_us;
}

/* After any link-monitor event: a usable link that is not probing yet starts now. */
void mn_timers_probe_start(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_timers *t = timers(mn, link);

	if (um3n_linkmon_usable(&mn->links[link].lm) && t->probe_us == UM3N_TIME_NONE &&
	    mn->conf.probe_interval_us)
		t->probe_us = now_us;
}

void mn_timers_link_down(struct um3n_mn *mn, int link)
{
	timers(mn, link)->probe_us = UM3N_TIME_NONE;
}

/* Some link became usable: a silent link kept as the last usable one may be
 * failed now, so every noted silence is judged again. */
void mn_timers_became_usable(struct um3n_mn *mn)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		mn->links[i].tm.silence_noted = false;
}

void mn_timers_failed(struct um3n_mn *mn, int link, uint64_t now_us)
{
	assert(mn->links[link].lm.state == UM3N_LS_FAILED);
	timers(mn, link)->failed_at_us = now_us;
}

/* The last usable link fell silent and was kept: no more silence alarms on
 * it until it is heard or another link becomes usable. */
void mn_timers_silence_kept(struct um3n_mn *mn, int link)
{
	timers(mn, link)->silence_noted = true;
}

/* --- what is due ------------------------------------------------------------- */

bool mn_timers_reg_due(const struct um3n_mn *mn, int link, uint64_t now_us)
{
	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	return mn->links[link].tm.reg_us <= now_us;
}

/* True once when the binding's lifetime ran out (the deadline is then cleared). */
bool mn_timers_binding_expired(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_timers *t = timers(mn, link);

	if (t->expires_us == UM3N_TIME_NONE || now_us < t->expires_us)
		return false;
	um3n_log(&mn->env, UM3N_LOG_WARN, "link %s: binding expired", mn->links[link].conf.name);
	t->expires_us = UM3N_TIME_NONE;
	return true;
}

/* Whether a probe is due; a link that should not probe drops its deadline,
 * one that starts probing gets its first probe now. */
bool mn_timers_probe_due(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_timers *t = timers(mn, link);

	if (!probing(mn, &mn->links[link])) {
		t->probe_us = UM3N_TIME_NONE;
		return false;
	}
	if (t->probe_us == UM3N_TIME_NONE)
		t->probe_us = now_us;
	return now_us >= t->probe_us;
}

/* A quiet stretch halves the silence floor back toward the configured value.
 * It has no deadline of its own: it is judged at the probe ticks, and it only
 * applies to a probing link. */
static void dead_floor_decay(struct um3n_mn *mn, uint64_t now_us, struct mn_link *l)
{
	struct mn_timers *t = &l->tm;

	if (t->dead_floor_us <= mn->conf.dead_after_us || l->lm.state != UM3N_LS_UP ||
	    now_us - t->failed_at_us < DEAD_FLOOR_DECAY_US)
		return;
	t->dead_floor_us /= 2;
	if (t->dead_floor_us < mn->conf.dead_after_us)
		t->dead_floor_us = mn->conf.dead_after_us;
	t->failed_at_us = now_us; /* the next halving waits another stretch */
}

/* Silence counts from the last time the link was heard, or from the end of
 * idle probing if later: a link last heard a keepalive ago is not dead the
 * moment the fast probes resume, only if they go unanswered. */
static uint64_t silent_since(const struct mn_link *l)
{
	return l->tm.woke_us > l->lm.last_heard_us ? l->tm.woke_us : l->lm.last_heard_us;
}

/* Whether a usable, probing link has been silent for longer than dead_after. */
bool mn_timers_silence_due(struct um3n_mn *mn, int link, uint64_t now_us)
{
	struct mn_link *l = &mn->links[link];

	if (!probing(mn, l))
		return false;
	dead_floor_decay(mn, now_us, l);
	assert(now_us >= l->lm.last_heard_us);
	return um3n_linkmon_usable(&l->lm) && !l->tm.silence_noted &&
	       now_us - silent_since(l) >= dead_after(mn, l);
}

/* The minimum over every deadline above, each asked the way um3n_mn_timeout
 * asks it: the registration timer, the binding expiry, and for a probing link
 * its next probe (at once if it has none yet, as mn_timers_probe_due would
 * send one) and, unless a silence was noted, the moment its silence would mean
 * failure. */
uint64_t mn_timers_next_wake_us(const struct um3n_mn *mn)
{
	uint64_t next = UM3N_TIME_NONE;

	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];

		next = min_u64(next, l->tm.reg_us);
		next = min_u64(next, l->tm.expires_us);
		if (!probing(mn, l))
			continue;
		next = min_u64(next, l->tm.probe_us == UM3N_TIME_NONE ? 0 : l->tm.probe_us);
		if (um3n_linkmon_usable(&l->lm) && !l->tm.silence_noted)
			next = min_u64(next, silent_since(l) + dead_after(mn, l));
	}
	/* The handover manager's (uplinks = one): bring-up, drain, hold, backoff. */
	next = min_u64(next, um3n_hoverfsm_next_us(&mn->hover));
	/* Held packets of aggregate rules (reorder.h): their own deadline. */
	return min_u64(next, um3n_datapath_deadline(&mn->dp));
}
