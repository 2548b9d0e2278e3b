/* The output ring, allocated once at engine creation (no per-packet malloc):
 * the engines write every output (UDP datagram or TUN packet) into it and the
 * driver drains it with *_poll_output(). Popped slots keep their bytes until
 * the ring wraps onto them, which is what the re-send history (resend.h)
 * points into. */
#ifndef UM3N_OUTQ_H
#define UM3N_OUTQ_H

#include "engine.h"
#include "wire.h"

struct um3n_outq_slot {
	enum um3n_out_kind kind;
	int link;
	struct um3n_sockaddr to;
	uint32_t len;
	uint32_t gen;       /* bumped on every commit: lets the re-send history tell
		       * whether a slot still holds the datagram it remembered */
	const uint8_t *ext; /* NULL: the bytes are the slot's; else the caller's */
};

/* A ring of `slot`-byte buffers (capacity rounded up to a power of two).
 * Popped slots keep their bytes until the ring wraps onto them, so the ring
 * doubles as the history of recently sent datagrams that the re-send list
 * points into: no second copy per packet. With slot equal to the largest
 * datagram (TUN MTU + tunnel headers), full-size datagrams in consecutive
 * slots are contiguous: a driver can hand a run of them to the kernel as one
 * buffer (one UDP GSO send, one copy). */
struct um3n_outq {
	struct um3n_outq_slot *meta;
	uint8_t *bufs; /* cap * slot bytes */
	size_t cap, mask, head, count, slot;
};

#define UM3N_OUTQ_SLOT_MIN UM3N_REG_MSG_MAX /* registration messages must fit */
/* A slot size um3n_outq_init() takes (the engines' conf out_slot_size). */
static inline bool um3n_outq_slot_ok(size_t slot)
{
	return slot == 0 || (slot >= UM3N_OUTQ_SLOT_MIN && slot <= UM3N_PKT_MAX);
}
/* slot 0 = UM3N_PKT_MAX. Errors: UM3N_EINVAL (cap 0 or > 2^20, slot outside
 * [UM3N_OUTQ_SLOT_MIN, UM3N_PKT_MAX]), UM3N_ENOMEM. */
int um3n_outq_init(struct um3n_outq *q, const struct um3n_env *env, size_t cap, size_t slot);
void um3n_outq_fini(struct um3n_outq *q, const struct um3n_env *env);
/* A q->slot-byte buffer for the next output, or NULL when the queue is full.
 * Nothing is queued until um3n_outq_commit(). */
static inline uint8_t *um3n_outq_reserve(struct um3n_outq *q)
{
	if (q->count == q->cap)
		return NULL;
	return q->bufs + ((q->head + q->count) & q->mask) * q->slot;
}
/* The reserved buffer as scratch space (decryption, aead.h) that may or may
 * not be queued after: whatever the re-send history remembered in that slot
 * is gone now, so the slot's generation moves on at once. */
static inline uint8_t *um3n_outq_scratch(struct um3n_outq *q)
{
	uint8_t *buf = um3n_outq_reserve(q);

	if (buf)
		q->meta[(q->head + q->count) & q->mask].gen++;
	return buf;
}

/* Queues the reserved buffer; returns its slot index (for the re-send list).
 * Inline with pop: both run once per packet. */
static inline size_t um3n_outq_commit(struct um3n_outq *q, enum um3n_out_kind kind, int link,
				      const struct um3n_sockaddr *to, size_t len)
{
	size_t tail = (q->head + q->count) & q->mask;
	struct um3n_outq_slot *s = &q->meta[tail];

	s->kind = kind;
	s->link = link;
	if (to)
		s->to = *to;
	s->len = (uint32_t)len;
	s->gen++;
	s->ext = NULL;
	q->count++;
	return tail;
}

/* Queues an output whose bytes stay where they are (in the datagram the
 * caller fed in, see engine.h): decapsulated packets leave without a copy.
 * False when the queue is full. */
static inline bool um3n_outq_push_ref(struct um3n_outq *q, enum um3n_out_kind kind, int link,
				      const uint8_t *data, size_t len)
{
	if (q->count == q->cap)
		return false;
	q->meta[um3n_outq_commit(q, kind, link, NULL, len)].ext = data;
	return true;
}

static inline bool um3n_outq_pop(struct um3n_outq *q, struct um3n_out *out)
{
	const struct um3n_outq_slot *s;

	if (q->count == 0)
		return false;
	s = &q->meta[q->head];
	out->kind = s->kind;
	out->link = s->link;
	out->to = s->to;
	out->data = s->ext ? s->ext : q->bufs + q->head * q->slot;
	out->len = s->len;
	q->head = (q->head + 1) & q->mask;
	q->count--;
	return true;
}
static inline bool um3n_outq_full(const struct um3n_outq *q) { return q->count == q->cap; }

#endif
