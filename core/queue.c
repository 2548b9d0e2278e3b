#include "queue.h"

#include <string.h>

int um3n_outq_init(struct um3n_outq *q, const struct um3n_env *env, size_t cap, size_t slot)
{
	size_t size = 1;

	memset(q, 0, sizeof(*q));
	if (cap == 0 || cap > (1u << 20) || !um3n_outq_slot_ok(slot))
		return UM3N_EINVAL;
	if (slot == 0)
		slot = UM3N_PKT_MAX;
	while (size < cap) /* power of two: index with a mask, not a division */
		size <<= 1;
	q->meta = env->alloc(env->ctx, size * sizeof(*q->meta));
	q->bufs = env->alloc(env->ctx, size * slot);
	if (!q->meta || !q->bufs) {
		um3n_outq_fini(q, env);
		return UM3N_ENOMEM;
	}
	q->cap = size;
	q->mask = size - 1;
	q->slot = slot;
	return UM3N_OK;
}

void um3n_outq_fini(struct um3n_outq *q, const struct um3n_env *env)
{
	if (q->meta)
		env->free(env->ctx, q->meta);
	if (q->bufs)
		env->free(env->ctx, q->bufs);
	memset(q, 0, sizeof(*q));
}

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

void um3n_resend_fini(struct um3n_resend *r, const struct um3n_env *env)
{
	if (r->ent)
		env->free(env->ctx, r->ent);
	memset(r, 0, sizeof(*r));
}

size_t um3n_resend_take(struct um3n_resend *r, struct um3n_outq *q, int link, uint64_t since_us,
			void (*fn)(void *ctx, const uint8_t *dgram, size_t len), void *ctx)
{
	uint8_t copy[UM3N_PKT_MAX];
	size_t n = 0;

	/* Oldest first: start at `next` (the oldest entry) and go round once. The
	 * copy matters: fn queues outputs that may land on the very slots that
	 * hold the history. */
	for (size_t i = 0; i < r->cap; i++) {
		struct um3n_resend_entry *e = &r->ent[(r->next + i) % r->cap];
		const struct um3n_outq_slot *s;

		if (!e->valid || e->link != link || e->sent_us < since_us)
			continue;
		e->valid = false;
		s = &q->meta[e->slot];
		if (s->gen != e->gen || s->len > q->slot)
			continue; /* overwritten since */
		memcpy(copy, q->bufs + (size_t)e->slot * q->slot, s->len);
		fn(ctx, copy, s->len);
		n++;
	}
	return n;
}
