/* seqwin: the per-link receive window as numbered cases, resynchronisation and
 * restart, and the per-link sequence space against a naive reference on a
 * reordered, duplicated random stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqwin.h"
#include "testutil.h"

#define W UM3N_SEQWIN_BITS
#define M UM3N_SEQ_MASK

struct win_step {
	uint32_t counter;
	int expect;
};

struct win_case {
	int num;
	const char *what;
	struct win_step steps[12];
	size_t n;
	uint32_t top_after;
};

/* clang-format off */
static const struct win_case win_cases[] = {
	{1, "first packet, any value", {{123456, 0}}, 1, 123456},
	{2, "in order", {{10, 0}, {11, 0}, {12, 0}, {13, 0}}, 4, 13},
	{3, "duplicate of top", {{10, 0}, {10, UM3N_EDUP}}, 2, 10},
	{4, "duplicate below top", {{10, 0}, {11, 0}, {12, 0}, {11, UM3N_EDUP}}, 4, 12},
	{5, "reordered within window", {{10, 0}, {14, 0}, {12, 0}, {11, 0}, {13, 0}, {12, UM3N_EDUP}}, 6, 14},
	{6, "oldest in window (W-1 behind)", {{W + 100, 0}, {101, 0}, {101, UM3N_EDUP}}, 3, W + 100},
	{7, "just older than the window", {{W + 100, 0}, {100, UM3N_EREPLAY}}, 2, W + 100},
	{8, "far older, under RESTART_BEHIND", {{1000000, 0}, {1000, UM3N_EREPLAY}}, 2, 1000000},
	{9, "far ahead clears every bit",
	 {{10, 0}, {11, 0}, {10 + 3 * W, 0}, {12 + 2 * W, 0}, {9 + 3 * W, 0}}, 5, 10 + 3 * W},
	{10, "ahead by less than W clears the skipped ones",
	 {{0, 0}, {1, 0}, {2, 0}, {W + 1, 0}, {2, UM3N_EDUP}, {1, UM3N_EREPLAY}, {W - 1, 0}, {W, 0},
	  {W + 1, UM3N_EDUP}},
	 9, W + 1},
	{11, "29-bit wrap: M then 0 then 1", {{M - 1, 0}, {M, 0}, {0, 0}, {1, 0}, {M, UM3N_EDUP}, {M - 2, 0}}, 6, 1},
	{12, "29-bit wrap: reordered across it", {{M, 0}, {3, 0}, {1, 0}, {0, 0}, {M - 5, 0}, {3, UM3N_EDUP}}, 6, 3},
	{13, "bits above 29 ignored", {{(1u << 29) | 7, 0}, {7, UM3N_EDUP}, {8, 0}}, 3, 8},
	{14, "W slots reused cleanly", {{0, 0}, {W, 0}, {2 * W, 0}, {W, UM3N_EREPLAY}, {2 * W - 1, 0}}, 5, 2 * W},
	{15, "RESTART_BEHIND or more: the peer restarted", {{5000000, 0}, {1000, 0}, {1000, UM3N_EDUP}}, 3, 1000},
	{16, "exactly half the space ahead (a peer's input tripped an assert)",
	 {{5, 0}, {5 + (1u << 28), 0}, {5 + (1u << 28), UM3N_EDUP}}, 3, 5 + (1u << 28)},
};
/* clang-format on */

static void test_seqwin_cases(void)
{
	for (size_t i = 0; i < sizeof(win_cases) / sizeof(win_cases[0]); i++) {
		const struct win_case *c = &win_cases[i];
		struct um3n_seqwin w;

		memset(&w, 0, sizeof(w));
		for (size_t k = 0; k < c->n; k++) {
			int rc = um3n_seqwin_check(&w, c->steps[k].counter);

			if (rc != c->steps[k].expect)
				fprintf(stderr,
					"\n  seqwin case %d (%s) step %zu: counter %u -> %d want "
					"%d\n",
					c->num, c->what, k, c->steps[k].counter, rc,
					c->steps[k].expect);
			CU_ASSERT_EQUAL(rc, c->steps[k].expect);
		}
		CU_ASSERT_EQUAL(w.top, c->top_after);
	}
}

/* A peer that restarted its counter: RESYNC_AFTER consecutive too-old packets
 * restart the window on the last one; anything fresh in between resets the run. */
static void test_seqwin_resync(void)
{
	struct um3n_seqwin w;
	uint32_t base = 1000000;

	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base), 0);
	for (uint32_t k = 0; k < UM3N_SEQWIN_RESYNC_AFTER - 1; k++)
		CU_ASSERT_EQUAL(um3n_seqwin_check(&w, k), UM3N_EREPLAY);
	/* a fresh packet breaks the run */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base + 1), 0);
	for (uint32_t k = 0; k < UM3N_SEQWIN_RESYNC_AFTER - 1; k++)
		CU_ASSERT_EQUAL(um3n_seqwin_check(&w, k), UM3N_EREPLAY);
	/* the 64th in a row resynchronises on itself */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 500), 0);
	CU_ASSERT_EQUAL(w.top, 500);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 500), UM3N_EDUP);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 501), 0);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 499), 0); /* fresh window: not a dup */
	/* the old high counters are now far ahead -> accepted as new */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base + 2), 0);
}

/* A restarted peer whose new counter is far behind (>= RESTART_BEHIND): the
 * window restarts on the first such packet; just short of it, the old rule. */
static void test_seqwin_restart_far_behind(void)
{
	struct um3n_seqwin w;
	uint32_t top = 5u << 20;

	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top), 0);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top - UM3N_SEQWIN_RESTART_BEHIND + 1), UM3N_EREPLAY);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top - UM3N_SEQWIN_RESTART_BEHIND), 0);
	CU_ASSERT_EQUAL(w.top, top - UM3N_SEQWIN_RESTART_BEHIND);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 100), 0);
	CU_ASSERT_EQUAL(w.top, 100);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 100), UM3N_EDUP);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 101), 0);
}

/* Two links, one 100,000 packets behind the other (deep cellular queue):
 * no false drops; then every packet sent again (any link) is a duplicate. */
static void test_seqspace_lagging_link(void)
{
	struct um3n_seqwin_space *sp = calloc(1, sizeof(*sp));
	unsigned drops = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	for (uint32_t i = 0; i < 200000; i++) {
		drops += um3n_seqwin_space_check(sp, um3n_seqwin_seq(0, 7000000 + i)) != 0;
		if (i >= 100000)
			drops += um3n_seqwin_space_check(sp, um3n_seqwin_seq(1, 42 + i - 100000)) !=
				 0;
	}
	CU_ASSERT_EQUAL(drops, 0);
	/* re-sent copies of recent packets, whichever link carries them now, keep
	 * their first link's number: duplicates */
	for (uint32_t k = 0; k < 100; k++) {
		CU_ASSERT_EQUAL(um3n_seqwin_space_check(sp,
							um3n_seqwin_seq(0, 7000000 + 199999 - k)),
				UM3N_EDUP);
		CU_ASSERT_EQUAL(um3n_seqwin_space_check(sp, um3n_seqwin_seq(1, 42 + 99999 - k)),
				UM3N_EDUP);
	}
	/* the same counter on another link is a different packet */
	CU_ASSERT_EQUAL(um3n_seqwin_space_check(sp, um3n_seqwin_seq(2, 7000000 + 199999)), 0);
	CU_ASSERT_EQUAL(um3n_seqwin_space_check(sp, um3n_seqwin_seq(7, 42 + 99999)), 0);
	free(sp);
}

/* Naive reference: the exact set of (link, counter) seen, the highest counter
 * per link, and the same rule: older than top - (W-1) is too old; RESYNC_AFTER
 * too-old in a row restart. Counters stay far below 2^28 (no serial wrap). */
#define REF_LINKS 3
#define REF_PER_LINK 20000

struct ref_space {
	bool started[REF_LINKS];
	uint32_t top[REF_LINKS], run[REF_LINKS];
	bool seen[REF_LINKS][REF_PER_LINK];
};

static int ref_check(struct ref_space *r, int link, uint32_t c)
{
	if (!r->started[link] || (c < r->top[link] && r->top[link] - c >= W &&
				  ++r->run[link] >= UM3N_SEQWIN_RESYNC_AFTER)) {
		memset(r->seen[link], 0, sizeof(r->seen[link]));
		r->started[link] = true;
		r->top[link] = c;
		r->run[link] = 0;
		r->seen[link][c] = true;
		return 0;
	}
	if (c < r->top[link] && r->top[link] - c >= W)
		return UM3N_EREPLAY;
	if (c != r->top[link]) /* anything in the window but top breaks a too-old run */
		r->run[link] = 0;
	if (r->seen[link][c])
		return UM3N_EDUP;
	r->seen[link][c] = true;
	if (c > r->top[link])
		r->top[link] = c;
	return 0;
}

struct pkt {
	uint8_t link;
	uint32_t counter;
};

static void test_seqspace_vs_reference(void)
{
	enum { N = REF_LINKS * REF_PER_LINK / 2, EXTRA = N / 4 };
	struct ref_space *ref = calloc(1, sizeof(*ref));
	struct um3n_seqwin_space *sp = calloc(1, sizeof(*sp));
	struct pkt *stream = calloc(N + EXTRA, sizeof(*stream));
	struct um3n_prng prng;
	uint32_t next[REF_LINKS] = {0};
	size_t len = 0;
	unsigned counts[3] = {0}, mismatches = 0;

	CU_ASSERT_FATAL(ref && sp && stream);
	um3n_prng_seed(&prng, 0x5eed);
	for (int i = 0; i < N; i++) {
		uint8_t l = (uint8_t)um3n_prng_below(&prng, REF_LINKS);

		if (next[l] < REF_PER_LINK)
			stream[len++] = (struct pkt){l, next[l]++};
	}
	/* reordering: mostly short swaps, sometimes beyond the window */
	for (size_t i = 0; i < len; i++) {
		uint64_t r = um3n_prng_below(&prng, 100);
		size_t dist = r < 10   ? um3n_prng_below(&prng, 64)
			      : r < 12 ? 3 * W + um3n_prng_below(&prng, 2 * W)
				       : 0;
		struct pkt t;

		if (dist == 0 || i + dist >= len)
			continue;
		t = stream[i];
		stream[i] = stream[i + dist];
		stream[i + dist] = t;
	}
	/* duplicates: copies of recent or old packets */
	for (int k = 0; k < EXTRA; k++) {
		size_t at = (size_t)um3n_prng_below(&prng, len);
		size_t back = (size_t)um3n_prng_below(&prng, k % 2 ? 100 : 3 * W);

		memmove(&stream[at + 1], &stream[at], (len - at) * sizeof(*stream));
		stream[at] = stream[at > back ? at - back : 0];
		len++;
	}
	for (size_t i = 0; i < len; i++) {
		int want = ref_check(ref, stream[i].link, stream[i].counter);
		int got = um3n_seqwin_space_check(sp, um3n_seqwin_seq(stream[i].link,
								      stream[i].counter));

		if (got != want && mismatches++ < 5)
			fprintf(stderr, "\n  packet %zu link %u counter %u: got %d want %d\n", i,
				stream[i].link, stream[i].counter, got, want);
		counts[want == 0 ? 0 : want == UM3N_EDUP ? 1 : 2]++;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* the stream exercised every outcome */
	CU_ASSERT(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 100);
	free(ref);
	free(sp);
	free(stream);
}

static CU_TestInfo seqwin_tests[] = {
	{"01 seqwin: numbered cases", test_seqwin_cases},
	{"02 seqwin: resync after a run of too-old", test_seqwin_resync},
	{"03 seqspace: link 100,000 behind, re-sends dropped", test_seqspace_lagging_link},
	{"04 seqspace vs naive reference, random stream", test_seqspace_vs_reference},
	{"05 seqwin: restart at once when far behind", test_seqwin_restart_far_behind},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"seqwin", seqwin_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
