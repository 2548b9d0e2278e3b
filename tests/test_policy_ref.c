/* The policy trie against a naive linear reference (scan every rule, longest
 * prefix wins) on random IPv4 and IPv6 tables of 1 to 10,000 rules, including
 * clustered prefixes; WireGuard's allowedips self-test is the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

/* ---------------------------------------------------------------- naive reference */

/* An address as two host-order 64-bit words (IPv4 in the top of w[0]),
 * computed here independently of the library's own key handling. */
static void addr_words(const struct um3n_addr *a, uint64_t w[2])
{
	size_t n = a->family == UM3N_AF_INET ? 4 : 16;

	w[0] = w[1] = 0;
	for (size_t i = 0; i < n; i++)
		w[i / 8] |= (uint64_t)a->bytes[i] << (56 - 8 * (i % 8));
}

static void words_addr(uint8_t family, const uint64_t w[2], struct um3n_addr *a)
{
	size_t n = family == UM3N_AF_INET ? 4 : 16;

	memset(a, 0, sizeof(*a));
	a->family = family;
	for (size_t i = 0; i < n; i++)
		a->bytes[i] = (uint8_t)(w[i / 8] >> (56 - 8 * (i % 8)));
}

static void plen_mask(unsigned plen, uint64_t m[2])
{
	m[0] = plen == 0 ? 0 : plen >= 64 ? UINT64_MAX : UINT64_MAX << (64 - plen);
	m[1] = plen <= 64 ? 0 : plen >= 128 ? UINT64_MAX : UINT64_MAX << (128 - plen);
}

static void flip_bit(uint64_t w[2], unsigned pos) { w[pos / 64] ^= 1ull << (63 - pos % 64); }

/* The rules of one family, in table order, as words and masks. */
struct ref_rule {
	uint64_t key[2], mask[2];
	int plen;
};

struct ref_table {
	size_t n;
	struct ref_rule *r;
};

static void ref_init(struct ref_table *t, size_t cap)
{
	t->n = 0;
	t->r = calloc(cap + 1, sizeof(*t->r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->r);
}

static struct ref_rule ref_rule_of(const struct um3n_policy_rule *r)
{
	struct ref_rule e = {.plen = r->plen};

	addr_words(&r->prefix, e.key);
	plen_mask(r->plen, e.mask);
	e.key[0] &= e.mask[0];
	e.key[1] &= e.mask[1];
	return e;
}

static bool ref_has(const struct ref_table *t, const struct um3n_policy_rule *r)
{
	struct ref_rule e = ref_rule_of(r);

	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].plen == e.plen && t->r[i].key[0] == e.key[0] &&
		    t->r[i].key[1] == e.key[1])
			return true;
	return false;
}

/* Index of the longest rule containing w, or -1: scan every rule. */
static long ref_lookup(const struct ref_table *t, const uint64_t w[2])
{
	long best = -1;
	int best_plen = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct ref_rule *e = &t->r[i];

		if ((w[0] & e->mask[0]) != e->key[0]) /* the usual case: first word differs */
			continue;
		if ((w[1] & e->mask[1]) == e->key[1] && e->plen > best_plen) {
			best_plen = e->plen;
			best = (long)i;
		}
	}
	return best;
}

/* Address w moved inside rule e: its prefix bits, w's other bits. */
static void put_inside(const struct ref_rule *e, uint64_t w[2])
{
	w[0] = e->key[0] | (w[0] & ~e->mask[0]);
	w[1] = e->key[1] | (w[1] & ~e->mask[1]);
}

/* ---------------------------------------------------------------- random tables */

#define N_CLUSTERS 8

struct gen {
	struct um3n_prng rng;
	uint8_t family;
	unsigned bits;
	uint64_t bases[N_CLUSTERS][2]; /* centres of the clustered prefixes */
};

static void random_words(struct gen *g, uint64_t w[2])
{
	w[0] = um3n_prng_next(&g->rng);
	w[1] = g->bits == 128 ? um3n_prng_next(&g->rng) : 0;
	if (g->bits == 32)
		w[0] &= 0xffffffff00000000ull;
}

static void gen_init(struct gen *g, uint64_t seed, uint8_t family)
{
	um3n_prng_seed(&g->rng, seed);
	g->family = family;
	g->bits = family == UM3N_AF_INET ? 32 : 128;
	for (int i = 0; i < N_CLUSTERS; i++)
		random_words(g, g->bases[i]);
}

static unsigned below(struct gen *g, unsigned n) { return (unsigned)um3n_prng_below(&g->rng, n); }

/* Mixed prefix lengths: uniform, routing-table-like, and clusters that share
 * long common prefixes with a few bits flipped (deep, dense subtries). */
static void gen_rule(struct gen *g, struct um3n_policy_rule *r)
{
	unsigned bits = g->bits, plen, common;
	uint64_t w[2], m[2];

	random_words(g, w);
	switch (below(g, 3)) {
	case 0: plen = below(g, bits + 1); break;
	case 1:
		plen = bits == 32    ? 8 + below(g, 25)
		       : below(g, 4) ? 16 + below(g, 49)
				     : 124 + below(g, 5);
		break;
	default:
		memcpy(w, g->bases[below(g, N_CLUSTERS)], sizeof(w));
		common = bits / 2 + below(g, bits / 2);
		plen = common + below(g, bits - common + 1);
		for (unsigned f = below(g, 4); f > 0 && plen > common; f--)
			flip_bit(w, common + below(g, plen - common));
	}
	plen_mask(plen, m);
	w[0] &= m[0];
	w[1] &= m[1];
	words_addr(g->family, w, &r->prefix);
	r->plen = (uint8_t)plen;
	r->link_class = (uint8_t)below(g, UM3N_CLASS_MAX + 1);
	r->mode = (uint8_t)below(g, UM3N_MODE_MAX + 1);
	/* Format 2's parameters, from what was drawn (no extra draws). */
	r->pct = r->mode == UM3N_MODE_LOAD_BALANCE ? (uint8_t)(plen % 101) : 0;
	r->rtt_ms = r->mode == UM3N_MODE_SMALLEST_DELAY ? (uint16_t)(100 + plen) : 0;
	r->loss_pct = r->mode == UM3N_MODE_PRIORITY ? (uint8_t)(plen % 100 + 1) : 0;
}

/* Half uniform; half inside a random rule, of which half then moved just
 * outside it by flipping one of its last prefix bits. */
static void gen_lookup(struct gen *g, const struct ref_table *ref, uint64_t w[2])
{
	size_t i;

	random_words(g, w);
	if (ref->n == 0 || below(g, 2) == 0)
		return;
	i = um3n_prng_below(&g->rng, ref->n);
	put_inside(&ref->r[i], w);
	if (ref->r[i].plen > 0 && below(g, 2)) {
		unsigned plen = (unsigned)ref->r[i].plen;

		flip_bit(w, plen - 1 - below(g, plen < 8 ? plen : 8));
	}
}

#define DEFAULT_CLASS_RANDOM 5

/* 0 when the table's answer for w is the reference's, else 1 (printed). */
static unsigned check_one(const struct um3n_policy *p, const struct ref_table *ref, uint8_t family,
			  const uint64_t w[2], unsigned *printed)
{
	const struct um3n_policy_rule *got;
	struct um3n_addr a;
	long want = ref_lookup(ref, w);
	bool ok;
	char text[64];

	words_addr(family, w, &a);
	got = um3n_policy_lookup(p, &a);
	if (want >= 0)
		ok = got == um3n_policy_rule_at(p, (size_t)want);
	else
		ok = got->plen == 0 && got->prefix.family == family &&
		     got->link_class == DEFAULT_CLASS_RANDOM;
	if (!ok && (*printed)++ < 5) {
		um3n_addr_format(&a, text, sizeof(text));
		fprintf(stderr, "  %s: got plen %u, reference plen %d\n", text, got->plen,
			want >= 0 ? ref->r[want].plen : -1);
	}
	return ok ? 0 : 1;
}

static void fill_random(struct um3n_policy *p, struct ref_table *ref, struct gen *g, size_t nrules)
{
	struct um3n_policy_rule r;
	size_t attempts = 0, bad_add = 0;

	while (ref->n < nrules && attempts++ < 20 * nrules + 100) {
		bool dup;
		int rc;

		gen_rule(g, &r);
		dup = ref_has(ref, &r);
		rc = um3n_policy_add(p, &r);
		bad_add += rc != (dup ? UM3N_EINVAL : UM3N_OK);
		if (rc == UM3N_OK)
			ref->r[ref->n++] = ref_rule_of(&r);
	}
	CU_ASSERT_EQUAL(bad_add, 0);
	CU_ASSERT_EQUAL(ref->n, nrules);
	CU_ASSERT_EQUAL(um3n_policy_count(p), nrules);
	/* Full now: the next new prefix must be refused. */
	do
		gen_rule(g, &r);
	while (ref_has(ref, &r));
	CU_ASSERT_EQUAL(um3n_policy_add(p, &r), UM3N_ENOMEM);
}

static void check_random(uint64_t seed, uint8_t family, size_t nrules, size_t nlookups)
{
	struct um3n_policy *p = test_policy_new(nrules);
	struct ref_table ref;
	struct gen g;
	uint64_t w[2];
	unsigned bad = 0, printed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	gen_init(&g, seed, family);
	ref_init(&ref, nrules);
	um3n_policy_set_default(p, DEFAULT_CLASS_RANDOM, UM3N_MODE_PREFER);
	fill_random(p, &ref, &g, nrules);
	for (size_t i = 0; i < nlookups; i++) {
		gen_lookup(&g, &ref, w);
		bad += check_one(p, &ref, family, w, &printed);
	}
	for (size_t i = 0; i < ref.n; i++) { /* inside every rule, random host bits */
		random_words(&g, w);
		put_inside(&ref.r[i], w);
		bad += check_one(p, &ref, family, w, &printed);
	}
	if (bad)
		fprintf(stderr, "seed %llu IPv%u %zu rules: %u mismatches\n",
			(unsigned long long)seed, family, nrules, bad);
	CU_ASSERT_EQUAL(bad, 0);
	free(ref.r);
	test_policy_free(p);
}

static const size_t random_sizes[] = {1, 10, 1000, 10000};
#define RANDOM_LOOKUPS 100000

static void check_random_family(uint8_t family)
{
	for (size_t s = 0; s < N_ELEMS(random_sizes); s++) {
		/* The reference scans every rule per lookup: fewer seeds for the
		 * largest tables keep the suite at a few seconds. */
		uint64_t seeds = random_sizes[s] >= 10000 ? 2 : 5;

		for (uint64_t seed = 1; seed <= seeds; seed++)
			check_random(seed * 1000 + random_sizes[s], family, random_sizes[s],
				     RANDOM_LOOKUPS);
	}
}

static void test_random_v4(void) { check_random_family(UM3N_AF_INET); }
static void test_random_v6(void) { check_random_family(UM3N_AF_INET6); }

/* ---------------------------------------------------------------- serialisation of a big table */

static bool rules_equal(const struct um3n_policy_rule *a, const struct um3n_policy_rule *b)
{
	return a->plen == b->plen && a->link_class == b->link_class && a->mode == b->mode &&
	       a->pct == b->pct && a->rtt_ms == b->rtt_ms && a->loss_pct == b->loss_pct &&
	       um3n_addr_eq(&a->prefix, &b->prefix);
}

static uint8_t *serialize_all(const struct um3n_policy *p, size_t *len)
{
	size_t size = um3n_policy_serialized_size(p);
	uint8_t *buf = malloc(size + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(um3n_policy_serialize(p, buf, size, len), UM3N_OK);
	CU_ASSERT_EQUAL(*len, size);
	return buf;
}

static void test_roundtrip_10k(void)
{
	struct um3n_policy *p = test_policy_new(10000), *q = test_policy_new(10000);
	struct gen g4, g6;
	struct um3n_policy_rule r;
	size_t len, len2, differ = 0;
	uint8_t *buf, *buf2;

	gen_init(&g4, 44, UM3N_AF_INET);
	gen_init(&g6, 66, UM3N_AF_INET6);
	while (um3n_policy_count(p) < 10000) {
		gen_rule(um3n_policy_count(p) % 3 ? &g6 : &g4, &r);
		um3n_policy_add(p, &r); /* duplicates are simply skipped */
	}
	um3n_policy_set_default(p, UM3N_CLASS_WIRED, UM3N_MODE_REDUNDANT);
	um3n_policy_set_version(p, 0x01020304);
	buf = serialize_all(p, &len);
	CU_ASSERT_EQUAL(um3n_policy_serialize(p, buf, len - 1, &len2), UM3N_ETOOBIG);
	/* q starts non-empty: deserialisation replaces everything. */
	r = test_rule("10.0.0.0/8", 1, 0);
	um3n_policy_add(q, &r);
	um3n_policy_set_version(q, 9);
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, buf, len), UM3N_OK);
	CU_ASSERT_EQUAL_FATAL(um3n_policy_count(q), 10000);
	for (size_t i = 0; i < 10000; i++)
		differ += !rules_equal(um3n_policy_rule_at(p, i), um3n_policy_rule_at(q, i));
	CU_ASSERT_EQUAL(differ, 0);
	CU_ASSERT_EQUAL(um3n_policy_version(q), 0x01020304);
	CU_ASSERT_TRUE(rules_equal(um3n_policy_default(p), um3n_policy_default(q)));
	buf2 = serialize_all(q, &len2);
	CU_ASSERT_TRUE(len == len2 && memcmp(buf, buf2, len) == 0);
	/* Same answers from both tables. */
	for (int i = 0; i < 2000; i++) {
		struct gen *g = i % 2 ? &g6 : &g4;
		uint64_t w[2];
		struct um3n_addr a;

		random_words(g, w);
		words_addr(g->family, w, &a);
		differ += !rules_equal(um3n_policy_lookup(p, &a), um3n_policy_lookup(q, &a));
	}
	CU_ASSERT_EQUAL(differ, 0);
	free(buf);
	free(buf2);
	um3n_policy_free(q);
	test_policy_free(p);
}

static CU_TestInfo ref_tests[] = {
	{"01 random IPv4 tables vs the naive reference", test_random_v4},
	{"02 random IPv6 tables vs the naive reference", test_random_v6},
	{"03 serialise/deserialise a 10,000-rule mixed table", test_roundtrip_10k},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"policy_reference", ref_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
