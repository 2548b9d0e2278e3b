/* MN engine: creation, the uplink data path (classify -> schedule -> encapsulate),
 * downlink decapsulation, link probes, failure detection and failover re-send,
 * timers and status. Registration and policy sync live in mn_reg.c. */
#include <string.h>

#include "auth.h"
#include "mn_int.h"

void um3n_mn_conf_defaults(struct um3n_mn_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ha.port = UM3N_PORT_DEFAULT;
	c->spi = UM3N_SPI_HMAC_SHA256_MIN;
	c->lifetime_s = 300;
	c->reg_retry_initial_us = 500000;
	c->reg_retry_max_us = 16000000;
	c->probe_interval_us = 15000;
	c->dead_after_us = 75000;
	c->signal_degraded_dbm = -75;
	c->signal_recovered_dbm = -68;
	c->resend_window_us = 150000;
	c->resend_slots = 512;
	c->out_queue_len = UM3N_OUTQ_DEFAULT;
}

static int check_conf(const struct um3n_mn_conf *c, const struct um3n_env *env)
{
	const char *why = NULL;

	if (c->home_addr.family != UM3N_AF_INET)
		why = "home address must be IPv4 (RFC 5944)";
	else if (c->ha.ip.family != UM3N_AF_INET || c->ha.port == 0)
		why = "home agent address must be IPv4 with a port";
	else if (c->n_links == 0 || c->n_links > UM3N_MAX_LINKS)
		why = "need 1..8 uplinks";
	else if (c->key_len < UM3N_KEY_MIN || c->key_len > UM3N_KEY_MAX)
		why = "key must be 16..64 bytes";
	else if (c->spi < UM3N_SPI_HMAC_SHA256_MIN)
		why = "SPI must be >= 256 (HMAC-SHA256)";
	else if (c->lifetime_s == 0 || c->reg_retry_initial_us == 0 ||
		 c->reg_retry_max_us < c->reg_retry_initial_us)
		why = "lifetime and retry timers must be positive";
	else if (c->probe_interval_us && c->dead_after_us < c->probe_interval_us)
		why = "dead_after must be at least one probe interval";
	else if (!um3n_outq_slot_ok(c->out_slot_size))
		why = "out_slot_size must be 0 or 1400..2048";
	for (size_t i = 0; !why && i < c->n_links; i++) {
		if (!c->links[i].name[0] || c->links[i].link_class > UM3N_CLASS_MAX)
			why = "uplink needs a name and a valid class";
		for (size_t j = 0; !why && j < i; j++)
			if (!strncmp(c->links[i].name, c->links[j].name, UM3N_LINK_NAME_MAX))
				why = "uplink names must be unique";
	}
	if (why)
		um3n_log(env, UM3N_LOG_ERR, "mn: bad configuration: %s", why);
	return why ? UM3N_EINVAL : UM3N_OK;
}

void um3n_mn_free(struct um3n_mn *mn)
{
	struct um3n_env env;

	if (!mn)
		return;
	env = mn->env;
	um3n_outq_fini(&mn->outq, &env);
	um3n_datapath_fini(&mn->dp, &env);
	if (mn->policy)
		um3n_policy_free(mn->policy);
	if (mn->policy_blob)
		env.free(env.ctx, mn->policy_blob);
	env.free(env.ctx, mn);
}

struct um3n_mn *um3n_mn_new(const struct um3n_mn_conf *conf, const struct um3n_env *env)
{
	struct um3n_mn *mn;

	if (!env || !env->alloc || !env->free || check_conf(conf, env))
		return NULL;
	mn = env->alloc(env->ctx, sizeof(*mn));
	if (!mn)
		return NULL;
	mn->env = *env;
	mn->conf = *conf;
	mn->conf.policy = NULL; /* copied below; the caller's table is not kept */
	if (!mn->conf.out_queue_len)
		mn->conf.out_queue_len = UM3N_OUTQ_DEFAULT;
	um3n_prng_seed(&mn->prng, env->seed);
	mn->home_v4 = um3n_addr_v4(&conf->home_addr);
	mn->ha_v4 = um3n_addr_v4(&conf->ha.ip);
	if (um3n_datapath_init(&mn->dp, env, conf->n_links, conf->resend_slots, &mn->prng,
			       UM3N_DATAPATH_BY_DST) ||
	    um3n_outq_init(&mn->outq, env, mn->conf.out_queue_len, mn->conf.out_slot_size) ||
	    mn_policy_install(mn, conf->policy)) {
		um3n_log(env, UM3N_LOG_ERR, "mn: out of memory");
		um3n_mn_free(mn);
		return NULL;
	}
	for (size_t i = 0; i < conf->n_links; i++) {
		struct mn_link *l = &mn->links[i];

		l->conf = conf->links[i];
		l->conf.name[UM3N_LINK_NAME_MAX - 1] = 0;
		um3n_linkmon_init(&l->lm);
		l->reg_state = UM3N_REG_IDLE;
		l->reg_timer_us = UINT64_MAX;
		l->next_probe_us = UINT64_MAX;
		l->dead_floor_us = conf->dead_after_us;
		l->last_code = -1;
		um3n_datapath_set_dest(&mn->dp, (int)i, &mn->conf.ha); /* every link: to the HA */
		um3n_datapath_set_class(&mn->dp, (int)i, l->conf.link_class, l->conf.priority,
					l->conf.weight_kbps);
	}
	um3n_datapath_links_changed(&mn->dp); /* nothing usable yet */
	return mn;
}

/* A link carries data when the HA holds a binding for it (registered, or being
 * refreshed before expiry) and the monitor calls it UP or DEGRADED. */
static void sched_refresh(struct um3n_mn *mn)
{
	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];
		bool bound = !mn->shutting_down && l->reg_expires_us != 0 &&
			     (l->reg_state == UM3N_REG_REGISTERED ||
			      l->reg_state == UM3N_REG_REQUESTING);

		um3n_datapath_set_link(&mn->dp, (int)i, bound, l->lm.state);
	}
	um3n_datapath_links_changed(&mn->dp);
}

/* The link just failed or went down: what it carried in the last re-send
 * window may be lost, so it goes again on the survivors (duplicates are
 * dropped by the HA's sequence window). */
static void failover(struct um3n_mn *mn, uint64_t now_us, int link)
{
	size_t resent;
	size_t n = um3n_datapath_failover(&mn->dp, &mn->outq, &mn->drops, now_us,
					  mn->conf.resend_window_us, link, mn->policy, &resent);

	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: failover, %zu packets re-sent",
		 mn->links[link].conf.name, n);
}

void mn_link_lm_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_lm_event ev)
{
	struct mn_link *l = &mn->links[link];
	bool was_usable = um3n_linkmon_usable(&l->lm);

	um3n_linkmon_event(&l->lm, &mn->env, l->conf.name, ev);
	sched_refresh(mn);
	if (was_usable && !um3n_linkmon_usable(&l->lm))
		failover(mn, now_us, link);
	if (!was_usable && um3n_linkmon_usable(&l->lm)) /* silent ones may be failed now */
		for (size_t i = 0; i < mn->conf.n_links; i++)
			mn->links[i].silence_noted = false;
	/* A link that falls silent is re-registered at once: if the HA lost its
	 * binding (restart, expiry) probes are dropped unanswered there, and only a
	 * registration brings the binding back; if the path is simply cut, the
	 * request retransmits with backoff until it returns. */
	if (ev == UM3N_LM_EV_SILENT && l->lm.state == UM3N_LS_FAILED) {
		l->failed_at_us = now_us;
		mn_reg_event(mn, now_us, link, MN_REG_EV_CHANGED);
	}
	if (um3n_linkmon_usable(&l->lm) && l->next_probe_us == UINT64_MAX &&
	    mn->conf.probe_interval_us)
		l->next_probe_us = now_us;
}

int um3n_mn_tun_input(struct um3n_mn *mn, uint64_t now_us, const uint8_t *pkt, size_t len)
{
	struct um3n_ip_info ip;
	int rc = um3n_wire_ip_parse(pkt, len, &ip);

	if (rc) {
		mn->drops.malformed++;
		return rc;
	}
	if (!um3n_datapath_fits(&mn->outq, &mn->drops, len))
		return UM3N_ETOOBIG;
	mn->tun_in_pkts++;
	return um3n_datapath_send(&mn->dp, &mn->outq, &mn->drops, now_us, mn->policy, &ip, pkt, len);
}

static void dead_floor_on_recovery(struct um3n_mn *mn, uint64_t now_us, struct mn_link *l);

static void heard(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	l->lm.last_heard_us = now_us;
	l->silence_noted = false;
	if (l->lm.state != UM3N_LS_FAILED)
		return;
	dead_floor_on_recovery(mn, now_us, l);
	mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_HEARD);
}

static int handle_probe(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *inner,
			size_t len)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_probe p;

	if (um3n_tunnel_probe_parse(inner, len, mn->home_v4, &p) || !p.is_reply ||
	    p.icmp_id != (UM3N_PROBE_ICMP_ID_BASE | link) || p.sent_us > now_us) {
		mn->drops.malformed++;
		return UM3N_EINVAL;
	}
	um3n_linkmon_probe_answered(&l->lm, p.icmp_seq);
	um3n_linkmon_rtt_sample(&l->lm, now_us - p.sent_us);
	mn->dp.sched.links[link].delay_us = (int64_t)(l->lm.srtt_us / 2);
	heard(mn, now_us, link);
	return UM3N_OK;
}

static int handle_data(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *buf,
		       size_t len)
{
	struct um3n_tunnel_data d;
	int rc = um3n_wire_tunnel_decode(buf, len, &d);

	if (rc) {
		mn->drops.malformed++;
		return rc;
	}
	if (!d.has_seq)
		return handle_probe(mn, now_us, link, d.inner, d.inner_len);
	heard(mn, now_us, link);
	rc = um3n_datapath_deliver(&mn->dp, &mn->outq, &mn->drops, link, d.seq, d.inner,
				   d.inner_len);
	if (rc == UM3N_OK)
		mn->tun_out_pkts++;
	return rc;
}

int um3n_mn_udp_input(struct um3n_mn *mn, uint64_t now_us, int link,
		      const struct um3n_sockaddr *from, const uint8_t *buf, size_t len)
{
	if (link < 0 || (size_t)link >= mn->conf.n_links)
		return UM3N_EINVAL;
	if (!from || !um3n_sockaddr_eq(from, &mn->conf.ha)) {
		mn->drops.unknown_peer++;
		return UM3N_ENOENT;
	}
	if (len == 0) {
		mn->drops.malformed++;
		return UM3N_ETRUNC;
	}
	mn->links[link].rx_pkts++;
	mn->links[link].rx_bytes += len;
	switch (buf[0]) {
	case UM3N_MSG_RRP:
		return mn_reg_handle_reply(mn, now_us, link, buf, len);
	case UM3N_MSG_TUNNEL_DATA:
		return handle_data(mn, now_us, link, buf, len);
	default:
		mn->drops.malformed++;
		return UM3N_EUNKNOWN;
	}
}

static bool link_has_addr(const struct mn_link *l)
{
	return l->conf.local.ip.family == UM3N_AF_INET;
}

static void link_up(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	if (!l->carrier || !link_has_addr(l) || mn->shutting_down)
		return;
	mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_CARRIER_UP);
	mn_reg_event(mn, now_us, link, MN_REG_EV_LINK_UP);
}

static void link_down(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	l->next_probe_us = UINT64_MAX;
	mn_reg_event(mn, now_us, link, MN_REG_EV_LINK_DOWN);
	mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_CARRIER_DOWN);
}

/* Signal level with hysteresis: below the degraded threshold the link is left
 * while it still works (make-before-break) and the HA is told at once by a
 * re-registration carrying the DEGRADED flag; it comes back at the higher
 * recovered threshold. */
static void link_signal(struct um3n_mn *mn, uint64_t now_us, int link, int dbm)
{
	struct mn_link *l = &mn->links[link];

	l->signal_dbm = dbm;
	if (!l->lm.weak && dbm < mn->conf.signal_degraded_dbm)
		mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_WEAK);
	else if (l->lm.weak && dbm >= mn->conf.signal_recovered_dbm)
		mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_STRONG);
	else
		return;
	mn_reg_event(mn, now_us, link, MN_REG_EV_CHANGED);
}

int um3n_mn_link_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_link_ev ev,
		       int arg)
{
	struct mn_link *l;

	if (link < 0 || (size_t)link >= mn->conf.n_links)
		return UM3N_EINVAL;
	l = &mn->links[link];
	switch (ev) {
	case UM3N_LINK_EV_UP:
		if (!l->carrier) {
			l->carrier = true;
			link_up(mn, now_us, link);
		}
		break;
	case UM3N_LINK_EV_DOWN:
		if (l->carrier) {
			l->carrier = false;
			link_down(mn, now_us, link);
		}
		break;
	case UM3N_LINK_EV_SIGNAL:
		link_signal(mn, now_us, link, arg);
		break;
	default:
		return UM3N_EINVAL;
	}
	sched_refresh(mn);
	return UM3N_OK;
}

int um3n_mn_link_addr(struct um3n_mn *mn, uint64_t now_us, int link,
		      const struct um3n_sockaddr *local)
{
	struct mn_link *l;
	bool had;

	if (link < 0 || (size_t)link >= mn->conf.n_links || !local)
		return UM3N_EINVAL;
	if (local->ip.family != UM3N_AF_INET && local->ip.family != 0)
		return UM3N_EINVAL;
	l = &mn->links[link];
	if (um3n_sockaddr_eq(&l->conf.local, local))
		return UM3N_OK;
	had = link_has_addr(l);
	l->conf.local = *local;
	if (!link_has_addr(l)) {
		if (had && l->carrier)
			link_down(mn, now_us, link);
	} else if (!had || l->reg_state == UM3N_REG_IDLE) {
		link_up(mn, now_us, link);
	} else {
		mn_reg_event(mn, now_us, link, MN_REG_EV_CHANGED); /* new care-of address */
	}
	sched_refresh(mn);
	return UM3N_OK;
}

int um3n_mn_set_policy(struct um3n_mn *mn, uint64_t now_us, const struct um3n_policy *policy)
{
	int rc = mn_policy_install(mn, policy);

	if (rc)
		return rc;
	mn_reg_policy_changed(mn, now_us);
	sched_refresh(mn);
	return UM3N_OK;
}

static void send_probe(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_probe p = {
		.icmp_id = (uint16_t)(UM3N_PROBE_ICMP_ID_BASE | link),
		.sent_us = now_us,
	};
	uint8_t *buf = um3n_outq_reserve(&mn->outq);

	l->next_probe_us = now_us + mn->conf.probe_interval_us;
	if (!buf) {
		mn->drops.queue_full++;
		return;
	}
	p.icmp_seq = um3n_linkmon_probe_sent(&l->lm);
	um3n_tunnel_probe_build(buf, mn->outq.slot, mn->home_v4, mn->ha_v4, &p);
	um3n_outq_commit(&mn->outq, UM3N_OUT_UDP, link, &mn->conf.ha, UM3N_PROBE_LEN);
	um3n_datapath_count_tx(&mn->dp, link, UM3N_PROBE_LEN);
}

/* Probes go on every link with a binding, FAILED ones included: an answer is
 * how a failed link is found alive again. */
static bool probing(const struct um3n_mn *mn, const struct mn_link *l)
{
	return mn->conf.probe_interval_us && l->carrier && l->reg_expires_us != 0 &&
	       !mn->shutting_down;
}

/* Silence that means death: the configured floor, but never less than an
 * RTO-like srtt + 4 rttvar plus one probe interval (RFC 6298 §2), so a
 * long-delay cellular link is not declared dead while its answers are in flight. */
static uint64_t dead_after(const struct um3n_mn *mn, const struct mn_link *l)
{
	uint64_t rto = l->lm.srtt_us + 4 * l->lm.rttvar_us + mn->conf.probe_interval_us;

	return rto > l->dead_floor_us ? rto : l->dead_floor_us;
}

/* A link heard again soon after it was declared failed was probably only
 * slow: a queue filling up faster than the RTT estimate can follow (TCP slow
 * start on a 3G uplink). Each such false alarm doubles that link's silence
 * floor, up to MAX_DEAD_FLOOR_US; a quiet stretch halves it back toward the
 * configured value, so a flaky link does not flap and a good one stays fast. */
#define FALSE_ALARM_US 1000000ull
#define MAX_DEAD_FLOOR_US 1000000ull
#define DEAD_FLOOR_DECAY_US 30000000ull

static void dead_floor_on_recovery(struct um3n_mn *mn, uint64_t now_us, struct mn_link *l)
{
	if (now_us - l->failed_at_us >= FALSE_ALARM_US || l->dead_floor_us >= MAX_DEAD_FLOOR_US)
		return;
	l->dead_floor_us = l->dead_floor_us * 2 > MAX_DEAD_FLOOR_US ? MAX_DEAD_FLOOR_US
								     : l->dead_floor_us * 2;
	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: back after %llu ms, silence floor now %llu ms",
		 l->conf.name, (unsigned long long)((now_us - l->failed_at_us) / 1000),
		 (unsigned long long)(l->dead_floor_us / 1000));
}

static void dead_floor_decay(struct um3n_mn *mn, uint64_t now_us, struct mn_link *l)
{
	if (l->dead_floor_us <= mn->conf.dead_after_us || l->lm.state != UM3N_LS_UP ||
	    now_us - l->failed_at_us < DEAD_FLOOR_DECAY_US)
		return;
	l->dead_floor_us /= 2;
	if (l->dead_floor_us < mn->conf.dead_after_us)
		l->dead_floor_us = mn->conf.dead_after_us;
	l->failed_at_us = now_us; /* the next halving waits another stretch */
}

static bool other_link_usable(const struct um3n_mn *mn, int link)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if ((int)i != link && mn->dp.sched.links[i].present &&
		    um3n_linkmon_usable(&mn->links[i].lm))
			return true;
	return false;
}

/* Silence on a link: fail it over when another link can take its traffic.
 * When it is the last usable one, failing it would only drop everything (and
 * the likeliest cause is the traffic just moved onto it filling its queue), so
 * it keeps carrying data; a registration still goes out in case the HA lost
 * its binding. */
static void link_silent(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	if (other_link_usable(mn, link)) {
		mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_SILENT);
		return;
	}
	l->silence_noted = true;
	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: silent, but the last usable link: kept",
		 l->conf.name);
	if (l->reg_state == UM3N_REG_REGISTERED)
		mn_reg_event(mn, now_us, link, MN_REG_EV_CHANGED);
}

static void link_timers(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	if (l->reg_expires_us && now_us >= l->reg_expires_us) {
		um3n_log(&mn->env, UM3N_LOG_WARN, "link %s: binding expired", l->conf.name);
		l->reg_expires_us = 0;
		mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_SILENT);
	}
	if (!probing(mn, l)) {
		l->next_probe_us = UINT64_MAX;
		return;
	}
	if (l->next_probe_us == UINT64_MAX)
		l->next_probe_us = now_us;
	if (now_us >= l->next_probe_us)
		send_probe(mn, now_us, link);
	dead_floor_decay(mn, now_us, l);
	if (um3n_linkmon_usable(&l->lm) && !l->silence_noted &&
	    now_us - l->lm.last_heard_us >= dead_after(mn, l))
		link_silent(mn, now_us, link);
}

int um3n_mn_timeout(struct um3n_mn *mn, uint64_t now_us)
{
	mn_reg_timeout(mn, now_us);
	for (size_t i = 0; i < mn->conf.n_links; i++)
		link_timers(mn, now_us, (int)i);
	sched_refresh(mn);
	return UM3N_OK;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t um3n_mn_next_wake_us(const struct um3n_mn *mn)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];

		next = min_u64(next, l->reg_timer_us);
		if (l->reg_expires_us)
			next = min_u64(next, l->reg_expires_us);
		if (!probing(mn, l))
			continue;
		next = min_u64(next, l->next_probe_us);
		if (um3n_linkmon_usable(&l->lm) && !l->silence_noted)
			next = min_u64(next, l->lm.last_heard_us + dead_after(mn, l));
	}
	return next;
}

bool um3n_mn_poll_output(struct um3n_mn *mn, struct um3n_out *out)
{
	return um3n_outq_pop(&mn->outq, out);
}

bool um3n_mn_peer_csum_partial(const struct um3n_mn *mn) { return mn->ha_csum_partial; }

int um3n_mn_shutdown(struct um3n_mn *mn, uint64_t now_us)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		mn_reg_event(mn, now_us, (int)i, MN_REG_EV_SHUTDOWN);
	mn->shutting_down = true;
	sched_refresh(mn);
	return UM3N_OK;
}

void um3n_mn_status(const struct um3n_mn *mn, uint64_t now_us, struct um3n_mn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->n_links = mn->conf.n_links;
	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];
		struct um3n_mn_link_status *s = &st->links[i];

		memcpy(s->name, l->conf.name, sizeof(s->name));
		s->link_class = l->conf.link_class;
		s->state = l->lm.state;
		s->reg_state = l->reg_state;
		s->last_code = l->last_code;
		s->local = l->conf.local;
		s->lifetime_left_s = l->reg_expires_us > now_us
					     ? (uint32_t)((l->reg_expires_us - now_us) / 1000000) : 0;
		s->srtt_us = l->lm.srtt_us;
		s->rttvar_us = l->lm.rttvar_us;
		s->loss_permille = um3n_linkmon_loss_permille(&l->lm);
		s->signal_dbm = l->signal_dbm;
		s->tx_pkts = mn->dp.tx_pkts[i];
		s->tx_bytes = mn->dp.tx_bytes[i];
		s->rx_pkts = l->rx_pkts;
		s->rx_bytes = l->rx_bytes;
		s->probes_sent = l->lm.probes_sent;
		s->probes_answered = l->lm.probes_answered;
		s->failovers = l->lm.failures;
		s->resent_pkts = mn->dp.resent_pkts[i];
	}
	st->policy_version = um3n_policy_version(mn->policy);
	st->policy_acked_version = mn->acked_version;
	st->policy_rules = um3n_policy_count(mn->policy);
	st->tun_in_pkts = mn->tun_in_pkts;
	st->tun_out_pkts = mn->tun_out_pkts;
	st->peer_csum_partial = mn->ha_csum_partial;
	st->drops = mn->drops;
}

int um3n_mn_link_index(const struct um3n_mn *mn, const char *name)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if (!strncmp(mn->links[i].conf.name, name, UM3N_LINK_NAME_MAX))
			return (int)i;
	return -1;
}
