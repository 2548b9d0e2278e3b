/* Growable ring of records by id. */
#include "ring.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "um3n.h"

void sim_ring_init(struct sim_ring *r, size_t elem)
{
	assert(elem > 0);
	memset(r, 0, sizeof(*r));
	r->elem = elem;
}

void sim_ring_free(struct sim_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->base = r->end = 0;
}

static unsigned char *slot(const struct sim_ring *r, uint64_t id)
{
	return r->buf + (size_t)(id & (r->cap - 1)) * r->elem;
}

/* Copies [base, end) into a ring of cap records (a power of two), in place by id. */
static int regrow(struct sim_ring *r, size_t cap)
{
	unsigned char *nb = calloc(cap, r->elem);

	if (!nb)
		return UM3N_ENOMEM;
	for (uint64_t id = r->base; id < r->end; id++)
		memcpy(nb + (size_t)(id & (cap - 1)) * r->elem, slot(r, id), r->elem);
	free(r->buf);
	r->buf = nb;
	r->cap = cap;
	return 0;
}

int sim_ring_put(struct sim_ring *r, uint64_t id, void **rec)
{
	assert(id >= r->base);
	if (id - r->base >= r->cap) {
		size_t cap = r->cap ? r->cap : 1024;

		while (cap <= id - r->base)
			cap *= 2;
		if (regrow(r, cap))
			return UM3N_ENOMEM;
	}
	for (; r->end <= id; r->end++)
		memset(slot(r, r->end), 0, r->elem);
	*rec = slot(r, id);
	return 0;
}

void *sim_ring_at(const struct sim_ring *r, uint64_t id)
{
	return id >= r->base && id < r->end ? slot(r, id) : NULL;
}

void *sim_ring_front(const struct sim_ring *r)
{
	return r->base < r->end ? slot(r, r->base) : NULL;
}

void sim_ring_pop(struct sim_ring *r)
{
	assert(r->base < r->end);
	r->base++;
}
