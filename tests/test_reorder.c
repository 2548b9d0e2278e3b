/* Per-flow reordering at the receiver (core/reorder.c): a numbered table of
 * arrival/timeout scripts, each with the TUN outputs it must give in order and
 * the counters it must leave; then zero copy, the hold bound, percentiles,
 * dropping a peer, and a random stream against the in-order promise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reorder.h"
#include "testutil.h"

#define M UM3N_REORDER_CTR_MASK
#define MS 1000ull
#define HOLD_MS 50

enum { END = 0, IN, TICK };

struct step {
	int op;
	uint32_t t_ms;
	int link;
	unsigned flow;
	uint32_t ctr;
};

struct pkt_id {
	unsigned flow;
	uint32_t ctr;
};

struct rcase {
	int no;
	const char *what;
	size_t cap;
	struct step steps[12];
	struct pkt_id out[12];
	size_t n_out;
	uint64_t held, filled, proved, timed_out, overflow, late;
};

/* clang-format off */
static const struct rcase cases[] = {
	{1, "in order: each delivered at once, nothing held", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 1, 0, 1}, {IN, 2, 0, 0, 2}, {IN, 3, 1, 0, 3}},
	 {{0, 0}, {0, 1}, {0, 2}, {0, 3}}, 4, 0, 0, 0, 0, 0, 0},
	{2, "gap filled by the slow link: held packet follows it", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 0, 0, 2}, {IN, 2, 0, 0, 3}, {IN, 40, 1, 0, 1}},
	 {{0, 0}, {0, 1}, {0, 2}, {0, 3}}, 4, 2, 2, 0, 0, 0, 0},
	{3, "gap timed out at the hold bound, not before; the straggler is late", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 0, 0, 2}, {TICK, 50, 0, 0, 0}, {TICK, 51, 0, 0, 0}, {IN, 60, 1, 0, 1},
	  {IN, 61, 0, 0, 3}},
	 {{0, 0}, {0, 2}, {0, 1}, {0, 3}}, 4, 1, 0, 0, 1, 0, 1},
	{4, "gap proved lost: both links delivered past it", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 1, 0, 1}, {IN, 2, 0, 0, 3}, {IN, 3, 0, 0, 4},
	  {IN, 4, 1, 0, 5}},
	 {{0, 0}, {0, 1}, {0, 3}, {0, 4}, {0, 5}}, 5, 3, 0, 3, 0, 0, 0},
	{5, "one link past the gap proves nothing while the other may bring it", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 1, 0, 1}, {IN, 2, 0, 0, 3}, {IN, 3, 0, 0, 4},
	  {TICK, 40, 0, 0, 0}, {IN, 45, 1, 0, 2}},
	 {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}}, 5, 2, 2, 0, 0, 0, 0},
	{6, "pool full: delivered out of order at once, counted, never dropped", 2,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 0, 0, 2}, {IN, 2, 0, 0, 3}, {IN, 3, 0, 0, 4},
	  {IN, 30, 1, 0, 1}},
	 {{0, 0}, {0, 4}, {0, 1}, {0, 2}, {0, 3}}, 5, 2, 2, 0, 0, 1, 0},
	{7, "two flows: a gap in one never holds the other", 8,
	 {{IN, 0, 0, 3, 0}, {IN, 0, 0, 9, 0}, {IN, 1, 0, 3, 2}, {IN, 2, 0, 9, 1},
	  {IN, 3, 0, 9, 2}, {IN, 30, 1, 3, 1}},
	 {{3, 0}, {9, 0}, {9, 1}, {9, 2}, {3, 1}, {3, 2}}, 6, 1, 1, 0, 0, 0, 0},
	{8, "sequence wrap: 2^28 - 1 then 0 in order", 8,
	 {{IN, 0, 0, 0, M - 1}, {IN, 1, 0, 0, 0}, {IN, 2, 0, 0, 1}, {IN, 20, 1, 0, M}},
	 {{0, M - 1}, {0, M}, {0, 0}, {0, 1}}, 4, 2, 2, 0, 0, 0, 0},
	{9, "a counter far ahead: the sender restarted, the flow starts over", 8,
	 {{IN, 0, 0, 0, 7}, {IN, 1, 0, 0, 9}, {IN, 2, 0, 0, 100000}, {IN, 3, 0, 0, 100001}},
	 {{0, 7}, {0, 9}, {0, 100000}, {0, 100001}}, 4, 1, 0, 0, 1, 0, 0},
	{10, "a second copy of a held counter goes through at once", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 0, 0, 2}, {IN, 2, 0, 0, 2}, {IN, 3, 1, 0, 1}},
	 {{0, 0}, {0, 2}, {0, 1}, {0, 2}}, 4, 1, 1, 0, 0, 0, 1},
	{11, "timeout releases the run after the gap, then waits at the next gap", 8,
	 {{IN, 0, 0, 0, 0}, {IN, 1, 0, 0, 2}, {IN, 2, 0, 0, 3}, {IN, 30, 0, 0, 5},
	  {TICK, 51, 0, 0, 0}, {TICK, 79, 0, 0, 0}, {TICK, 80, 0, 0, 0}},
	 {{0, 0}, {0, 2}, {0, 3}, {0, 5}}, 4, 3, 0, 0, 3, 0, 0},
};
/* clang-format on */

struct rig {
	struct um3n_env env;
	struct um3n_outq q;
	struct um3n_reorder_pool p;
	struct um3n_reorder r;
	struct um3n_drop_counters drops;
	uint8_t bufs[64][8]; /* the arriving datagrams: each stays valid, as a driver's would */
	size_t n_bufs;
};

static void rig_init(struct rig *g, size_t cap, uint64_t max_hold_us)
{
	memset(g, 0, sizeof(*g));
	g->env = test_env(1);
	CU_ASSERT_FATAL(um3n_outq_init(&g->q, &g->env, 64, UM3N_OUTQ_SLOT_MIN) == 0);
	CU_ASSERT_FATAL(
		um3n_reorder_pool_init(&g->p, &g->env, cap, 64, cap ? cap : 1, max_hold_us) == 0);
	um3n_reorder_init(&g->r);
}

static void rig_fini(struct rig *g)
{
	struct um3n_out o;

	while (um3n_outq_pop(&g->q, &o))
		;
	um3n_reorder_reclaim(&g->p, &g->q);
	um3n_reorder_drop_all(&g->r, &g->p);
	CU_ASSERT_EQUAL(g->p.n_free, g->p.cap); /* every slot came back */
	um3n_reorder_pool_fini(&g->p, &g->env);
	um3n_outq_fini(&g->q, &g->env);
}

static int rig_in(struct rig *g, uint64_t now_us, int link, unsigned flow, uint32_t ctr)
{
	uint8_t *b = g->bufs[g->n_bufs++ % 64];

	um3n_put32(b, flow);
	um3n_put32(b + 4, ctr);
	struct um3n_reorder_paths pa = {
		.usable = 0x3,
		.hold_us = g->p.max_hold_us < HOLD_MS * MS ? g->p.max_hold_us : HOLD_MS * MS,
	};

	return um3n_reorder_input(&g->r, &g->p, &g->q, &g->drops, now_us, link,
				  um3n_reorder_key(flow, ctr, true), b, 8, &pa);
}

/* Pops every output into ids (at most cap); returns how many. */
static size_t rig_drain(struct rig *g, struct pkt_id *ids, size_t n, size_t cap)
{
	struct um3n_out o;

	while (um3n_outq_pop(&g->q, &o)) {
		CU_ASSERT_EQUAL(o.kind, UM3N_OUT_TUN);
		CU_ASSERT_EQUAL_FATAL(o.len, 8);
		if (n < cap)
			ids[n] = (struct pkt_id){um3n_get32(o.data), um3n_get32(o.data + 4)};
		n++;
	}
	return n;
}

static void test_cases(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct rcase *k = &cases[c];
		struct rig g;
		struct pkt_id got[16];
		size_t n = 0;
		bool same;

		rig_init(&g, k->cap, 100 * MS);
		for (const struct step *s = k->steps; s->op != END; s++) {
			if (s->op == IN) {
				CU_ASSERT_EQUAL(rig_in(&g, s->t_ms * MS, s->link, s->flow, s->ctr),
						0);
			} else {
				um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, s->t_ms * MS);
			}
			n = rig_drain(&g, got, n, 16);
		}
		same = n == k->n_out;
		for (size_t i = 0; same && i < n; i++)
			same = got[i].flow == k->out[i].flow && got[i].ctr == k->out[i].ctr;
		if (!same || g.p.st.held != k->held || g.p.st.filled != k->filled ||
		    g.p.st.proved != k->proved || g.p.st.timed_out != k->timed_out ||
		    g.p.st.overflow != k->overflow || g.p.st.late != k->late) {
			fprintf(stderr, "\n  case %d (%s): %zu out:", k->no, k->what, n);
			for (size_t i = 0; i < n && i < 16; i++)
				fprintf(stderr, " %u/%u", got[i].flow, got[i].ctr);
			fprintf(stderr,
				"; held %llu filled %llu proved %llu timed out %llu "
				"overflow %llu late %llu\n",
				(unsigned long long)g.p.st.held, (unsigned long long)g.p.st.filled,
				(unsigned long long)g.p.st.proved,
				(unsigned long long)g.p.st.timed_out,
				(unsigned long long)g.p.st.overflow,
				(unsigned long long)g.p.st.late);
			CU_FAIL("reorder case");
		}
		CU_ASSERT_EQUAL(g.r.n_held, 0);
		CU_ASSERT_EQUAL(um3n_reorder_deadline(&g.r), UM3N_TIME_NONE);
		CU_ASSERT_EQUAL(g.drops.queue_full, 0);
		rig_fini(&g);
	}
}

/* In order: the output is the input datagram's bytes (no copy); held: a copy
 * in the pool that survives the caller's buffer changing. */
static void test_zero_copy(void)
{
	struct rig g;
	struct um3n_out o = {0};

	rig_init(&g, 4, 100 * MS);
	rig_in(&g, 0, 0, 1, 10);
	CU_ASSERT_FATAL(um3n_outq_pop(&g.q, &o));
	CU_ASSERT_PTR_EQUAL(o.data, g.bufs[0]);
	rig_in(&g, 1, 0, 1, 12);
	CU_ASSERT_FALSE(um3n_outq_pop(&g.q, &o));
	CU_ASSERT_EQUAL(um3n_reorder_deadline(&g.r), 1 + HOLD_MS * MS);
	memset(g.bufs[1], 0xee, 8); /* the driver reuses its buffer */
	rig_in(&g, 2, 1, 1, 11);
	CU_ASSERT_FATAL(um3n_outq_pop(&g.q, &o));
	CU_ASSERT_PTR_EQUAL(o.data, g.bufs[2]);
	CU_ASSERT_FATAL(um3n_outq_pop(&g.q, &o));
	CU_ASSERT(o.data >= g.p.bufs && o.data < g.p.bufs + g.p.cap * g.p.slot);
	CU_ASSERT_EQUAL(um3n_get32(o.data + 4), 12);
	CU_ASSERT_EQUAL(o.link, 0); /* the link it came on */
	rig_fini(&g);
}

/* The hold: the usable links' delay spread, a quarter more and the margin,
 * at most the maximum; unusable links do not count. */
static void test_hold_bound(void)
{
	struct rig g;
	int64_t d[UM3N_MAX_LINKS] = {45000, 5000, 900000};

	rig_init(&g, 4, 100 * MS);
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0x3), 40000 + 10000 + UM3N_REORDER_MARGIN_US);
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0x1), UM3N_REORDER_MARGIN_US);
	/* 900 ms is past the bound: left out, not waited for */
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0x7), 40000 + 10000 + UM3N_REORDER_MARGIN_US);
	d[2] = 95000; /* 90 ms: its hold bound (122.5 ms) would not fit: left out */
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0x7), 40000 + 10000 + UM3N_REORDER_MARGIN_US);
	d[2] = 70000; /* 65 ms: 91.25 ms fits */
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0x7), 65000 + 16250 + UM3N_REORDER_MARGIN_US);
	CU_ASSERT(um3n_reorder_admit(72000, 100 * MS) && !um3n_reorder_admit(73000, 100 * MS));
	CU_ASSERT(um3n_reorder_admit(900000, 0)); /* no queue: no limit */
	CU_ASSERT_EQUAL(um3n_reorder_hold_us(&g.p, d, 0), UM3N_REORDER_MARGIN_US);
	rig_fini(&g);
}

/* Holding off (maximum 0): keyed packets go through as they come. */
static void test_off(void)
{
	struct rig g;
	struct pkt_id got[4];

	rig_init(&g, 8, 0);
	rig_in(&g, 0, 0, 0, 0);
	rig_in(&g, 1, 0, 0, 2);
	rig_in(&g, 2, 1, 0, 1);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 4), 3);
	CU_ASSERT(got[1].ctr == 2 && got[2].ctr == 1);
	CU_ASSERT_EQUAL(g.p.st.held, 0);
	rig_fini(&g);
}

/* Added delay: 1 ms bins, upper edge; held packets only. */
static void test_percentiles(void)
{
	struct rig g;
	struct um3n_reorder_status st;

	rig_init(&g, 8, 100 * MS);
	um3n_reorder_status(&g.p, &st);
	CU_ASSERT(st.p50_us == 0 && st.p99_us == 0);
	rig_in(&g, 0, 0, 0, 0);
	for (uint32_t i = 0; i < 10; i++) { /* 0, then 2 held 3 ms and filled */
		rig_in(&g, i * 100 * MS, 0, 0, 2 * i + 2);
		rig_in(&g, i * 100 * MS + 3 * MS, 1, 0, 2 * i + 1);
		rig_drain(&g, NULL, 0, 0); /* as a driver does: the slots come back */
	}
	rig_in(&g, 2000 * MS, 0, 0, 22); /* held 40 ms */
	rig_in(&g, 2040 * MS, 1, 0, 21);
	um3n_reorder_status(&g.p, &st);
	CU_ASSERT_EQUAL(st.held, 11);
	CU_ASSERT_EQUAL(st.p50_us, 4000);
	CU_ASSERT_EQUAL(st.p99_us, 41000);
	rig_fini(&g);
}

/* One peer takes at most peer_max slots; a peer that goes away gives its
 * slots back; bad pool parameters are refused. */
static void test_pool_bounds(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_reorder_pool p;
	struct um3n_reorder a, b;
	struct um3n_outq q;
	struct um3n_drop_counters drops = {0};
	uint8_t pkt[8] = {0};
	const struct um3n_reorder_paths pa10 = {.usable = 0x3, .hold_us = 10 * MS};

	CU_ASSERT_EQUAL(um3n_reorder_pool_init(&p, &env, 4, 64, 5, MS), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_reorder_pool_init(&p, &env, (1u << 20) + 1, 64, 1, MS), UM3N_EINVAL);
	CU_ASSERT_FATAL(um3n_reorder_pool_init(&p, &env, 4, 64, 2, 100 * MS) == 0);
	CU_ASSERT_FATAL(um3n_outq_init(&q, &env, 64, UM3N_OUTQ_SLOT_MIN) == 0);
	um3n_reorder_init(&a);
	um3n_reorder_init(&b);
	for (uint32_t c = 0; c < 5; c++) /* 0 delivered, 2 3 held, 4 5 overflow */
		um3n_reorder_input(&a, &p, &q, &drops, 0, 0,
				   um3n_reorder_key(0, c ? c + 1 : 0, true), pkt, 8, &pa10);
	CU_ASSERT_EQUAL(a.n_held, 2);
	CU_ASSERT_EQUAL(p.st.overflow, 2);
	um3n_reorder_input(&b, &p, &q, &drops, 0, 0, um3n_reorder_key(0, 0, true), pkt, 8, &pa10);
	um3n_reorder_input(&b, &p, &q, &drops, 0, 0, um3n_reorder_key(0, 2, true), pkt, 8, &pa10);
	CU_ASSERT_EQUAL(b.n_held, 1); /* the other peer still has room */
	CU_ASSERT_EQUAL(p.n_free, 1);
	um3n_reorder_drop_all(&a, &p);
	CU_ASSERT_EQUAL(p.n_free, 3);
	CU_ASSERT_EQUAL(um3n_reorder_deadline(&a), UM3N_TIME_NONE);
	um3n_reorder_drop_all(&b, &p);
	CU_ASSERT_EQUAL(p.n_free, 4);
	um3n_outq_fini(&q, &env);
	um3n_reorder_pool_fini(&p, &env);
}

/* Two FIFO links with a 40 ms delay difference, random split, random loss:
 * nothing is ever delivered out of order except what the hold bound let go,
 * and every packet that arrived is delivered exactly once. */
static void test_random_two_links(void)
{
	enum { N = 20000 };
	struct rig g;
	uint32_t *arr_ctr = calloc(N, sizeof(uint32_t));
	uint64_t *arr_us = calloc(N, sizeof(uint64_t));
	int *arr_link = calloc(N, sizeof(int));
	uint8_t *seen = calloc(N, 1);
	struct um3n_prng prng;
	size_t n_arr = 0, delivered = 0, out_of_order = 0, last = 0;
	bool any = false;

	um3n_prng_seed(&prng, 42);
	rig_init(&g, 1024, 100 * MS);
	/* Packet i leaves at i*100 µs: 3 in 4 on link 0 (5 ms), the rest on
	 * link 1 (45 ms); 1% lost. Both links FIFO. Merge the arrivals. */
	for (uint32_t i = 0; i < N; i++) {
		uint64_t r = um3n_prng_next(&prng);
		int l = (r & 3) == 0;
		uint64_t at = i * 100ull + (l ? 45 * MS : 5 * MS);

		if ((r >> 16) % 100 == 0)
			continue;
		arr_ctr[n_arr] = i;
		arr_us[n_arr] = at;
		arr_link[n_arr++] = l;
	}
	for (size_t i = 1; i < n_arr; i++) /* insertion sort by arrival time, stable */
		for (size_t j = i; j > 0 && arr_us[j - 1] > arr_us[j]; j--) {
			uint64_t t = arr_us[j];
			uint32_t c = arr_ctr[j];
			int l = arr_link[j];

			arr_us[j] = arr_us[j - 1], arr_ctr[j] = arr_ctr[j - 1];
			arr_link[j] = arr_link[j - 1];
			arr_us[j - 1] = t, arr_ctr[j - 1] = c, arr_link[j - 1] = l;
		}
	for (size_t i = 0; i < n_arr; i++) {
		struct um3n_out o;

		um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, arr_us[i]);
		CU_ASSERT_EQUAL(rig_in(&g, arr_us[i], arr_link[i], 5, arr_ctr[i]), 0);
		while (um3n_outq_pop(&g.q, &o)) {
			size_t c = um3n_get32(o.data + 4);

			CU_ASSERT_FATAL(c < N && !seen[c]);
			seen[c] = 1;
			if (any && c < last)
				out_of_order++;
			if (!any || c > last)
				last = c;
			any = true;
			delivered++;
		}
	}
	um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, UINT64_MAX - 1);
	delivered = rig_drain(&g, (struct pkt_id[1]){{0, 0}}, delivered, 0);
	CU_ASSERT_EQUAL(delivered, n_arr);
	CU_ASSERT_EQUAL(out_of_order, 0);
	CU_ASSERT(g.p.st.held > 1000 && g.p.st.proved > 10 && g.p.st.overflow == 0);
	rig_fini(&g);
	free(arr_ctr), free(arr_us), free(arr_link), free(seen);
}

/* A driver feeds a whole batch before it drains the outputs: a slot whose
 * packet was released stays untouched until then, even when the same batch
 * holds more packets (the free list would hand it out first). */
static void test_batch_lend(void)
{
	struct rig g;
	struct pkt_id got[8];
	size_t n;

	rig_init(&g, 4, 100 * MS);
	rig_in(&g, 0, 0, 1, 0);
	rig_in(&g, 0, 0, 1, 2);    /* held */
	rig_in(&g, 1000, 1, 1, 1); /* fills: 1 and the held 2 released */
	rig_in(&g, 1000, 0, 1, 4); /* held, in the same batch */
	rig_in(&g, 1000, 0, 1, 5);
	CU_ASSERT_EQUAL(g.p.n_lent, 1);
	n = rig_drain(&g, got, 0, 8);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(got[2].ctr, 2); /* its bytes, not 4's or 5's */
	rig_in(&g, 2000, 1, 1, 3);      /* next batch: the lent slot is free again */
	CU_ASSERT_EQUAL(g.p.n_lent, 2); /* 4 and 5 now */
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 3);
	rig_fini(&g);
}

static int eq_in_key(struct rig *g, uint64_t now_us, int link, uint32_t ctr, bool equalise)
{
	uint8_t *b = g->bufs[g->n_bufs++ % 64];
	/* link 1 is 40 ms slower than link 0 */
	struct um3n_reorder_paths pa = {.usable = 0x3, .slower = 0x2, .hold_us = 60 * MS};

	pa.lag_us[0] = 40 * MS;
	um3n_put32(b, 0);
	um3n_put32(b + 4, ctr);
	return um3n_reorder_input(&g->r, &g->p, &g->q, &g->drops, now_us, link,
				  um3n_reorder_key(0, ctr, equalise), b, 8, &pa);
}

static int eq_in(struct rig *g, uint64_t now_us, int link, uint32_t ctr)
{
	return eq_in_key(g, now_us, link, ctr, true);
}

/* A priority rule's key says "not equalised": in-order packets of the fast
 * link go at once, a gap is still held (for the slow link's packet) and the
 * flow still leaves in order. */
static void test_not_equalised(void)
{
	struct rig g;
	struct pkt_id got[8];

	rig_init(&g, 16, 100 * MS);
	eq_in_key(&g, 0, 0, 0, false);
	eq_in_key(&g, 1 * MS, 0, 1, false);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 2); /* at once, in order */
	eq_in_key(&g, 2 * MS, 0, 3, false);           /* 2 went on the slow link */
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 0);
	eq_in_key(&g, 42 * MS, 1, 2, false);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 2);
	CU_ASSERT(got[0].ctr == 2 && got[1].ctr == 3);
	CU_ASSERT_EQUAL(g.p.st.equalised, 0);
	CU_ASSERT_EQUAL(g.p.st.held, 1);
	CU_ASSERT_EQUAL(g.p.st.filled, 1);
	rig_fini(&g);
}

/* Equalisation: in-order packets of the fast link wait the lag; the slow
 * link's go at once; order holds across both; the deadline is the lag. */
static void test_equalise(void)
{
	struct rig g;
	struct pkt_id got[8];

	rig_init(&g, 16, 100 * MS);
	eq_in(&g, 0, 0, 0); /* fast link: held 40 ms although in order */
	eq_in(&g, 1 * MS, 0, 1);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 0);
	CU_ASSERT_EQUAL(um3n_reorder_deadline(&g.r), 40 * MS);
	um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, 39 * MS);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 0);
	um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, 40 * MS);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 1);
	CU_ASSERT_EQUAL(got[0].ctr, 0);
	eq_in(&g, 40500, 1, 2); /* the slow link's, behind the held 1: waits for it */
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 0);
	um3n_reorder_timeout(&g.r, &g.p, &g.q, &g.drops, 41 * MS);
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 2);
	CU_ASSERT(got[0].ctr == 1 && got[1].ctr == 2);
	eq_in(&g, 50 * MS, 1, 3); /* nothing held: the slow link's at once */
	CU_ASSERT_EQUAL(rig_drain(&g, got, 0, 8), 1);
	CU_ASSERT_EQUAL(g.p.st.equalised, 3); /* 0, 1 and 2 (behind 1) */
	CU_ASSERT_EQUAL(g.p.st.held, 0);      /* no gap ever */
	rig_fini(&g);
}

/* Lag and exclusion from the base delays, the gap bound from the present. */
static void test_paths(void)
{
	struct rig g;
	struct um3n_reorder_paths pa;
	int64_t now[3] = {80000, 5000, 400000}, base[3] = {50000, 5000, 300000};

	rig_init(&g, 4, 100 * MS);
	um3n_reorder_paths(&g.p, now, base, 0x7, &pa);
	CU_ASSERT_EQUAL(pa.usable, 0x3); /* link 2 is 295 ms behind at best */
	CU_ASSERT_EQUAL(pa.slower, 0x1);
	CU_ASSERT_EQUAL(pa.lag_us[1], 45000);
	CU_ASSERT_EQUAL(pa.lag_us[0], 0);
	CU_ASSERT_EQUAL(pa.hold_us, 100 * MS); /* 75 + 18 + 10, capped */
	now[0] = 40000;
	um3n_reorder_paths(&g.p, now, base, 0x3, &pa);
	CU_ASSERT_EQUAL(pa.lag_us[1], 45000); /* a queue draining moves nothing */
	CU_ASSERT_EQUAL(pa.hold_us, 35000 + 8750 + UM3N_REORDER_MARGIN_US);
	base[0] = 6000; /* within EQ_MIN: one path */
	um3n_reorder_paths(&g.p, now, base, 0x3, &pa);
	CU_ASSERT_EQUAL(pa.slower, 0);
	rig_fini(&g);
}

static CU_TestInfo reorder_tests[] = {
	{"01 reorder: numbered scripts (in order, filled, timed out, proved lost, overflow, "
	 "two flows, wrap, restart)",
	 test_cases},
	{"02 reorder: in order without a copy, held in the pool", test_zero_copy},
	{"03 reorder: hold bound from the links' delays", test_hold_bound},
	{"04 reorder: holding off", test_off},
	{"05 reorder: added delay percentiles", test_percentiles},
	{"06 reorder: per-peer bound, dropping a peer, bad pools", test_pool_bounds},
	{"07 reorder: two FIFO links 40 ms apart, random split and loss", test_random_two_links},
	{"08 reorder: a released slot is not reused before the outputs are drained",
	 test_batch_lend},
	{"09 reorder: delay equalisation", test_equalise},
	{"10 reorder: lag and exclusion from base delays, bound from present ones", test_paths},
	{"11 reorder: not equalised (priority rules): in order at once, gaps still held",
	 test_not_equalised},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"reorder", reorder_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
