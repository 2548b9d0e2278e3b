/* The re-send history (resend.h). */
#include "resend.h"

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
