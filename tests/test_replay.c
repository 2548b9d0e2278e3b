/* replay: the encrypted data plane's window over 64-bit counters, as
 * WireGuard's numbered counter self-test (drivers/net/wireguard/selftest/
 * counter.c) lays its cases out: the same sequence of counters and expected
 * verdicts, with our window (UM3N_REPLAY_WINDOW) and limit
 * (UM3N_REPLAY_LIMIT) in place of its own; then the window edge sweeps, and a
 * naive reference (every counter ever accepted) on a random stream. */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "testutil.h"

#define W UM3N_REPLAY_WINDOW
#define LIM (W + 1)
#define REJ UM3N_REPLAY_LIMIT

struct step {
	uint64_t counter;
	bool accept;
};

/* clang-format off */
static const struct step table[] = {
	/*  1 */ {0, true},
	/*  2 */ {1, true},
	/*  3 */ {1, false},          /* the same again */
	/*  4 */ {9, true},           /* a jump ahead */
	/*  5 */ {8, true},           /* late, in the window */
	/*  6 */ {7, true},
	/*  7 */ {7, false},
	/*  8 */ {LIM, true},         /* the window's length ahead */
	/*  9 */ {LIM - 1, true},
	/* 10 */ {LIM - 1, false},
	/* 11 */ {LIM - 2, true},
	/* 12 */ {2, true},           /* exactly the window behind the top */
	/* 13 */ {2, false},
	/* 14 */ {LIM + 16, true},
	/* 15 */ {3, false},          /* now beyond the window */
	/* 16 */ {LIM + 16, false},
	/* 17 */ {LIM * 4, true},     /* far ahead: the whole bitmap cleared */
	/* 18 */ {LIM * 4 - (LIM - 1), true},
	/* 19 */ {10, false},
	/* 20 */ {LIM * 4 - LIM, false},       /* one beyond the window */
	/* 21 */ {LIM * 4 - (LIM + 1), false},
	/* 22 */ {LIM * 4 - (LIM - 2), true},
	/* 23 */ {LIM * 4 + 1 - LIM, false},   /* = case 18: seen */
	/* 24 */ {0, false},
	/* 25 */ {REJ, false},                 /* the limit itself is never taken */
	/* 26 */ {REJ - 1, true},
	/* 27 */ {REJ, false},
	/* 28 */ {REJ - 1, false},
	/* 29 */ {REJ - 2, true},
	/* 30 */ {REJ + 1, false},
	/* 31 */ {REJ + 2, false},
	/* 32 */ {REJ - 2, false},
	/* 33 */ {REJ - 3, true},
	/* 34 */ {0, false},
};
/* clang-format on */

static void test_table(void)
{
	struct um3n_replay *r = calloc(1, sizeof(*r));

	CU_ASSERT_FATAL(r != NULL);
	um3n_replay_init(r);
	for (size_t i = 0; i < N_ELEMS(table); i++)
		CHECK(um3n_replay_check(r, table[i].counter) == table[i].accept,
		      "case %zu: counter %llu should be %s", i + 1,
		      (unsigned long long)table[i].counter, table[i].accept ? "new" : "refused");
	free(r);
}

/* The window's edges, in both directions of arrival (WireGuard's loops after
 * the table): W + 1 counters fit, the one before them does not. */
static void test_edges(void)
{
	struct um3n_replay *r = calloc(1, sizeof(*r));
	uint64_t i;

	CU_ASSERT_FATAL(r != NULL);
	/* 1..W in order, then 0 (exactly W behind): taken once */
	um3n_replay_init(r);
	for (i = 1; i <= W; i++)
		CHECK(um3n_replay_check(r, i), "ascending %llu", (unsigned long long)i);
	CHECK(um3n_replay_check(r, 0), "0 at the edge");
	CHECK(!um3n_replay_check(r, 0), "0 again");
	/* 2..W+1, then 1 (the edge) and 0 (beyond it) */
	um3n_replay_init(r);
	for (i = 2; i <= W + 1; i++)
		CHECK(um3n_replay_check(r, i), "ascending %llu", (unsigned long long)i);
	CHECK(um3n_replay_check(r, 1), "1 at the edge");
	CHECK(!um3n_replay_check(r, 0), "0 beyond the edge");
	/* W..0 descending: all in the window */
	um3n_replay_init(r);
	for (i = W + 1; i-- > 0;)
		CHECK(um3n_replay_check(r, i), "descending %llu", (unsigned long long)i);
	/* W+1..1 descending, then 0 beyond */
	um3n_replay_init(r);
	for (i = W + 2; i-- > 1;)
		CHECK(um3n_replay_check(r, i), "descending %llu", (unsigned long long)i);
	CHECK(!um3n_replay_check(r, 0), "0 beyond the edge");
	/* W..1 descending, then W+1 moves the top, 0 falls out */
	um3n_replay_init(r);
	for (i = W + 1; i-- > 1;)
		CHECK(um3n_replay_check(r, i), "descending %llu", (unsigned long long)i);
	CHECK(um3n_replay_check(r, W + 1), "new top");
	CHECK(!um3n_replay_check(r, 0), "0 now beyond");
	/* ... or 0 first, then the new top */
	um3n_replay_init(r);
	for (i = W + 1; i-- > 1;)
		CHECK(um3n_replay_check(r, i), "descending %llu", (unsigned long long)i);
	CHECK(um3n_replay_check(r, 0), "0 still inside");
	CHECK(um3n_replay_check(r, W + 1), "new top after 0");
	free(r);
}

/* A random stream of new, late, duplicated and very old counters against the
 * plain truth: a counter is new iff never accepted and within the window of
 * the highest accepted. */
static void test_reference(void)
{
	enum { N = 200000, SPACE = 1 << 23 };
	struct um3n_replay *r = calloc(1, sizeof(*r));
	uint8_t *seen = calloc(SPACE, 1);
	struct um3n_prng prng;
	uint64_t top = 0, next = 0, counts[2] = {0};
	bool any = false;

	CU_ASSERT_FATAL(r && seen);
	um3n_replay_init(r);
	um3n_prng_seed(&prng, 13);
	for (int i = 0; i < N; i++) {
		uint64_t c, roll = um3n_prng_below(&prng, 100);
		bool want, got;

		if (roll < 60)
			c = next++; /* in order */
		else if (roll < 90)
			c = next > 0 ? next - 1 -
					       um3n_prng_below(&prng, next < W + 50 ? next : W + 50)
				     : 0; /* late or duplicated, around the edge */
		else
			c = next + um3n_prng_below(&prng, W / 8); /* a jump ahead */
		if (c >= next)
			next = c + 1;
		want = !seen[c] && (!any || c + W >= top);
		got = um3n_replay_check(r, c);
		CHECK(got == want, "step %d counter %llu: %d, want %d", i, (unsigned long long)c,
		      got, want);
		if (got) {
			seen[c] = 1;
			if (!any || c > top)
				top = c;
			any = true;
		}
		counts[got]++;
		CU_ASSERT_FATAL(next + W < SPACE);
	}
	CU_ASSERT(counts[0] > 1000 && counts[1] > 1000);
	free(seen);
	free(r);
}

static CU_TestInfo replay_tests[] = {
	{"01 replay: WireGuard's numbered counter cases", test_table},
	{"02 replay: the window's edges, ascending and descending", test_edges},
	{"03 replay vs naive reference, random stream", test_reference},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"replay", replay_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
