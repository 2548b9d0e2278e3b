/* Repair of a link's losses inside the reorder hold, for aggregate rules
 * (ARCHITECTURE.md §4, "Repair requests").
 *
 * Why: one TCP flow spread over two links pays for every loss of either link
 * with a window cut of the whole flow, where MPTCP cuts only the lossy
 * subflow's. A random loss on the slow link (the cell's 0.1%) is the common
 * case, and the receiver sees it early: each link is FIFO, so a jump in a
 * link's sequence numbers (seqwin.h) names the missing datagrams the moment
 * the next one arrives on that link, while the flow's later packets are still
 * held for delay equalisation (reorder.h). So the receiver asks the sender
 * for them at once (a NACK on the fastest link), the sender re-sends its
 * remembered copy (resend.h) on the fastest link, and the reorder queue waits
 * for the repair instead of releasing the gap as lost. The flow sees a little
 * more delay, no loss, and keeps its window.
 *
 * The NACK is plain tunnel data like the link probes (tunnel.h): an IPv4
 * ICMP message of the experimental type 253 (RFC 4727), code 0, whose
 * 4-byte "rest of header" holds the count n (1..UM3N_ARQ_MAX_SEQS) and three
 * zero bytes, followed by n 32-bit GRE sequence numbers (seqwin.h: link in the
 * top 3 bits). Wireshark shows it as ICMP.
 *
 * What is asked for, and why no more:
 * - only losses of a link slower than the fastest (by the reorder queue's
 *   measure): a loss on the fastest link costs the flow what it would cost
 *   it on that link alone, and its repair could not come before the flow's
 *   next packets anyway;
 * - at most one datagram in UM3N_ARQ_BUDGET_PER of the link's (a token
 *   bucket of UM3N_ARQ_BURST): repairs are for rare losses; a link that
 *   loses more is congested or failing, and TCP must see that to back off;
 * - gaps of at most UM3N_ARQ_MAX_GAP datagrams: a longer one is an outage,
 *   which failover re-sends. A receiver whose requests go
 * unanswered UM3N_ARQ_GIVE_UP times in a row (a peer with `arq = no`, or
 * copies gone) stops asking for UM3N_ARQ_PAUSE_US, so the holds do not wait
 * for repairs that never come. Sans-IO, no allocation. */
#ifndef UM3N_ARQ_H
#define UM3N_ARQ_H

#include "engine.h"
#include "seqwin.h"
#include "wire.h"

#define UM3N_ARQ_ICMP_TYPE 253
#define UM3N_ARQ_MAX_SEQS 8
#define UM3N_ARQ_MAX_GAP UM3N_ARQ_MAX_SEQS
#define UM3N_ARQ_ICMP_MAX (8 + 4 * UM3N_ARQ_MAX_SEQS)
#define UM3N_ARQ_NACK_MAX (UM3N_TUN_HDR_LEN + 20 + UM3N_ARQ_ICMP_MAX)
#define UM3N_ARQ_PENDING 32           /* requests remembered for their answer */
#define UM3N_ARQ_BUDGET_PER 100       /* one repair per this many of a link's datagrams */
#define UM3N_ARQ_BURST 4              /* repairs a link may save up */
#define UM3N_ARQ_MARGIN_US 5000       /* beyond the smoothed repair time */
#define UM3N_ARQ_GIVE_UP 16           /* unanswered requests in a row */
#define UM3N_ARQ_PAUSE_US 10000000ull /* then no requests for this long */

struct um3n_arq_nack {
	uint8_t n;
	uint32_t seq[UM3N_ARQ_MAX_SEQS];
};

struct um3n_arq {
	bool on;
	uint32_t self_v4, peer_v4; /* the NACK's inner addresses */
	struct {
		uint32_t seq;
		uint64_t at_us; /* asked then; 0: free */
	} pend[UM3N_ARQ_PENDING];
	size_t pend_next;
	unsigned n_pend;        /* entries in use: none, and a keyed packet costs one test */
	uint64_t repair_us;     /* smoothed request-to-repair time; 0: none measured */
	uint64_t repair_var_us; /* its mean deviation (as RFC 6298's RTTVAR) */
	unsigned misses;        /* unanswered requests since the last answer */
	uint16_t tokens[UM3N_MAX_LINKS];  /* each link's repair budget, in 1/BUDGET_PER */
	uint32_t tok_ctr[UM3N_MAX_LINKS]; /* its counter when the budget was last filled */
	uint8_t tok_set;                  /* links whose tok_ctr is set */
	uint64_t paused_until_us;
	struct um3n_arq_stats st;
};

/* A NACK inside plain tunnel data (next header IPv4) from src to dst.
 * Returns bytes, or UM3N_ETOOBIG / UM3N_EINVAL (n outside 1..MAX_SEQS). */
int um3n_arq_nack_build(uint8_t *buf, size_t cap, uint32_t src_v4, uint32_t dst_v4,
			const struct um3n_arq_nack *n);
/* Is this decoded inner packet a NACK for self_v4? Fills n. Errors:
 * UM3N_EINVAL (not one: another ICMP message, bad checksum or count). */
int um3n_arq_nack_parse(const uint8_t *inner, size_t len, uint32_t self_v4,
			struct um3n_arq_nack *n);
/* A cheap look before parsing: an IPv4 ICMP packet of type 253? */
bool um3n_arq_is_nack(const uint8_t *inner, size_t len);

/* Whether um3n_arq_on_keyed has anything to do for a keyed datagram with
 * GRE sequence seq that arrived on link (w: the window of seq's link, before
 * it saw seq): a request awaits its answer, or the link skipped datagrams.
 * In order and nothing pending, the common case, it costs these tests. */
static inline bool um3n_arq_wanted(const struct um3n_arq *a, const struct um3n_seqwin *w, int link,
				   uint32_t seq)
{
	return a->on && (a->n_pend || ((int)(seq >> UM3N_SEQ_LINK_SHIFT) == link && w->started &&
				       ((seq - w->top - 1) & UM3N_SEQ_MASK) != 0));
}

struct um3n_datapath;
struct um3n_outq;
struct um3n_drop_counters;

/* Repair requests on from now: NACKs from self_v4 to peer_v4. */
void um3n_arq_enable(struct um3n_datapath *dp, uint32_t self_v4, uint32_t peer_v4);
/* Receiver: a keyed datagram with GRE sequence seq and key arrived on link, before
 * the sequence window saw it. Asks for the datagrams its link skipped (when
 * few) and makes the reorder queue wait for them; counts a repair. */
void um3n_arq_on_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us, int link, uint32_t seq,
		       uint32_t key);
/* Sender: the peer asked for these: each remembered keyed copy goes again on
 * the fastest usable link. */
void um3n_arq_on_nack(struct um3n_datapath *dp, struct um3n_outq *q,
		      struct um3n_drop_counters *drops, uint64_t now_us,
		      const struct um3n_arq_nack *n);

#endif
