/* bcache: the HA binding cache against a naive reference (plain arrays) under
 * a random mix of get/bind/unbind/find/find_coa with NAT-like port changes,
 * so that the hash indexes' backward-shift deletion is exercised; plus the
 * numbered edge cases (full, care-of conflicts, release, leaks). The
 * addresses beyond IPv4 care-ofs (prefixes, IPv6 care-ofs) are
 * test_bcache_addr.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bcache.h"
#include "testutil.h"

static struct um3n_sockaddr coa_of(uint32_t ip, uint16_t port)
{
	struct um3n_sockaddr a;

	memset(&a, 0, sizeof(a));
	um3n_addr_from_v4(&a.ip, ip);
	a.port = port;
	return a;
}

#define HOME(k) (0x0a640001u + (uint32_t)(k)) /* 10.100.0.1 + k */

/* ---- naive reference ---------------------------------------------------- */

#define REF_HOMES 96
#define REF_CAP 64
#define REF_IPS 40
#define REF_PORTS 16

struct ref_mn {
	bool used;
	bool active[UM3N_MAX_LINKS];
	uint32_t ip[UM3N_MAX_LINKS];
	uint16_t port[UM3N_MAX_LINKS];
};

struct ref {
	struct ref_mn mn[REF_HOMES];
	size_t n_used;
};

static bool ref_coa_owner(const struct ref *r, uint32_t ip, uint16_t port, int *k, int *link)
{
	for (int i = 0; i < REF_HOMES; i++)
		for (int l = 0; l < UM3N_MAX_LINKS; l++)
			if (r->mn[i].used && r->mn[i].active[l] && r->mn[i].ip[l] == ip &&
			    r->mn[i].port[l] == port) {
				*k = i;
				*link = l;
				return true;
			}
	return false;
}

static bool ref_any_active(const struct ref_mn *m)
{
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		if (m->active[l])
			return true;
	return false;
}

/* ---- operations, each checked against the reference ---------------------- */

struct rnd_ctx {
	struct um3n_bcache c;
	struct um3n_env env;
	struct ref ref;
	struct um3n_prng prng;
	unsigned mismatches, full_hits, conflicts, rebinds, releases;
};

static void report(struct rnd_ctx *x, unsigned op, const char *what)
{
	if (x->mismatches++ < 5)
		fprintf(stderr, "\n  op %u: %s\n", op, what);
}

static uint32_t rnd(struct rnd_ctx *x, uint32_t bound)
{
	return (uint32_t)um3n_prng_below(&x->prng, bound);
}

static void op_get(struct rnd_ctx *x, unsigned op, int k)
{
	struct um3n_mn_rec *rec = um3n_bcache_get(&x->c, &x->env, HOME(k), 7);
	struct ref_mn *m = &x->ref.mn[k];

	if (!m->used && x->ref.n_used == REF_CAP) {
		x->full_hits++;
		if (rec)
			report(x, op, "get succeeded on a full cache");
		return;
	}
	if (!rec || rec->home_v4 != HOME(k) || um3n_bcache_find(&x->c, HOME(k)) != rec) {
		report(x, op, "get did not return the record");
		return;
	}
	if (!m->used) {
		m->used = true;
		x->ref.n_used++;
	}
}

static void op_bind(struct rnd_ctx *x, unsigned op, int k, int link, uint32_t ip, uint16_t port)
{
	struct um3n_mn_rec *rec = um3n_bcache_find(&x->c, HOME(k));
	struct um3n_sockaddr a = coa_of(ip, port);
	struct ref_mn *m = &x->ref.mn[k];
	int ok, ol, rc, want;

	if (!m->used)
		return;
	if (!rec) {
		report(x, op, "bind: record missing");
		return;
	}
	want = ref_coa_owner(&x->ref, ip, port, &ok, &ol) && (ok != k || ol != link) ? UM3N_EINVAL
										     : 0;
	rc = um3n_bcache_bind(&x->c, rec, link, &a);
	if (rc != want) {
		report(x, op, "bind: wrong result");
		return;
	}
	if (rc) {
		x->conflicts++;
		return;
	}
	m->active[link] = true;
	m->ip[link] = ip;
	m->port[link] = port;
}

static void op_unbind(struct rnd_ctx *x, unsigned op, int k, int link)
{
	struct um3n_mn_rec *rec = um3n_bcache_find(&x->c, HOME(k));
	struct ref_mn *m = &x->ref.mn[k];

	if (!m->used)
		return;
	if (!rec) {
		report(x, op, "unbind: record missing");
		return;
	}
	um3n_bcache_unbind(&x->c, &x->env, rec, link);
	m->active[link] = false;
	if (!ref_any_active(m)) {
		memset(m, 0, sizeof(*m));
		x->ref.n_used--;
		x->releases++;
	}
}

static void op_find_coa(struct rnd_ctx *x, unsigned op, uint32_t ip, uint16_t port)
{
	struct um3n_sockaddr a = coa_of(ip, port);
	int k = -1, l = -1, got_link = -1;
	bool want = ref_coa_owner(&x->ref, ip, port, &k, &l);
	struct um3n_mn_rec *rec = um3n_bcache_find_coa(&x->c, &a, &got_link);

	if (want != (rec != NULL) || (rec && (rec->home_v4 != HOME(k) || got_link != l)))
		report(x, op, "find_coa disagrees");
}

/* Every key the reference has is findable, and every one it has not is not. */
static void verify_all(struct rnd_ctx *x, unsigned op)
{
	for (int k = 0; k < REF_HOMES; k++) {
		const struct ref_mn *m = &x->ref.mn[k];
		struct um3n_mn_rec *rec = um3n_bcache_find(&x->c, HOME(k));

		if (m->used != (rec != NULL)) {
			report(x, op, "find disagrees");
			continue;
		}
		for (int l = 0; rec && l < UM3N_MAX_LINKS; l++)
			if (rec->b[l].active != m->active[l] ||
			    (m->active[l] && (um3n_addr_v4(&rec->b[l].coa.ip) != m->ip[l] ||
					      rec->b[l].coa.port != m->port[l])))
				report(x, op, "binding contents disagree");
	}
	for (uint32_t i = 0; i < REF_IPS; i++)
		for (uint16_t p = 0; p < REF_PORTS; p++)
			op_find_coa(x, op, 0xc6336400u + 1 + i, (uint16_t)(40000 + p));
	if (x->c.n_used != x->ref.n_used)
		report(x, op, "n_used disagrees");
}

static void random_op(struct rnd_ctx *x, unsigned op)
{
	/* half the traffic on links 0-1, as most MNs have two uplinks */
	int k = (int)rnd(x, REF_HOMES), link = (int)rnd(x, rnd(x, 2) ? 2 : UM3N_MAX_LINKS);
	uint32_t ip = 0xc6336400u + 1 + rnd(x, REF_IPS);
	uint16_t port = (uint16_t)(40000 + rnd(x, REF_PORTS));
	uint32_t what = rnd(x, 100);

	if (what < 20) {
		op_get(x, op, k);
	} else if (what < 40) {
		op_get(x, op, k);
		op_bind(x, op, k, link, ip, port);
	} else if (what < 55) {
		/* NAT: the same binding seen from a new source port */
		if (x->ref.mn[k].used && x->ref.mn[k].active[link]) {
			x->rebinds++;
			op_bind(x, op, k, link, x->ref.mn[k].ip[link], port);
		}
	} else if (what < 85) {
		op_unbind(x, op, k, link);
	} else if (what < 92) {
		if ((um3n_bcache_find(&x->c, HOME(k)) != NULL) != x->ref.mn[k].used)
			report(x, op, "find disagrees");
	} else {
		op_find_coa(x, op, ip, port);
	}
}

static void test_random_vs_reference(void)
{
	struct rnd_ctx *x = calloc(1, sizeof(*x));

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	x->env = test_env(3);
	um3n_prng_seed(&x->prng, 0xb1d);
	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&x->c, &x->env, REF_CAP, 4), 0);
	for (unsigned op = 0; op < 40000; op++) {
		random_op(x, op);
		if (op % 16 == 0)
			verify_all(x, op);
	}
	/* tear down every binding, checking the indexes after each removal */
	for (int k = 0; k < REF_HOMES; k++)
		for (int l = 0; l < UM3N_MAX_LINKS; l++)
			if (x->ref.mn[k].used) {
				op_unbind(x, 99999, k, l);
				verify_all(x, 99999);
			}
	if (getenv("UM3N_TEST_VERBOSE"))
		fprintf(stderr, "\n  full %u conflicts %u rebinds %u releases %u\n", x->full_hits,
			x->conflicts, x->rebinds, x->releases);
	CU_ASSERT_EQUAL(x->mismatches, 0);
	CU_ASSERT_EQUAL(x->c.n_used, 0);
	/* the sequence reached every situation */
	CU_ASSERT(x->full_hits > 50);
	CU_ASSERT(x->conflicts > 50);
	CU_ASSERT(x->rebinds > 500);
	CU_ASSERT(x->releases > 300);
	um3n_bcache_fini(&x->c, &x->env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
	free(x);
}

/* ---- numbered edge cases ------------------------------------------------ */

enum { GET, BIND, UNBIND, FIND, FIND_COA };

struct edge_step {
	int op;
	int k, link;
	uint32_t ip;
	uint16_t port;
	int expect; /* GET: 1 = a record, 0 = NULL; BIND: rc; FIND: 1/0;
		     * FIND_COA: k*8+link or -1 */
};

struct edge_case {
	int num;
	const char *what;
	size_t cap;
	struct edge_step steps[10];
	size_t n;
	size_t n_used_after;
};

#define IP1 0xc6336401u
#define IP2 0xc6336402u

/* clang-format off */
static const struct edge_case edge_cases[] = {
	{1, "full cache: a new MN gets NULL, a known one still its record", 2,
	 {{GET, 0, 0, 0, 0, 1}, {GET, 1, 0, 0, 0, 1}, {GET, 2, 0, 0, 0, 0}, {GET, 0, 0, 0, 0, 1},
	  {FIND, 2, 0, 0, 0, 0}},
	 5, 2},
	{2, "care-of used by another MN", 4,
	 {{GET, 0, 0, 0, 0, 1}, {GET, 1, 0, 0, 0, 1}, {BIND, 0, 0, IP1, 4000, 0},
	  {BIND, 1, 0, IP1, 4000, UM3N_EINVAL}, {BIND, 1, 0, IP1, 4001, 0},
	  {FIND_COA, 0, 0, IP1, 4000, 0}, {FIND_COA, 0, 0, IP1, 4001, 8}},
	 7, 2},
	{3, "care-of used by another link of the same MN", 4,
	 {{GET, 0, 0, 0, 0, 1}, {BIND, 0, 1, IP1, 4000, 0}, {BIND, 0, 2, IP1, 4000, UM3N_EINVAL},
	  {FIND_COA, 0, 0, IP1, 4000, 1}},
	 4, 1},
	{4, "refresh at the same care-of is fine", 4,
	 {{GET, 0, 0, 0, 0, 1}, {BIND, 0, 3, IP1, 4000, 0}, {BIND, 0, 3, IP1, 4000, 0},
	  {FIND_COA, 0, 0, IP1, 4000, 3}},
	 4, 1},
	{5, "NAT rebind: old port forgotten, new port found, then free for others", 4,
	 {{GET, 0, 0, 0, 0, 1}, {GET, 1, 0, 0, 0, 1}, {BIND, 0, 0, IP1, 4000, 0},
	  {BIND, 0, 0, IP1, 4999, 0}, {FIND_COA, 0, 0, IP1, 4000, -1}, {FIND_COA, 0, 0, IP1, 4999, 0},
	  {BIND, 1, 5, IP1, 4000, 0}, {FIND_COA, 0, 0, IP1, 4000, 13}},
	 8, 2},
	{6, "record released when its last binding goes", 4,
	 {{GET, 0, 0, 0, 0, 1}, {BIND, 0, 0, IP1, 4000, 0}, {BIND, 0, 1, IP2, 4000, 0},
	  {UNBIND, 0, 0, 0, 0, 0}, {FIND, 0, 0, 0, 0, 1}, {FIND_COA, 0, 0, IP2, 4000, 1},
	  {UNBIND, 0, 1, 0, 0, 0}, {FIND, 0, 0, 0, 0, 0}, {FIND_COA, 0, 0, IP2, 4000, -1}},
	 9, 0},
	{7, "released slot is reused by a new MN", 1,
	 {{GET, 0, 0, 0, 0, 1}, {GET, 1, 0, 0, 0, 0}, {BIND, 0, 0, IP1, 4000, 0},
	  {UNBIND, 0, 0, 0, 0, 0}, {GET, 1, 0, 0, 0, 1}, {BIND, 1, 0, IP1, 4000, 0},
	  {FIND_COA, 0, 0, IP1, 4000, 8}},
	 7, 1},
	{8, "home address 0 is never a record", 4, {{GET, -1, 0, 0, 0, 0}, {FIND, -1, 0, 0, 0, 0}}, 2, 0},
	{9, "nothing bound: 0.0.0.0:0 is not found (key 0 marks empty slots)", 4,
	 {{FIND_COA, 0, 0, 0, 0, -1}, {GET, 0, 0, 0, 0, 1}, {BIND, 0, 0, IP1, 1, 0},
	  {FIND_COA, 0, 0, 0, 0, -1}},
	 4, 1},
};
/* clang-format on */

static int edge_find_coa(struct um3n_bcache *c, uint32_t ip, uint16_t port)
{
	struct um3n_sockaddr a = coa_of(ip, port);
	int link = -1;
	struct um3n_mn_rec *rec = um3n_bcache_find_coa(c, &a, &link);

	return rec ? (int)(rec->home_v4 - HOME(0)) * 8 + link : -1;
}

static int edge_step(struct um3n_bcache *c, const struct um3n_env *env, const struct edge_step *s)
{
	uint32_t home = s->k < 0 ? 0 : HOME(s->k);
	struct um3n_mn_rec *rec = um3n_bcache_find(c, home);
	struct um3n_sockaddr a = coa_of(s->ip, s->port);

	switch (s->op) {
	case GET:
		rec = um3n_bcache_get(c, env, home, 1);
		return rec != NULL && rec->home_v4 == home && um3n_bcache_find(c, home) == rec;
	case BIND: return rec ? um3n_bcache_bind(c, rec, s->link, &a) : 12345;
	case UNBIND:
		if (rec)
			um3n_bcache_unbind(c, env, rec, s->link);
		return rec ? 0 : 12345;
	case FIND: return rec != NULL;
	default: return edge_find_coa(c, s->ip, s->port);
	}
}

static void test_edge_cases(void)
{
	struct um3n_env env = test_env(1);

	for (size_t i = 0; i < sizeof(edge_cases) / sizeof(edge_cases[0]); i++) {
		const struct edge_case *c = &edge_cases[i];
		struct um3n_bcache bc;

		CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&bc, &env, c->cap, 8), 0);
		for (size_t k = 0; k < c->n; k++) {
			int got = edge_step(&bc, &env, &c->steps[k]);

			if (got != c->steps[k].expect)
				fprintf(stderr, "\n  binding case %d (%s) step %zu: %d want %d\n",
					c->num, c->what, k, got, c->steps[k].expect);
			CU_ASSERT_EQUAL(got, c->steps[k].expect);
		}
		CU_ASSERT_EQUAL(bc.n_used, c->n_used_after);
		um3n_bcache_fini(&bc, &env);
		CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
	}
}

/* A record costs no allocation (its re-send list is a slice of the pool the
 * cache allocated at init); released and taken again, it starts clean. */
static void test_release_frees_memory(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_bcache bc;
	struct um3n_sockaddr a = coa_of(IP1, 4000);
	struct um3n_mn_rec *rec;
	long base;

	CU_ASSERT_EQUAL(um3n_bcache_init(&bc, &env, 0, 8), UM3N_EINVAL);
	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&bc, &env, 8, 32), 0);
	base = test_env_state()->live_allocs;
	rec = um3n_bcache_get(&bc, &env, HOME(0), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, base);
	CU_ASSERT_EQUAL_FATAL(rec->dp.resend.cap, 32);
	CU_ASSERT_PTR_EQUAL(rec->dp.resend.ent, bc.resend_pool + um3n_bcache_index(&bc, rec) * 32);
	rec->dp.resend.ent[31].valid = true; /* as if it had sent */
	CU_ASSERT_EQUAL(um3n_bcache_bind(&bc, rec, 0, &a), 0);
	CU_ASSERT_EQUAL(um3n_bcache_rec_bindings(rec), 1);
	um3n_bcache_unbind(&bc, &env, rec, 0);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, base);
	CU_ASSERT_EQUAL(bc.n_used, 0);
	/* the fresh record of the same MN starts clean */
	rec = um3n_bcache_get(&bc, &env, HOME(0), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(um3n_bcache_rec_bindings(rec), 0);
	CU_ASSERT_FALSE(rec->b[0].active);
	CU_ASSERT_FALSE(rec->dp.resend.ent[31].valid);
	um3n_bcache_fini(&bc, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* The wake-up heap against a naive reference (each record's earliest asked
 * wake-up, the minimum by a scan): random lowering, later asks ignored, pops
 * of what is due in order, records released while scheduled; and the lowest
 * free slot is the one a scan from 0 would find (the free-slot hint). */
static void test_wake_heap_vs_reference(void)
{
	enum { CAP = 48, STEPS = 20000 };
	struct um3n_env env = test_env(5);
	struct um3n_bcache bc;
	uint64_t ref[CAP]; /* UM3N_TIME_NONE: not scheduled */
	struct um3n_prng prng;
	int wrong = 0;

	um3n_prng_seed(&prng, 99);
	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&bc, &env, CAP, 0), 0);
	for (size_t i = 0; i < CAP; i++)
		ref[i] = UM3N_TIME_NONE;
	for (int step = 0; step < STEPS; step++) {
		uint32_t k = (uint32_t)um3n_prng_below(&prng, CAP);
		uint32_t op = (uint32_t)um3n_prng_below(&prng, 10);
		struct um3n_mn_rec *rec = um3n_bcache_find(&bc, HOME(k));
		uint64_t now = 1000 * (uint64_t)step, at = now + um3n_prng_below(&prng, 50000);

		if (op < 5) { /* ask for a wake-up (created if need be) */
			size_t lowest = 0;

			while (!rec && lowest < CAP && bc.recs[lowest].used)
				lowest++;
			if (!rec) {
				rec = um3n_bcache_get(&bc, &env, HOME(k), 1);
				wrong += !rec || um3n_bcache_index(&bc, rec) != lowest;
			}
			if (!rec)
				continue;
			um3n_bcache_wake_at(&bc, rec, at);
			if (at < ref[um3n_bcache_index(&bc, rec)])
				ref[um3n_bcache_index(&bc, rec)] = at;
		} else if (op < 7 && rec) { /* release, scheduled or not */
			ref[um3n_bcache_index(&bc, rec)] = UM3N_TIME_NONE;
			rec->b[0].active =
				true; /* unbind releases the record with its last binding */
			um3n_bcache_unbind(&bc, &env, rec, 0);
		} else { /* pop everything due at now, earliest first */
			struct um3n_mn_rec *r;
			uint64_t last = 0;

			while ((r = um3n_bcache_wake_pop(&bc, now))) {
				size_t i = um3n_bcache_index(&bc, r);

				wrong += ref[i] > now || ref[i] < last;
				last = ref[i];
				ref[i] = UM3N_TIME_NONE;
			}
		}
		{ /* the heap's minimum is the reference's */
			uint64_t min = UM3N_TIME_NONE;

			for (size_t i = 0; i < CAP; i++)
				if (bc.recs[i].used && ref[i] < min)
					min = ref[i];
			wrong += um3n_bcache_wake_next(&bc) != min;
		}
	}
	if (wrong)
		fprintf(stderr, "\n  wake heap: %d disagreements with the reference\n", wrong);
	CU_ASSERT_EQUAL(wrong, 0);
	um3n_bcache_fini(&bc, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo bcache_tests[] = {
	{"01 random get/bind/unbind/find vs naive reference", test_random_vs_reference},
	{"02 numbered edge cases", test_edge_cases},
	{"03 no allocation per MN; a record taken again starts clean", test_release_frees_memory},
	{"04 wake-up heap and free-slot hint vs naive reference", test_wake_heap_vs_reference},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"bcache", bcache_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
