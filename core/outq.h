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
	const uint8_t *ext; /* NULL: the bytes are the ring's; else the caller's */
	uint32_t off;       /* where the bytes start in the ring's buffer */
};

/* A ring of cap entries (rounded up to a power of two) whose bytes lie
 * packed in one buffer: each output is written where the previous one ended
 * (back at the start when `slot` bytes no longer fit before the end), so
 * consecutive datagrams are contiguous whatever their size and a driver can
 * hand a run of them to the kernel as one buffer (one UDP GSO send, one
 * copy). Fixed `slot`-byte places did that only for datagrams of exactly
 * slot bytes: sized for the GRE key of aggregate rules, they left every
 * other rule's full-size datagram 4 bytes short of its slot, each went to
 * the kernel as its own iovec, and the daemons spent a fifth more CPU per
 * byte (README, bench).
 *
 * Popped entries keep their bytes until their index is reused, so the ring
 * doubles as the history of recently sent datagrams that the re-send list
 * points into: no second copy per packet. The buffer holds cap + 1 slots:
 * a reservation and the cap - 1 entries before it span at most cap * slot
 * bytes plus the waste of one wrap (< slot; a second wrap would need more
 * than cap * slot bytes), so a reservation never overlaps the bytes of an
 * entry whose index has not come round (tests/test_outq.c, 11). */
struct um3n_outq {
	struct um3n_outq_slot *meta;
	uint8_t *bufs; /* `bytes` = (cap + 1) * slot */
	size_t cap, mask, head, count, slot;
	size_t bytes, wpos; /* buffer size; where the next output's bytes go */
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
	return q->bufs + q->wpos;
}
/* The bytes of entry `index` (a return of um3n_outq_commit()): valid while
 * its generation is the one remembered. */
static inline const uint8_t *um3n_outq_bytes(const struct um3n_outq *q, size_t index)
{
	return q->bufs + q->meta[index].off;
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

/* Appends an entry of len bytes; returns its index. */
static inline size_t um3n_outq_append(struct um3n_outq *q, enum um3n_out_kind kind, int link,
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
/* Queues the reserved buffer (len <= q->slot); returns its index (for the
 * re-send list). Inline with pop: both run once per packet. */
static inline size_t um3n_outq_commit(struct um3n_outq *q, enum um3n_out_kind kind, int link,
				      const struct um3n_sockaddr *to, size_t len)
{
	size_t tail = um3n_outq_append(q, kind, link, to, len);
	size_t end = q->wpos + len;

	q->meta[tail].off = (uint32_t)q->wpos;
	/* the next output goes right after this one, or back at the start
	 * when a whole slot no longer fits before the end */
	q->wpos = end + q->slot <= q->bytes ? end : 0;
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
	q->meta[um3n_outq_append(q, kind, link, NULL, len)].ext = data;
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
	out->data = s->ext ? s->ext : q->bufs + s->off;
	out->len = s->len;
	q->head = (q->head + 1) & q->mask;
	q->count--;
	return true;
}
static inline bool um3n_outq_full(const struct um3n_outq *q) { return q->count == q->cap; }

#endif
