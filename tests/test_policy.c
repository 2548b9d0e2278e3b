/* Policy table tests: numbered tables for the text parsers, add and lookup;
 * the default rule, clear, capacity and leaks. The serialisation (MN->HA sync)
 * is in test_policy_serial.c, the trie against a naive reference in
 * test_policy_ref.c. */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

static struct um3n_addr addr_from(const char *text)
{
	struct um3n_addr a;

	CU_ASSERT_EQUAL_FATAL(um3n_addr_parse(text, &a), UM3N_OK);
	return a;
}

/* ---------------------------------------------------------------- text */

struct prefix_case {
	int n;
	const char *text;
	int rc;
	uint8_t family;
	uint8_t plen;
	const char *addr; /* canonical address expected back */
};

/* clang-format off */
static const struct prefix_case prefix_cases[] = {
	{ 1, "10.1.0.0/16", UM3N_OK, UM3N_AF_INET, 16, "10.1.0.0" },
	{ 2, "0.0.0.0/0", UM3N_OK, UM3N_AF_INET, 0, "0.0.0.0" },
	{ 3, "192.0.2.1", UM3N_OK, UM3N_AF_INET, 32, "192.0.2.1" },
	{ 4, "2001:db8::/32", UM3N_OK, UM3N_AF_INET6, 32, "2001:db8::" },
	{ 5, "::/0", UM3N_OK, UM3N_AF_INET6, 0, "::" },
	{ 6, "2001:db8::1", UM3N_OK, UM3N_AF_INET6, 128, "2001:db8::1" },
	{ 7, "10.255.255.255/32", UM3N_OK, UM3N_AF_INET, 32, "10.255.255.255" },
	{ 8, "128.0.0.0/1", UM3N_OK, UM3N_AF_INET, 1, "128.0.0.0" },
	{ 9, "2001:db8:8000::/33", UM3N_OK, UM3N_AF_INET6, 33, "2001:db8:8000::" },
	{ 10, "::ffff:10.0.0.0/104", UM3N_OK, UM3N_AF_INET6, 104, "::ffff:10.0.0.0" },
	{ 11, "0000:0000:0000:0000:0000:ffff:255.255.255.255", UM3N_OK, UM3N_AF_INET6, 128,
	  "::ffff:255.255.255.255" },
};
/* clang-format on */

/* Refused with UM3N_EINVAL; case numbers continue the table above. */
/* clang-format off */
static const char *const bad_prefixes[] = {
	"10.1.0.0/33", "2001:db8::/129", "10.1.2.3/16" /* host bits */,
	"2001:db8:4000::/33" /* bit 33 is a host bit */, "1.2.3.4/0", "10.1.0.0/16x",
	"10.1.0.0/", "/16", "", "10.1.0.0/016", "10.1.0.0/-1", "10.1.0.0 /16", "10.1.0.0/16 ",
	"10.1.0/24", "10.1.0.0/16/8", "2001:db8::/+32", "hello", "10.0.0.0/8\n",
	"1111:2222:3333:4444:5555:6666:7777:8888:9999/128", "10.0.0.0/1000", "2001:db8::/0128",
};
/* clang-format on */

static void test_prefix_parse(void)
{
	struct um3n_addr a;
	uint8_t plen;

	for (size_t i = 0; i < N_ELEMS(prefix_cases); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		char buf[64] = "";
		int rc = um3n_policy_prefix_parse(c->text, &a, &plen);

		if (rc != c->rc)
			fprintf(stderr, "prefix case %d \"%s\": rc %d\n", c->n, c->text, rc);
		CU_ASSERT_EQUAL_FATAL(rc, c->rc);
		CU_ASSERT_TRUE(a.family == c->family && plen == c->plen);
		CU_ASSERT_EQUAL(um3n_addr_format(&a, buf, sizeof(buf)), UM3N_OK);
		CU_ASSERT_STRING_EQUAL(buf, c->addr);
	}
	for (size_t i = 0; i < N_ELEMS(bad_prefixes); i++) {
		int rc = um3n_policy_prefix_parse(bad_prefixes[i], &a, &plen);

		if (rc != UM3N_EINVAL)
			fprintf(stderr, "prefix case %zu \"%s\": rc %d\n",
				N_ELEMS(prefix_cases) + i + 1, bad_prefixes[i], rc);
		CU_ASSERT_EQUAL(rc, UM3N_EINVAL);
		CU_ASSERT_EQUAL(a.family, 0); /* outputs cleared */
	}
	CU_ASSERT_EQUAL(um3n_policy_prefix_parse(NULL, NULL, NULL), UM3N_EINVAL);
}

struct name_case {
	int n;
	bool is_class; /* else a mode */
	const char *name;
	int rc;
	uint8_t value;
};

/* clang-format off */
static const struct name_case name_cases[] = {
	{ 1, true, "any", UM3N_OK, 0 },          { 2, true, "cell", UM3N_OK, 1 },
	{ 3, true, "wifi", UM3N_OK, 2 },         { 4, true, "wired", UM3N_OK, 3 },
	{ 5, true, "class4", UM3N_OK, 4 },       { 6, true, "class15", UM3N_OK, 15 },
	{ 7, true, "class0", UM3N_OK, 0 },       { 8, true, "class2", UM3N_OK, 2 },
	{ 9, true, "class16", UM3N_EINVAL, 0 },  { 10, true, "class", UM3N_EINVAL, 0 },
	{ 11, true, "class01", UM3N_EINVAL, 0 }, { 12, true, "Cell", UM3N_EINVAL, 0 },
	{ 13, true, "", UM3N_EINVAL, 0 },        { 14, true, "class1x", UM3N_EINVAL, 0 },
	{ 15, true, "class-1", UM3N_EINVAL, 0 }, { 16, true, "class 4", UM3N_EINVAL, 0 },
	{ 17, true, "wifi ", UM3N_EINVAL, 0 },   { 18, true, "class255", UM3N_EINVAL, 0 },
	{ 19, false, "prefer", UM3N_OK, UM3N_MODE_PREFER },
	{ 20, false, "aggregate", UM3N_OK, UM3N_MODE_AGGREGATE },
	{ 21, false, "redundant", UM3N_OK, UM3N_MODE_REDUNDANT },
	{ 22, false, "Prefer", UM3N_EINVAL, 0 }, { 23, false, "", UM3N_EINVAL, 0 },
	{ 24, false, "redundant2", UM3N_EINVAL, 0 }, { 25, false, "0", UM3N_EINVAL, 0 },
};
/* clang-format on */

static void test_names(void)
{
	for (size_t i = 0; i < N_ELEMS(name_cases); i++) {
		const struct name_case *c = &name_cases[i];
		uint8_t v = 0xee;
		int rc = c->is_class ? um3n_policy_class_parse(c->name, &v)
				     : um3n_policy_mode_parse(c->name, &v);

		if (rc != c->rc)
			fprintf(stderr, "name case %d \"%s\": rc %d\n", c->n, c->name, rc);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc == UM3N_OK)
			CU_ASSERT_EQUAL(v, c->value);
	}
	/* Every valid value's name parses back to it. */
	for (unsigned c = 0; c <= UM3N_CLASS_MAX; c++) {
		uint8_t v = 0xee, m = 0xee;

		CU_ASSERT_EQUAL(um3n_policy_class_parse(um3n_policy_class_name((uint8_t)c), &v), 0);
		CU_ASSERT_EQUAL(v, c);
		if (c <= UM3N_MODE_MAX) {
			CU_ASSERT_EQUAL(
				um3n_policy_mode_parse(um3n_policy_mode_name((uint8_t)c), &m), 0);
			CU_ASSERT_EQUAL(m, c);
		}
	}
	CU_ASSERT_STRING_EQUAL(um3n_policy_class_name(7), "class7");
	CU_ASSERT_STRING_EQUAL(um3n_policy_class_name(UM3N_CLASS_MAX + 1), "invalid");
	CU_ASSERT_STRING_EQUAL(um3n_policy_mode_name(UM3N_MODE_MAX + 1), "invalid");
}

/* ---------------------------------------------------------------- add and lookup */

struct add_case {
	int n;
	const char *prefix;
	int plen;       /* -1: from the text; else overrides it (to set host bits) */
	uint8_t family; /* 0: from the text; else overrides it */
	uint8_t link_class;
	uint8_t mode;
	int rc;
};

/* clang-format off */
static const struct add_case add_cases[] = {
	{ 1, "10.0.0.0/8", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_OK },
	{ 2, "10.1.0.0/16", -1, 0, UM3N_CLASS_WIFI, UM3N_MODE_PREFER, UM3N_OK },
	{ 3, "10.1.2.0/24", -1, 0, UM3N_CLASS_WIRED, UM3N_MODE_AGGREGATE, UM3N_OK },
	{ 4, "10.1.2.3/32", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_REDUNDANT, UM3N_OK },
	{ 5, "10.0.0.0/8", -1, 0, UM3N_CLASS_WIFI, UM3N_MODE_PREFER, UM3N_EINVAL }, /* duplicate */
	{ 6, "2001:db8::/32", -1, 0, UM3N_CLASS_WIFI, UM3N_MODE_PREFER, UM3N_OK },
	{ 7, "2001:db8:1::/48", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_OK },
	{ 8, "2001:db8::/32", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 9, "192.168.0.0/16", -1, 0, UM3N_CLASS_MAX + 1, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 10, "192.168.0.0/16", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_MAX + 1, UM3N_EINVAL },
	{ 11, "128.0.0.0/1", -1, 0, 9, UM3N_MODE_PREFER, UM3N_OK },
	{ 12, "64.0.0.0/2", -1, 0, 10, UM3N_MODE_AGGREGATE, UM3N_OK },
	{ 13, "2001:db8::1", -1, 0, UM3N_CLASS_WIRED, UM3N_MODE_PREFER, UM3N_OK },
	{ 14, "192.168.0.0/16", -1, 5, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 15, "192.168.0.0", 33, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 16, "10.9.9.9", 16, 0, UM3N_CLASS_WIFI, UM3N_MODE_REDUNDANT, UM3N_OK }, /* cleared */
	{ 17, "10.9.0.0/16", -1, 0, UM3N_CLASS_WIFI, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 18, "2001:db8::", 129, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_EINVAL },
	{ 19, "2001:db8:1::", 47, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_OK }, /* = a glue node */
	{ 20, "192.168.0.0/16", -1, 0, UM3N_CLASS_CELL, UM3N_MODE_PREFER, UM3N_OK },
	{ 21, "::ffff:192.168.0.0/112", -1, 0, UM3N_CLASS_WIFI, UM3N_MODE_PREFER, UM3N_OK },
};
/* clang-format on */
#define N_ADD_CASES N_ELEMS(add_cases)

struct lookup_case {
	int n;
	const char *addr;
	const char *want; /* matched rule's prefix text; NULL = the default */
};

/* clang-format off */
static const struct lookup_case lookup_cases[] = {
	{ 1, "10.1.2.3", "10.1.2.3/32" },       { 2, "10.1.2.4", "10.1.2.0/24" },
	{ 3, "10.1.3.1", "10.1.0.0/16" },       { 4, "10.2.0.0", "10.0.0.0/8" },
	{ 5, "11.0.0.1", NULL },                { 6, "200.1.1.1", "128.0.0.0/1" },
	{ 7, "127.255.255.255", "64.0.0.0/2" }, { 8, "63.255.255.255", NULL },
	{ 9, "2001:db8:1::5", "2001:db8:1::/48" }, { 10, "2001:db8:0:1::5", "2001:db8::/47" },
	{ 11, "2001:db8:2::5", "2001:db8::/32" },  { 12, "2001:db8::1", "2001:db8::1/128" },
	{ 13, "2001:db8::2", "2001:db8::/47" },    { 14, "2001:db9::", NULL },
	{ 15, "10.9.200.1", "10.9.0.0/16" },    { 16, "9.255.255.255", NULL },
	{ 17, "::ffff:192.168.1.1", "::ffff:192.168.0.0/112" }, /* not the IPv4 /16 */
	{ 18, "192.168.1.1", "192.168.0.0/16" }, { 19, "::", NULL },
	{ 20, "0.0.0.0", NULL },                 { 21, "255.255.255.255", "128.0.0.0/1" },
	{ 22, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
};
/* clang-format on */

static int add_case_run(struct um3n_policy *p, const struct add_case *c)
{
	struct um3n_policy_rule r = {.link_class = c->link_class, .mode = c->mode};

	CU_ASSERT_EQUAL_FATAL(um3n_policy_prefix_parse(c->prefix, &r.prefix, &r.plen), UM3N_OK);
	if (c->plen >= 0)
		r.plen = (uint8_t)c->plen;
	if (c->family)
		r.prefix.family = c->family;
	return um3n_policy_add(p, &r);
}

/* The table built from add_cases; rules that succeeded are in order. */
static struct um3n_policy *table_from_add_cases(void)
{
	struct um3n_policy *p = test_policy_new(64);
	size_t ok = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < N_ADD_CASES; i++) {
		int rc = add_case_run(p, &add_cases[i]);

		if (rc != add_cases[i].rc)
			fprintf(stderr, "add case %d: rc %d, want %d\n", add_cases[i].n, rc,
				add_cases[i].rc);
		CU_ASSERT_EQUAL(rc, add_cases[i].rc);
		ok += rc == UM3N_OK;
		CU_ASSERT_EQUAL(um3n_policy_count(p), ok);
	}
	return p;
}

static bool rule_is(const struct um3n_policy_rule *r, const char *prefix_text)
{
	struct um3n_addr a;
	uint8_t plen;

	if (um3n_policy_prefix_parse(prefix_text, &a, &plen))
		return false;
	return r->plen == plen && um3n_addr_eq(&r->prefix, &a);
}

static void test_add_cases(void)
{
	struct um3n_policy *p = table_from_add_cases();

	/* Insertion order is kept; case 16 (the 10th success) had its host bits cleared. */
	CU_ASSERT_TRUE(rule_is(um3n_policy_rule_at(p, 0), "10.0.0.0/8"));
	CU_ASSERT_EQUAL(um3n_policy_rule_at(p, 0)->link_class, UM3N_CLASS_CELL);
	CU_ASSERT_TRUE(rule_is(um3n_policy_rule_at(p, 9), "10.9.0.0/16"));
	CU_ASSERT_EQUAL(um3n_policy_rule_at(p, 9)->mode, UM3N_MODE_REDUNDANT);
	CU_ASSERT_PTR_NULL(um3n_policy_rule_at(p, um3n_policy_count(p)));
	test_policy_free(p);
}

static void test_lookup_cases(void)
{
	struct um3n_policy *p = table_from_add_cases();

	CU_ASSERT_EQUAL(um3n_policy_set_default(p, UM3N_CLASS_WIRED, UM3N_MODE_AGGREGATE), 0);
	for (size_t i = 0; i < N_ELEMS(lookup_cases); i++) {
		const struct lookup_case *c = &lookup_cases[i];
		struct um3n_addr a = addr_from(c->addr);
		const struct um3n_policy_rule *r = um3n_policy_lookup(p, &a);
		bool ok;

		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		if (c->want)
			ok = rule_is(r, c->want);
		else
			ok = r->plen == 0 && r->prefix.family == a.family &&
			     r->link_class == UM3N_CLASS_WIRED && r->mode == UM3N_MODE_AGGREGATE;
		if (!ok)
			fprintf(stderr, "lookup case %d %s: got plen %u\n", c->n, c->addr, r->plen);
		CU_ASSERT(ok);
	}
	test_policy_free(p);
}

/* An explicit /0 rule matches everything of its family and beats the default;
 * the other family still falls through to its own default. */
static void test_plen0_rule(void)
{
	struct um3n_policy *p = test_policy_new(8);
	struct um3n_policy_rule any4 = test_rule("0.0.0.0/0", UM3N_CLASS_WIFI, UM3N_MODE_REDUNDANT);
	struct um3n_policy_rule r24 = test_rule("10.1.2.0/24", UM3N_CLASS_CELL, UM3N_MODE_PREFER);
	struct um3n_addr in = addr_from("10.1.2.9"), out = addr_from("11.0.0.1");
	struct um3n_addr v6 = addr_from("2001:db8::1");
	const struct um3n_policy_rule *r;

	CU_ASSERT_EQUAL(um3n_policy_add(p, &r24), 0);
	CU_ASSERT_EQUAL(um3n_policy_add(p, &any4), 0); /* added above an existing node */
	CU_ASSERT_EQUAL(um3n_policy_add(p, &any4), UM3N_EINVAL);
	CU_ASSERT_PTR_EQUAL(um3n_policy_lookup(p, &out), um3n_policy_rule_at(p, 1));
	CU_ASSERT_PTR_EQUAL(um3n_policy_lookup(p, &in), um3n_policy_rule_at(p, 0));
	r = um3n_policy_lookup(p, &v6);
	CU_ASSERT_TRUE(r->prefix.family == UM3N_AF_INET6 && r->plen == 0 && r->link_class == 0);
	test_policy_free(p);
}

static void test_default_and_version(void)
{
	struct um3n_policy *p = test_policy_new(4);
	struct um3n_addr v4 = addr_from("198.51.100.1"), v6 = addr_from("2001:db8::1");
	const struct um3n_policy_rule *d = um3n_policy_default(p), *d4, *d6;

	CU_ASSERT_TRUE(d->plen == 0 && d->link_class == UM3N_CLASS_ANY &&
		       d->mode == UM3N_MODE_PREFER);
	CU_ASSERT_EQUAL(um3n_policy_version(p), 0);
	CU_ASSERT_EQUAL(um3n_policy_set_default(p, UM3N_CLASS_MAX + 1, 0), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_policy_set_default(p, 0, UM3N_MODE_MAX + 1), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_policy_set_default(p, UM3N_CLASS_CELL, UM3N_MODE_REDUNDANT), 0);
	um3n_policy_set_version(p, 0xdeadbeef);
	CU_ASSERT_EQUAL(um3n_policy_version(p), 0xdeadbeef);
	d4 = um3n_policy_lookup(p, &v4);
	d6 = um3n_policy_lookup(p, &v6);
	CU_ASSERT_TRUE(d4->prefix.family == UM3N_AF_INET && d6->prefix.family == UM3N_AF_INET6);
	CU_ASSERT_TRUE(d4->link_class == UM3N_CLASS_CELL && d6->link_class == UM3N_CLASS_CELL);
	CU_ASSERT_TRUE(d4->mode == UM3N_MODE_REDUNDANT && d6->mode == UM3N_MODE_REDUNDANT);
	test_policy_free(p);
}

static void test_clear(void)
{
	struct um3n_policy *p = table_from_add_cases();
	struct um3n_addr a = addr_from("10.1.2.3");
	size_t n = um3n_policy_count(p);

	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_PREFER);
	um3n_policy_set_version(p, 7);
	um3n_policy_clear(p);
	CU_ASSERT_EQUAL(um3n_policy_count(p), 0);
	CU_ASSERT_EQUAL(um3n_policy_version(p), 7);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->plen, 0);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->link_class, UM3N_CLASS_WIFI);
	/* Same rules again: no stale duplicates, same result; repeatedly, so a
	 * node pool that is not reset would run out. */
	for (int round = 0; round < 5; round++) {
		um3n_policy_clear(p);
		for (size_t i = 0; i < N_ADD_CASES; i++)
			add_case_run(p, &add_cases[i]);
		CU_ASSERT_EQUAL(um3n_policy_count(p), n);
	}
	CU_ASSERT_TRUE(rule_is(um3n_policy_lookup(p, &a), "10.1.2.3/32"));
	test_policy_free(p);
}

static void test_capacity(void)
{
	struct um3n_policy *p = test_policy_new(3), *zero = test_policy_new(0);
	const char *texts[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16", "2001:db8::/32",
			       "10.2.0.0/16"};
	const int want[] = {UM3N_OK, UM3N_OK, UM3N_EINVAL /* a duplicate uses no room */, UM3N_OK,
			    UM3N_ENOMEM};
	struct um3n_policy_rule r;
	struct um3n_addr a = addr_from("10.0.0.1");

	CU_ASSERT_EQUAL(um3n_policy_capacity(p), 3);
	for (size_t i = 0; i < N_ELEMS(texts); i++) {
		r = test_rule(texts[i], 1, 0);
		CU_ASSERT_EQUAL(um3n_policy_add(p, &r), want[i]);
	}
	CU_ASSERT_EQUAL(um3n_policy_count(p), 3);
	/* A table of capacity 0 is valid: the default rule only. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(zero);
	CU_ASSERT_EQUAL(um3n_policy_add(zero, &r), UM3N_ENOMEM);
	CU_ASSERT_EQUAL(um3n_policy_lookup(zero, &a)->plen, 0);
	um3n_policy_free(zero);
	test_policy_free(p);
}

static void *refuse_alloc(void *ctx, size_t size)
{
	(void)ctx;
	(void)size;
	return NULL;
}

static void test_new_bad_args(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_policy *p;

	CU_ASSERT_PTR_NULL(test_policy_new(UM3N_POLICY_MAX_RULES + 1));
	p = test_policy_new(UM3N_POLICY_MAX_RULES);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 1); /* one block, taken at create */
	test_policy_free(p);
	env.alloc = refuse_alloc;
	CU_ASSERT_PTR_NULL(um3n_policy_new(&env, 10));
	CU_ASSERT_PTR_NULL(um3n_policy_new(NULL, 10));
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* ---------------------------------------------------------------- main */

static CU_TestInfo policy_tests[] = {
	{"prefix_parse", test_prefix_parse},
	{"names", test_names},
	{"add_cases", test_add_cases},
	{"lookup_cases", test_lookup_cases},
	{"plen0_rule", test_plen0_rule},
	{"default_and_version", test_default_and_version},
	{"clear", test_clear},
	{"capacity", test_capacity},
	{"new_bad_args", test_new_bad_args},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {{"policy", policy_tests}, {NULL, NULL}};

	return test_main(suites);
}
