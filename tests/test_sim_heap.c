/* Event heap: order by (time, insertion) against a naive reference. */
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "testutil.h"

struct ref_ev {
	uint64_t t, seq;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref_ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 1: many ties (times in a tiny range) pop in insertion order within a time. */
static void test_heap_matches_stable_sort(void)
{
	enum { N = 20000 };
	static struct ref_ev ref[N];
	struct sim_heap h;
	struct sim_event ev;
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 42);
	CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 4), 0);
	for (size_t i = 0; i < N; i++) {
		ref[i].t = um3n_prng_below(&rng, 64);
		ref[i].seq = i;
		CU_ASSERT_EQUAL_FATAL(sim_heap_push(&h, ref[i].t, 1, (uint32_t)i, i, NULL), 0);
	}
	qsort(ref, N, sizeof(ref[0]), ref_cmp);
	for (size_t i = 0; i < N; i++) {
		CU_ASSERT_TRUE_FATAL(sim_heap_pop(&h, &ev));
		CU_ASSERT_EQUAL_FATAL(ev.t_us, ref[i].t);
		CU_ASSERT_EQUAL_FATAL(ev.arg, ref[i].seq);
	}
	CU_ASSERT_FALSE(sim_heap_pop(&h, &ev));
	CU_ASSERT_EQUAL(sim_heap_peek_time(&h), UINT64_MAX);
	sim_heap_free(&h);
}

/* 2: interleaved pushes and pops (the simulator's pattern): every pop is the
 * minimum of what the naive list holds. */
static void test_heap_interleaved(void)
{
	enum { N = 5000 };
	static struct ref_ev live[N];
	size_t n_live = 0;
	uint64_t seq = 0, now = 0;
	struct sim_heap h;
	struct sim_event ev;
	struct um3n_prng rng;

	um3n_prng_seed(&rng, 7);
	CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 0), 0);
	for (int round = 0; round < 4 * N; round++) {
		bool do_push = n_live == 0 || (n_live < N && um3n_prng_below(&rng, 3) != 0);

		if (do_push) {
			live[n_live].t = now + um3n_prng_below(&rng, 100);
			live[n_live].seq = seq;
			CU_ASSERT_EQUAL_FATAL(sim_heap_push(&h, live[n_live].t, 0, 0, seq, NULL),
					      0);
			seq++;
			n_live++;
			continue;
		}
		size_t best = 0;

		for (size_t i = 1; i < n_live; i++)
			if (ref_cmp(&live[i], &live[best]) < 0)
				best = i;
		CU_ASSERT_EQUAL_FATAL(sim_heap_peek_time(&h), live[best].t);
		CU_ASSERT_TRUE_FATAL(sim_heap_pop(&h, &ev));
		CU_ASSERT_EQUAL_FATAL(ev.arg, live[best].seq);
		now = ev.t_us;
		live[best] = live[--n_live];
	}
	CU_ASSERT_EQUAL(sim_heap_len(&h), n_live);
	sim_heap_free(&h);
}

/* 3: removing the events of one object keeps the others in order. */
static void test_heap_remove_ptr(void)
{
	struct sim_heap h;
	struct sim_event ev;
	int a, b;
	uint64_t last = 0;
	size_t popped = 0;

	CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 2), 0);
	for (uint64_t i = 0; i < 100; i++)
		sim_heap_push(&h, (i * 37) % 101, 0, 0, i, (i % 3) ? &a : &b);
	CU_ASSERT_EQUAL(sim_heap_remove_ptr(&h, &b), 34);
	while (sim_heap_pop(&h, &ev)) {
		CU_ASSERT_PTR_EQUAL(ev.ptr, &a);
		CU_ASSERT_TRUE(ev.t_us >= last);
		last = ev.t_us;
		popped++;
	}
	CU_ASSERT_EQUAL(popped, 66);
	sim_heap_free(&h);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 order matches a stable sort (ties by insertion)",
		 test_heap_matches_stable_sort},
		{"2 interleaved push/pop vs naive minimum", test_heap_interleaved},
		{"3 remove_ptr", test_heap_remove_ptr},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_heap", tests}, {NULL, NULL}};

	return test_main(suites);
}
