#include "linksched.h"

#include <assert.h>

#include "reorder.h"
#include "wire.h"

/* What a packet adds on the wire: outer IPv4 and UDP, RFC 3519, GRE with the key. */
#define WIRE_EXTRA (20 + 8 + UM3N_DATA_KEYED_OVERHEAD)

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
 * reorder queue at the peer) within its bound of the fastest one. */
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
		if (set >> i & 1 && (uint64_t)(s->links[i].delay_us - dmin) > s->max_spread_us)
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
	uint64_t kbps = l->weight_kbps ? l->weight_kbps : UM3N_LINKSCHED_DEFAULT_KBPS;

	return (uint64_t)(len + WIRE_EXTRA) * 8 * 1000000 / kbps;
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
	uint64_t vnow = UINT64_MAX, now_ns = now_us * 1000, best_arrive = UINT64_MAX,
		 best_finish = 0;
	size_t best = 0;

	if (!s->agg_set)
		return 0;
	for (unsigned m = s->agg_set; m; m &= m - 1) {
		const struct um3n_linksched_link *l = &s->links[__builtin_ctz(m)];
		uint64_t start = l->vfinish_ns > now_ns ? l->vfinish_ns : now_ns;
		uint64_t finish = start + tx_cost_ns(l, len), arrive = finish;

		if (l->vfinish_ns < vnow)
			vnow = l->vfinish_ns;
		if (!s->max_spread_us)
			arrive += (uint64_t)(l->delay_us - s->agg_dmin) * 1000;
		if (arrive < best_arrive) {
			best_arrive = arrive;
			best_finish = finish;
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
	s->links[best].vfinish_ns = best_finish;
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
		l->vfinish_ns = (l->vfinish_ns > now_ns ? l->vfinish_ns : now_ns) +
				tx_cost_ns(l, len);
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

size_t um3n_linksched_pick_mode(struct um3n_linksched *s, const struct um3n_policy_rule *rule,
				size_t len, uint64_t now_us, uint8_t out[UM3N_MAX_LINKS])
{
	switch (rule->mode) {
	case UM3N_MODE_AGGREGATE: return pick_aggregate(s, len, now_us, out);
	case UM3N_MODE_REDUNDANT: return pick_redundant(s, out);
	default:
		if (rule->link_class > UM3N_CLASS_MAX || s->prefer[rule->link_class] < 0)
			return 0;
		out[0] = (uint8_t)s->prefer[rule->link_class];
		return 1;
	}
}
