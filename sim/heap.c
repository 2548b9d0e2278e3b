/* Binary min-heap of simulator events keyed by (t_us, seq). */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

#include "um3n.h"

#define SIM_HEAP_DEFAULT_CAP 1024

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us;
	return a->seq < b->seq;
}

int sim_heap_init(struct sim_heap *h, size_t cap_hint)
{
	memset(h, 0, sizeof(*h));
	h->cap = cap_hint ? cap_hint : SIM_HEAP_DEFAULT_CAP;
	h->ev = malloc(h->cap * sizeof(*h->ev));
	if (!h->ev) {
		h->cap = 0;
		return UM3N_ENOMEM;
	}
	return 0;
}

void sim_heap_free(struct sim_heap *h)
{
	free(h->ev);
	memset(h, 0, sizeof(*h));
}

static int heap_grow(struct sim_heap *h)
{
	size_t cap = h->cap ? h->cap * 2 : SIM_HEAP_DEFAULT_CAP;
	struct sim_event *ev = realloc(h->ev, cap * sizeof(*ev));

	if (!ev)
		return UM3N_ENOMEM;
	h->ev = ev;
	h->cap = cap;
	return 0;
}

static void sift_up(struct sim_heap *h, size_t i)
{
	struct sim_event moving = h->ev[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ev_before(&moving, &h->ev[parent]))
			break;
		h->ev[i] = h->ev[parent];
		i = parent;
	}
	h->ev[i] = moving;
}

static void sift_down(struct sim_heap *h, size_t i)
{
	struct sim_event moving = h->ev[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->len)
			break;
		if (child + 1 < h->len && ev_before(&h->ev[child + 1], &h->ev[child]))
			child++;
		if (!ev_before(&h->ev[child], &moving))
			break;
		h->ev[i] = h->ev[child];
		i = child;
	}
	h->ev[i] = moving;
}

int sim_heap_push(struct sim_heap *h, uint64_t t_us, uint32_t kind, uint32_t idx, uint64_t arg,
		  void *ptr)
{
	if (h->len == h->cap && heap_grow(h) != 0)
		return UM3N_ENOMEM;
	h->ev[h->len] = (struct sim_event){
		.t_us = t_us,
		.seq = h->next_seq++,
		.kind = kind,
		.idx = idx,
		.arg = arg,
		.ptr = ptr,
	};
	h->len++;
	h->pushed++;
	sift_up(h, h->len - 1);
	return 0;
}

bool sim_heap_pop(struct sim_heap *h, struct sim_event *out)
{
	if (h->len == 0)
		return false;
	*out = h->ev[0];
	h->len--;
	if (h->len > 0) {
		h->ev[0] = h->ev[h->len];
		sift_down(h, 0);
	}
	return true;
}

uint64_t sim_heap_peek_time(const struct sim_heap *h)
{
	return h->len ? h->ev[0].t_us : UINT64_MAX;
}

size_t sim_heap_remove_ptr(struct sim_heap *h, const void *ptr)
{
	size_t kept = 0, removed;

	for (size_t i = 0; i < h->len; i++)
		if (h->ev[i].ptr != ptr)
			h->ev[kept++] = h->ev[i];
	removed = h->len - kept;
	h->len = kept;
	/* Rebuild bottom-up: cheaper than n pushes and keeps the (t, seq) order. */
	for (size_t i = h->len / 2; i-- > 0;)
		sift_down(h, i);
	return removed;
}
