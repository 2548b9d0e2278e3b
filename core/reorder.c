/* Per-flow reordering at the receiver (reorder.h). */
#include "reorder.h"

#include <assert.h>
#include <string.h>

#define CTR_HALF ((UM3N_REORDER_CTR_MASK + 1) / 2)
#define POOL_MAX (1u << 20)

/* RFC 1982 on 28 bits: is a after b? */
static inline bool ctr_after(uint32_t a, uint32_t b)
{
	uint32_t d = (a - b) & UM3N_REORDER_CTR_MASK;

	return d != 0 && d < CTR_HALF;
}

int um3n_reorder_pool_init(struct um3n_reorder_pool *p, const struct um3n_env *env, size_t cap,
			   size_t slot_size, size_t peer_max, uint64_t max_hold_us)
{
	memset(p, 0, sizeof(*p));
	p->free_head = p->lent_head = UM3N_REORDER_NIL;
	if (cap > POOL_MAX || (cap && (slot_size == 0 || peer_max == 0 || peer_max > cap)))
		return UM3N_EINVAL;
	if (cap == 0 || max_hold_us == 0)
		return UM3N_OK; /* holding off: keyed packets go through as they come */
	p->meta = env->alloc(env->ctx, cap * sizeof(*p->meta));
	p->bufs = env->alloc(env->ctx, cap * slot_size);
	if (!p->meta || !p->bufs) {
		um3n_reorder_pool_fini(p, env);
		return UM3N_ENOMEM;
	}
	p->cap = p->n_free = cap;
	p->slot = slot_size;
	p->peer_max = peer_max;
	p->max_hold_us = max_hold_us;
	for (size_t i = 0; i < cap; i++)
		p->meta[i].next = i + 1 < cap ? (uint32_t)(i + 1) : UM3N_REORDER_NIL;
	p->free_head = 0;
	return UM3N_OK;
}

void um3n_reorder_pool_fini(struct um3n_reorder_pool *p, const struct um3n_env *env)
{
	if (p->meta)
		env->free(env->ctx, p->meta);
	if (p->bufs)
		env->free(env->ctx, p->bufs);
	memset(p, 0, sizeof(*p));
	p->free_head = p->lent_head = UM3N_REORDER_NIL;
}

void um3n_reorder_reclaim(struct um3n_reorder_pool *p, const struct um3n_outq *q)
{
	if (q->count != 0 || p->lent_head == UM3N_REORDER_NIL)
		return;
	while (p->lent_head != UM3N_REORDER_NIL) {
		uint32_t i = p->lent_head;

		p->lent_head = p->meta[i].next;
		p->meta[i].next = p->free_head;
		p->free_head = i;
		p->n_free++;
		p->n_lent--;
	}
	assert(p->n_lent == 0 && p->n_free <= p->cap);
}

void um3n_reorder_init(struct um3n_reorder *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < UM3N_REORDER_FLOWS; i++)
		r->f[i].head = r->f[i].tail = UM3N_REORDER_NIL;
	r->deadline_us = UM3N_TIME_NONE;
}

/* The fastest and slowest of the links in set by d[]. */
static void span(const int64_t *d, uint8_t set, int64_t *lo, int64_t *hi)
{
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (int l = 0; l < UM3N_MAX_LINKS; l++) {
		if (!(set >> l & 1))
			continue;
		*lo = d[l] < *lo ? d[l] : *lo;
		*hi = d[l] > *hi ? d[l] : *hi;
	}
}

void um3n_reorder_paths(const struct um3n_reorder_pool *p, const int64_t *delay_us,
			const int64_t *base_us, uint8_t usable, struct um3n_reorder_paths *pa)
{
	const int64_t *b = base_us ? base_us : delay_us;
	int64_t lo, hi;
	uint64_t spread = 0, hold;

	memset(pa, 0, sizeof(*pa));
	span(b, usable, &lo, &hi);
	for (int l = 0; l < UM3N_MAX_LINKS; l++) {
		/* A link slower than the bound can never be waited for: its
		 * packets come late whatever we do, so the flow is not held for it. */
		if (!(usable >> l & 1) ||
		    !um3n_reorder_admit((uint64_t)(b[l] - lo), p->max_hold_us))
			continue;
		pa->usable |= (uint8_t)(1u << l);
		if (b[l] - lo >= UM3N_REORDER_EQ_MIN_US)
			pa->slower |= (uint8_t)(1u << l);
	}
	span(b, pa->usable, &lo, &hi);
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		if (pa->usable >> l & 1)
			pa->lag_us[l] = (uint64_t)(hi - b[l]);
	span(delay_us, pa->usable, &lo, &hi);
	if (pa->usable && hi > lo)
		spread = (uint64_t)(hi - lo);
	hold = spread + spread / 4 + UM3N_REORDER_MARGIN_US;
	pa->hold_us = hold < p->max_hold_us ? hold : p->max_hold_us;
}

uint64_t um3n_reorder_hold_us(const struct um3n_reorder_pool *p, const int64_t *delay_us,
			      uint8_t usable)
{
	struct um3n_reorder_paths pa;

	um3n_reorder_paths(p, delay_us, NULL, usable, &pa);
	return pa.hold_us;
}

static int push(struct um3n_outq *q, struct um3n_drop_counters *drops, int link, const uint8_t *pkt,
		size_t len)
{
	if (um3n_outq_push_ref(q, UM3N_OUT_TUN, link, pkt, len))
		return UM3N_OK;
	drops->queue_full++;
	return UM3N_ENOBUFS;
}

/* Delivers and frees the flow's first held slot; its counter becomes the
 * flow's past. The bytes stay until a later input takes the slot again. */
static void release_head(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
			 struct um3n_drop_counters *drops, struct um3n_reorder_flow *f,
			 uint64_t now_us, uint64_t *counter)
{
	uint32_t i = f->head;
	struct um3n_reorder_slot *s = &p->meta[i];
	uint64_t bin = (now_us - s->held_at_us) / 1000;

	assert(i < p->cap && f->n_held > 0 && r->n_held > 0 && now_us >= s->held_at_us);
	f->head = s->next;
	if (f->head == UM3N_REORDER_NIL)
		f->tail = UM3N_REORDER_NIL;
	f->n_held--;
	r->n_held--;
	f->next_ctr = (s->ctr + 1) & UM3N_REORDER_CTR_MASK;
	push(q, drops, s->link, p->bufs + (size_t)i * p->slot, s->len);
	if (s->gap) /* equalised ones were counted when held */
		(*counter)++;
	p->st.hist[bin < UM3N_REORDER_HIST_BINS ? bin : UM3N_REORDER_HIST_BINS - 1]++;
	/* Its output points into the slot until q is drained (reclaim). */
	s->next = p->lent_head;
	p->lent_head = i;
	p->n_lent++;
	assert(p->n_free + p->n_lent <= p->cap);
}

/* Every link that may carry the flow delivered a packet after the expected
 * one: being FIFO, none of them can bring it any more. */
static bool gap_lost(const struct um3n_reorder_flow *f, uint8_t usable)
{
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		if (usable >> l & 1 && (!(f->seen >> l & 1) || !ctr_after(f->top[l], f->next_ctr)))
			return false;
	return true;
}

/* A repair may still fill the flow's present gap (um3n_reorder_wait_repair). */
static bool awaits_repair(const struct um3n_reorder_flow *f, uint64_t now_us)
{
	return now_us < f->repair_until_us && ctr_after(f->next_ctr, f->repair_lo) &&
	       ctr_after(f->repair_hi, f->next_ctr);
}

/* Releases what follows the expected counter without a gap once its time
 * came (equalisation), and past gaps the links prove lost; counts them in
 * *counter (then in proved). */
static void release_ready(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
			  struct um3n_drop_counters *drops, struct um3n_reorder_flow *f,
			  uint64_t now_us, uint8_t usable, uint64_t *counter)
{
	while (f->head != UM3N_REORDER_NIL) {
		const struct um3n_reorder_slot *s = &p->meta[f->head];

		if (s->ctr == f->next_ctr) {
			if (s->ready_us > now_us)
				return;
			release_head(r, p, q, drops, f, now_us, counter);
		} else if (!awaits_repair(f, now_us) && gap_lost(f, usable)) {
			counter = &p->st.proved;
			f->next_ctr = s->ctr; /* past the gap; it leaves when ready */
		} else {
			assert(ctr_after(s->ctr, f->next_ctr));
			return;
		}
	}
}

/* When the flow's first held packet leaves: at its ready time if it is the
 * next in order, else when its gap's bound passes. */
static uint64_t head_due(const struct um3n_reorder_pool *p, const struct um3n_reorder_flow *f)
{
	const struct um3n_reorder_slot *s = &p->meta[f->head];

	assert(f->head != UM3N_REORDER_NIL && s->ready_us <= s->deadline_us);
	return s->ctr == f->next_ctr ? s->ready_us : s->deadline_us;
}

/* The earliest head due; while a repair is awaited, its end too, when the
 * gaps it kept from being proved lost are looked at again. */
static void update_deadline(struct um3n_reorder *r, const struct um3n_reorder_pool *p,
			    uint64_t now_us)
{
	uint64_t d = UM3N_TIME_NONE;

	for (int i = 0; i < UM3N_REORDER_FLOWS; i++) {
		const struct um3n_reorder_flow *f = &r->f[i];

		if (f->head == UM3N_REORDER_NIL)
			continue;
		if (head_due(p, f) < d)
			d = head_due(p, f);
		if (awaits_repair(f, now_us) && f->repair_until_us < d)
			d = f->repair_until_us;
	}
	assert((d == UM3N_TIME_NONE) == (r->n_held == 0));
	r->deadline_us = d;
}

/* Inserts slot i (counter ctr, after the flow's expected one) in counter
 * order; false if the counter is held already (then nothing changed). */
static bool insert(struct um3n_reorder_pool *p, struct um3n_reorder_flow *f, uint32_t i,
		   uint32_t ctr)
{
	uint32_t *link = &f->head;

	if (f->tail != UM3N_REORDER_NIL && ctr_after(ctr, p->meta[f->tail].ctr)) {
		link = &p->meta[f->tail].next; /* the common case: in order behind a gap */
	} else {
		while (*link != UM3N_REORDER_NIL && ctr_after(ctr, p->meta[*link].ctr))
			link = &p->meta[*link].next;
		if (*link != UM3N_REORDER_NIL && p->meta[*link].ctr == ctr)
			return false;
	}
	p->meta[i].next = *link;
	*link = i;
	if (p->meta[i].next == UM3N_REORDER_NIL)
		f->tail = i;
	return true;
}

static int hold(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
		struct um3n_drop_counters *drops, struct um3n_reorder_flow *f, uint64_t now_us,
		int link, uint32_t ctr, const uint8_t *pkt, size_t len, uint64_t hold_us,
		uint64_t lag_us)
{
	uint32_t i = p->free_head, prev_ctr = 0;
	bool prev_gap = true;
	struct um3n_reorder_slot *s;

	if (i == UM3N_REORDER_NIL || r->n_held >= p->peer_max || len > p->slot) {
		p->st.overflow++;
		return push(q, drops, link, pkt, len);
	}
	assert(i < p->cap && p->n_free > 0);
	s = &p->meta[i];
	p->free_head = s->next;
	if (f->tail != UM3N_REORDER_NIL) {
		prev_ctr = p->meta[f->tail].ctr;
		prev_gap = p->meta[f->tail].gap;
	}
	if (!insert(p, f, i, ctr)) {
		s->next = p->free_head; /* a second copy of a held packet */
		p->free_head = i;
		p->st.late++;
		return push(q, drops, link, pkt, len);
	}
	p->n_free--;
	memcpy(p->bufs + (size_t)i * p->slot, pkt, len);
	s->ctr = ctr;
	s->len = (uint32_t)len;
	s->link = link;
	s->held_at_us = now_us;
	s->ready_us = now_us + lag_us;
	s->deadline_us = now_us + (hold_us > lag_us ? hold_us : lag_us);
	/* In order: the next one, or right behind held in-order ones. */
	s->gap = !(ctr == f->next_ctr ||
		   (s->next == UM3N_REORDER_NIL && f->head != i &&
		    ((ctr - 1) & UM3N_REORDER_CTR_MASK) == prev_ctr && !prev_gap));
	f->n_held++;
	r->n_held++;
	if (s->gap)
		p->st.held++;
	else
		p->st.equalised++;
	return UM3N_OK;
}

/* The sender restarted its counters (or a flow came back after a long
 * silence): what was held is released in order, and the flow starts at ctr. */
static void restart(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
		    struct um3n_drop_counters *drops, struct um3n_reorder_flow *f, uint64_t now_us,
		    uint32_t ctr)
{
	while (f->head != UM3N_REORDER_NIL)
		release_head(r, p, q, drops, f, now_us, &p->st.timed_out);
	f->started = true;
	f->next_ctr = ctr;
	f->seen = 0;
}

int um3n_reorder_input(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us, int link, uint32_t key,
		       const uint8_t *pkt, size_t len, const struct um3n_reorder_paths *pa)
{
	struct um3n_reorder_flow *f = &r->f[key >> UM3N_REORDER_FLOW_SHIFT];
	uint32_t ctr = key & UM3N_REORDER_CTR_MASK, dist;
	bool had_held = f->n_held > 0;
	uint64_t lag;
	int rc;

	assert(link >= 0 && link < UM3N_MAX_LINKS && pkt && len > 0);
	assert(r->n_held <= p->cap && pa->hold_us <= p->max_hold_us);
	if (p->cap == 0)
		return push(q, drops, link, pkt, len);
	um3n_reorder_reclaim(p, q);
	dist = (ctr - f->next_ctr) & UM3N_REORDER_CTR_MASK;
	if (!f->started ||
	    (dist > UM3N_REORDER_WINDOW && dist < UM3N_REORDER_CTR_MASK + 1 - UM3N_REORDER_WINDOW))
		restart(r, p, q, drops, f, now_us, ctr);
	if (!(f->seen >> link & 1) || ctr_after(ctr, f->top[link]))
		f->top[link] = ctr;
	f->seen |= (uint8_t)(1u << link);
	r->usable = pa->usable;
	lag = pa->slower && !(key & UM3N_REORDER_NO_EQ) ? pa->lag_us[link] : 0;
	if (lag > p->max_hold_us)
		lag = p->max_hold_us;
	if (ctr == f->next_ctr && lag == 0 &&
	    (f->head == UM3N_REORDER_NIL || p->meta[f->head].ctr != ctr)) {
		f->next_ctr = (ctr + 1) & UM3N_REORDER_CTR_MASK;
		rc = push(q, drops, link, pkt, len);
	} else if (ctr != f->next_ctr && !ctr_after(ctr, f->next_ctr)) {
		p->st.late++;
		return push(q, drops, link, pkt, len);
	} else {
		rc = hold(r, p, q, drops, f, now_us, link, ctr, pkt, len, pa->hold_us, lag);
	}
	if (f->n_held > 0)
		release_ready(r, p, q, drops, f, now_us, pa->usable, &p->st.filled);
	if (had_held || f->n_held > 0)
		update_deadline(r, p, now_us);
	return rc;
}

void um3n_reorder_wait_repair(struct um3n_reorder *r, const struct um3n_reorder_pool *p,
			      uint64_t now_us, uint64_t until_us, int link, uint32_t key)
{
	unsigned shown = key >> UM3N_REORDER_FLOW_SHIFT;

	assert(link >= 0 && link < UM3N_MAX_LINKS);
	for (unsigned i = 0; i < UM3N_REORDER_FLOWS; i++) {
		struct um3n_reorder_flow *f = &r->f[i];
		bool seen = f->seen >> link & 1;
		uint32_t lo = seen ? f->top[link] : f->next_ctr - 1;

		if (!f->started)
			continue;
		f->repair_lo = lo & UM3N_REORDER_CTR_MASK;
		f->repair_hi = i == shown ? key & UM3N_REORDER_CTR_MASK
					  : (lo + UM3N_REORDER_WINDOW) & UM3N_REORDER_CTR_MASK;
		f->repair_until_us = until_us;
		/* What is held after lo waits for the repair: its bound
		 * stretches to the repair's, at most max_hold_us after it came. */
		for (uint32_t j = f->head; j != UM3N_REORDER_NIL; j = p->meta[j].next) {
			struct um3n_reorder_slot *s = &p->meta[j];
			uint64_t cap = s->held_at_us + p->max_hold_us;
			uint64_t d = until_us < cap ? until_us : cap;

			if (s->gap && ctr_after(s->ctr, f->repair_lo) && d > s->deadline_us)
				s->deadline_us = d;
		}
	}
	if (r->n_held)
		update_deadline(r, p, now_us);
}

void um3n_reorder_timeout(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
			  struct um3n_drop_counters *drops, uint64_t now_us)
{
	if (now_us < r->deadline_us)
		return;
	um3n_reorder_reclaim(p, q);
	for (int i = 0; i < UM3N_REORDER_FLOWS; i++) {
		struct um3n_reorder_flow *f = &r->f[i];
		uint64_t *counter = &p->st.filled;

		/* In order and ready, or past its gap's bound: then what follows
		 * it without a gap and is ready counts as timed out too. */
		for (uint16_t before = 0; f->n_held != before;) {
			while (f->head != UM3N_REORDER_NIL && head_due(p, f) <= now_us) {
				if (p->meta[f->head].ctr != f->next_ctr)
					counter = &p->st.timed_out;
				release_head(r, p, q, drops, f, now_us, counter);
			}
			/* A repair awaited may have held a proof back. */
			before = f->n_held;
			if (f->head != UM3N_REORDER_NIL)
				release_ready(r, p, q, drops, f, now_us, r->usable, &p->st.filled);
		}
	}
	update_deadline(r, p, now_us);
	assert(r->deadline_us > now_us);
}

void um3n_reorder_drop_all(struct um3n_reorder *r, struct um3n_reorder_pool *p)
{
	for (int i = 0; i < UM3N_REORDER_FLOWS; i++) {
		struct um3n_reorder_flow *f = &r->f[i];

		while (f->head != UM3N_REORDER_NIL) {
			uint32_t h = f->head;

			assert(h < p->cap);
			f->head = p->meta[h].next;
			p->meta[h].next = p->free_head;
			p->free_head = h;
			p->n_free++;
		}
	}
	assert(p->n_free <= p->cap);
	um3n_reorder_init(r);
}

uint64_t um3n_reorder_percentile_us(const struct um3n_reorder_stats *st, unsigned pct)
{
	uint64_t total = 0, run = 0, want;

	assert(pct <= 100);
	for (int i = 0; i < UM3N_REORDER_HIST_BINS; i++)
		total += st->hist[i];
	if (total == 0)
		return 0;
	want = (total * pct + 99) / 100;
	for (int i = 0; i < UM3N_REORDER_HIST_BINS; i++) {
		run += st->hist[i];
		if (run >= want && run > 0)
			return (uint64_t)(i + 1) * 1000;
	}
	return (uint64_t)UM3N_REORDER_HIST_BINS * 1000;
}

void um3n_reorder_status(const struct um3n_reorder_pool *p, struct um3n_reorder_status *st)
{
	st->held = p->st.held;
	st->filled = p->st.filled;
	st->proved = p->st.proved;
	st->timed_out = p->st.timed_out;
	st->overflow = p->st.overflow;
	st->late = p->st.late;
	st->equalised = p->st.equalised;
	st->p50_us = um3n_reorder_percentile_us(&p->st, 50);
	st->p99_us = um3n_reorder_percentile_us(&p->st, 99);
	assert(st->filled + st->proved + st->timed_out <= st->held);
}
