/* The re-send history: which recent output-ring slots (outq.h) carried data on
 * which link, so that when a link is declared dead what it carried recently
 * goes again on a survivor (the receiver's sequence window drops the
 * duplicates). It holds slot references, not copies: a slot the ring has
 * reused since (its generation moved on) is skipped. Allocated once. */
#ifndef UM3N_RESEND_H
#define UM3N_RESEND_H

#include "outq.h"

/* The re-send list: which recent outq slots carried data on which link. */
struct um3n_resend_entry {
	uint64_t sent_us;
	uint32_t slot, gen;
	uint32_t seq; /* its GRE sequence number: what a repair request names (arq.h) */
	uint8_t link;
	bool valid;
	bool keyed; /* an aggregate rule's packet: the receiver holds its flow for a repair */
};

struct um3n_resend {
	struct um3n_resend_entry *ent;
	size_t cap, next; /* ring: next is the entry overwritten next */
	bool lent;        /* ent is a slice of its owner's pool (um3n_resend_lend) */
};

/* cap 0 gives a disabled list. Errors: UM3N_ENOMEM. */
int um3n_resend_init(struct um3n_resend *r, const struct um3n_env *env, size_t cap);
/* A list of cap entries in mem, which its owner allocated (the HA's binding
 * cache holds every record's at start: bcache.h); cleared here, never freed
 * by um3n_resend_fini. r must be disabled (cap 0). */
void um3n_resend_lend(struct um3n_resend *r, struct um3n_resend_entry *mem, size_t cap);
void um3n_resend_fini(struct um3n_resend *r, const struct um3n_env *env);
/* Remember that outq slot `slot` (just committed) carried data on `link`
 * with GRE sequence number seq. */
static inline void um3n_resend_remember(struct um3n_resend *r, const struct um3n_outq *q,
					uint64_t now_us, int link, size_t slot, uint32_t seq,
					bool keyed)
{
	struct um3n_resend_entry *e;

	if (r->cap == 0)
		return;
	e = &r->ent[r->next];
	e->sent_us = now_us;
	e->slot = (uint32_t)slot;
	e->gen = q->meta[slot].gen;
	e->seq = seq;
	e->link = (uint8_t)link;
	e->valid = true;
	e->keyed = keyed;
	r->next = r->next + 1 == r->cap ? 0 : r->next + 1;
}
/* Calls fn with a private copy of every remembered datagram sent on `link` at
 * or after since_us whose slot has not been reused, oldest first, and forgets
 * them; of those, only the newest that fit in max_bytes together (UINT64_MAX:
 * all): the older ones are forgotten unsent. fn may queue new outputs.
 * Returns how many went to fn. */
size_t um3n_resend_take(struct um3n_resend *r, struct um3n_outq *q, int link, uint64_t since_us,
			uint64_t max_bytes, void (*fn)(void *ctx, const uint8_t *dgram, size_t len),
			void *ctx);
/* The remembered keyed datagram that went first with sequence number seq,
 * its slot not reused since: its bytes in q (valid until q wraps onto them),
 * or NULL; *link the link it went on (its seal's). It is given once: asked
 * for again (a repair lost too, or a forged request), it is not found.
 * Linear in the list's length: repair requests are rare (one per loss on a
 * link). */
const uint8_t *um3n_resend_take_keyed(struct um3n_resend *r, const struct um3n_outq *q,
				      uint32_t seq, size_t *len, int *link);

#endif
