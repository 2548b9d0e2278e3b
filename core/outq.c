/* The output ring (outq.h): allocation. Queueing and popping are inline. */
#include "outq.h"

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
	q->bytes = (size + 1) * slot; /* why + 1: outq.h */
	q->bufs = env->alloc(env->ctx, q->bytes);
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
