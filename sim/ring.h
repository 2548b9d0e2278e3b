/* A growable ring of fixed-size records indexed by a 64-bit id (a sequence
 * number, a frame number): ids [base, end) are held, new ids are added at or
 * after the end, the oldest is dropped from the front. Memory follows the ids
 * in flight, not the number ever added (issue 19: per-packet records are kept
 * only until a packet's fate is settled). */
#ifndef SIM_RING_H
#define SIM_RING_H

#include <stddef.h>
#include <stdint.h>

struct sim_ring {
	unsigned char *buf;
	size_t elem, cap; /* cap: a power of two, or 0 */
	uint64_t base, end;
};

void sim_ring_init(struct sim_ring *r, size_t elem);
void sim_ring_free(struct sim_ring *r);
/* The record of id >= base, zeroed when new (ids between the old end and id
 * too); the ring grows to hold [base, id]. Errors: UM3N_ENOMEM. */
int sim_ring_put(struct sim_ring *r, uint64_t id, void **rec);
/* The record of id, NULL when id is outside [base, end). */
void *sim_ring_at(const struct sim_ring *r, uint64_t id);
/* The record of base, NULL when empty; pop drops it (base + 1). */
void *sim_ring_front(const struct sim_ring *r);
void sim_ring_pop(struct sim_ring *r);

#endif
