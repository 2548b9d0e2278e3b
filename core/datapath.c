/* The per-peer data path both engines share (datapath.h). */
#include "datapath.h"

#include <string.h>

#include "bcache.h"

/* The link's rate estimate starts again from its weight, which the scheduler
 * uses (rate_kbps 0) until the peer's first report. */
static void rate_restart(struct um3n_datapath *dp, int link)
{
	um3n_rateest_init(&dp->rate[link], dp->sched.links[link].weight_kbps,
			  UM3N_LINKSCHED_DEFAULT_KBPS);
	dp->sched.links[link].rate_kbps = 0;
	dp->sched.links[link].full = false;
}

int um3n_datapath_init(struct um3n_datapath *dp, const struct um3n_env *env, size_t n_links,
		       size_t resend_slots, struct um3n_prng *prng, enum um3n_datapath_key key)
{
	assert(n_links <= UM3N_MAX_LINKS);
	assert(key == UM3N_DATAPATH_BY_DST || key == UM3N_DATAPATH_BY_SRC);
	memset(dp, 0, sizeof(*dp));
	dp->key = key;
	dp->sched.n = n_links;
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		dp->tx_seq[l] = (uint32_t)um3n_prng_next(prng);
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		rate_restart(dp, l);
	um3n_linksched_update(&dp->sched); /* nothing usable yet */
	um3n_reorder_init(&dp->rx_order);
	return um3n_resend_init(&dp->resend, env, resend_slots);
}

int um3n_datapath_crypt_enable(struct um3n_datapath *dp, const struct um3n_env *env)
{
	size_t size = dp->sched.n * sizeof(*dp->crypt);

	assert(!dp->crypt && dp->sched.n > 0);
	dp->crypt = env->alloc(env->ctx, size);
	if (!dp->crypt)
		return UM3N_ENOMEM;
	memset(dp->crypt, 0, size);
	return UM3N_OK;
}

void um3n_datapath_fini(struct um3n_datapath *dp, const struct um3n_env *env)
{
	if (dp->crypt) {
		for (size_t l = 0; l < dp->sched.n; l++)
			um3n_aead_clear(&dp->crypt[l]);
		env->free(env->ctx, dp->crypt);
		dp->crypt = NULL;
	}
	if (dp->rpool)
		um3n_reorder_drop_all(&dp->rx_order, dp->rpool);
	um3n_resend_fini(&dp->resend, env);
	um3n_pacer_fini(&dp->pacer);
}

#ifndef NDEBUG /* only the asserts use it: um3n_fast builds without them */
static inline bool link_ok(const struct um3n_datapath *dp, int link)
{
	return link >= 0 && (size_t)link < dp->sched.n;
}
#endif

void um3n_datapath_set_rx_delay(struct um3n_datapath *dp, int link, int64_t us)
{
	assert(link_ok(dp, link));
	dp->rx_delay_us[link] = us;
	dp->rx_paths_ok = false;
}

void um3n_datapath_rx_sample(struct um3n_datapath *dp, int link, int64_t us, uint64_t now_us)
{
	assert(link_ok(dp, link));
	dp->rx_sample_us[link] = us;
	um3n_winmin_add(&dp->rx_sample_base[link], us, now_us);
	dp->rx_paths_ok = false; /* the base delays are the samples' */
}

void um3n_datapath_set_dest(struct um3n_datapath *dp, int link, const struct um3n_sockaddr *to)
{
	assert(link_ok(dp, link) && to);
	dp->to[link] = to;
}

void um3n_datapath_set_class(struct um3n_datapath *dp, int link, uint8_t link_class,
			     uint8_t priority, uint32_t weight_kbps)
{
	struct um3n_linksched_link *s = &dp->sched.links[link];

	assert(link_ok(dp, link));
	s->link_class = link_class;
	s->priority = priority;
	if (s->weight_kbps != weight_kbps) {
		s->weight_kbps = weight_kbps;
		rate_restart(dp, link);
	}
}

struct um3n_probe_report um3n_datapath_rx_report(const struct um3n_datapath *dp, int link,
						 uint64_t rx_bytes, uint64_t rx_pkts)
{
	/* Counted as on the wire (outer IPv4 and UDP headers too), as the
	 * sender's scheduler counts a packet's cost (linksched.c). */
	struct um3n_probe_report r = {true, (uint32_t)(rx_bytes + rx_pkts * (20 + 8)), 0};
	int64_t base, q;

	assert(link_ok(dp, link));
	if (dp->rx_sample_base[link].since) {
		base = um3n_winmin_get(&dp->rx_sample_base[link]);
		q = dp->rx_sample_us[link] - base;
		r.qdelay_us = q <= 0 ? 0 : q >= UINT32_MAX ? UINT32_MAX : (uint32_t)q;
	}
	return r;
}

void um3n_datapath_rate_status(const struct um3n_datapath *dp, int link,
			       struct um3n_rate_status *st)
{
	const struct um3n_rateest *e = &dp->rate[link];

	assert(link_ok(dp, link));
	st->weight_kbps = dp->sched.links[link].weight_kbps;
	st->rate_kbps = dp->measure_rate ? e->est_kbps : 0;
	st->delivered_kbps = e->delivered_kbps;
	st->queue_us = dp->sched.links[link].queue_us;
	st->windows = e->windows;
	st->probes = e->probes;
	st->full_windows = e->full_windows;
}

void um3n_datapath_rate_report(struct um3n_datapath *dp, int link,
			       const struct um3n_probe_report *r, uint64_t peer_us)
{
	assert(link_ok(dp, link));
	if (!r->valid || !dp->measure_rate)
		return;
	dp->sched.links[link].queue_us = r->qdelay_us;
	um3n_rateest_report(&dp->rate[link], r->rx_bytes, peer_us, r->qdelay_us);
	dp->sched.links[link].rate_kbps = dp->rate[link].rate_kbps;
	dp->sched.links[link].full = dp->rate[link].full;
}

void um3n_datapath_set_link(struct um3n_datapath *dp, int link, bool present, int state)
{
	assert(link_ok(dp, link));
	assert(state >= UM3N_LS_DOWN && state <= UM3N_LS_FAILED);
	assert(!present || dp->to[link]); /* a usable link has somewhere to send */
	dp->sched.links[link].present = present;
	dp->sched.links[link].state = state;
}

void um3n_datapath_links_changed(struct um3n_datapath *dp)
{
	um3n_linksched_update(&dp->sched);
	dp->rx_paths_ok = false;
	for (int c = 0; c <= UM3N_CLASS_MAX; c++)
		assert(dp->sched.prefer[c] < (int)dp->sched.n);
}

void um3n_datapath_bindings_changed(struct um3n_datapath *dp, const struct um3n_binding *b)
{
	assert(dp->sched.n == UM3N_MAX_LINKS && dp->key == UM3N_DATAPATH_BY_SRC);
	for (int l = 0; l < UM3N_MAX_LINKS; l++) {
		um3n_datapath_set_dest(dp, l, &b[l].coa);
		um3n_datapath_set_class(dp, l, b[l].info.link_class, b[l].info.priority,
					b[l].info.weight_kbps);
		um3n_datapath_set_link(dp, l, b[l].active, b[l].lm.state);
	}
	um3n_datapath_links_changed(dp);
}

void um3n_datapath_link_reset(struct um3n_datapath *dp, int link)
{
	assert(link_ok(dp, link));
	dp->sched.links[link].present = false;
	dp->tx_pkts[link] = dp->tx_bytes[link] = dp->resent_pkts[link] = 0;
	rate_restart(dp, link);
	dp->rx_paths_ok = false;
	um3n_datapath_links_changed(dp);
}

static int queue_raw(struct um3n_datapath *dp, struct um3n_outq *q,
		     struct um3n_drop_counters *drops, int link, const uint8_t *dgram, size_t len)
{
	uint8_t *buf = um3n_outq_reserve(q);
	int sealed;

	assert(link_ok(dp, link) && dp->to[link]);
	assert(q->count <= q->cap);
	if (len > q->slot) {
		drops->too_big++;
		return UM3N_ETOOBIG;
	}
	if (!buf) {
		drops->queue_full++;
		return UM3N_ENOBUFS;
	}
	memcpy(buf, dgram, len);
	sealed = um3n_datapath_seal(dp, link, buf, len, q->slot);
	if (sealed < 0) {
		drops->too_big += sealed == UM3N_ETOOBIG;
		return sealed;
	}
	len = (size_t)sealed;
	um3n_outq_commit(q, UM3N_OUT_UDP, link, dp->to[link], len);
	dp->tx_pkts[link]++;
	dp->tx_bytes[link] += len;
	return UM3N_OK;
}

int um3n_datapath_queue(struct um3n_datapath *dp, struct um3n_outq *q,
			struct um3n_drop_counters *drops, int link, const uint8_t *dgram,
			size_t len)
{
	return queue_raw(dp, q, drops, link, dgram, len);
}

struct resend_ctx {
	struct um3n_datapath *dp;
	struct um3n_outq *q;
	struct um3n_drop_counters *drops;
	const struct um3n_policy *policy;
	uint64_t now_us;
	int from_link;
	size_t resent;
};

/* A re-send is traffic moved onto its new link whatever its rule: the link's
 * AQM admits it or drops it (aqm.h). */
static void resend_one(void *arg, const uint8_t *dgram, size_t len)
{
	struct resend_ctx *rc = arg;
	struct um3n_ip_info ip;
	const struct um3n_policy_rule *rule;
	uint8_t out[UM3N_MAX_LINKS];
	size_t n;
	uint32_t flow;

	struct um3n_tunnel_data d;
	uint8_t plain[UM3N_PKT_MAX];
	int plen;

	assert(len > UM3N_DATA_OVERHEAD && len <= rc->q->slot); /* only data is remembered */
	if (rc->dp->crypt) { /* sealed for the failed link: sealed again for each other */
		plen = um3n_aead_reopen(&rc->dp->crypt[rc->from_link], dgram, len, plain,
					sizeof(plain));
		if (plen < 0)
			return; /* under a key since replaced */
		dgram = plain;
		len = (size_t)plen;
	}
	if (um3n_wire_tunnel_decode(dgram, len, &d) ||
	    um3n_wire_ip_parse(d.inner, d.inner_len, &ip))
		return;
	rule = um3n_datapath_rule(rc->dp, rc->policy, &ip);
	flow = um3n_linksched_flow_hash(&ip, d.inner, d.inner_len);
	n = um3n_linksched_pick(&rc->dp->sched, rule, len, rc->now_us, flow, out);
	for (size_t i = 0; i < n; i++) {
		struct um3n_datapath *dp = rc->dp;
		int l = out[i];

		if (l == rc->from_link)
			continue;
		if (!um3n_aqm_admit_moved(&dp->aqm_link[l], dp->aqm, dp->sched.links[l].weight_kbps,
					  len, rc->now_us, flow)) {
			rc->drops->aqm++;
			continue;
		}
		if (!queue_raw(dp, rc->q, rc->drops, l, dgram, len))
			rc->resent++;
	}
}

/* What a failover may re-send: what the AQM still lets in on the usable
 * links, at their rates; everything without an AQM or
 * with a link of unknown rate. */
static uint64_t resend_budget(const struct um3n_datapath *dp, int failed, uint64_t now_us)
{
	uint64_t bytes = 0;

	if (!dp->aqm || !dp->aqm->limit_us)
		return UINT64_MAX;
	for (size_t l = 0; l < dp->sched.n; l++) {
		uint32_t kbps = dp->sched.links[l].weight_kbps;

		if ((int)l == failed || !(dp->sched.usable >> l & 1))
			continue;
		if (!kbps)
			return UINT64_MAX;
		bytes += um3n_aqm_bytes_in(kbps,
					   um3n_aqm_room_us(&dp->aqm_link[l], dp->aqm, now_us));
	}
	return bytes;
}

size_t um3n_datapath_failover(struct um3n_datapath *dp, struct um3n_outq *q,
			      struct um3n_drop_counters *drops, uint64_t now_us, uint64_t window_us,
			      int link, const struct um3n_policy *policy, size_t *resent)
{
	struct resend_ctx rc = {dp, q, drops, policy, now_us, link, 0};
	uint64_t since = now_us > window_us ? now_us - window_us : 0;
	size_t taken;

	assert(link_ok(dp, link));
	/* Only the newest that fit the survivors' budget: they are the ones
	 * that were still in the failed link's queue or in flight, so lost; the
	 * older ones of the window have likely arrived. A TCP flow's hole
	 * before them is filled by its own fast retransmit, which the re-sent
	 * newest segments set off (their SACKs) without waiting for an RTO. */
	taken = um3n_resend_take(&dp->resend, q, link, since, resend_budget(dp, link, now_us),
				 resend_one, &rc);
	assert(rc.resent <= taken * (dp->sched.n - 1));
	dp->resent_pkts[link] += rc.resent;
	*resent = rc.resent;
	return taken;
}

int um3n_datapath_open(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, int link, const uint8_t **buf, size_t *len)
{
	uint8_t *plain;
	int rc;

	assert(link_ok(dp, link) && buf && *buf && len);
	if (!dp->crypt)
		return UM3N_OK;
	if (*len < 2 || (*buf)[1] != UM3N_NH_SEALED) {
		drops->malformed++; /* plain data where only sealed data is taken */
		return UM3N_EINVAL;
	}
	/* The plain datagram goes where the packet's TUN output will be queued:
	 * that output points into it, valid as long as any output (outq.h). */
	plain = um3n_outq_scratch(q);
	if (!plain) {
		drops->queue_full++;
		return UM3N_ENOBUFS;
	}
	rc = um3n_aead_open(&dp->crypt[link], *buf, *len, plain, q->slot);
	if (rc < 0) {
		drops->malformed += rc == UM3N_EINVAL || rc == UM3N_ETOOBIG;
		drops->bad_tag += rc == UM3N_EAUTH;
		drops->replayed_data += rc == UM3N_EREPLAY;
		return rc;
	}
	*buf = plain;
	*len = (size_t)rc;
	return UM3N_OK;
}

/* The flow bucket: a hash of the inner 5-tuple (ports of TCP and UDP only),
 * the same for every packet of one flow whatever link it takes. */
static unsigned flow_of(const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len)
{
	size_t alen = ip->version == 4 ? 4 : 16;
	uint32_t h = ip->proto;

	for (size_t i = 0; i < alen; i += 4)
		h = (h ^ um3n_get32(ip->src.bytes + i) ^ um3n_get32(ip->dst.bytes + i) * 31) *
		    0x9e3779b1u;
	if ((ip->proto == 6 || ip->proto == 17) && ip->header_len + 4 <= len)
		h = (h ^ um3n_get32(pkt + ip->header_len)) * 0x9e3779b1u;
	return h >> (32 - 4) & (UM3N_REORDER_FLOWS - 1);
}

int um3n_datapath_send_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
			     struct um3n_drop_counters *drops, uint64_t now_us,
			     const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len,
			     const uint8_t *out, size_t n, bool equalise)
{
	unsigned flow = flow_of(ip, pkt, len);
	uint32_t seq = um3n_seqwin_seq(out[0], dp->tx_seq[out[0]]++);
	uint32_t key = um3n_reorder_key(flow, dp->tx_flow[flow]++, equalise);
	/* A TUN MTU with no room for the key: sent as before, unordered. */
	bool keyed = len + UM3N_DATA_KEYED_OVERHEAD + (dp->crypt ? UM3N_SEAL_OVERHEAD : 0) <=
		     q->slot;

	assert(n > 0 && n <= dp->sched.n && flow < UM3N_REORDER_FLOWS);
	for (size_t i = 0; i < n; i++) {
		int l = out[i];
		uint8_t *buf = um3n_outq_reserve(q);
		size_t dlen;

		assert(l < (int)dp->sched.n && dp->sched.links[l].present && dp->to[l]);
		if (!buf) {
			drops->queue_full++;
			return UM3N_ENOBUFS;
		}
		if (keyed) {
			int sealed;

			dlen = um3n_wire_tunnel_hdr_keyed(buf, ip->version == 6, key, seq);
			memcpy(buf + dlen, pkt, len);
			sealed = um3n_datapath_seal(dp, l, buf, dlen + len, q->slot);
			if (sealed < 0)
				return sealed;
			dlen = (size_t)sealed;
			um3n_resend_remember(&dp->resend, q, now_us, l,
					     um3n_outq_commit(q, UM3N_OUT_UDP, l, dp->to[l], dlen),
					     seq, true);
		} else {
			int rc = um3n_datapath_encap(dp, q, now_us, l, pkt, len, ip->version == 6,
						     seq);

			if (rc < 0)
				return rc;
			dlen = (size_t)rc;
		}
		dp->tx_pkts[l]++;
		dp->tx_bytes[l] += dlen;
		um3n_datapath_charge(dp, l, dlen, now_us);
	}
	return UM3N_OK;
}

int um3n_datapath_deliver_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
				struct um3n_drop_counters *drops, uint64_t now_us, int link,
				const struct um3n_tunnel_data *d)
{
	struct um3n_reorder_paths pa;
	struct um3n_ip_info ip;
	int64_t base[UM3N_MAX_LINKS];

	assert(link_ok(dp, link) && d->has_key && d->has_seq);
	if (!dp->rpool) /* no reorder queue: as unkeyed data */
		return um3n_datapath_deliver(dp, q, drops, link, d->seq, d->inner, d->inner_len);
	if (um3n_seqwin_space_check(&dp->rx_seq, d->seq)) {
		drops->duplicate++;
		return UM3N_EDUP;
	}
	if (!dp->rx_paths_ok) { /* a delay or a link changed since the last one */
		for (int l = 0; l < UM3N_MAX_LINKS; l++)
			base[l] = um3n_winmin_get(&dp->rx_sample_base[l]);
		um3n_reorder_paths(dp->rpool, dp->rx_delay_us, base, dp->sched.usable,
				   &dp->rx_paths);
		dp->rx_paths_ok = true;
	}
	pa = dp->rx_paths;
	if (um3n_wire_ip_parse(d->inner, d->inner_len, &ip) == UM3N_OK &&
	    um3n_datapath_pure_ack(&ip, d->inner))
		pa.slower = 0; /* acknowledgements keep the fast path's delay */
	return um3n_reorder_input(&dp->rx_order, dp->rpool, q, drops, now_us, link, d->key,
				  d->inner, d->inner_len, &pa);
}

/* The pacer's rate: pct% of the usable links' rates (measured, else the
 * weights), on the wire as rateest.h counts them. All usable links, whatever
 * the rule's class and thresholds: an aggregate rule of any class spreads
 * over all of them (linksched.c), and one whose thresholds leave a link out
 * leaves that link's share to the radios' queues, as without a pacer. */
static uint64_t pace_rate_bps(const struct um3n_datapath *dp)
{
	uint64_t kbps = 0;

	for (size_t l = 0; l < dp->sched.n; l++)
		if (dp->sched.usable >> l & 1)
			kbps += um3n_linksched_kbps(&dp->sched.links[l]);
	return kbps * 1000 * dp->pacer.conf->pct / 100;
}

/* Sends what the pacer has due at bps (pace_rate_bps), each packet by its
 * rule as it is now, while the output ring has room (the rest waits for the
 * next timeout, after the driver drained the ring). The outer headers count
 * against the rate. */
static void pace_release(struct um3n_datapath *dp, struct um3n_outq *q,
			 struct um3n_drop_counters *drops, const struct um3n_policy *policy,
			 uint64_t now_us, uint64_t bps)
{
	const uint8_t *pkt;
	size_t len;

	if (!bps) { /* no usable link: what waits is lost, as it would be unpaced */
		drops->no_link += um3n_pacer_clear(&dp->pacer);
		return;
	}
	while (um3n_outq_reserve(q) && (pkt = um3n_pacer_due(&dp->pacer, now_us, bps, &len))) {
		struct um3n_ip_info ip;

		if (um3n_wire_ip_parse(pkt, len, &ip) == UM3N_OK) /* it parsed when it came */
			(void)um3n_datapath_send_now(dp, q, drops, now_us,
						     um3n_datapath_rule(dp, policy, &ip), &ip, pkt,
						     len);
		um3n_pacer_pop(&dp->pacer, now_us, bps,
			       len + UM3N_LINKSCHED_WIRE_EXTRA +
				       (dp->crypt ? UM3N_SEAL_OVERHEAD : 0));
	}
}

int um3n_datapath_pace(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us,
		       const struct um3n_policy *policy, const uint8_t *pkt, size_t len)
{
	uint64_t bps = pace_rate_bps(dp);
	int rc;

	if (!bps) { /* no usable link: nothing waits for one */
		pace_release(dp, q, drops, policy, now_us, bps);
		drops->no_link++;
		return UM3N_ENOLINK;
	}
	rc = um3n_pacer_push(&dp->pacer, pkt, len, now_us);
	if (rc)
		drops->aqm++; /* the sender's queue management, as aqm.h's drops */
	pace_release(dp, q, drops, policy, now_us, bps);
	return rc;
}

void um3n_datapath_timeout(struct um3n_datapath *dp, struct um3n_outq *q,
			   struct um3n_drop_counters *drops, const struct um3n_policy *policy,
			   uint64_t now_us)
{
	if (dp->rpool)
		um3n_reorder_timeout(&dp->rx_order, dp->rpool, q, drops, now_us);
	if (dp->pacer.n)
		pace_release(dp, q, drops, policy, now_us, pace_rate_bps(dp));
}
