/* Sender-side queue management per link (aqm.h). */
#include "aqm.h"

#include <assert.h>

static uint64_t cost_ns(uint32_t kbps, size_t len)
{
	assert(kbps > 0);
	return (uint64_t)(len + UM3N_AQM_LINK_EXTRA) * 8 * 1000000 / kbps;
}

/* An idle queue is pulled up to the present: it banks no credit. */
static void put_at(uint64_t *vfinish_ns, uint32_t kbps, size_t len, uint64_t now_us)
{
	uint64_t now_ns = now_us * 1000;

	*vfinish_ns = (*vfinish_ns > now_ns ? *vfinish_ns : now_ns) + cost_ns(kbps, len);
}

static void put(struct um3n_aqm_link *a, uint32_t kbps, size_t len, uint64_t now_us)
{
	put_at(&a->vfinish_ns, kbps, len, now_us);
}

void um3n_aqm_charge(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint32_t kbps,
		     size_t len, uint64_t now_us)
{
	if (!c || !c->limit_us || !kbps)
		return;
	a->own_us = now_us + 1;
	if (um3n_aqm_backlog_us(a, now_us) < c->interval_us) {
		put(a, kbps, len, now_us);
		put_at(&a->vown_ns, kbps, len, now_us); /* keeps vown_ns <= vfinish_ns */
	}
}

/* interval / sqrt(count) without floating point: sqrt(count << 20) is
 * sqrt(count) in units of 1/1024. */
static uint64_t control_law(uint32_t interval_us, uint32_t count)
{
	uint64_t x = (uint64_t)count << 20, r = 0;

	assert(count > 0);
	for (uint64_t bit = 1ull << 40; bit; bit >>= 2) { /* integer square root */
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	assert(r >= 1024);
	return (uint64_t)interval_us * 1024 / r;
}

/* Halves the flows' counts once per interval passed: what they sent lately. */
static void decay(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint64_t now_us)
{
	uint64_t sum = 0;
	unsigned shift = 0;

	if (now_us < a->decay_us)
		return;
	while (shift < 32 && now_us >= a->decay_us) {
		shift++;
		a->decay_us += c->interval_us ? c->interval_us : UM3N_AQM_INTERVAL_US;
	}
	if (now_us >= a->decay_us) /* idle for long: start afresh */
		a->decay_us = now_us + (c->interval_us ? c->interval_us : UM3N_AQM_INTERVAL_US);
	for (int i = 0; i < UM3N_AQM_FLOWS; i++) {
		a->flow_bytes[i] = shift >= 32 ? 0 : a->flow_bytes[i] >> shift;
		sum += a->flow_bytes[i];
	}
	a->moved_bytes = sum;
}

/* A flow sending no more than the average of the moved flows active lately. */
static bool sparse(const struct um3n_aqm_link *a, uint32_t flow)
{
	uint64_t mine = a->flow_bytes[flow % UM3N_AQM_FLOWS], active = 0;

	for (int i = 0; i < UM3N_AQM_FLOWS; i++)
		active += a->flow_bytes[i] || (uint32_t)i == flow % UM3N_AQM_FLOWS;
	return mine * active < a->moved_bytes;
}

static void count_flow(struct um3n_aqm_link *a, uint32_t flow, size_t len)
{
	uint32_t *b = &a->flow_bytes[flow % UM3N_AQM_FLOWS];

	*b = *b > UINT32_MAX - len ? UINT32_MAX : *b + (uint32_t)len;
	a->moved_bytes += len;
}

bool um3n_aqm_admit_moved(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint32_t kbps,
			  size_t len, uint64_t now_us, uint32_t flow)
{
	uint64_t sojourn;

	if (!c || !c->limit_us || !kbps)
		return true;
	sojourn = um3n_aqm_moved_backlog_us(a, now_us);
	decay(a, c, now_us);
	if (!um3n_aqm_room_us(a, c, now_us) && !sparse(a, flow))
		return false;  /* the hard bound: never a deep queue of moved traffic */
	if (sparse(a, flow)) { /* not the queue's cause: CoDel judges the others */
		count_flow(a, flow, len);
		put(a, kbps, len, now_us);
		return true;
	}
	if (sojourn < c->target_us || !c->interval_us) {
		a->above_until_us = 0;
		a->dropping = false;
	} else if (!a->above_until_us) {
		a->above_until_us = now_us + c->interval_us; /* a burst may pass: wait */
	} else if (!a->dropping && now_us >= a->above_until_us) {
		/* Above target for a whole interval: a standing queue. Start
		 * dropping, where the last episode left off if it was recent. */
		a->dropping = true;
		uint32_t delta = a->count - a->last_count;

		a->count = delta > 1 && now_us < a->drop_next_us + 16ull * c->interval_us ? delta
											  : 1;
		a->last_count = a->count;
		a->drop_next_us = now_us + control_law(c->interval_us, a->count);
		return false;
	} else if (a->dropping && now_us >= a->drop_next_us) {
		a->count++;
		a->drop_next_us += control_law(c->interval_us, a->count);
		return false;
	}
	count_flow(a, flow, len);
	put(a, kbps, len, now_us);
	return true;
}
