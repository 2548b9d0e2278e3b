#include "linksched.h"

#include <assert.h>

#include "reorder.h"
#include "wire.h"

static bool usable(const struct um3n_linksched_link *l)
{
	return l->present && (l->state == UM3N_LS_UP || l->state == UM3N_LS_DEGRADED);
}

/* Lower is better. A DEGRADED link ranks after every UP link whatever its class:
 * that is what makes a fading link hand its traffic over before it is lost
 * (make-before-break). Then the rule's class, then priority. */
static unsigned prefer_rank(const struct um3n_linksched_link *l, uint8_t want_class)
{
	bool class_ok = want_class == UM3N_CLASS_ANY || l->link_class == want_class;
	unsigned tier = (l->state == UM3N_LS_DEGRADED ? 2u : 0u) + (class_ok ? 0u : 1u);

	return tier << 8 | l->priority;
}

static int best_prefer(const struct um3n_linksched *s, uint8_t want_class)
{
	unsigned best_rank = ~0u;
	size_t best = 0;
	bool found = false;

	for (size_t i = 0; i < s->n; i++) {
		unsigned r;

		if (!usable(&s->links[i]))
			continue;
		r = prefer_rank(&s->links[i], want_class);
		if (r < best_rank) {
			best_rank = r;
			best = i;
			found = true;
		}
	}
	return found ? (int)best : -1;
}

/* The links aggregation may use: usable, UP unless none is, and (with a
 * reorder queue at the peer) slower than the fastest by no more than its
 * bound admits (um3n_reorder_admit: the same rule as the receiver's). */
static uint8_t aggregate_set(const struct um3n_linksched *s, int64_t *dmin_out)
{
	bool any_up = false;
	int64_t dmin = INT64_MAX;
	uint8_t set = 0;

	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->links[i]) && s->links[i].state == UM3N_LS_UP)
			any_up = true;
	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->links[i]) && (!any_up || s->links[i].state == UM3N_LS_UP)) {
			set |= (uint8_t)(1u << i);
			dmin = s->links[i].delay_us < dmin ? s->links[i].delay_us : dmin;
		}
	for (size_t i = 0; s->max_spread_us && i < s->n; i++)
		if (set >> i & 1 &&
		    !um3n_reorder_admit((uint64_t)(s->links[i].delay_us - dmin), s->max_spread_us))
			set &= (uint8_t) ~(1u << i);
	*dmin_out = dmin;
	return set;
}

void um3n_linksched_update(struct um3n_linksched *s)
{
	s->agg_set = aggregate_set(s, &s->agg_dmin);
	for (int c = 0; c <= UM3N_CLASS_MAX; c++)
		s->prefer[c] = (int8_t)best_prefer(s, (uint8_t)c);
	s->usable = 0;
	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->links[i]))
			s->usable |= (uint8_t)(1u << i);
}

void um3n_linksched_set_delay(struct um3n_linksched *s, int link, int64_t delay_us)
{
	assert(link >= 0 && (size_t)link < s->n);
	s->links[link].delay_us = delay_us;
	s->agg_set = aggregate_set(s, &s->agg_dmin);
}

static uint64_t tx_cost_ns(const struct um3n_linksched_link *l, size_t len)
{
	return (uint64_t)(len + UM3N_LINKSCHED_WIRE_EXTRA) * 8 * 1000000 / um3n_linksched_kbps(l);
}

/* Gives l a packet of len bytes: its virtual backlog grows by the packet's
 * time at its rate, from now if it had none (a new backlog starts). */
static void charge(struct um3n_linksched_link *l, size_t len, uint64_t now_ns)
{
	if (l->vfinish_ns <= now_ns) {
		l->vfinish_ns = now_ns;
		l->busy_since_ns = now_ns;
	}
	l->vfinish_ns += tx_cost_ns(l, len);
}

/* Whether slow may take a packet of an aggregated flow: every faster link
 * of the set has had a backlog (vfinish_ns ahead of now) for at least the
 * delay between them. A packet on the slower link makes the flow's packets
 * behind it wait for it at the peer's reorder queue, so it pays only if the
 * faster links would have kept them waiting as long anyway: a backlog that
 * lasted the difference is likely to last it again, a TCP flow's burst below
 * the faster link's rate is not (measured in um3n-ns3sim,
 * ns3-aggregate-trace: one CUBIC flow at 4 Mbit/s of a 15 Mbit/s WiFi
 * spilled every burst onto the cell, and the packets behind each waited
 * the cell's 40 ms; 4.55 Mbit/s before this rule, 8.33 with it). Counting
 * what the backlog is given at once as well (its end, not its age) let
 * slow start's bursts spill and cost ns3-aggregate-cubic 6%.
 * A faster link its receiver found full (f->full) counts as such a backlog,
 * unless slow is full too: TCP's ACK clock sends at the bottleneck's rate,
 * so the virtual backlog stays near now while the real queue stands
 * (ns3-aggregate-trace-testbed: WiFi's queue at 13-31 ms for 8 s while the
 * cell, 6-7 Mbit/s free, carried only probes; 12.30 -> 14.21 Mbit/s, median
 * of 15 seeds, against 14.08 on WiFi alone). */
static bool spill_ok(const struct um3n_linksched *s, const struct um3n_linksched_link *slow,
		     uint64_t now_ns)
{
	for (unsigned m = s->agg_set; m; m &= m - 1) {
		const struct um3n_linksched_link *f = &s->links[__builtin_ctz(m)];

		if (f->delay_us >= slow->delay_us || (f->full && !slow->full))
			continue;
		if (f->vfinish_ns <= now_ns ||
		    now_ns - f->busy_since_ns < (uint64_t)(slow->delay_us - f->delay_us) * 1000)
			return false;
	}
	return true;
}

/* Each link is a server of its rate whose backlog drains in real time; idle
 * links are pulled up to the present so they cannot bank credit while
 * unused. Without a reorder queue at the peer, the path's relative delay is
 * added: the packet goes where it would arrive first (earliest completion
 * first). With one, the receiver evens the delays out, so the packet goes
 * where it would be sent first, which fills every link in proportion to its
 * rate once the fastest has a backlog. */
static size_t pick_aggregate(struct um3n_linksched *s, size_t len, uint64_t now_us, uint8_t *out)
{
	uint64_t vnow = UINT64_MAX, now_ns = now_us * 1000, best_arrive = UINT64_MAX;
	size_t best = 0;

	if (!s->agg_set)
		return 0;
	for (unsigned m = s->agg_set; m; m &= m - 1) {
		const struct um3n_linksched_link *l = &s->links[__builtin_ctz(m)];
		uint64_t start = l->vfinish_ns > now_ns ? l->vfinish_ns : now_ns;
		uint64_t finish = start + tx_cost_ns(l, len), arrive = finish;
		uint64_t late_us = (finish - now_ns) / 1000 + (uint64_t)(l->delay_us - s->agg_dmin);

		if (l->vfinish_ns < vnow)
			vnow = l->vfinish_ns;
		if (!s->max_spread_us)
			arrive += (uint64_t)(l->delay_us - s->agg_dmin) * 1000;
		/* A slower link whose backlog would make this packet come later
		 * than the peer's reorder queue can wait (BLEST, ECF): the packet
		 * goes on a faster one, and the slow link's queue stays short. */
		else if (l->delay_us != s->agg_dmin &&
			 (!um3n_reorder_admit(late_us, s->max_spread_us) ||
			  !spill_ok(s, l, now_ns)))
			continue;
		if (arrive < best_arrive) {
			best_arrive = arrive;
			best = (size_t)__builtin_ctz(m);
		}
	}
	if (vnow < now_ns)
		vnow = now_ns;
	/* Idle links (and ones out of the set) are pulled up to the present. */
	for (size_t i = 0; i < s->n; i++)
		if (s->links[i].vfinish_ns < vnow)
			s->links[i].vfinish_ns = vnow;
	assert(s->agg_set >> best & 1);
	/* The pull-up left best's backlog where the loop found it (at now if it
	 * had none): charging it gives the finish the loop compared. */
	charge(&s->links[best], len, now_ns);
	out[0] = (uint8_t)best;
	return 1;
}

size_t um3n_linksched_pick_fastest(struct um3n_linksched *s, size_t len, uint64_t now_us,
				   uint8_t out[UM3N_MAX_LINKS])
{
	uint64_t now_ns = now_us * 1000;

	for (unsigned m = s->agg_set; m; m &= m - 1) {
		struct um3n_linksched_link *l = &s->links[__builtin_ctz(m)];

		if (l->delay_us != s->agg_dmin)
			continue;
		charge(l, len, now_ns);
		out[0] = (uint8_t)__builtin_ctz(m);
		return 1;
	}
	return 0;
}

static size_t pick_redundant(const struct um3n_linksched *s, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (usable(&s->links[i]))
			out[n++] = (uint8_t)i;
	return n;
}

/* ---- the steering modes of ATSSS beyond the three above, and thresholds ---- */

uint32_t um3n_linksched_flow_hash(const struct um3n_ip_info *ip, const uint8_t *pkt, size_t len)
{
	size_t alen = ip->version == 4 ? 4 : 16;
	uint32_t h = ip->proto * 0x85ebca6bu;

	for (size_t i = 0; i < alen; i += 4)
		h = (h ^ um3n_get32(ip->src.bytes + i) ^ um3n_get32(ip->dst.bytes + i) * 31) *
		    0x9e3779b1u;
	if ((ip->proto == 6 || ip->proto == 17) && ip->header_len + 4 <= len)
		h = (h ^ um3n_get32(pkt + ip->header_len)) * 0x9e3779b1u;
	/* Final mix (murmur3's): the split reads the high bits, which the
	 * multiplications above leave correlated for nearby ports. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ h >> 16;
}

/* The usable links within rule's thresholds; all usable ones if none is. */
static uint8_t eligible(const struct um3n_linksched *s, const struct um3n_policy_rule *rule)
{
	uint8_t all = 0, ok = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct um3n_linksched_link *l = &s->links[i];

		if (!usable(l))
			continue;
		all |= (uint8_t)(1u << i);
		if (rule->rtt_ms && l->srtt_us > (uint32_t)rule->rtt_ms * 1000)
			continue;
		if (rule->loss_pct && l->loss_permille > rule->loss_pct * 10u)
			continue;
		ok |= (uint8_t)(1u << i);
	}
	assert((ok & ~all) == 0);
	return ok ? ok : all;
}

/* best_prefer within set; class_only: no fallback to other classes. */
static int best_in(const struct um3n_linksched *s, uint8_t set, uint8_t want_class, bool class_only)
{
	unsigned best_rank = ~0u;
	int best = -1;

	for (size_t i = 0; i < s->n; i++) {
		unsigned r;

		if (!(set >> i & 1))
			continue;
		r = prefer_rank(&s->links[i], want_class);
		if ((class_only && (r >> 8 & 1)) || r >= best_rank)
			continue;
		best_rank = r;
		best = (int)i;
	}
	return best;
}

static size_t one(int link, uint8_t *out)
{
	if (link < 0)
		return 0;
	out[0] = (uint8_t)link;
	return 1;
}

static size_t pick_smallest_delay(const struct um3n_linksched *s, uint8_t set, uint8_t cls,
				  uint8_t *out)
{
	int best = -1;

	for (size_t i = 0; i < s->n; i++) {
		const struct um3n_linksched_link *l = &s->links[i], *b;

		if (!(set >> i & 1))
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		b = &s->links[best];
		/* DEGRADED last whatever its delay: it is about to go. */
		if ((l->state == UM3N_LS_DEGRADED) != (b->state == UM3N_LS_DEGRADED)) {
			if (b->state == UM3N_LS_DEGRADED)
				best = (int)i;
		} else if (l->delay_us != b->delay_us) {
			if (l->delay_us < b->delay_us)
				best = (int)i;
		} else if (prefer_rank(l, cls) < prefer_rank(b, cls)) {
			best = (int)i;
		}
	}
	return one(best, out);
}

/* The n-th (0-based) member of set, in index order. */
static int nth(uint8_t set, unsigned n)
{
	for (int i = 0; i < UM3N_MAX_LINKS; i++)
		if (set >> i & 1 && n-- == 0)
			return i;
	return -1;
}

static size_t pick_load_balance(const struct um3n_linksched *s, uint8_t set,
				const struct um3n_policy_rule *rule, uint32_t flow, uint8_t *out)
{
	int home = best_in(s, set, rule->link_class, true);
	uint8_t rest = home < 0 ? set : (uint8_t)(set & ~(1u << home));
	unsigned bucket = (unsigned)((uint64_t)flow * 100 >> 32), k = 0;
	uint32_t h2 = flow * 0x9e3779b1u; /* the split used the high bits; rehash for the rest */

	assert(bucket < 100);
	if (home >= 0 && (bucket < rule->pct || !rest))
		return one(home, out);
	for (uint8_t r = rest; r; r &= (uint8_t)(r - 1))
		k++;
	return one(k ? nth(rest, (unsigned)((uint64_t)(h2 ^ h2 >> 15) * k >> 32)) : -1, out);
}

static size_t pick_priority(struct um3n_linksched *s, uint8_t set, uint8_t cls, size_t len,
			    uint64_t now_us, uint8_t *out)
{
	uint64_t now_ns = now_us * 1000, limit = now_ns + UM3N_LINKSCHED_PRIORITY_BACKLOG_US * 1000,
		 first = UINT64_MAX;
	int pick = -1, earliest = -1;

	/* Walk the links in active-standby order: take out the best each round. */
	for (uint8_t left = set; left;) {
		int i = best_in(s, left, cls, false);

		assert(i >= 0);
		left &= (uint8_t) ~(1u << i);
		if (s->links[i].vfinish_ns <= limit &&
		    s->links[i].queue_us <= UM3N_LINKSCHED_PRIORITY_BACKLOG_US) {
			pick = i;
			break;
		}
		if (s->links[i].vfinish_ns < first) {
			first = s->links[i].vfinish_ns;
			earliest = i;
		}
	}
	if (pick < 0)
		pick = earliest;
	if (pick < 0)
		return 0;
	charge(&s->links[pick], len, now_ns);
	return one(pick, out);
}

static size_t pick_all(const struct um3n_linksched *s, uint8_t set, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (set >> i & 1)
			out[n++] = (uint8_t)i;
	return n;
}

/* Aggregation's own algorithm, on the links within the thresholds: the
 * others are hidden from it, and its cached set recomputed without them, for
 * the one call (rare: aggregate rules with thresholds). */
static size_t pick_aggregate_within(struct um3n_linksched *s, uint8_t set, size_t len,
				    uint64_t now_us, uint8_t *out)
{
	bool hidden[UM3N_MAX_LINKS];
	uint8_t agg_set = s->agg_set;
	int64_t agg_dmin = s->agg_dmin;
	size_t n;

	for (size_t i = 0; i < s->n; i++) {
		hidden[i] = s->links[i].present && !(set >> i & 1);
		if (hidden[i])
			s->links[i].present = false;
	}
	s->agg_set = aggregate_set(s, &s->agg_dmin);
	n = pick_aggregate(s, len, now_us, out);
	for (size_t i = 0; i < s->n; i++)
		if (hidden[i])
			s->links[i].present = true;
	s->agg_set = agg_set;
	s->agg_dmin = agg_dmin;
	return n;
}

size_t um3n_linksched_pick_mode(struct um3n_linksched *s, const struct um3n_policy_rule *rule,
				size_t len, uint64_t now_us, uint32_t flow,
				uint8_t out[UM3N_MAX_LINKS])
{
	bool thresholds = rule->rtt_ms || rule->loss_pct;
	uint8_t set;

	if (!thresholds && rule->mode == UM3N_MODE_AGGREGATE)
		return pick_aggregate(s, len, now_us, out);
	if (!thresholds && rule->mode == UM3N_MODE_REDUNDANT)
		return pick_redundant(s, out);
	if (rule->link_class > UM3N_CLASS_MAX)
		return 0;
	set = eligible(s, rule);
	switch (rule->mode) {
	case UM3N_MODE_AGGREGATE: return pick_aggregate_within(s, set, len, now_us, out);
	case UM3N_MODE_REDUNDANT: return pick_all(s, set, out);
	case UM3N_MODE_SMALLEST_DELAY: return pick_smallest_delay(s, set, rule->link_class, out);
	case UM3N_MODE_LOAD_BALANCE: return pick_load_balance(s, set, rule, flow, out);
	case UM3N_MODE_PRIORITY: return pick_priority(s, set, rule->link_class, len, now_us, out);
	default:
		if (!thresholds)
			return one(s->prefer[rule->link_class], out);
		return one(best_in(s, set, rule->link_class, false), out);
	}
}
