/* Per-flow reordering at the receiver, for the packets of aggregate rules
 * (ARCHITECTURE.md §4): the sender puts a flow bucket (a hash of the inner
 * 5-tuple) and that bucket's counter into the GRE key; the receiver delivers a
 * packet whose counter is the next expected at once, where it lies (no copy),
 * and copies one that comes early into a slot of a bounded pool, holding it
 * until the gap before it fills, until the links prove the missing packet
 * lost (each link is FIFO: once every link that may carry the bucket has
 * delivered a later packet of it, the missing one cannot come any more), or
 * until its hold bound passes. Buckets are independent: a gap in one flow
 * never holds another. What does not fit in the pool is delivered at once,
 * out of order, and counted: never dropped.
 *
 * Delay equalisation: while the usable links (within the bound of the
 * fastest) differ in delay, every keyed packet from a faster link is held
 * for the difference (lag_us), so that the flow sees one path with the
 * slowest link's delay, from its first packet on, instead of a delay that
 * jumps whenever the slower link carries a packet: a congestion control that
 * sizes its window from the smallest RTT it saw (BBR), or leaves slow start
 * when the RTT rises (CUBIC's HyStart), would stall at the jump. That is the
 * price of one flow over paths of different delays without per-path
 * congestion control (MPTCP has it): aggregate rules are for bulk traffic;
 * latency-sensitive flows take another mode.
 *
 * One struct um3n_reorder per peer (the MN at the HA, the HA at the MN); one
 * pool per engine, allocated at creation, shared by its peers and holding the
 * counters. Released packets become TUN outputs pointing into their pool slot:
 * the slot is lent to the output queue and only freed again once that queue
 * has been emptied (a driver may feed a whole batch of datagrams before it
 * drains the outputs; engine.h). Sans-IO, no allocation per packet. */
#ifndef UM3N_REORDER_H
#define UM3N_REORDER_H

#include "engine.h"
#include "outq.h"

/* The GRE key: 4 bits of flow bucket, a bit that says "do not equalise",
 * 27 bits of that bucket's counter (serial arithmetic, RFC 1982). Priority
 * rules set the bit: their flow keeps to the first link and overflows only
 * when it is full, so it should not pay the slower link's delay for every
 * packet as an aggregated flow does (measured: one-way delay p50 48 ms
 * against 7 ms for the same flow on active-standby). Their overflow is
 * still put in order. */
#define UM3N_REORDER_FLOW_SHIFT 28
#define UM3N_REORDER_FLOWS 16
#define UM3N_REORDER_NO_EQ 0x08000000u
#define UM3N_REORDER_CTR_MASK 0x07ffffffu
/* A counter this far from the expected one (either way) is no reordering but
 * a sender that restarted its counters: the bucket starts over there. */
#define UM3N_REORDER_WINDOW 4096
/* The hold bound: the links' one-way delay spread plus this margin plus a
 * quarter of the spread (jitter), capped by the engine's maximum. A link
 * whose hold bound would pass the maximum is not used (um3n_reorder_admit). */
#define UM3N_REORDER_MARGIN_US 10000
#define UM3N_REORDER_MAX_MS_DEFAULT 100
#define UM3N_REORDER_SLOTS_DEFAULT 1024
/* Links whose delays differ less than this are one path: no equalisation. */
#define UM3N_REORDER_EQ_MIN_US 2000
/* Added-delay histogram of held packets: 1 ms bins, the last one open. */
#define UM3N_REORDER_HIST_BINS 256
#define UM3N_REORDER_NIL UINT32_MAX

static inline uint32_t um3n_reorder_key(unsigned flow, uint32_t counter, bool equalise)
{
	return (uint32_t)flow << UM3N_REORDER_FLOW_SHIFT | (equalise ? 0 : UM3N_REORDER_NO_EQ) |
	       (counter & UM3N_REORDER_CTR_MASK);
}

struct um3n_reorder_stats {
	uint64_t held;      /* copied into the pool: came before a packet of its flow */
	uint64_t filled;    /* released in order once the gap before it filled */
	uint64_t proved;    /* released early: every link proved the gap lost */
	uint64_t timed_out; /* released when its hold bound passed */
	uint64_t overflow;  /* pool (or window) full: delivered out of order at once */
	uint64_t late;      /* came after its flow had moved past it: delivered at once */
	uint64_t equalised; /* in order, held for the slower link's delay (lag) */
	uint64_t hist[UM3N_REORDER_HIST_BINS]; /* added delay of held packets, 1 ms bins */
};

struct um3n_reorder_slot {
	uint32_t next; /* the next held packet of the flow (higher counter), or NIL */
	uint32_t ctr;
	uint64_t held_at_us;
	uint64_t ready_us;    /* in order, it leaves then (equalisation; held_at if none) */
	uint64_t deadline_us; /* it leaves then even with a gap before it (>= ready_us) */
	uint32_t len;
	int link;
	bool gap; /* held for a gap (else in order, for equalisation only) */
};

struct um3n_reorder_pool {
	uint8_t *bufs; /* cap * slot bytes */
	struct um3n_reorder_slot *meta;
	size_t cap, slot, n_free;
	size_t peer_max;    /* slots one peer may hold at most */
	uint32_t free_head; /* free slots, linked through meta[].next */
	uint32_t lent_head; /* released slots whose output may still be queued */
	size_t n_lent;
	uint64_t max_hold_us; /* 0: no holding, keyed packets delivered as they come */
	struct um3n_reorder_stats st;
};

struct um3n_reorder_flow {
	uint32_t next_ctr;            /* the counter delivered next */
	uint32_t head, tail;          /* held slots by counter, lowest first; NIL: none */
	uint32_t top[UM3N_MAX_LINKS]; /* the highest counter each link delivered */
	uint16_t n_held;
	uint8_t seen; /* links whose top[] is set */
	bool started;
	/* A repair was asked for (arq.h) of a packet this flow may have lost
	 * with a counter after repair_lo and before repair_hi: until
	 * repair_until_us a gap there does not count as proved lost, since the
	 * missing packet may yet come on another link. Others are proved as
	 * usual. */
	uint64_t repair_until_us;
	uint32_t repair_lo, repair_hi;
};

struct um3n_reorder {
	struct um3n_reorder_flow f[UM3N_REORDER_FLOWS];
	uint32_t n_held;
	uint64_t deadline_us; /* the earliest held deadline; UM3N_TIME_NONE: none */
	uint8_t usable;       /* the links of the last input (the proof after a repair's wait) */
};

/* cap slots of slot_size bytes, at most peer_max (1..cap) of them for one
 * peer; max_hold_us 0 or cap 0: holding off. Errors: UM3N_EINVAL (cap >
 * 2^20, slot_size 0 with cap > 0), UM3N_ENOMEM. */
int um3n_reorder_pool_init(struct um3n_reorder_pool *p, const struct um3n_env *env, size_t cap,
			   size_t slot_size, size_t peer_max, uint64_t max_hold_us);
void um3n_reorder_pool_fini(struct um3n_reorder_pool *p, const struct um3n_env *env);

void um3n_reorder_init(struct um3n_reorder *r);

/* May a link spread_us slower than the fastest carry keyed flows with a
 * reorder queue holding at most max_hold_us? Only when its hold bound fits:
 * spread + spread/4 + margin <= max_hold_us (0: no queue, no limit). Shared
 * by the sender (linksched.c) and the receiver (um3n_reorder_paths). */
static inline bool um3n_reorder_admit(uint64_t spread_us, uint64_t max_hold_us)
{
	return !max_hold_us || spread_us + spread_us / 4 + UM3N_REORDER_MARGIN_US <= max_hold_us;
}

/* What the receiver knows of the links a keyed flow may take, from their
 * one-way delays up to a common constant (um3n_reorder_paths). */
struct um3n_reorder_paths {
	uint8_t usable;   /* links that may carry the flow: the gap proof waits for each */
	uint8_t slower;   /* links slower than the fastest usable one (by EQ_MIN at least) */
	uint64_t hold_us; /* the gap bound */
	uint64_t lag_us[UM3N_MAX_LINKS]; /* the slowest usable link's delay minus each one's */
};

/* For links whose one-way delays (up to a common constant) are delay_us[l]
 * now and base_us[l] without their queues (a windowed minimum), l in usable (a
 * bit mask): the ones whose base is more than p->max_hold_us slower than the
 * fastest's cannot be waited for and are left out; the others' lag is the
 * difference of bases (steady: a queue does not move the whole flow), the gap
 * bound their present spread + spread/4 + margin, at most p->max_hold_us.
 * base_us NULL: the delays themselves. */
void um3n_reorder_paths(const struct um3n_reorder_pool *p, const int64_t *delay_us,
			const int64_t *base_us, uint8_t usable, struct um3n_reorder_paths *pa);
/* The hold bound alone (um3n_reorder_paths' hold_us). */
uint64_t um3n_reorder_hold_us(const struct um3n_reorder_pool *p, const int64_t *delay_us,
			      uint8_t usable);

/* A packet of a keyed flow: pkt (len bytes, inside the caller's datagram)
 * arrived on link with GRE key `key` at now_us; pa describes the links. Queues the TUN outputs it releases on q. Returns UM3N_OK (delivered
 * or held), or UM3N_ENOBUFS when q was full for the packet itself (counted in
 * drops->queue_full like every output q refused). */
int um3n_reorder_input(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us, int link, uint32_t key,
		       const uint8_t *pkt, size_t len, const struct um3n_reorder_paths *pa);

/* A repair of a packet lost on link was asked for at now_us and may come
 * until until_us; the packet that showed the loss, the link's next, has GRE
 * key `key` (not yet input). The lost one's flow is unknown, but link is
 * FIFO: of that packet's flow, it lay between what link delivered of it
 * last and that packet; of another flow, after what link delivered of it.
 * A gap there is not proved lost before until_us, and the packets behind it
 * wait, each at most the pool's max_hold_us in all. */
void um3n_reorder_wait_repair(struct um3n_reorder *r, const struct um3n_reorder_pool *p,
			      uint64_t now_us, uint64_t until_us, int link, uint32_t key);

/* Releases what is due at now_us (early and repeated calls are fine). */
void um3n_reorder_timeout(struct um3n_reorder *r, struct um3n_reorder_pool *p, struct um3n_outq *q,
			  struct um3n_drop_counters *drops, uint64_t now_us);

/* When the first held packet of flow bucket `flow` came; UM3N_TIME_NONE:
 * none held. */
static inline uint64_t um3n_reorder_first_held_us(const struct um3n_reorder *r,
						  const struct um3n_reorder_pool *p, unsigned flow)
{
	uint32_t h = r->f[flow % UM3N_REORDER_FLOWS].head;

	return h == UM3N_REORDER_NIL ? UM3N_TIME_NONE : p->meta[h].held_at_us;
}

/* When um3n_reorder_timeout has something to do; UM3N_TIME_NONE: nothing. */
static inline uint64_t um3n_reorder_deadline(const struct um3n_reorder *r)
{
	return r->deadline_us;
}

/* Frees the lent slots once q is empty (every released packet written out);
 * input and timeout call it first. */
void um3n_reorder_reclaim(struct um3n_reorder_pool *p, const struct um3n_outq *q);

/* The peer is gone: its held packets go back to the pool, undelivered. */
void um3n_reorder_drop_all(struct um3n_reorder *r, struct um3n_reorder_pool *p);

/* The pool's counters and added-delay percentiles. */
void um3n_reorder_status(const struct um3n_reorder_pool *p, struct um3n_reorder_status *st);

/* The added delay below which pct percent of the held packets were released
 * (the upper edge of its bin, µs); 0 when nothing was held. */
uint64_t um3n_reorder_percentile_us(const struct um3n_reorder_stats *st, unsigned pct);

#endif
