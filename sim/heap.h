/* Event heap on virtual time (µs) for the um3n simulator.
 *
 * A binary min-heap of events ordered by (time, insertion sequence): two events
 * at the same microsecond pop in the order they were pushed, which is what
 * makes a run with a given seed reproducible byte for byte. */
#ifndef SIM_HEAP_H
#define SIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_event {
	uint64_t t_us; /* virtual time the event fires */
	uint64_t seq;  /* insertion order; breaks ties deterministically */
	uint32_t kind; /* what to do (the driver's enum) */
	uint32_t idx;  /* small argument: link, flow or engine index */
	uint64_t arg;  /* second argument: a generation counter, a value */
	void *ptr;     /* object the event is about (a packet), or NULL */
};

struct sim_heap {
	struct sim_event *ev;
	size_t len, cap;
	uint64_t next_seq;
	uint64_t pushed; /* total events ever pushed (for --bench) */
};

/* Errors: UM3N_ENOMEM. cap_hint 0 picks a default; the heap grows by doubling
 * (amortised, never per event once warm). */
int sim_heap_init(struct sim_heap *h, size_t cap_hint);
void sim_heap_free(struct sim_heap *h);

/* Errors: UM3N_ENOMEM. */
int sim_heap_push(struct sim_heap *h, uint64_t t_us, uint32_t kind, uint32_t idx, uint64_t arg,
		  void *ptr);
/* Pops the earliest event into *out; false when empty. */
bool sim_heap_pop(struct sim_heap *h, struct sim_event *out);
/* Time of the earliest event, UINT64_MAX when empty. */
uint64_t sim_heap_peek_time(const struct sim_heap *h);
static inline size_t sim_heap_len(const struct sim_heap *h) { return h->len; }

/* Removes every event whose ptr matches (used when a packet pool is torn down);
 * returns how many were removed. O(n). */
size_t sim_heap_remove_ptr(struct sim_heap *h, const void *ptr);

#endif
