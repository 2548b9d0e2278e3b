/* Handover figures (sim/hometric.c): the shared vectors that emu/lib's tests
 * read too, a naive millisecond-grid reference on random flows, and the
 * reader's errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hometric.h"
#include "testutil.h"

/* 1: every case of tests/hometric_vectors.txt (natural pauses across the
 * window, losses, late and early packets, video bursts, a TCP-like stall). */
static void test_hometric_vectors(void)
{
	struct sim_hometric_case c = {0};
	const char *why = "";
	unsigned line = 0, cases = 0;
	FILE *f = fopen(UM3N_HOMETRIC_VECTORS, "r");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while ((rc = sim_hometric_read_case(f, &c, &line, &why)) == 1) {
		struct sim_hometric r;

		cases++;
		CU_ASSERT_EQUAL_FATAL(sim_hometric_compute(c.pkts, c.n, &c.w, c.closed, &r), 0);
		CHECK(c.n_expect > 0, "%s: no expect lines", c.name);
		for (size_t i = 0; i < c.n_expect; i++) {
			int64_t v = -1;

			CHECK(sim_hometric_get(&r, c.expect_key[i], &v) == 0, "%s: key %s", c.name,
			      c.expect_key[i]);
			CHECK(v == c.expect[i], "%s: %s = %lld, expected %lld", c.name,
			      c.expect_key[i], (long long)v, (long long)c.expect[i]);
		}
	}
	CHECK(rc == 0, "vectors line %u: expected %s", line, why);
	CU_ASSERT(cases >= 8);
	sim_hometric_case_free(&c);
	fclose(f);
}

/* The definitions of hometric.h evaluated cell by cell on a 1 ms grid
 * (every time below is a whole millisecond). */
struct naive {
	uint64_t silence, added;
};

static struct naive naive(const struct sim_hometric_pkt *p, size_t n,
			  const struct sim_hometric_window *w, uint64_t base)
{
	struct naive r = {0, 0};
	uint64_t run_s = 0, run_a = 0;

	for (uint64_t t = w->from_us; t < w->to_us; t += 1000) {
		bool owed = false, split = false;

		for (size_t i = 0; i < n; i++) {
			uint64_t due = p[i].send_us + base, until;

			if (p[i].recv_us == t) /* a delivery at t ends both stretches */
				split = true;
			if (p[i].recv_us != SIM_HOMETRIC_LOST)
				until = p[i].recv_us;
			else
				until = i + 1 < n ? p[i + 1].send_us + base : w->to_us;
			owed |= due <= t && t + 1000 <= until;
		}
		run_s = split ? 1 : run_s + 1;
		if (t < p[0].send_us)
			run_s = 0;
		run_a = !owed ? 0 : split ? 1 : run_a + 1;
		r.silence = run_s * 1000 > r.silence ? run_s * 1000 : r.silence;
		r.added = run_a * 1000 > r.added ? run_a * 1000 : r.added;
	}
	return r;
}

/* 2: random open-loop flows (ties, losses, reordering, pauses) against the grid. */
static void test_hometric_naive(void)
{
	struct sim_hometric_pkt p[40];
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 14);
	for (int round = 0; round < 400; round++) {
		size_t n = 1 + um3n_prng_below(&rng, 40);
		uint64_t t = 1000 * um3n_prng_below(&rng, 50);
		struct sim_hometric_window w;
		struct sim_hometric r;
		struct naive ref;

		for (size_t i = 0; i < n; i++) {
			uint64_t step = um3n_prng_below(&rng, 8) == 0 ? 200
								      : um3n_prng_below(&rng, 12);

			t += 1000 * (i ? step : 0);
			p[i].send_us = t;
			p[i].recv_us = um3n_prng_below(&rng, 5) == 0
					       ? SIM_HOMETRIC_LOST
					       : t + 1000 * (1 + um3n_prng_below(&rng, 60));
		}
		w.from_us = 1000 * um3n_prng_below(&rng, 100);
		w.at_us = w.from_us + 1000 * um3n_prng_below(&rng, 200);
		w.to_us = w.at_us + 1000 * um3n_prng_below(&rng, 400);
		CU_ASSERT_EQUAL_FATAL(sim_hometric_compute(p, n, &w, false, &r), 0);
		CU_ASSERT_EQUAL_FATAL(r.base_us % 1000, 0);
		ref = naive(p, n, &w, r.base_us);
		CHECK(r.silence_us == ref.silence, "round %d: silence %llu, naive %llu", round,
		      (unsigned long long)r.silence_us, (unsigned long long)ref.silence);
		CHECK(r.added_gap_us == ref.added, "round %d: added gap %llu, naive %llu", round,
		      (unsigned long long)r.added_gap_us, (unsigned long long)ref.added);
		CHECK(r.added_gap_us <= r.silence_us, "round %d: added > silence", round);
	}
}

/* 3: the reader names the line and what it expected; bad input changes nothing else. */
static void test_hometric_reader(void)
{
	static const struct {
		const char *text;
		int rc;
		unsigned line;
	} cases[] = {
		{"case a\nwindow 0 0 10\npkt 1 2\nend\n", 1, 4},
		{"# only a comment\n\n", 0, 2},
		{"case a\nwindow 5 1 10\nend\n", UM3N_EINVAL, 2},       /* at before from */
		{"case a\npkt 1 x\nend\n", UM3N_EINVAL, 2},             /* receive time */
		{"case a\npkt 5 6\npkt 4 5\nend\n", UM3N_EINVAL, 4},    /* send order, open loop */
		{"case a\nclosed\npkt 5 6\npkt 4 5\nend\n", 1, 5},      /* any order, closed loop */
		{"case a\npkt 1 2\n", UM3N_EINVAL, 2},                  /* no end */
		{"case a\nexpect added_gap_us\nend\n", UM3N_EINVAL, 2}, /* no value */
		{"case a\nfrobnicate 1\nend\n", UM3N_EINVAL, 2},        /* unknown word */
		{"case a\ndelay 1 2 -5\nend\n", UM3N_EINVAL, 2},        /* negative delay */
		{"case a\npkt 4611686018427387905 5\nend\n", UM3N_EINVAL, 3}, /* over 2^62 */
		{"case a\nwindow 0 0 4611686018427387905\nend\n", UM3N_EINVAL, 3},
		{"case a\ncbr 0 10 3 5\nlose 10 11\nend\n", 1, 4},
	};
	struct sim_hometric_case c = {0};

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		FILE *f = fmemopen((void *)cases[i].text, strlen(cases[i].text), "r");
		const char *why = NULL;
		unsigned line = 0;
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		rc = sim_hometric_read_case(f, &c, &line, &why);
		CHECK(rc == cases[i].rc, "case %zu: rc %d", i, rc);
		CHECK(line == cases[i].line, "case %zu: line %u", i, line);
		CHECK(rc >= 0 || (why && *why), "case %zu: no reason", i);
		fclose(f);
	}
	/* the last case: 3 packets, the middle one lost */
	CU_ASSERT_EQUAL(c.n, 3);
	CU_ASSERT_EQUAL(c.pkts[1].recv_us, SIM_HOMETRIC_LOST);
	CU_ASSERT_EQUAL(c.pkts[2].recv_us, 25);
	sim_hometric_case_free(&c);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 shared vectors (tests/hometric_vectors.txt)", test_hometric_vectors},
		{"2 random flows against a 1 ms grid", test_hometric_naive},
		{"3 reader errors", test_hometric_reader},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_hometric", tests}, {NULL, NULL}};

	return test_main(suites);
}
