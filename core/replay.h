/* The replay window of the encrypted data plane (aead.h): one per key and
 * direction, over the 64-bit AEAD counter that every sealed packet carries
 * (ARCHITECTURE.md §4, "Encrypted tunnel data"). Checked only after the
 * packet's tag verified, so that forged counters cannot move the window.
 *
 * Why not seqwin.h: that window runs over 29-bit serial numbers that wrap and
 * resynchronise when a peer restarts its counter; this one runs over a 64-bit
 * counter that starts at 0 with every key and never wraps (a restarted peer
 * registers and gets new keys), so it has no serial arithmetic and no resync,
 * which is what makes a replay impossible rather than unlikely. */
#ifndef UM3N_REPLAY_H
#define UM3N_REPLAY_H

#include "um3n.h"

/* The bitmap (a power of two of 64-bit words, cleared a word at a time as the
 * top moves) and the window it guarantees: every counter within
 * UM3N_REPLAY_WINDOW of the highest accepted is remembered. */
#define UM3N_REPLAY_BITS 4096
#define UM3N_REPLAY_WINDOW (UM3N_REPLAY_BITS - 64) /* 4032 packets */
/* The last counter a sender may use (and a receiver accept) under one key:
 * far beyond any registration's lifetime, it keeps counter + window from
 * overflowing. */
#define UM3N_REPLAY_LIMIT (UINT64_MAX - UM3N_REPLAY_BITS - 1)

struct um3n_replay {
	uint64_t next; /* highest counter accepted + 1; 0: none yet */
	uint64_t bits[UM3N_REPLAY_BITS / 64];
};

static inline void um3n_replay_init(struct um3n_replay *r) { *r = (struct um3n_replay){0}; }

/* Records counter c if it is new: true. False for a counter seen before,
 * older than the window, or at or beyond UM3N_REPLAY_LIMIT. */
bool um3n_replay_check(struct um3n_replay *r, uint64_t c);

#endif
