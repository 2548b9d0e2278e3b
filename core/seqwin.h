/* Sequence numbers of tunnel data and the receive windows that drop duplicates
 * (re-sends after a failover, copies in redundant mode) and replays: the GRE
 * sequence number's layout (ARCHITECTURE.md §4) and one window per sending link. */
#ifndef UM3N_SEQWIN_H
#define UM3N_SEQWIN_H

#include "um3n.h"

/* Sequence numbers. The 32-bit GRE sequence carries the sending link in its top
 * 3 bits and a per-link 29-bit counter below: each link is (nearly) FIFO, so a
 * small window per link suffices however far one link lags another (a deep
 * cellular queue can hold seconds of packets while WiFi sends thousands). A
 * packet re-sent on another link, or copied in redundant mode, keeps the
 * number of its first link and is checked in that link's window. */
#define UM3N_SEQ_LINK_SHIFT 29
#define UM3N_SEQ_MASK 0x1fffffffu

static inline uint32_t um3n_seqwin_seq(int link, uint32_t counter)
{
	return (uint32_t)link << UM3N_SEQ_LINK_SHIFT | (counter & UM3N_SEQ_MASK);
}

/* Receive window over one link's 29-bit serial counters (RFC 1982 arithmetic),
 * in the manner of the IPsec anti-replay bitmap (RFC 6479). */
#define UM3N_SEQWIN_BITS 4096
/* This many consecutive "too old" packets mean the peer restarted its
 * counter: the window resynchronises instead of dropping forever. */
#define UM3N_SEQWIN_RESYNC_AFTER 64
/* A counter this far behind the top cannot be a late or re-sent packet of
 * the same sender (re-sends are the last few hundred packets; no queue holds
 * a million): the peer restarted (a new random counter), and the window
 * restarts at once. Waiting for RESYNC_AFTER packets would deadlock TCP: its
 * ACKs are the packets being dropped, so the sender backs off and sends
 * fewer and fewer (seen with emu/csum.sh's HA restart under an upload). */
#define UM3N_SEQWIN_RESTART_BEHIND (1u << 20)

struct um3n_seqwin {
	bool started;
	uint32_t top; /* highest counter accepted */
	uint32_t too_old_run;
	uint64_t reordered; /* accepted although below top */
	uint64_t bits[UM3N_SEQWIN_BITS / 64];
};

/* Accepts and records a 29-bit counter. Returns 0 (new), UM3N_EDUP (seen),
 * UM3N_EREPLAY (older than the window). */
int um3n_seqwin_check(struct um3n_seqwin *w, uint32_t counter);

/* One window per sending link (3 bits of link id: 8 links, UM3N_MAX_LINKS). */
struct um3n_seqwin_space {
	struct um3n_seqwin link[1u << (32 - UM3N_SEQ_LINK_SHIFT)];
};
static inline int um3n_seqwin_space_check(struct um3n_seqwin_space *sp, uint32_t seq)
{
	return um3n_seqwin_check(&sp->link[seq >> UM3N_SEQ_LINK_SHIFT], seq & UM3N_SEQ_MASK);
}

#endif
