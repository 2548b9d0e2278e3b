/* The data path both engines share: a "path set" is the links to one peer (the
 * MN's uplinks to its HA; one MN's bindings at the HA). Per packet it chooses
 * the link(s) by the policy rule (linksched.h), encapsulates with the first
 * chosen link's sequence number (tunnel.h), queues the datagram and remembers it
 * for re-sending (outq.h, resend.h), and counts per link; when a link fails, what it
 * carried in the re-send window goes again on the others, each datagram by its
 * own rule. On the way in, the sequence window drops the copies (re-sends,
 * redundant mode) and the inner packet leaves for the TUN device.
 * The engines keep only what differs, given here as data: which end of a
 * packet the policy is keyed on (the MN: destination; the HA: source) and each
 * link's destination (the MN: its HA; the HA: the binding's care-of address).
 * No callbacks into the engines. */
#ifndef UM3N_DATAPATH_H
#define UM3N_DATAPATH_H

#include <assert.h>

#include "aqm.h"
#include "aead.h"
#include "arq.h"
#include "engine.h"
#include "linksched.h"
#include "policy.h"
#include "outq.h"
#include "pacer.h"
#include "rateest.h"
#include "reorder.h"
#include "resend.h"
#include "tunnel.h"

struct um3n_binding; /* bcache.h: the HA's view of one MN link */

/* A minimum over two windows of UM3N_DATAPATH_BASE_WINDOW_US: the smaller
 * of the current window's and the last one's (a path's delay without its
 * queue, which forgets a route change within two windows). 10 s: a standing
 * queue may last that long, as a BBR flow drains the queues it builds only
 * in its PROBE_RTT, every 10 s. With 5 s windows the cell's 50 ms were
 * forgotten under one BBR flow's standing queue in the ns-3 testbed: the MN
 * took the cell for 150 ms slower than the wifi, beyond the reorder bound,
 * and stopped evening out the delays while the HA still used it; the flow's
 * round trip fell to 13 ms, BBR kept that as its min_rtt, its window shrank
 * to a fifth and the flow fell from 17 to 5 Mbit/s for good. */
#define UM3N_DATAPATH_BASE_WINDOW_US 10000000

struct um3n_winmin {
	int64_t cur, prev;
	uint64_t since; /* the current window's start; 0: no sample yet */
};

static inline void um3n_winmin_add(struct um3n_winmin *w, int64_t v, uint64_t now_us)
{
	if (w->since == 0) { /* the first sample */
		w->cur = w->prev = v;
		w->since = now_us ? now_us : 1;
	} else if (now_us - w->since >= UM3N_DATAPATH_BASE_WINDOW_US) {
		w->prev = w->cur;
		w->cur = v;
		w->since = now_us;
	} else if (v < w->cur) {
		w->cur = v;
	}
}

static inline int64_t um3n_winmin_get(const struct um3n_winmin *w)
{
	return w->cur < w->prev ? w->cur : w->prev;
}

enum um3n_datapath_key {
	UM3N_DATAPATH_BY_DST, /* MN: the correspondent is the destination */
	UM3N_DATAPATH_BY_SRC, /* HA: the correspondent is the source */
};

struct um3n_datapath {
	struct um3n_linksched sched; /* the links as the scheduler sees them */
	struct um3n_resend resend;   /* recent datagrams per link, for failover */
	enum um3n_datapath_key key;
	const struct um3n_sockaddr *to[UM3N_MAX_LINKS]; /* each link's destination */
	uint32_t tx_seq[UM3N_MAX_LINKS];                /* per-link counters (tunnel.h) */
	uint64_t tx_pkts[UM3N_MAX_LINKS], tx_bytes[UM3N_MAX_LINKS];
	uint64_t resent_pkts[UM3N_MAX_LINKS]; /* re-sent on others when this one failed */
	struct um3n_seqwin_space rx_seq;      /* the peer's sequence numbers seen */
	/* Aggregate rules (reorder.h): our per-flow counters for the GRE key, and
	 * the peer's flows in order; rpool NULL: keyed packets go as they come. */
	uint32_t tx_flow[UM3N_REORDER_FLOWS];
	int64_t rx_delay_us[UM3N_MAX_LINKS]; /* the peer's packets' delay per link (the hold) */
	/* The last unsmoothed sample and the windowed minimum of the samples
	 * (the path without its queue). The minimum is what delay equalisation
	 * evens out, so that a queue building on one link does not move every
	 * packet of the flow (reorder.h), and the queue we report to the peer
	 * (rateest.h) is the sample above it: both must see the queue drain at
	 * once, which the smoothed delay shows only ~120 ms later (BBR's
	 * PROBE_RTT drains it for 200 ms). */
	int64_t rx_sample_us[UM3N_MAX_LINKS];
	struct um3n_winmin rx_sample_base[UM3N_MAX_LINKS];
	/* The reorder queue's view of the links, recomputed only when a delay
	 * or a link's usability changed (rx_paths_ok false), not per packet. */
	struct um3n_reorder_paths rx_paths;
	bool rx_paths_ok;
	struct um3n_reorder rx_order;
	struct um3n_reorder_pool *rpool;
	/* Each link's virtual queue at its weight (aqm.h); the engine's
	 * configuration (NULL: no AQM), read at each packet. */
	const struct um3n_aqm_conf *aqm;
	struct um3n_aqm_link aqm_link[UM3N_MAX_LINKS];
	struct um3n_aead_link *crypt; /* per link; NULL: plain tunnel data (aead.h) */
	/* Each link's delivery rate from the peer's reports in the probes
	 * (rateest.h), which aggregation weighs the links by; measure_rate
	 * false (`rate_estimate = no`): the configured weights only. */
	struct um3n_rateest rate[UM3N_MAX_LINKS];
	bool measure_rate;
	struct um3n_arq arq; /* repair requests, both ways (arq.h) */
	/* The packets of aggregate rules wait here and go at a little under the
	 * links' rates (pacer.h); off unless the engine gives it a conf. */
	struct um3n_pacer pacer;
};

/* n_links links, none usable yet; the sequence counters start at random
 * values drawn from prng (UM3N_MAX_LINKS draws, whatever n_links); a history of
 * resend_slots datagrams (0: no failover re-send). Errors: UM3N_ENOMEM. */
int um3n_datapath_init(struct um3n_datapath *dp, const struct um3n_env *env, size_t n_links,
		       size_t resend_slots, struct um3n_prng *prng, enum um3n_datapath_key key);
void um3n_datapath_fini(struct um3n_datapath *dp, const struct um3n_env *env);
/* Encrypted tunnel data from now on (`encrypt = yes`): a key set per link,
 * none installed yet (um3n_aead_install), freed by um3n_datapath_fini.
 * Errors: UM3N_ENOMEM. */
int um3n_datapath_crypt_enable(struct um3n_datapath *dp, const struct um3n_env *env);

/* Keyed packets from the peer are put in order with the engine's pool (which
 * outlives the path set). */
static inline void um3n_datapath_reorder_attach(struct um3n_datapath *dp,
						struct um3n_reorder_pool *pool)
{
	assert(dp->rx_order.n_held == 0);
	dp->rpool = pool;
	/* The peer's queue is assumed to hold as long as ours (the same default). */
	dp->sched.max_spread_us = pool ? pool->max_hold_us : 0;
	um3n_linksched_update(&dp->sched);
	dp->rx_paths_ok = false;
}

/* How long the peer's packets take on link, up to a constant common to the
 * links (the HA: one-way, from the MN's probe timestamps; the MN: the round
 * trip, which holds the downlink's spread when the uplinks are alike): the
 * spread over the usable links bounds how long a gap is held (reorder.h). */
void um3n_datapath_set_rx_delay(struct um3n_datapath *dp, int link, int64_t us);
/* The unsmoothed sample that went into it: the base delays (their windowed
 * minima) and the queue we report. Either call makes the reorder queue's
 * view of the links be computed again. */
void um3n_datapath_rx_sample(struct um3n_datapath *dp, int link, int64_t us, uint64_t now_us);

/* Our report on link for the peer's probe traffic (tunnel.h): what the
 * engine received on it (rx_bytes of UDP payload in rx_pkts datagrams), and
 * the link's queueing delay towards us (its delay above the windowed
 * minimum, the same as the equalisation's). */
struct um3n_probe_report um3n_datapath_rx_report(const struct um3n_datapath *dp, int link,
						 uint64_t rx_bytes, uint64_t rx_pkts);
/* The peer's report on link, stamped with its clock peer_us: the link's rate
 * estimate moves (rateest.h), and the scheduler follows it. An invalid report
 * (an older peer) or measure_rate false: nothing changes. */
void um3n_datapath_rate_report(struct um3n_datapath *dp, int link,
			       const struct um3n_probe_report *r, uint64_t peer_us);

/* The link's rate as aggregation sees it, for status. */
void um3n_datapath_rate_status(const struct um3n_datapath *dp, int link,
			       struct um3n_rate_status *st);

/* Control plane: describe link `link`, then call um3n_datapath_links_changed()
 * once to recompute the scheduler's view. `to` must outlive the path set. */
void um3n_datapath_set_dest(struct um3n_datapath *dp, int link, const struct um3n_sockaddr *to);
void um3n_datapath_set_class(struct um3n_datapath *dp, int link, uint8_t link_class,
			     uint8_t priority, uint32_t weight_kbps);
/* present: may carry data (the MN: bound at the HA; the HA: bound);
 * state: its link monitor's enum um3n_link_state. */
void um3n_datapath_set_link(struct um3n_datapath *dp, int link, bool present, int state);
void um3n_datapath_links_changed(struct um3n_datapath *dp);
/* The HA: all of the above from one MN's bindings (b[UM3N_MAX_LINKS]). */
void um3n_datapath_bindings_changed(struct um3n_datapath *dp, const struct um3n_binding *b);
/* Link `link` is gone (unbound): not usable, its counters back to zero and
 * its rate estimate back to the configured weight. */
void um3n_datapath_link_reset(struct um3n_datapath *dp, int link);

/* Will an inner packet of len bytes fit in one output slot once encapsulated?
 * Counts too_big when not. */
static inline bool um3n_datapath_fits(const struct um3n_datapath *dp, const struct um3n_outq *q,
				      struct um3n_drop_counters *drops, size_t len)
{
	if (len + UM3N_DATA_OVERHEAD + (dp->crypt ? UM3N_SEAL_OVERHEAD : 0) <= q->slot)
		return true;
	drops->too_big++;
	return false;
}

/* The rule a packet follows: its correspondent's address (dp->key) looked up
 * in policy; with no policy yet (the HA before the MN's first sync), prefer a
 * link of any class. */
static inline const struct um3n_policy_rule *um3n_datapath_rule(const struct um3n_datapath *dp,
								const struct um3n_policy *policy,
								const struct um3n_ip_info *ip)
{
	static const struct um3n_policy_rule any = {
		.link_class = UM3N_CLASS_ANY,
		.mode = UM3N_MODE_PREFER,
	};

	if (!policy)
		return &any;
	return um3n_policy_lookup(policy, dp->key == UM3N_DATAPATH_BY_SRC ? &ip->src : &ip->dst);
}

/* A tunnel datagram built in buf[0, len) (cap bytes) for link, sealed in
 * place when encrypting. Returns its length on the wire, or the errors of
 * um3n_aead_seal. */
static inline int um3n_datapath_seal(struct um3n_datapath *dp, int link, uint8_t *buf, size_t len,
				     size_t cap)
{
	assert(link >= 0 && (size_t)link < dp->sched.n && len <= cap);
	return dp->crypt ? um3n_aead_seal(&dp->crypt[link], buf, len, cap) : (int)len;
}

/* A datagram that arrived on link, before it is decoded: when encrypting,
 * *buf must be sealed (plain data is refused: no downgrade by a forger) and
 * is opened into an output slot, *buf and *len then pointing at the plain
 * datagram; when not, it passes as is. Errors (counted in drops):
 * UM3N_EINVAL (malformed: plain data while encrypting), UM3N_EAUTH
 * (bad_tag), UM3N_EREPLAY (replayed_data), UM3N_ENOBUFS. */
int um3n_datapath_open(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, int link, const uint8_t **buf,
		       size_t *len);

/* Encapsulates into the next output slot for link and remembers it for
 * re-sending: the one copy of the packet's bytes on the way out. Returns the
 * datagram length, or UM3N_ENOBUFS / UM3N_ETOOBIG. */
static inline int um3n_datapath_encap(struct um3n_datapath *dp, struct um3n_outq *q,
				      uint64_t now_us, int link, const uint8_t *pkt, size_t len,
				      bool inner_is_v6, uint32_t seq)
{
	uint8_t *buf = um3n_outq_reserve(q);
	int dlen;

	assert(link >= 0 && (size_t)link < dp->sched.n && dp->sched.links[link].present);
	assert(dp->to[link]);
	if (!buf)
		return UM3N_ENOBUFS;
	dlen = um3n_tunnel_encap(buf, q->slot, pkt, len, inner_is_v6, seq);
	if (dlen >= 0)
		dlen = um3n_datapath_seal(dp, link, buf, (size_t)dlen, q->slot);
	if (dlen < 0)
		return dlen;
	um3n_resend_remember(&dp->resend, q, now_us, link,
			     um3n_outq_commit(q, UM3N_OUT_UDP, link, dp->to[link], (size_t)dlen),
			     seq, false);
	return dlen;
}

/* um3n_datapath_send for the packets of aggregate and priority rules: a GRE
 * key with the packet's flow and that flow's counter (reorder.h) when it
 * fits the slot; equalise: the receiver evens the links' delays out for it
 * (aggregate), else it only puts it in order (priority). */
int um3n_datapath_send_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
			     struct um3n_drop_counters *drops, uint64_t now_us,
			     const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len,
			     const uint8_t *out, size_t n, bool equalise);

/* A TCP segment with no payload and no SYN, FIN or RST: the reverse
 * direction of a bulk flow. Aggregate rules send it on the fastest link and
 * the receiver does not hold it for equalisation (reorder.h), so a download's
 * acknowledgements keep the fast path's delay. */
static inline bool um3n_datapath_pure_ack(const struct um3n_ip_info *ip, const uint8_t *pkt)
{
	const uint8_t *tcp = pkt + ip->header_len;
	size_t doff;

	if (ip->proto != 6 || ip->header_len + 20 > ip->total_len)
		return false;
	doff = (size_t)(tcp[12] >> 4) * 4;
	return doff >= 20 && ip->header_len + doff == ip->total_len && !(tcp[13] & 0x07);
}

/* Did the packet of rule move onto link? An active-standby rule naming
 * another class of link: that link carries it only because the rule's own
 * links failed (or there are none), and its own traffic goes first (aqm.h). */
static inline bool um3n_datapath_moved(const struct um3n_datapath *dp,
				       const struct um3n_policy_rule *rule, int link)
{
	return rule->mode == UM3N_MODE_PREFER && rule->link_class != UM3N_CLASS_ANY &&
	       rule->link_class != dp->sched.links[link].link_class;
}

/* A datagram of len bytes queued on link joins its virtual queue (aqm.h). */
static inline void um3n_datapath_charge(struct um3n_datapath *dp, int link, size_t len,
					uint64_t now_us)
{
	assert(link >= 0 && (size_t)link < dp->sched.n);
	um3n_aqm_charge(&dp->aqm_link[link], dp->aqm, dp->sched.links[link].weight_kbps, len,
			now_us);
}

/* Sends the parsed inner packet pkt (ip) on the link(s) its rule in policy
 * picks, each copy with the same sequence number, remembered for re-sending.
 * Errors (counted in drops): UM3N_ENOLINK, UM3N_ENOBUFS (queue full, counted
 * queue_full, copies before it stay queued; or a packet that moved onto its
 * link refused by that link's AQM, counted aqm). Inline, like the prefer-mode pick: it is the
 * engines' per-packet path. */
static inline int um3n_datapath_send_now(struct um3n_datapath *dp, struct um3n_outq *q,
					 struct um3n_drop_counters *drops, uint64_t now_us,
					 const struct um3n_policy_rule *rule,
					 const struct um3n_ip_info *ip, const uint8_t *pkt,
					 size_t len)
{
	uint8_t out[UM3N_MAX_LINKS];
	uint32_t seq;
	uint32_t flow = rule->mode == UM3N_MODE_LOAD_BALANCE
				? um3n_linksched_flow_hash(ip, pkt, len)
				: 0;
	size_t n = rule->mode == UM3N_MODE_AGGREGATE && um3n_datapath_pure_ack(ip, pkt)
			   ? um3n_linksched_pick_fastest(&dp->sched, len, now_us, out)
			   : um3n_linksched_pick(&dp->sched, rule, len, now_us, flow, out);

	assert(n <= dp->sched.n);
	if (n == 0) {
		drops->no_link++;
		return UM3N_ENOLINK;
	}
	if (um3n_policy_mode_keyed(rule->mode))
		return um3n_datapath_send_keyed(dp, q, drops, now_us, ip, pkt, len, out, n,
						rule->mode == UM3N_MODE_AGGREGATE);
	if (um3n_datapath_moved(dp, rule, out[0]) &&
	    !um3n_aqm_admit_moved(&dp->aqm_link[out[0]], dp->aqm,
				  dp->sched.links[out[0]].weight_kbps, len + UM3N_DATA_OVERHEAD,
				  now_us, flow ? flow : um3n_linksched_flow_hash(ip, pkt, len))) {
		drops->aqm++;
		return UM3N_ENOBUFS;
	}
	/* Copies keep the first link's number: checked in that link's window. */
	seq = um3n_seqwin_seq(out[0], dp->tx_seq[out[0]]++);
	assert(seq >> UM3N_SEQ_LINK_SHIFT == out[0]);
	for (size_t i = 0; i < n; i++) {
		int dlen = um3n_datapath_encap(dp, q, now_us, out[i], pkt, len, ip->version == 6,
					       seq);

		if (dlen < 0) {
			drops->queue_full++;
			return dlen;
		}
		dp->tx_pkts[out[i]]++;
		dp->tx_bytes[out[i]] += (size_t)dlen;
		if (i > 0 || !um3n_datapath_moved(dp, rule, out[0])) /* else admitted: charged */
			um3n_datapath_charge(dp, out[i], (size_t)dlen, now_us);
	}
	return UM3N_OK;
}

/* Holds pkt, a packet of an aggregate rule, in the pacer (pacer.h) and sends
 * what is due; UM3N_ENOBUFS (counted in drops->aqm): the pacer was full. */
int um3n_datapath_pace(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us,
		       const struct um3n_policy *policy, const uint8_t *pkt, size_t len);

/* Sends the packet on the link(s) its rule in policy picks: what the apps
 * (MN) or the correspondents (HA) sent into the tunnel. TCP data of
 * aggregate rules waits in the pacer first when it is on: what it is for is
 * a window's cut (pacer.h). Not pure acknowledgements (their flow's window
 * is the other end's), not other protocols: an open-loop flow cuts nothing,
 * and pacing it under the links' rates would only drop what they carry. */
static inline int um3n_datapath_send(struct um3n_datapath *dp, struct um3n_outq *q,
				     struct um3n_drop_counters *drops, uint64_t now_us,
				     const struct um3n_policy *policy,
				     const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len)
{
	const struct um3n_policy_rule *rule = um3n_datapath_rule(dp, policy, ip);

	if (rule->mode == UM3N_MODE_AGGREGATE && ip->proto == 6 && um3n_pacer_on(&dp->pacer) &&
	    !um3n_datapath_pure_ack(ip, pkt))
		return um3n_datapath_pace(dp, q, drops, now_us, policy, pkt, len);
	return um3n_datapath_send_now(dp, q, drops, now_us, rule, ip, pkt, len);
}

/* Queues a ready datagram (a probe answer, a re-send) on link, to its
 * destination, without remembering it. Errors (counted in drops):
 * UM3N_ETOOBIG, UM3N_ENOBUFS. */
int um3n_datapath_queue(struct um3n_datapath *dp, struct um3n_outq *q,
			struct um3n_drop_counters *drops, int link, const uint8_t *dgram,
			size_t len);

/* Counts a datagram the engine queued on link itself (the MN's probes, built
 * in place). */
static inline void um3n_datapath_count_tx(struct um3n_datapath *dp, int link, size_t len)
{
	assert(link >= 0 && (size_t)link < dp->sched.n);
	dp->tx_pkts[link]++;
	dp->tx_bytes[link] += len;
}

/* Decapsulated data that arrived on link: a sequence number seen before (a
 * re-send, a redundant copy) is dropped, else the inner packet is queued for
 * the TUN device where it lies (no copy). Errors (counted in drops): UM3N_EDUP,
 * UM3N_ENOBUFS. Inline: once per received packet. */
static inline int um3n_datapath_deliver(struct um3n_datapath *dp, struct um3n_outq *q,
					struct um3n_drop_counters *drops, int link, uint32_t seq,
					const uint8_t *inner, size_t len)
{
	assert(link >= 0 && (size_t)link < dp->sched.n);
	if (um3n_seqwin_space_check(&dp->rx_seq, seq)) {
		drops->duplicate++;
		return UM3N_EDUP;
	}
	if (!um3n_outq_push_ref(q, UM3N_OUT_TUN, link, inner, len)) {
		drops->queue_full++;
		return UM3N_ENOBUFS;
	}
	return UM3N_OK;
}

/* um3n_datapath_deliver for keyed data (aggregate rules, d->has_key): after
 * the duplicate check, the packet goes through the peer's reorder queue
 * (reorder.h), which may release held ones too. Same errors. */
int um3n_datapath_deliver_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
				struct um3n_drop_counters *drops, uint64_t now_us, int link,
				const struct um3n_tunnel_data *d);
/* What is due at now_us: the reorder queue's packets whose hold bound
 * passed, the pacer's (sent by their rule in policy, as it is now). */
void um3n_datapath_timeout(struct um3n_datapath *dp, struct um3n_outq *q,
			   struct um3n_drop_counters *drops, const struct um3n_policy *policy,
			   uint64_t now_us);
/* When um3n_datapath_timeout next has something to do (or NONE). */
static inline uint64_t um3n_datapath_deadline(const struct um3n_datapath *dp)
{
	uint64_t r = um3n_reorder_deadline(&dp->rx_order), p = um3n_pacer_next_us(&dp->pacer);

	return r < p ? r : p;
}

/* Link `link` failed (the caller has made it unusable first): what it carried
 * in the last window_us goes again on the links its rule in policy picks now,
 * never on `link` itself; the receiver's sequence window drops what had
 * arrived after all. Returns how many datagrams the history held for the link;
 * *resent (and resent_pkts[link]) how many copies went out again. */
size_t um3n_datapath_failover(struct um3n_datapath *dp, struct um3n_outq *q,
			      struct um3n_drop_counters *drops, uint64_t now_us, uint64_t window_us,
			      int link, const struct um3n_policy *policy, size_t *resent);

#endif
