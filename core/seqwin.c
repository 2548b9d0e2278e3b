/* Receive windows over the per-link sequence counters (seqwin.h). */
#include "seqwin.h"

#include <assert.h>
#include <string.h>

/* Bit seq % BITS must stay the same slot across the counter's wrap, and a
 * restart threshold must lie beyond the window and within serial range. */
static_assert((UM3N_SEQ_MASK + 1ull) % UM3N_SEQWIN_BITS == 0, "window divides the counter space");
static_assert(UM3N_SEQWIN_BITS % 64 == 0, "window is whole words");
static_assert(UM3N_SEQWIN_BITS < UM3N_SEQWIN_RESTART_BEHIND &&
		      UM3N_SEQWIN_RESTART_BEHIND <= UM3N_SEQ_MASK / 2,
	      "restart distance between the window and half the counter space");

static inline void win_set(struct um3n_seqwin *w, uint32_t seq)
{
	uint32_t i = seq % UM3N_SEQWIN_BITS;

	w->bits[i / 64] |= 1ull << (i % 64);
}

static inline bool win_test(const struct um3n_seqwin *w, uint32_t seq)
{
	uint32_t i = seq % UM3N_SEQWIN_BITS;

	return w->bits[i / 64] >> (i % 64) & 1;
}

static void win_restart(struct um3n_seqwin *w, uint32_t seq)
{
	memset(w->bits, 0, sizeof(w->bits));
	w->started = true;
	w->top = seq;
	w->too_old_run = 0;
	win_set(w, seq);
}

/* Moves top forward by `ahead` to seq, clearing the bits of the counters skipped. */
static void win_advance(struct um3n_seqwin *w, uint32_t seq, uint32_t ahead)
{
	/* a counter exactly half the space away (RFC 1982 leaves it undefined) is
	 * taken as ahead: ahead may be (UM3N_SEQ_MASK + 1) / 2 */
	assert(ahead > 0 && ahead <= UM3N_SEQ_MASK / 2 + 1);
	assert(seq == ((w->top + ahead) & UM3N_SEQ_MASK));
	if (ahead >= UM3N_SEQWIN_BITS) {
		memset(w->bits, 0, sizeof(w->bits));
	} else {
		for (uint32_t k = 1; k < ahead; k++) {
			uint32_t i = (w->top + k) % UM3N_SEQWIN_BITS;

			w->bits[i / 64] &= ~(1ull << (i % 64));
		}
	}
	w->top = seq;
	win_set(w, seq);
}

int um3n_seqwin_check(struct um3n_seqwin *w, uint32_t seq)
{
	uint32_t behind;

	seq &= UM3N_SEQ_MASK;
	/* A started window holds its top, within the counter space, and restarts
	 * before a too-old run reaches RESYNC_AFTER. */
	assert(!w->started || (w->top <= UM3N_SEQ_MASK && win_test(w, w->top) &&
			       w->too_old_run < UM3N_SEQWIN_RESYNC_AFTER));
	if (!w->started) {
		win_restart(w, seq);
		return UM3N_OK;
	}
	behind = (w->top - seq) & UM3N_SEQ_MASK;
	if (behind == 0)
		return UM3N_EDUP;
	if (behind > UM3N_SEQ_MASK / 2) { /* serial arithmetic: seq is ahead of top */
		w->too_old_run = 0;
		win_advance(w, seq, (seq - w->top) & UM3N_SEQ_MASK);
		return UM3N_OK;
	}
	if (behind >= UM3N_SEQWIN_BITS) {
		if (behind >= UM3N_SEQWIN_RESTART_BEHIND ||
		    ++w->too_old_run >= UM3N_SEQWIN_RESYNC_AFTER) {
			win_restart(w, seq);
			return UM3N_OK;
		}
		return UM3N_EREPLAY;
	}
	w->too_old_run = 0;
	if (win_test(w, seq))
		return UM3N_EDUP;
	win_set(w, seq);
	w->reordered++;
	return UM3N_OK;
}
