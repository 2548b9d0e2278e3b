/* MN engine: creation, the entry points (datagrams from the HA, link events), link probes, status, and the one place
 * that feeds the link monitor and turns link events, replies and timers into
 * events for each uplink's registration machine. The data path (pick,
 * encapsulate, queue, failover re-send, decapsulate) is datapath.c;
 * registration (stepping the machine, its messages, the policy sync) mn_reg.c;
 * every deadline mn_timers.c; the configuration's defaults and checks
 * mn_conf.c; the handover manager of uplinks = one mn_hover.c (this file
 * carries out its effects); the status mn_status.c. None of them calls back
 * into this file (ARCHITECTURE.md §5). */
#include <assert.h>
#include <string.h>

#include "mn_int.h"

void um3n_mn_free(struct um3n_mn *mn)
{
	struct um3n_env env;

	if (!mn)
		return;
	env = mn->env;
	um3n_outq_fini(&mn->outq, &env);
	um3n_datapath_fini(&mn->dp, &env);
	um3n_reorder_pool_fini(&mn->rpool, &env);
	if (mn->policy)
		um3n_policy_free(mn->policy);
	if (mn->policy_blob)
		env.free(env.ctx, mn->policy_blob);
	env.free(env.ctx, mn);
}

struct um3n_mn *um3n_mn_new(const struct um3n_mn_conf *conf, const struct um3n_env *env)
{
	struct um3n_mn *mn;

	if (!env || !env->alloc || !env->free || mn_conf_check(conf, env))
		return NULL;
	mn = env->alloc(env->ctx, sizeof(*mn));
	if (!mn)
		return NULL;
	mn->env = *env;
	mn->conf = *conf;
	mn->conf.policy = NULL; /* copied below; the caller's table is not kept */
	if (!mn->conf.out_queue_len)
		mn->conf.out_queue_len = UM3N_OUTQ_DEFAULT;
	mn->reg_conf.lifetime_s = conf->lifetime_s;
	mn->reg_conf.retry_initial_us = conf->reg_retry_initial_us;
	mn->reg_conf.retry_max_us = conf->reg_retry_max_us;
	um3n_prng_seed(&mn->prng, env->seed);
	mn->home_v4 = um3n_addr_v4(&conf->home_addr);
	mn->ha_v4 = um3n_addr_v4(&conf->ha.ip);
	if (um3n_datapath_init(&mn->dp, env, conf->n_links, conf->resend_slots, &mn->prng,
			       UM3N_DATAPATH_BY_DST) ||
	    um3n_outq_init(&mn->outq, env, mn->conf.out_queue_len, mn->conf.out_slot_size) ||
	    um3n_reorder_pool_init(&mn->rpool, env, UM3N_REORDER_SLOTS_DEFAULT, mn->outq.slot,
				   UM3N_REORDER_SLOTS_DEFAULT, mn->conf.reorder_max_us) ||
	    mn_reg_policy_install(mn, conf->policy) ||
	    (conf->encrypt && um3n_datapath_crypt_enable(&mn->dp, env))) {
		um3n_log(env, UM3N_LOG_ERR, "mn: out of memory");
		um3n_mn_free(mn);
		return NULL;
	}
	mn->dp.aqm = &mn->conf.aqm;
	um3n_pacer_init(&mn->dp.pacer, &mn->env, &mn->conf.pace);
	mn->dp.measure_rate = mn->conf.rate_estimate;
	if (mn->conf.arq)
		um3n_arq_enable(&mn->dp, mn->home_v4, mn->ha_v4);
	for (size_t i = 0; i < conf->n_links; i++) {
		struct mn_link *l = &mn->links[i];

		l->conf = conf->links[i];
		l->conf.name[UM3N_LINK_NAME_MAX - 1] = 0;
		um3n_linkmon_init(&l->lm);
		um3n_regfsm_init(&l->reg);
		mn_reg_watch_init(mn, (int)i);
		mn_timers_init(mn, (int)i);
		/* every link: to the HA, at its address of the care-of's family */
		um3n_datapath_set_dest(&mn->dp, (int)i, mn_link_ha(mn, (int)i));
		um3n_datapath_set_class(&mn->dp, (int)i, l->conf.link_class, l->conf.priority,
					l->conf.weight_kbps);
	}
	mn_hover_init(mn);
	um3n_datapath_links_changed(&mn->dp); /* nothing usable yet */
	um3n_datapath_reorder_attach(&mn->dp, &mn->rpool);
	return mn;
}

/* A link carries data when the HA holds a binding for it (registered, or being
 * refreshed before expiry) and the monitor calls it UP or DEGRADED. */
static void sched_refresh(struct um3n_mn *mn)
{
	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];
		bool bound = !mn->shutting_down && l->tm.expires_us != UM3N_TIME_NONE &&
			     (l->reg.state == UM3N_REG_REGISTERED ||
			      l->reg.state == UM3N_REG_REQUESTING) &&
			     mn_hover_carries(mn, (int)i);

		um3n_datapath_set_link(&mn->dp, (int)i, bound, l->lm.state);
	}
	um3n_datapath_links_changed(&mn->dp);
}

const char *um3n_mn_failover_cause_name(int cause)
{
	static const char *const names[UM3N_FAILOVER_CAUSES] = {
		"silence",
		"carrier",
		"command",
		"signal",
	};

	return cause >= 0 && cause < UM3N_FAILOVER_CAUSES ? names[cause] : "?";
}

/* The link just failed or went down: what it carried in the last re-send
 * window may be lost, so it goes again on the survivors (duplicates are
 * dropped by the HA's sequence window). */
static void failover(struct um3n_mn *mn, uint64_t now_us, int link,
		     enum um3n_mn_failover_cause cause)
{
	size_t resent;
	size_t n = um3n_datapath_failover(&mn->dp, &mn->outq, &mn->drops, now_us,
					  mn->conf.resend_window_us, link, mn->policy, &resent);

	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: failover (%s), %zu packets re-sent",
		 mn->links[link].conf.name, um3n_mn_failover_cause_name(cause), n);
}

static void reg_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_regfsm_ev type);
static void hover_apply(struct um3n_mn *mn, uint64_t now_us);

/* The one place the link monitor is fed: the scheduler follows, a link that
 * stops carrying data fails over, one that starts probes. Every move of
 * traffic off the link is counted by its cause: losing it (carrier-down:
 * `down`, silence) and leaving it while it still works (up -> degraded). */
static void lm_event_by(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_lm_event ev,
			enum um3n_mn_failover_cause down)
{
	struct mn_link *l = &mn->links[link];
	bool was_usable = um3n_linkmon_usable(&l->lm);
	int was = l->lm.state;

	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	assert(ev >= 0 && ev < UM3N_LM_EV_COUNT);
	assert(down == UM3N_FAILOVER_CARRIER || down == UM3N_FAILOVER_COMMAND);
	um3n_linkmon_event(&l->lm, &mn->env, l->conf.name, ev);
	hover_apply(mn, now_us); /* before the failover below: it re-sends on the new uplink */
	sched_refresh(mn);
	if (was_usable && !um3n_linkmon_usable(&l->lm)) {
		enum um3n_mn_failover_cause cause = ev == UM3N_LM_EV_SILENT ? UM3N_FAILOVER_SILENCE
									    : down;

		/* only losing the carrier or silence make a usable link unusable */
		assert(ev == UM3N_LM_EV_CARRIER_DOWN || ev == UM3N_LM_EV_SILENT);
		l->failovers[cause]++;
		failover(mn, now_us, link, cause);
	}
	if (was == UM3N_LS_UP && l->lm.state == UM3N_LS_DEGRADED)
		l->failovers[UM3N_FAILOVER_SIGNAL]++;
	if (!was_usable && um3n_linkmon_usable(&l->lm))
		mn_timers_became_usable(mn);
	/* A link that falls silent is re-registered at once: if the HA lost its
	 * binding (restart, expiry) probes are dropped unanswered there, and only a
	 * registration brings the binding back; if the path is simply cut, the
	 * request retransmits with backoff until it returns. */
	if (ev == UM3N_LM_EV_SILENT && l->lm.state == UM3N_LS_FAILED) {
		mn_timers_failed(mn, link, now_us);
		reg_event(mn, now_us, link, UM3N_REGFSM_EV_CHANGED);
	}
	mn_timers_probe_start(mn, link, now_us);
}

static void lm_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_lm_event ev)
{
	lm_event_by(mn, now_us, link, ev, UM3N_FAILOVER_CARRIER);
}

/* Steps the link's registration machine (mn_reg.c carries out its effects).
 * When the HA holds a binding the link is confirmed, and the policy sync goes
 * on with its next chunk (a link still waiting for its reply ignores that). */
static void reg_step(struct um3n_mn *mn, uint64_t now_us, int link, struct um3n_regfsm_event *ev)
{
	if (!mn_reg_step(mn, now_us, link, ev))
		return;
	/* a binding is held only after an accepted registration */
	assert(mn->links[link].reg.state == UM3N_REG_REGISTERED);
	assert(mn->links[link].tm.expires_us != UM3N_TIME_NONE);
	lm_event(mn, now_us, link, UM3N_LM_EV_CONFIRMED);
	if (!mn_reg_policy_synced(mn))
		reg_event(mn, now_us, mn_reg_sync_link(mn), UM3N_REGFSM_EV_SYNC_NEEDED);
}

static void reg_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_regfsm_ev type)
{
	struct um3n_regfsm_event ev = {.type = type};

	reg_step(mn, now_us, link, &ev);
}

static void heard(struct um3n_mn *mn, uint64_t now_us, int link)
{
	mn_timers_heard(mn, link, now_us);
	if (mn->links[link].lm.state == UM3N_LS_FAILED)
		lm_event(mn, now_us, link, UM3N_LM_EV_HEARD);
}

/* A registration reply: checked and turned into an event by mn_reg.c. */
static int handle_reply(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *buf,
			size_t len)
{
	struct um3n_regfsm_event ev;
	int rc = mn_reg_reply(mn, link, buf, len, &ev);

	if (rc)
		return rc;
	mn_timers_reply_heard(mn, link, now_us);
	reg_step(mn, now_us, link, &ev);
	return UM3N_OK;
}

/* The downlink's one-way delay, which the equalisation of aggregated flows
 * needs (reorder.h): arrival minus the HA's clock in the answer (up to the
 * clocks' offset, common to the links; EWMA 1/8, as the HA does it for the
 * uplink). An HA that leaves the slot empty: half the round trip. */
static void note_down_delay(struct um3n_mn *mn, int link, uint64_t now_us,
			    const struct um3n_probe *p)
{
	struct mn_link *l = &mn->links[link];
	int64_t *d = &l->down_delay_us;
	int64_t sample = p->answer_us ? (int64_t)(now_us - p->answer_us)
				      : (int64_t)(l->lm.srtt_us / 2);

	if (l->lm.probes_answered <= 1)
		*d = sample;
	else
		*d += (sample - *d) / 8;
	um3n_datapath_set_rx_delay(&mn->dp, link, *d);
	um3n_datapath_rx_sample(&mn->dp, link, sample, now_us);
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
	um3n_linksched_set_delay(&mn->dp.sched, link, (int64_t)(l->lm.srtt_us / 2));
	/* The rules' thresholds (linksched.h) */
	mn->dp.sched.links[link].srtt_us = (uint32_t)(l->lm.srtt_us < UINT32_MAX ? l->lm.srtt_us
										 : UINT32_MAX);
	mn->dp.sched.links[link].loss_permille = (uint16_t)um3n_linkmon_loss_permille(&l->lm);
	note_down_delay(mn, link, now_us, &p);
	um3n_datapath_rate_report(&mn->dp, link, &p.answerer, p.answer_us);
	heard(mn, now_us, link);
	return UM3N_OK;
}

/* The HA asks for uplink datagrams a link lost (arq.h). */
static int handle_nack(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *inner,
		       size_t len)
{
	struct um3n_arq_nack n;

	if (um3n_arq_nack_parse(inner, len, mn->home_v4, &n)) {
		mn->drops.malformed++;
		return UM3N_EINVAL;
	}
	heard(mn, now_us, link);
	um3n_arq_on_nack(&mn->dp, &mn->outq, &mn->drops, now_us, &n);
	return UM3N_OK;
}

static int handle_data(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *buf,
		       size_t len)
{
	struct um3n_tunnel_data d;
	int rc = um3n_datapath_open(&mn->dp, &mn->outq, &mn->drops, link, &buf, &len);

	if (rc)
		return rc;
	rc = um3n_wire_tunnel_decode(buf, len, &d);
	if (rc) {
		mn->drops.malformed++;
		return rc;
	}
	if (!d.has_seq && um3n_arq_is_nack(d.inner, d.inner_len))
		return handle_nack(mn, now_us, link, d.inner, d.inner_len);
	if (!d.has_seq)
		return handle_probe(mn, now_us, link, d.inner, d.inner_len);
	heard(mn, now_us, link);
	mn_timers_active(mn, now_us);
	if (d.has_key &&
	    um3n_arq_wanted(&mn->dp.arq, &mn->dp.rx_seq.link[d.seq >> UM3N_SEQ_LINK_SHIFT], link,
			    d.seq))
		um3n_arq_on_keyed(&mn->dp, &mn->outq, &mn->drops, now_us, link, d.seq, d.key);
	rc = d.has_key
		     ? um3n_datapath_deliver_keyed(&mn->dp, &mn->outq, &mn->drops, now_us, link, &d)
		     : um3n_datapath_deliver(&mn->dp, &mn->outq, &mn->drops, link, d.seq, d.inner,
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
	/* Replies and tunnel data come from the HA's address:port only: anything
	 * else is a stranger's, however well formed (counted apart). */
	if (!from || !um3n_sockaddr_eq(from, mn_link_ha(mn, link))) {
		mn->drops.not_from_ha++;
		return UM3N_ENOENT;
	}
	if (len == 0) {
		mn->drops.malformed++;
		return UM3N_ETRUNC;
	}
	mn->links[link].rx_pkts++;
	mn->links[link].rx_bytes += len;
	switch (buf[0]) {
	case UM3N_MSG_RRP: return handle_reply(mn, now_us, link, buf, len);
	case UM3N_MSG_TUNNEL_DATA: return handle_data(mn, now_us, link, buf, len);
	default: mn->drops.malformed++; return UM3N_EUNKNOWN;
	}
}

static void link_up(struct um3n_mn *mn, uint64_t now_us, int link)
{
	struct mn_link *l = &mn->links[link];

	if (!l->carrier || !mn_link_has_addr(mn, l) || mn->shutting_down ||
	    !mn_hover_may_register(mn, link))
		return;
	lm_event(mn, now_us, link, UM3N_LM_EV_CARRIER_UP);
	reg_event(mn, now_us, link, UM3N_REGFSM_EV_LINK_UP);
}

/* cause: UM3N_FAILOVER_CARRIER or _COMMAND, should the link carry traffic. */
static void link_down(struct um3n_mn *mn, uint64_t now_us, int link,
		      enum um3n_mn_failover_cause cause)
{
	mn_timers_link_down(mn, link);
	reg_event(mn, now_us, link, UM3N_REGFSM_EV_LINK_DOWN);
	lm_event_by(mn, now_us, link, UM3N_LM_EV_CARRIER_DOWN, cause);
}

/* uplinks = one: steps the handover manager (mn_hover.c) after every change
 * of an uplink's state and carries out what it decides, in the machine's
 * order: move (a re-send of what a lost uplink carried lately), release (a
 * cold uplink deregisters and falls silent; a hot one stays up), bring up. */
static void hover_apply(struct um3n_mn *mn, uint64_t now_us)
{
	struct um3n_hoverfsm_fx fx;

	for (int n = 0; n < 4 * UM3N_MAX_LINKS && mn_hover_step(mn, now_us, &fx); n++) {
		sched_refresh(mn);
		if (fx.emergency)
			failover(mn, now_us, fx.move_from, UM3N_FAILOVER_CARRIER);
		for (int i = 0; i < (int)mn->conf.n_links; i++) {
			if (!(fx.release >> i & 1) || mn_hover_may_register(mn, i))
				continue;
			reg_event(mn, now_us, i, UM3N_REGFSM_EV_SHUTDOWN);
			mn_timers_link_down(mn, i);
			um3n_linkmon_event(&mn->links[i].lm, &mn->env, mn->links[i].conf.name,
					   UM3N_LM_EV_CARRIER_DOWN);
		}
		/* not when its own carrier-up is what stepped the machine */
		if ((fx.flags & UM3N_HOVERFSM_FX_UP) && mn->links[fx.up].lm.state == UM3N_LS_DOWN)
			link_up(mn, now_us, fx.up);
	}
}

/* Signal level with hysteresis: below the degraded threshold the link is left
 * while it still works (make-before-break) and the HA is told at once by a
 * re-registration carrying the DEGRADED flag; it comes back at the higher
 * recovered threshold. */
static void link_signal(struct um3n_mn *mn, uint64_t now_us, int link, int dbm)
{
	struct mn_link *l = &mn->links[link];

	l->signal_dbm = dbm;
	l->have_signal = true;
	if (!l->lm.weak && dbm < mn->conf.signal_degraded_dbm)
		lm_event(mn, now_us, link, UM3N_LM_EV_WEAK);
	else if (l->lm.weak && dbm >= mn->conf.signal_recovered_dbm)
		lm_event(mn, now_us, link, UM3N_LM_EV_STRONG);
	else
		return;
	mn_timers_active(mn, now_us);
	reg_event(mn, now_us, link, UM3N_REGFSM_EV_CHANGED);
}

int um3n_mn_link_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_link_ev ev, int arg)
{
	struct mn_link *l;

	if (link < 0 || (size_t)link >= mn->conf.n_links)
		return UM3N_EINVAL;
	l = &mn->links[link];
	/* Carrier changes end idle probing, signal reports only when they move
	 * the link (a driver may report the signal every second). */
	if (ev == UM3N_LINK_EV_UP || ev == UM3N_LINK_EV_DOWN)
		mn_timers_active(mn, now_us);
	switch (ev) {
	case UM3N_LINK_EV_UP:
		if (!l->carrier) {
			l->carrier = true;
			link_up(mn, now_us, link);
		}
		break;
	case UM3N_LINK_EV_DOWN:
		if (arg != UM3N_LINK_DOWN_CARRIER && arg != UM3N_LINK_DOWN_COMMAND)
			return UM3N_EINVAL;
		if (l->carrier) {
			l->carrier = false;
			link_down(mn, now_us, link,
				  arg == UM3N_LINK_DOWN_COMMAND ? UM3N_FAILOVER_COMMAND
								: UM3N_FAILOVER_CARRIER);
		}
		break;
	case UM3N_LINK_EV_SIGNAL: link_signal(mn, now_us, link, arg); break;
	default: return UM3N_EINVAL;
	}
	hover_apply(mn, now_us);
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
	if (local->ip.family != UM3N_AF_INET && local->ip.family != 0 &&
	    !(local->ip.family == UM3N_AF_INET6 && mn->conf.ha6.ip.family))
		return UM3N_EINVAL; /* IPv6 needs the HA's IPv6 address */
	l = &mn->links[link];
	if (um3n_sockaddr_eq(&l->conf.local, local))
		return UM3N_OK;
	had = mn_link_has_addr(mn, l);
	l->conf.local = *local;
	um3n_datapath_set_dest(&mn->dp, link, mn_link_ha(mn, link)); /* its family's */
	if (!mn_link_has_addr(mn, l)) {
		if (had && l->carrier) /* the address went: as good as the carrier */
			link_down(mn, now_us, link, UM3N_FAILOVER_CARRIER);
	} else if (!had || l->reg.state == UM3N_REG_IDLE) {
		link_up(mn, now_us, link);
	} else {
		reg_event(mn, now_us, link, UM3N_REGFSM_EV_CHANGED); /* new care-of address */
	}
	hover_apply(mn, now_us);
	sched_refresh(mn);
	return UM3N_OK;
}

int um3n_mn_set_policy(struct um3n_mn *mn, uint64_t now_us, const struct um3n_policy *policy)
{
	int rc = mn_reg_policy_install(mn, policy);
	int link;

	if (rc)
		return rc;
	link = mn_reg_sync_link(mn); /* it re-registers at once to carry the new table */
	if (link >= 0)
		reg_event(mn, now_us, link, UM3N_REGFSM_EV_SYNC_NEEDED);
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
	int len;

	mn_timers_probe_sent(mn, link, now_us);
	p.interval_ms = mn_timers_probe_interval_ms(mn, link);
	if (!buf) {
		mn->drops.queue_full++;
		return;
	}
	p.icmp_seq = um3n_linkmon_probe_sent(&l->lm);
	/* the downlink as we see it, for the HA's rate estimate */
	p.prober = um3n_datapath_rx_report(&mn->dp, link, l->rx_bytes, l->rx_pkts);
	um3n_tunnel_probe_build(buf, mn->outq.slot, mn->home_v4, mn->ha_v4, &p);
	len = um3n_datapath_seal(&mn->dp, link, buf, UM3N_PROBE_LEN, mn->outq.slot);
	if (len < 0)
		return; /* no key yet: the registration's reply brings it */
	um3n_outq_commit(&mn->outq, UM3N_OUT_UDP, link, mn_link_ha(mn, link), (size_t)len);
	um3n_datapath_count_tx(&mn->dp, link, (size_t)len);
}

static bool other_link_usable(const struct um3n_mn *mn, int link)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if ((int)i != link && um3n_linkmon_usable(&mn->links[i].lm) &&
		    (mn->dp.sched.links[i].present || mn_hover_standby_usable(mn, (int)i)))
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
		lm_event(mn, now_us, link, UM3N_LM_EV_SILENT);
		return;
	}
	mn_timers_silence_kept(mn, link);
	um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: silent, but the last usable link: kept",
		 l->conf.name);
	if (l->reg.state == UM3N_REG_REGISTERED)
		reg_event(mn, now_us, link, UM3N_REGFSM_EV_CHANGED);
}

/* Expiry first (a link without a binding stops probing), then the probe, then
 * silence. */
static void link_timers(struct um3n_mn *mn, uint64_t now_us, int link)
{
	if (mn_timers_binding_expired(mn, link, now_us))
		lm_event(mn, now_us, link, UM3N_LM_EV_SILENT);
	if (mn_timers_probe_due(mn, link, now_us))
		send_probe(mn, now_us, link);
	if (mn_timers_silence_due(mn, link, now_us))
		link_silent(mn, now_us, link);
}

int um3n_mn_timeout(struct um3n_mn *mn, uint64_t now_us)
{
	assert(mn->conf.n_links > 0 && mn->conf.n_links <= UM3N_MAX_LINKS);
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if (mn_timers_reg_due(mn, (int)i, now_us))
			reg_event(mn, now_us, (int)i, UM3N_REGFSM_EV_TIMER);
	for (size_t i = 0; i < mn->conf.n_links; i++)
		link_timers(mn, now_us, (int)i);
	hover_apply(mn, now_us);
	sched_refresh(mn);
	um3n_datapath_timeout(&mn->dp, &mn->outq, &mn->drops, mn->policy, now_us);
	return UM3N_OK;
}

uint64_t um3n_mn_next_wake_us(const struct um3n_mn *mn) { return mn_timers_next_wake_us(mn); }

bool um3n_mn_poll_output(struct um3n_mn *mn, struct um3n_out *out)
{
	return um3n_outq_pop(&mn->outq, out);
}

bool um3n_mn_peer_csum_partial(const struct um3n_mn *mn) { return mn->ha_csum_partial; }

int um3n_mn_shutdown(struct um3n_mn *mn, uint64_t now_us)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		reg_event(mn, now_us, (int)i, UM3N_REGFSM_EV_SHUTDOWN);
	mn->shutting_down = true;
	sched_refresh(mn);
	return UM3N_OK;
}

int um3n_mn_link_index(const struct um3n_mn *mn, const char *name)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if (!strncmp(mn->links[i].conf.name, name, UM3N_LINK_NAME_MAX))
			return (int)i;
	return -1;
}
