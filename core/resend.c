/* The re-send history (resend.h). */
#include "resend.h"

#include <assert.h>
#include <string.h>

int um3n_resend_init(struct um3n_resend *r, const struct um3n_env *env, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (cap == 0)
		return UM3N_OK;
	r->ent = env->alloc(env->ctx, cap * sizeof(*r->ent));
	if (!r->ent)
		return UM3N_ENOMEM;
	r->cap = cap;
	return UM3N_OK;
}

void um3n_resend_lend(struct um3n_resend *r, struct um3n_resend_entry *mem, size_t cap)
{
	assert(r->cap == 0 && !r->ent && (mem || cap == 0));
	if (cap)
		memset(mem, 0, cap * sizeof(*mem));
	r->ent = cap ? mem : NULL;
	r->cap = cap;
	r->next = 0;
	r->lent = cap > 0;
}

void um3n_resend_fini(struct um3n_resend *r, const struct um3n_env *env)
{
	if (r->ent && !r->lent)
		env->free(env->ctx, r->ent);
	memset(r, 0, sizeof(*r));
}

/* Still there to re-send: sent on link at or after since_us, slot not reused. */
static bool live(const struct um3n_resend_entry *e, const struct um3n_outq *q, int link,
		 uint64_t since_us)
{
	const struct um3n_outq_slot *s = &q->meta[e->slot];

	return e->valid && e->link == link && e->sent_us >= since_us && s->gen == e->gen &&
	       s->len <= q->slot;
}

/* How many of the live entries, counted from the oldest, are left out so
 * that the newest ones fit in max_bytes. */
static size_t skip_oldest(const struct um3n_resend *r, const struct um3n_outq *q, int link,
			  uint64_t since_us, uint64_t max_bytes)
{
	uint64_t bytes = 0;
	size_t n = 0, fit = 0;
	bool full = false;

	for (size_t i = 1; i <= r->cap; i++) { /* newest first */
		const struct um3n_resend_entry *e = &r->ent[(r->next + r->cap - i) % r->cap];

		if (!live(e, q, link, since_us))
			continue;
		n++;
		bytes += q->meta[e->slot].len;
		if (!full && bytes <= max_bytes)
			fit++;
		else
			full = true;
	}
	assert(fit <= n);
	return n - fit;
}

size_t um3n_resend_take(struct um3n_resend *r, struct um3n_outq *q, int link, uint64_t since_us,
			uint64_t max_bytes, void (*fn)(void *ctx, const uint8_t *dgram, size_t len),
			void *ctx)
{
	uint8_t copy[UM3N_PKT_MAX];
	size_t n = 0,
	       skip = max_bytes == UINT64_MAX ? 0 : skip_oldest(r, q, link, since_us, max_bytes);

	/* Oldest first: start at `next` (the oldest entry) and go round once. The
	 * copy matters: fn queues outputs that may land on the very slots that
	 * hold the history. */
	for (size_t i = 0; i < r->cap; i++) {
		struct um3n_resend_entry *e = &r->ent[(r->next + i) % r->cap];
		const struct um3n_outq_slot *s = &q->meta[e->slot];

		if (!live(e, q, link, since_us)) {
			if (e->valid && e->link == link && e->sent_us >= since_us)
				e->valid = false; /* overwritten since */
			continue;
		}
		e->valid = false;
		if (skip) {
			skip--;
			continue;
		}
		memcpy(copy, um3n_outq_bytes(q, e->slot), s->len);
		fn(ctx, copy, s->len);
		n++;
	}
	return n;
}

const uint8_t *um3n_resend_take_keyed(struct um3n_resend *r, const struct um3n_outq *q,
				      uint32_t seq, size_t *len, int *link)
{
	for (size_t i = 1; i <= r->cap; i++) { /* newest first: the loss is recent */
		struct um3n_resend_entry *e = &r->ent[(r->next + r->cap - i) % r->cap];
		const struct um3n_outq_slot *s = &q->meta[e->slot];

		if (!e->valid || !e->keyed || e->seq != seq || s->gen != e->gen || s->len > q->slot)
			continue;
		*len = s->len;
		*link = e->link;
		e->keyed = false; /* once (a failover may still re-send it) */
		return um3n_outq_bytes(q, e->slot);
	}
	return NULL;
}
