/* Which link(s) a packet goes on, given the policy rule it matched and the
 * links' states: the class the rule names (falling back to any usable link),
 * weighted per-packet aggregation, or redundancy. Shared by the MN (its uplinks)
 * and the HA (an MN's bindings) through the data path (datapath.h). No
 * allocation; the time is an argument of each pick. */
#ifndef UM3N_LINKSCHED_H
#define UM3N_LINKSCHED_H

#include "engine.h"
#include "policy.h"
#include "wire.h"

struct um3n_linksched_link {
	bool present; /* configured (MN) / bound (HA) */
	int state;    /* enum um3n_link_state */
	uint8_t link_class;
	uint8_t priority;
	uint32_t weight_kbps; /* configured; 0 = treated as UM3N_LINKSCHED_DEFAULT_KBPS */
	/* The rate aggregation and priority weigh the link by: the measured
	 * one (rateest.h); 0 = weight_kbps (no report from the peer yet, or
	 * rate_estimate = no). */
	uint32_t rate_kbps;
	/* The link's queueing delay as the receiver last reported it (tunnel.h
	 * probes; 0: none): the priority mode's overflow looks at it as well as
	 * at its own estimate, so that a rate estimate a little too high cannot
	 * fill the first link's queue unseen. */
	uint32_t queue_us;
	/* The receiver's queue on the link stayed above UM3N_RATEEST_QBUSY_US
	 * through the rate estimate's last window (rateest.h): the link is
	 * full in the network, where our virtual backlog cannot see it (a TCP
	 * flow's ACK clock sends at the bottleneck's rate, so vfinish_ns stays
	 * near now while the real queue stands). Aggregation spills from it. */
	bool full;
	/* Aggregation: when the link will have sent what we gave it (our estimate
	 * at its rate, ns), and its one-way delay up to a constant shared by all
	 * links of the same peer (MN: srtt/2; HA: from the MN's probe timestamps). */
	uint64_t vfinish_ns;
	int64_t delay_us;
	/* Since when vfinish_ns has stayed ahead of the clock (ns): the age of
	 * the link's present backlog. */
	uint64_t busy_since_ns;
	/* For the rules' thresholds (policy.h), 0 = not measured (never
	 * excludes): the smoothed RTT and the probe loss (MN: its link monitor;
	 * HA: the loss of the MN's probes, no RTT: it sends none). */
	uint32_t srtt_us;
	uint16_t loss_permille;
};

#define UM3N_LINKSCHED_DEFAULT_KBPS 1000
/* What a packet adds on the wire, as the rates count it: outer IPv4 and UDP,
 * RFC 3519, GRE with the key. */
#define UM3N_LINKSCHED_WIRE_EXTRA (20 + 8 + UM3N_DATA_KEYED_OVERHEAD)

/* The rate a link is scheduled at: measured, else its weight, else the default. */
static inline uint32_t um3n_linksched_kbps(const struct um3n_linksched_link *l)
{
	return l->rate_kbps     ? l->rate_kbps
	       : l->weight_kbps ? l->weight_kbps
				: UM3N_LINKSCHED_DEFAULT_KBPS;
}
/* priority mode: a link whose backlog (vfinish_ns ahead of now, at its
 * weight) exceeds this passes the next packet to the next link by priority. */
#define UM3N_LINKSCHED_PRIORITY_BACKLOG_US 5000

struct um3n_linksched {
	size_t n;
	struct um3n_linksched_link links[UM3N_MAX_LINKS];
	/* prefer-mode answer per class, recomputed by um3n_linksched_update() whenever
	 * a link changes, so the per-packet pick is one load; -1 = no usable link */
	int8_t prefer[UM3N_CLASS_MAX + 1];
	uint8_t usable; /* bit l: link l carries data (UP or DEGRADED), also recomputed */
	/* Aggregation with the peer's reorder queue (reorder.h): a link more
	 * than this slower than the fastest is left out; 0: no reorder queue. */
	uint64_t max_spread_us;
	/* Aggregation's links and the fastest one's delay, recomputed by
	 * um3n_linksched_update() and um3n_linksched_set_delay(), so that the
	 * per-packet pick only walks the set. */
	uint8_t agg_set;
	int64_t agg_dmin;
};

/* Call after changing any field of links[] or max_spread_us (control plane,
 * not per packet). */
void um3n_linksched_update(struct um3n_linksched *s);
/* A new delay estimate for link (probes: a few per second). */
void um3n_linksched_set_delay(struct um3n_linksched *s, int link, int64_t delay_us);

struct um3n_ip_info;
/* A hash of the inner 5-tuple (ports of TCP and UDP only) for load-balance
 * rules: the same for every packet of a flow, so a flow keeps one link. */
uint32_t um3n_linksched_flow_hash(const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len);

/* Chooses the link(s) for one packet of len bytes matching rule at now_us (the
 * aggregate and priority modes' clock), of the flow whose hash is flow (load-
 * balance only; others ignore it): writes their indices into out and returns
 * how many (0 = no usable link). A rule's thresholds (rtt_ms, loss_pct) first
 * leave out the usable links that exceed them, unless that leaves none, when
 * they are ignored.
 *  active-standby (prefer):
 *             UP before DEGRADED, then the rule's class, then lowest priority value,
 *             then lowest index; if no link of the class is usable, any usable
 *             link in the same order (UM3N_CLASS_ANY matches every class).
 *  aggregate: one usable link. With the peer's reorder queue (max_spread_us
 *             set), the one that would have sent it first: its backlog at its
 *             rate, plus this packet on the wire (the receiver equalises the
 *             delays of the links within max_spread_us of the fastest, the only
 *             ones used); a slower link only once every faster one's backlog
 *             has lasted the delay between them (busy_since_ns). Without, the
 *             one whose copy would arrive first (its delay added), which
 *             keeps one TCP flow in order at the price of using a slower path
 *             only behind a backlog as long as the difference. UP links only,
 *             unless none is UP.
 *  redundant: every usable link.
 *  smallest-delay: UP before DEGRADED, then the smallest delay_us, then as
 *             active-standby.
 *  load-balance: the flow's hash scaled to 0..99 below pct: the class's link
 *             (as active-standby, of the class only); else one of the other
 *             links, by the hash. A flow never changes links while the links
 *             stay as they are, so nothing is reordered.
 *  priority:  the first link in active-standby's order whose backlog (and
 *             reported queue_us) is at most
 *             UM3N_LINKSCHED_PRIORITY_BACKLOG_US; if all are fuller, the
 *             one that would send the packet first. Charged to its backlog. */
size_t um3n_linksched_pick_mode(struct um3n_linksched *s, const struct um3n_policy_rule *rule,
				size_t len, uint64_t now_us, uint32_t flow,
				uint8_t out[UM3N_MAX_LINKS]);

/* Aggregate rules' pure TCP acknowledgements: the fastest link of the
 * aggregation's set (charged to its backlog like any packet), so that the
 * reverse direction of a bulk flow keeps the fast path's delay and is never
 * held for equalisation (datapath.c). Returns 0 or 1. */
size_t um3n_linksched_pick_fastest(struct um3n_linksched *s, size_t len, uint64_t now_us,
				   uint8_t out[UM3N_MAX_LINKS]);

/* Prefer mode without thresholds, by far the commonest, is one cached load: inline. */
static inline size_t um3n_linksched_pick(struct um3n_linksched *s,
					 const struct um3n_policy_rule *rule, size_t len,
					 uint64_t now_us, uint32_t flow,
					 uint8_t out[UM3N_MAX_LINKS])
{
	int8_t best;

	if (rule->mode != UM3N_MODE_PREFER || rule->link_class > UM3N_CLASS_MAX || rule->rtt_ms ||
	    rule->loss_pct)
		return um3n_linksched_pick_mode(s, rule, len, now_us, flow, out);
	best = s->prefer[rule->link_class];
	if (best < 0)
		return 0;
	out[0] = (uint8_t)best;
	return 1;
}

#endif
