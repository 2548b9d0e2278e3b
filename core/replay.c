/* Replay window over 64-bit AEAD counters (replay.h), the bitmap of RFC 6479:
 * bit (c + 1) % BITS says whether counter c was seen; moving the top clears
 * whole words, so a jump costs at most one pass over the bitmap. */
#include "replay.h"

#include <assert.h>

#define WORDS (UM3N_REPLAY_BITS / 64)

static_assert((WORDS & (WORDS - 1)) == 0, "the bitmap is a power of two of words");
static_assert(UM3N_REPLAY_WINDOW >= 2048, "issue 13: a window of at least 2048 packets");

bool um3n_replay_check(struct um3n_replay *r, uint64_t c)
{
	uint64_t pos, word, bit;

	assert(r->next <= UM3N_REPLAY_LIMIT + 1);
	if (c >= UM3N_REPLAY_LIMIT)
		return false;
	pos = c + 1; /* position 0 stays free for "nothing accepted yet" */
	if (pos + UM3N_REPLAY_WINDOW < r->next)
		return false; /* older than the window */
	word = pos / 64;
	if (pos > r->next) {
		uint64_t top = r->next / 64;
		uint64_t n = word - top < WORDS ? word - top : WORDS;

		/* The words between the old top's and the new one's are for
		 * counters never seen: cleared (all of them after a long jump). */
		for (uint64_t i = 1; i <= n; i++)
			r->bits[(top + i) & (WORDS - 1)] = 0;
		r->next = pos;
	}
	bit = 1ull << (pos % 64);
	word &= WORDS - 1;
	if (r->bits[word] & bit)
		return false;
	r->bits[word] |= bit;
	return true;
}
