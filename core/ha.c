/* HA engine: creation, the entry points (downlink packets: home address -> MN
 * record -> the shared data path with the MN's policy keyed on the source;
 * datagrams from MNs: registration or tunnel data), probe answers, the timer
 * scan (binding expiry, silence detection and failover), status. The data
 * path is datapath.c, registration ha_reg.c (with the binding machine in
 * ha_bindfsm.c), every deadline ha_timers.c (ARCHITECTURE.md §5). */
#include <assert.h>
#include <string.h>

#include "ha_int.h"
#include "ha_timers.h"

void um3n_ha_conf_defaults(struct um3n_ha_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->addr.port = UM3N_PORT_DEFAULT;
	c->max_lifetime_s = 600;
	c->keepalive_s = 110;
	c->max_mns = 1024;
	c->max_rules_per_mn = UM3N_POLICY_MAX_RULES;
	c->dead_after_us = 75000;
	c->resend_window_us = 150000;
	c->resend_slots = 512;
	c->reorder_max_us = UM3N_REORDER_MAX_MS_DEFAULT * 1000;
	c->out_queue_len = UM3N_OUTQ_DEFAULT;
	c->ident_window_s = 60;
	c->aqm = (struct um3n_aqm_conf){UM3N_AQM_TARGET_US, UM3N_AQM_INTERVAL_US, UM3N_AQM_LIMIT_US,
					UM3N_AQM_ALONE_US};
	c->pace = (struct um3n_pacer_conf){UM3N_PACER_PCT, UM3N_PACER_QUEUE_BYTES};
	c->reg_rate_per_s = 20;
	c->reg_burst = 64;
	c->reg_new_rate_per_s = 5000;
	c->rate_estimate = 1;
	c->arq = 1;
}

/* Only fields read afresh at each use: the reply's lifetime and keepalive,
 * the failover's window. dead_after_us is not one: ha_timers.c keeps scan
 * deadlines derived from it. */
int um3n_ha_conf_apply(struct um3n_ha *ha, const struct um3n_ha_conf *c)
{
	assert(ha->conf.max_lifetime_s > 0);
	if (c->max_lifetime_s == 0)
		return UM3N_EINVAL;
	ha->conf.max_lifetime_s = c->max_lifetime_s;
	ha->conf.keepalive_s = c->keepalive_s;
	ha->conf.resend_window_us = c->resend_window_us;
	return UM3N_OK;
}

void um3n_ha_free(struct um3n_ha *ha)
{
	struct um3n_env env;

	if (!ha)
		return;
	env = ha->env;
	ha_reg_fini(ha);
	um3n_bcache_fini(&ha->cache, &env);
	um3n_reorder_pool_fini(&ha->rpool, &env);
	um3n_outq_fini(&ha->outq, &env);
	env.free(env.ctx, ha);
}

struct um3n_ha *um3n_ha_new(const struct um3n_ha_conf *conf, const struct um3n_env *env)
{
	struct um3n_ha *ha;

	if (!env || !env->alloc || !env->free)
		return NULL;
	if (conf->addr.ip.family != UM3N_AF_INET || !conf->addr.port || !conf->get_key ||
	    !conf->max_lifetime_s || conf->max_rules_per_mn > UM3N_POLICY_MAX_RULES ||
	    !um3n_outq_slot_ok(conf->out_slot_size) || !um3n_pacer_conf_ok(&conf->pace)) {
		um3n_log(env, UM3N_LOG_ERR,
			 "ha: bad configuration (IPv4 address and port, key "
			 "source, lifetime, out_slot_size 0 or 1400..2048, pace_pct 0..100, "
			 "pace_queue_bytes 2048..16777216)");
		return NULL;
	}
	ha = env->alloc(env->ctx, sizeof(*ha));
	if (!ha)
		return NULL;
	ha->env = *env;
	ha->conf = *conf;
	ha->ha_v4 = um3n_addr_v4(&conf->addr.ip);
	ha_timers_init(ha);
	if (um3n_outq_init(&ha->outq, env,
			   conf->out_queue_len ? conf->out_queue_len : UM3N_OUTQ_DEFAULT,
			   conf->out_slot_size) ||
	    um3n_bcache_init(&ha->cache, env, conf->max_mns, conf->resend_slots) ||
	    um3n_reorder_pool_init(&ha->rpool, env, UM3N_REORDER_SLOTS_DEFAULT, ha->outq.slot,
				   UM3N_REORDER_SLOTS_DEFAULT / 2, conf->reorder_max_us) ||
	    ha_reg_init(ha)) {
		um3n_log(env, UM3N_LOG_ERR, "ha: out of memory");
		um3n_ha_free(ha);
		return NULL;
	}
	ha->cache.rpool = &ha->rpool;
	ha->cache.aqm = &ha->conf.aqm;
	ha->cache.pace = &ha->conf.pace;
	ha->cache.measure_rate = ha->conf.rate_estimate;
	ha->cache.arq_self_v4 = ha->conf.arq ? ha->ha_v4 : 0;
	um3n_prng_seed(&ha->prng, env->seed ^ 0x6e6f6e6365ull); /* apart from the records' */
	return ha;
}

int um3n_ha_tun_input(struct um3n_ha *ha, uint64_t now_us, const uint8_t *pkt, size_t len)
{
	struct um3n_ip_info ip;
	struct um3n_mn_rec *rec;
	int rc = um3n_wire_ip_parse(pkt, len, &ip);

	if (rc) {
		ha->drops.malformed++;
		return rc;
	}
	/* The MN's home address, else a prefix configured for it: its IPv6
	 * home address or prefix, or an IPv4 network routed through it. */
	rec = ip.version == 4 ? um3n_bcache_find(&ha->cache, um3n_addr_v4(&ip.dst)) : NULL;
	if (!rec)
		rec = um3n_bcache_find_prefix(&ha->cache, &ip.dst);
	if (!rec) {
		ha->drops.no_binding++;
		return UM3N_ENOENT;
	}
	if (!um3n_datapath_fits(&rec->dp, &ha->outq, &ha->drops, len))
		return UM3N_ETOOBIG;
	ha->tun_in_pkts++;
	rc = um3n_datapath_send(&rec->dp, &ha->outq, &ha->drops, now_us, rec->policy, &ip, pkt,
				len);
	if (rec->dp.pacer.n) /* held: its release is due at the pacer's time */
		ha_timers_reorder_held(ha, rec, um3n_datapath_deadline(&rec->dp));
	return rc;
}

static void binding_heard(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link)
{
	struct um3n_binding *b = &rec->b[link];
	char name[HA_LINK_NAME_MAX];

	assert(rec->used && link >= 0 && link < UM3N_MAX_LINKS && b->active);
	ha_timers_heard(ha, b, now_us);
	if (b->lm.state != UM3N_LS_FAILED)
		return;
	ha_reg_link_name(name, rec->home_v4, link);
	um3n_linkmon_event(&b->lm, &ha->env, name, UM3N_LM_EV_HEARD);
	um3n_datapath_bindings_changed(&rec->dp, rec->b);
	ha_timers_heard_after_failure(ha, b, now_us);
}

/* The MN's probe carries its own clock: arrival minus that time is this
 * path's one-way delay plus a clock offset common to all the MN's links, which
 * is all the aggregation scheduler needs to compare paths (EWMA, 1/8). */
static void note_path_delay(struct um3n_mn_rec *rec, int link, uint64_t now_us, uint64_t sent_us)
{
	int64_t sample = (int64_t)(now_us - sent_us);
	int64_t d = rec->dp.sched.links[link].delay_us;

	if (rec->b[link].lm.probes_answered == 0)
		d = sample;
	else
		d += (sample - d) / 8;
	um3n_linksched_set_delay(&rec->dp.sched, link, d);
	um3n_datapath_set_rx_delay(&rec->dp, link, d);
	um3n_datapath_rx_sample(&rec->dp, link, sample, now_us);
}

/* The loss of the MN's probes on this path, for the rules' loss_pct
 * (linksched.h): the binding's link monitor window follows the MN's probe
 * numbers, a number skipped counting as lost once UM3N_LM_PROBE_GRACE newer
 * ones came. The HA sends no probes, so it has no RTT: srtt_us stays 0. */
static void note_probe_loss(struct um3n_linkmon *lm, struct um3n_linksched_link *sl, uint16_t seq)
{
	uint16_t ahead = (uint16_t)(seq - lm->next_seq);

	/* The first probe, or one far behind the window: the MN counts anew. */
	if (!lm->probes_sent ||
	    (ahead >= 0x8000 && (uint16_t)(lm->next_seq - 1 - seq) >= UM3N_LM_PROBE_WINDOW)) {
		lm->next_seq = seq;
		ahead = 0;
	}
	if (ahead < 0x8000) { /* newer than any seen (else late: answered in place) */
		if (ahead > UM3N_LM_PROBE_WINDOW)
			lm->next_seq = (uint16_t)(seq - UM3N_LM_PROBE_WINDOW);
		while (lm->next_seq != (uint16_t)(seq + 1))
			um3n_linkmon_probe_sent(lm);
	}
	um3n_linkmon_probe_answered(lm, seq); /* counts probes_answered */
	sl->loss_permille = (uint16_t)um3n_linkmon_loss_permille(lm);
}

/* The interval the MN's probe announced. A shorter one than its other
 * bindings had means the MN woke from idle probing (mn_timers.c), which it
 * does on every link at once: they all get it, so that a link that died while
 * idle, whose fast probes never come, is found silent now and not a
 * keepalive later. */
static void note_probe_interval(struct um3n_ha *ha, struct um3n_mn_rec *rec, int link,
				uint64_t interval_us, uint64_t now_us)
{
	ha_timers_probe_interval(ha, &rec->b[link], interval_us, now_us);
	for (int l = 0; interval_us && l < UM3N_MAX_LINKS; l++)
		if (l != link && rec->b[l].active && rec->b[l].peer_probe_us > interval_us)
			ha_timers_probe_interval(ha, &rec->b[l], interval_us, now_us);
}

static int answer_probe(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link,
			const struct um3n_tunnel_data *d)
{
	struct um3n_probe p;
	struct um3n_probe_report mine;
	uint8_t reply[UM3N_PROBE_LEN + 64];
	int len;

	if (um3n_tunnel_probe_parse(d->inner, d->inner_len, ha->ha_v4, &p) || p.is_reply) {
		ha->drops.malformed++;
		return UM3N_EINVAL;
	}
	note_path_delay(rec, link, now_us, p.sent_us);
	/* The MN's report on the downlink moves our estimate of its rate; ours
	 * on the uplink goes back in the answer for the MN's. */
	mine = um3n_datapath_rx_report(&rec->dp, link, rec->b[link].rx_bytes, rec->b[link].rx_pkts);
	len = um3n_tunnel_probe_answer(reply, sizeof(reply), d->inner, d->inner_len, now_us, &mine);
	if (len < 0) {
		ha->drops.malformed++;
		return len;
	}
	um3n_datapath_rate_report(&rec->dp, link, &p.prober, p.sent_us);
	note_probe_interval(ha, rec, link, p.interval_ms * 1000ull, now_us);
	note_probe_loss(&rec->b[link].lm, &rec->dp.sched.links[link], p.icmp_seq);
	return um3n_datapath_queue(&rec->dp, &ha->outq, &ha->drops, link, reply, (size_t)len);
}

/* The inner source may be the MN's home address or inside a prefix the
 * driver configured for it (get_prefixes): nobody sends into the HA's networks
 * as another host. IPv6 has no default: an MN with no IPv6 prefix sends none. */
static bool source_ok(const struct um3n_mn_rec *rec, const struct um3n_ip_info *ip)
{
	if (ip->version == 4 && um3n_addr_v4(&ip->src) == rec->home_v4)
		return true;
	for (size_t i = 0; i < rec->n_prefixes; i++)
		if (um3n_prefix_has(&rec->prefixes[i], &ip->src))
			return true;
	return false;
}

static int deliver_uplink(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link,
			  const struct um3n_tunnel_data *d)
{
	struct um3n_ip_info ip;
	int rc;

	assert(rec->n_prefixes <= UM3N_HA_MN_PREFIXES);
	if (um3n_wire_ip_parse(d->inner, d->inner_len, &ip)) {
		ha->drops.malformed++;
		return UM3N_EINVAL;
	}
	if (!source_ok(rec, &ip)) {
		ha->drops.spoofed_src++;
		return UM3N_EINVAL;
	}
	if (d->has_key) {
		if (um3n_arq_wanted(&rec->dp.arq,
				    &rec->dp.rx_seq.link[d->seq >> UM3N_SEQ_LINK_SHIFT], link,
				    d->seq))
			um3n_arq_on_keyed(&rec->dp, &ha->outq, &ha->drops, now_us, link, d->seq,
					  d->key);
		rc = um3n_datapath_deliver_keyed(&rec->dp, &ha->outq, &ha->drops, now_us, link, d);
		ha_timers_reorder_held(ha, rec, um3n_datapath_deadline(&rec->dp));
	} else {
		rc = um3n_datapath_deliver(&rec->dp, &ha->outq, &ha->drops, link, d->seq, d->inner,
					   d->inner_len);
	}
	if (rc == UM3N_OK)
		ha->tun_out_pkts++;
	return rc;
}

/* The MN asks for downlink datagrams a binding lost (arq.h). */
static int handle_nack(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec,
		       const struct um3n_tunnel_data *d)
{
	struct um3n_arq_nack n;

	if (um3n_arq_nack_parse(d->inner, d->inner_len, ha->ha_v4, &n)) {
		ha->drops.malformed++;
		return UM3N_EINVAL;
	}
	um3n_arq_on_nack(&rec->dp, &ha->outq, &ha->drops, now_us, &n);
	return UM3N_OK;
}

static int handle_data(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
		       const uint8_t *buf, size_t len)
{
	struct um3n_tunnel_data d;
	int link;
	struct um3n_mn_rec *rec = um3n_bcache_find_coa(&ha->cache, from, &link);
	int rc;

	if (!rec) {
		if (um3n_bcache_recently_gone(&ha->cache, from, now_us))
			ha->drops.after_dereg++; /* a clean shutdown's tail, not an attack */
		else
			ha->drops.unknown_peer++;
		return UM3N_ENOENT;
	}
	rc = um3n_datapath_open(&rec->dp, &ha->outq, &ha->drops, link, &buf, &len);
	if (rc)
		return rc;
	rc = um3n_wire_tunnel_decode(buf, len, &d);
	if (rc) {
		ha->drops.malformed++;
		return rc;
	}
	rec->b[link].rx_pkts++;
	rec->b[link].rx_bytes += len;
	binding_heard(ha, now_us, rec, link);
	if (!d.has_seq && um3n_arq_is_nack(d.inner, d.inner_len))
		return handle_nack(ha, now_us, rec, &d);
	if (!d.has_seq)
		return answer_probe(ha, now_us, rec, link, &d);
	return deliver_uplink(ha, now_us, rec, link, &d);
}

int um3n_ha_udp_input(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
		      const uint8_t *buf, size_t len)
{
	if (!from || len == 0) {
		ha->drops.malformed++;
		return UM3N_ETRUNC;
	}
	switch (buf[0]) {
	case UM3N_MSG_RRQ: return ha_reg_handle_request(ha, now_us, from, buf, len);
	case UM3N_MSG_TUNNEL_DATA: return handle_data(ha, now_us, from, buf, len);
	default: ha->drops.malformed++; return UM3N_EUNKNOWN;
	}
}

/* A binding fell silent while another of the same MN is still heard: the MN's
 * link is gone. What went to it in the re-send window goes again on the
 * survivors; the MN's sequence window drops what had arrived after all. */
static void failover(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link)
{
	size_t resent;
	char name[HA_LINK_NAME_MAX];

	ha_reg_link_name(name, rec->home_v4, link);
	um3n_linkmon_event(&rec->b[link].lm, &ha->env, name, UM3N_LM_EV_SILENT);
	um3n_datapath_bindings_changed(&rec->dp, rec->b);
	um3n_datapath_failover(&rec->dp, &ha->outq, &ha->drops, now_us, ha->conf.resend_window_us,
			       link, rec->policy, &resent);
	um3n_log(&ha->env, UM3N_LOG_INFO, "binding %s silent: failover, %llu packets re-sent", name,
		 (unsigned long long)resent);
}

/* Returns false when the record was released (its last binding expired). */
static bool scan_expiry(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec)
{
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		if (rec->b[l].active && ha_timers_expired(&rec->b[l], now_us) &&
		    !ha_reg_expire(ha, now_us, rec, l))
			return false;
	return true;
}

static void scan_rec(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec)
{
	bool someone_heard = false;

	assert(rec->used); /* may hold no binding: see accept_request() in ha_reg.c */
	um3n_datapath_timeout(&rec->dp, &ha->outq, &ha->drops, rec->policy, now_us);
	ha_timers_reorder_held(ha, rec, um3n_datapath_deadline(&rec->dp));
	if (!scan_expiry(ha, now_us, rec))
		return;
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		someone_heard |= ha_timers_heard_lately(ha, &rec->b[l], now_us);
	for (int l = 0; l < UM3N_MAX_LINKS; l++) {
		struct um3n_binding *b = &rec->b[l];

		if (!b->active)
			continue;
		ha_timers_binding_kept(ha, b, now_us);
		/* Only probed bindings are judged by silence: a quiet MN without
		 * probes is not a failed one. */
		if (!um3n_linkmon_usable(&b->lm) || !b->lm.probes_answered)
			continue;
		if (ha_timers_heard_lately(ha, b, now_us))
			ha_timers_watch_silence(ha, b, now_us);
		else if (someone_heard)
			failover(ha, now_us, rec, l);
		/* All silent: nothing to fail over to; binding_heard() asks for a
		 * scan when one of them speaks again. */
	}
}

/* Only the records with something due: their wake-ups are a heap (bcache.h),
 * so the cost does not grow with the table (bench/bench_scale.c). */
int um3n_ha_timeout(struct um3n_ha *ha, uint64_t now_us)
{
	struct um3n_mn_rec *rec;

	while ((rec = ha_timers_scan_due(ha, now_us)))
		scan_rec(ha, now_us, rec);
	/* The scan acted on all that was due: what it re-armed lies ahead. */
	assert(ha_timers_next_wake(ha) > now_us);
	return UM3N_OK;
}

uint64_t um3n_ha_next_wake_us(const struct um3n_ha *ha) { return ha_timers_next_wake(ha); }

bool um3n_ha_poll_output(struct um3n_ha *ha, struct um3n_out *out)
{
	return um3n_outq_pop(&ha->outq, out);
}

/* Every binding of the MN said UM3N_LINK_F_CSUM_PARTIAL (and there is one). */
static bool rec_csum_partial(const struct um3n_mn_rec *rec)
{
	for (size_t i = 0; i < UM3N_MAX_LINKS; i++)
		if (rec->b[i].active && !(rec->b[i].info.flags & UM3N_LINK_F_CSUM_PARTIAL))
			return false;
	return um3n_bcache_rec_bindings(rec) > 0;
}

bool um3n_ha_peer_csum_partial(const struct um3n_ha *ha, uint32_t home_v4)
{
	const struct um3n_mn_rec *rec = um3n_bcache_find(&ha->cache, home_v4);

	return rec && rec_csum_partial(rec);
}

void um3n_ha_status(const struct um3n_ha *ha, uint64_t now_us, struct um3n_ha_status *st)
{
	(void)now_us;
	memset(st, 0, sizeof(*st));
	st->n_mns = ha->cache.n_used;
	st->reg_accepted = ha->reg_accepted;
	st->reg_denied = ha->reg_denied;
	st->reg_unexpected = ha->reg_unexpected;
	st->tun_in_pkts = ha->tun_in_pkts;
	st->tun_out_pkts = ha->tun_out_pkts;
	st->drops = ha->drops;
	um3n_reorder_status(&ha->rpool, &st->reorder);
}

int um3n_ha_mn_status(const struct um3n_ha *ha, uint64_t now_us, size_t i,
		      struct um3n_ha_mn_status *st)
{
	const struct um3n_mn_rec *rec = NULL;

	for (size_t k = 0, seen = 0; k < ha->cache.cap; k++) {
		if (ha->cache.recs[k].used && seen++ == i) {
			rec = &ha->cache.recs[k];
			break;
		}
	}
	if (!rec)
		return UM3N_ENOENT;
	memset(st, 0, sizeof(*st));
	st->home_addr = rec->home_v4;
	st->policy_version = rec->policy ? um3n_policy_version(rec->policy) : 0;
	st->policy_rules = rec->policy ? um3n_policy_count(rec->policy) : 0;
	st->peer_csum_partial = rec_csum_partial(rec);
	st->arq = rec->dp.arq.st;
	st->pace = rec->dp.pacer.st;
	for (int l = 0; l < UM3N_MAX_LINKS; l++) {
		const struct um3n_binding *b = &rec->b[l];
		struct um3n_ha_binding_status *bs;

		if (!b->active)
			continue;
		bs = &st->bindings[st->n_bindings++];
		bs->link_id = (uint8_t)l;
		bs->link_class = b->info.link_class;
		bs->flags = b->info.flags;
		bs->state = b->lm.state;
		bs->coa = b->coa;
		bs->lifetime_left_s = b->expires_us > now_us
					      ? (uint32_t)((b->expires_us - now_us) / 1000000)
					      : 0;
		bs->last_heard_us_ago = now_us - b->lm.last_heard_us;
		bs->tx_pkts = rec->dp.tx_pkts[l];
		bs->tx_bytes = rec->dp.tx_bytes[l];
		bs->rx_pkts = b->rx_pkts;
		bs->rx_bytes = b->rx_bytes;
		um3n_datapath_rate_status(&rec->dp, l, &bs->rate);
	}
	return UM3N_OK;
}
