/* Policy serialisation tests (the MN->HA sync format in policy.h): the golden
 * encoding, every truncation, a numbered table of corrupted fields, and the
 * decoder's limits (capacity, duplicates); a refused input leaves the table
 * empty. Building and querying tables is test_policy.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

/* ---------------------------------------------------------------- serialisation */

static uint8_t *serialize_all(const struct um3n_policy *p, size_t *len)
{
	size_t size = um3n_policy_serialized_size(p);
	uint8_t *buf = malloc(size + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(um3n_policy_serialize(p, buf, size, len), UM3N_OK);
	CU_ASSERT_EQUAL(*len, size);
	return buf;
}

/* The golden encoding of a 3-rule table (policy.h format). */
/* clang-format off */
static const uint8_t golden[] = {
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, /* header */
	0x04, 0x08, 0x01, 0x00, 0x0a,                                           /* 12: 10/8 */
	0x06, 0x20, 0x02, 0x01, 0x20, 0x01, 0x0d, 0xb8,                         /* 17: 2001:db8::/32 */
	0x04, 0x19, 0x03, 0x02, 0xc0, 0xa8, 0x01, 0x80,                         /* 25: 192.168.1.128/25 */
};
/* clang-format on */

static void test_golden_encoding(void)
{
	struct um3n_policy *p = test_policy_new(8);
	struct um3n_policy_rule r[3] = {
		test_rule("10.0.0.0/8", UM3N_CLASS_CELL, UM3N_MODE_PREFER),
		test_rule("2001:db8::/32", UM3N_CLASS_WIFI, UM3N_MODE_AGGREGATE),
		test_rule("192.168.1.128/25", UM3N_CLASS_WIRED, UM3N_MODE_REDUNDANT),
	};
	size_t len;
	uint8_t *buf;

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(um3n_policy_add(p, &r[i]), UM3N_OK);
	um3n_policy_set_version(p, 1);
	buf = serialize_all(p, &len);
	CU_ASSERT_TRUE(len == sizeof(golden) && memcmp(buf, golden, len) == 0);
	free(buf);
	test_policy_free(p);
}

/* After a failed deserialisation: no rules, initial default and version. */
static bool left_empty(const struct um3n_policy *p)
{
	const struct um3n_policy_rule *d = um3n_policy_default(p);

	return um3n_policy_count(p) == 0 && um3n_policy_version(p) == 0 && d->link_class == 0 &&
	       d->mode == 0;
}

static void make_dirty(struct um3n_policy *p)
{
	struct um3n_policy_rule r = test_rule("172.16.0.0/12", UM3N_CLASS_CELL, 0);

	um3n_policy_clear(p);
	um3n_policy_add(p, &r);
	um3n_policy_set_version(p, 5);
	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_AGGREGATE);
}

static void test_truncations(void)
{
	struct um3n_policy *src = test_policy_new(8), *q = test_policy_new(8);
	const char *texts[] = {"10.0.0.0/8", "2001:db8::/32", "192.168.1.128/25",
			       "0.0.0.0/0",  "2001:db8::1",   "172.16.0.0/12",
			       "::/0"};
	size_t len, bad = 0;
	uint8_t *buf;

	for (size_t i = 0; i < N_ELEMS(texts); i++) {
		struct um3n_policy_rule r = test_rule(texts[i], (uint8_t)i, (uint8_t)(i % 3));

		CU_ASSERT_EQUAL(um3n_policy_add(src, &r), UM3N_OK);
	}
	um3n_policy_set_version(src, 77);
	buf = serialize_all(src, &len);
	for (size_t cut = 0; cut < len; cut++) {
		make_dirty(q);
		if (um3n_policy_deserialize(q, buf, cut) != UM3N_ETRUNC || !left_empty(q)) {
			fprintf(stderr, "truncation to %zu bytes not refused cleanly\n", cut);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	make_dirty(q);
	buf[len] = 0; /* one trailing byte */
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, buf, len + 1), UM3N_EINVAL);
	CU_ASSERT_TRUE(left_empty(q));
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, NULL, 0), UM3N_ETRUNC);
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, buf, len), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_policy_count(q), 7);
	CU_ASSERT_EQUAL(um3n_policy_version(q), 77);
	free(buf);
	um3n_policy_free(q);
	test_policy_free(src);
}

#define MUST_FAIL 1 /* any error will do: the damage shifts later fields */

struct corrupt_case {
	int n;
	size_t offset;
	uint8_t value;
	int rc;
};

/* Offsets into `golden`: header 0-11, rules at 12 (10/8), 17 (2001:db8::/32),
 * 25 (192.168.1.128/25), each {family, plen, class, mode, prefix bytes}. */
/* clang-format off */
static const struct corrupt_case corrupt_cases[] = {
	{ 1, 0, 0x00, UM3N_EINVAL } /* format */,     { 2, 0, 0x02, UM3N_EINVAL } /* future format */,
	{ 3, 1, 16, UM3N_EINVAL } /* default class */, { 4, 2, 3, UM3N_EINVAL } /* default mode */,
	{ 5, 3, 1, UM3N_EINVAL } /* reserved */,      { 6, 11, 4, UM3N_ETRUNC } /* count + 1 */,
	{ 7, 11, 2, UM3N_EINVAL } /* count - 1: trailing */, { 8, 11, 0, UM3N_EINVAL } /* all trailing */,
	{ 9, 8, 0xff, UM3N_ENOMEM } /* > capacity */,  { 10, 12, 5, UM3N_EINVAL } /* family */,
	{ 11, 12, 0, UM3N_EINVAL } /* family */,      { 12, 13, 33, UM3N_EINVAL } /* IPv4 plen */,
	{ 13, 18, 129, UM3N_EINVAL } /* IPv6 plen */, { 14, 14, 16, UM3N_EINVAL } /* class */,
	{ 15, 15, 3, UM3N_EINVAL } /* mode */,        { 16, 16, 0x0b, UM3N_OK } /* 11/8 */,
	{ 17, 32, 0x81, UM3N_EINVAL } /* host bit */, { 18, 32, 0x00, UM3N_OK } /* 192.168.1.0/25 */,
	{ 19, 13, 6, UM3N_EINVAL } /* 10/6: host bit */, { 20, 13, 7, UM3N_OK } /* 10/7 */,
	{ 21, 12, 6, UM3N_OK } /* a00::/8 */,
	{ 22, 13, 16, MUST_FAIL } /* longer prefix swallows the next rule */,
	{ 23, 26, 24, UM3N_EINVAL } /* /24 leaves one trailing byte */,
	{ 24, 18, 0, UM3N_EINVAL } /* /0: prefix bytes read as a rule header */,
	{ 25, 4, 0xff, UM3N_OK } /* any version */,   { 26, 1, 15, UM3N_OK } /* class15 default */,
	{ 27, 17, 4, UM3N_OK } /* read as 32.1.13.184/32: valid (no checksum) */,
	{ 28, 27, 0xff, UM3N_EINVAL } /* class */,    { 29, 28, 0x80, UM3N_EINVAL } /* mode */,
};
/* clang-format on */

static void test_corruptions(void)
{
	struct um3n_policy *q = test_policy_new(8);
	uint8_t buf[sizeof(golden)];

	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, golden, sizeof(golden)), UM3N_OK);
	for (size_t i = 0; i < N_ELEMS(corrupt_cases); i++) {
		const struct corrupt_case *c = &corrupt_cases[i];
		int rc;
		bool ok;

		memcpy(buf, golden, sizeof(buf));
		buf[c->offset] = c->value;
		make_dirty(q);
		rc = um3n_policy_deserialize(q, buf, sizeof(buf));
		if (c->rc == MUST_FAIL)
			ok = rc < 0 && left_empty(q);
		else if (c->rc == UM3N_OK)
			ok = rc == UM3N_OK && um3n_policy_count(q) == 3;
		else
			ok = rc == c->rc && left_empty(q);
		if (!ok)
			fprintf(stderr, "corruption case %d: rc %d\n", c->n, rc);
		CU_ASSERT(ok);
	}
	um3n_policy_free(q);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static void test_deserialize_limits(void)
{
	struct um3n_policy *small = test_policy_new(2), *q = test_policy_new(4);
	uint8_t dup[12 + 5 + 5] = {0x01, 0,    0,    0,    0,    0,    0,    2,    0,    0,   0, 2,
				   0x04, 0x08, 0x01, 0x00, 0x0a, 0x04, 0x08, 0x02, 0x00, 0x0a};

	CU_ASSERT_EQUAL(um3n_policy_deserialize(small, golden, sizeof(golden)), UM3N_ENOMEM);
	CU_ASSERT_TRUE(left_empty(small));
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, dup, sizeof(dup)), UM3N_EINVAL);
	CU_ASSERT_TRUE(left_empty(q));
	dup[18] = 7; /* 10/7 is not a duplicate of 10/8 */
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, dup, sizeof(dup)), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_policy_count(q), 2);
	CU_ASSERT_EQUAL(um3n_policy_version(q), 2);
	um3n_policy_free(small);
	test_policy_free(q);
}

/* ---------------------------------------------------------------- format 2 */

/* Format 2: the steering parameters after the mode (policy.h). */
/* clang-format off */
static const uint8_t golden2[] = {
	0x02, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03, /* header */
	0x04, 0x18, 0x02, 0x04, 0x46, 0x00, 0x00, 0x00, 0x0a, 0x09, 0x01,       /* 12: 10.9.1/24 lb 70 */
	0x04, 0x00, 0x02, 0x03, 0x00, 0x05, 0x00, 0x96,                         /* 23: 0/0 sd rtt 150 loss 5 */
	0x06, 0x20, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, /* 31: 2001:db8::/32 prio */
};
/* clang-format on */

static struct um3n_policy_rule parsed(const char *prefix, const char *action)
{
	struct um3n_policy_rule r = test_rule(prefix, 0, 0);

	CU_ASSERT_EQUAL(um3n_policy_action_parse(action, &r, NULL), UM3N_OK);
	return r;
}

static void test_format2(void)
{
	struct um3n_policy *p = test_policy_new(8), *q = test_policy_new(8);
	struct um3n_policy_rule r[3] = {
		parsed("10.9.1.0/24", "wifi load-balance 70"),
		parsed("0.0.0.0/0", "wifi smallest-delay rtt_ms=150 loss_pct=5"),
		parsed("2001:db8::/32", "cell priority"),
	};
	uint8_t *buf, bad[sizeof(golden2)];
	size_t len;

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(um3n_policy_add(p, &r[i]), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_SMALLEST_DELAY), 0);
	um3n_policy_set_version(p, 7);
	buf = serialize_all(p, &len);
	CU_ASSERT_TRUE(len == sizeof(golden2) && memcmp(buf, golden2, len) == 0);
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, buf, len), UM3N_OK);
	CU_ASSERT_EQUAL_FATAL(um3n_policy_count(q), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct um3n_policy_rule *x = um3n_policy_rule_at(q, i);

		CU_ASSERT_TRUE(x->mode == r[i].mode && x->pct == r[i].pct &&
			       x->rtt_ms == r[i].rtt_ms && x->loss_pct == r[i].loss_pct &&
			       x->plen == r[i].plen && um3n_addr_eq(&x->prefix, &r[i].prefix));
	}
	CU_ASSERT_EQUAL(um3n_policy_default(q)->mode, UM3N_MODE_SMALLEST_DELAY);
	/* Field by field: each bad value refused, the table left empty. */
	static const struct {
		size_t off;
		uint8_t v;
	} corrupt[] = {
		{16, 101}, /* pct > 100 */
		{17, 101}, /* loss_pct > 100 */
		{27, 1},   /* pct outside load-balance */
		{15, 6},   /* mode beyond the last */
		{2, 4},    /* default load-balance (no pct for it) */
		{0, 3},    /* unknown format */
		{0, 1},    /* format 1 with format 2's rule length */
	};
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		memcpy(bad, golden2, sizeof(bad));
		bad[corrupt[i].off] = corrupt[i].v;
		make_dirty(q);
		test_check(um3n_policy_deserialize(q, bad, sizeof(bad)) != UM3N_OK && left_empty(q),
			   __FILE__, __LINE__, "corruption %zu accepted", i);
	}
	free(buf);
	um3n_policy_free(p);
	test_policy_free(q);
}

/* A table with no new mode or parameter goes as format 1 (an older HA reads
 * it), and format 1 from an older MN still decodes; format 1 cannot carry
 * the new modes. */
static void test_format1_compat(void)
{
	struct um3n_policy *q = test_policy_new(8);
	uint8_t v1[sizeof(golden)];

	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, golden, sizeof(golden)), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_policy_count(q), 3);
	CU_ASSERT_EQUAL(um3n_policy_rule_at(q, 2)->mode, UM3N_MODE_REDUNDANT);
	CU_ASSERT_EQUAL(um3n_policy_rule_at(q, 2)->pct, 0);
	memcpy(v1, golden, sizeof(v1));
	v1[15] = UM3N_MODE_SMALLEST_DELAY; /* rule 0's mode */
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, v1, sizeof(v1)), UM3N_EINVAL);
	{
		/* Format 2 for a table format 1 carries: not the one encoding. */
		static const uint8_t v2_needless[] = {2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
						      1, 4, 8, 1, 0, 0, 0, 0, 0, 10};

		CU_ASSERT_EQUAL(um3n_policy_deserialize(q, v2_needless, sizeof(v2_needless)),
				UM3N_EINVAL);
		memcpy(v1, v2_needless, sizeof(v2_needless));
		v1[15] = UM3N_MODE_PRIORITY; /* now it needs format 2 */
		CU_ASSERT_EQUAL(um3n_policy_deserialize(q, v1, sizeof(v2_needless)), UM3N_OK);
	}
	memcpy(v1, golden, sizeof(v1));
	v1[2] = UM3N_MODE_PRIORITY; /* the default's */
	CU_ASSERT_EQUAL(um3n_policy_deserialize(q, v1, sizeof(v1)), UM3N_EINVAL);
	CU_ASSERT_TRUE(left_empty(q));
	test_policy_free(q);
}

/* The rule text: what um3n_policy_action_format prints parses back to the
 * same rule; bad words are refused with a reason and leave the rule alone. */
static void test_action_text(void)
{
	static const char *const good[] = {
		"wifi",
		"cell prefer",
		"wifi active-standby rtt_ms=150",
		"wifi load-balance 70",
		"cell load-balance 0 loss_pct=100",
		"  wired\tpriority  loss_pct=3 rtt_ms=65535 ",
	};
	static const char *const bad[] = {
		"",
		"wifi load-balance",
		"wifi load-balance 101",
		"wifi load-balance 070",
		"wifi smallest-delay 70",
		"wifi priority rtt_ms=0",
		"wifi priority loss_pct=101",
		"wifi priority rtt_ms=65536",
		"wifi priority rtt_ms=10 rtt_ms=20",
		"wifi sideways",
		"wifi rtt_ms=-1",
		"wifi redundant speed=3",
		"moon",
		"wifi priority a b c d e f g h",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct um3n_policy_rule r = {0}, back = {0};

		CU_ASSERT_EQUAL_FATAL(um3n_policy_action_parse(good[i], &r, NULL), UM3N_OK);
		um3n_policy_action_format(&r, text, sizeof(text));
		CU_ASSERT_EQUAL(um3n_policy_action_parse(text, &back, NULL), UM3N_OK);
		test_check(memcmp(&r, &back, sizeof(r)) == 0, __FILE__, __LINE__, "%s -> %s",
			   good[i], text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct um3n_policy_rule r = {.link_class = 9, .mode = 2};
		const char *why = NULL;

		test_check(um3n_policy_action_parse(bad[i], &r, &why) == UM3N_EINVAL && why &&
				   r.link_class == 9 && r.mode == 2,
			   __FILE__, __LINE__, "\"%s\" accepted", bad[i]);
	}
	{
		struct um3n_policy_rule r = {0};

		um3n_policy_action_parse("wifi smallest-delay rtt_ms=150 loss_pct=5", &r, NULL);
		um3n_policy_action_format(&r, text, sizeof(text));
		CU_ASSERT_STRING_EQUAL(text, "wifi smallest-delay rtt_ms=150 loss_pct=5");
		CU_ASSERT_TRUE(r.mode == UM3N_MODE_SMALLEST_DELAY && r.rtt_ms == 150 &&
			       r.loss_pct == 5 && r.pct == 0);
		um3n_policy_action_parse("cell prefer", &r, NULL);
		um3n_policy_action_format(&r, text, sizeof(text));
		CU_ASSERT_STRING_EQUAL(text, "cell active-standby");
	}
}

/* ---------------------------------------------------------------- main */

static CU_TestInfo policy_serial_tests[] = {
	{"golden_encoding", test_golden_encoding},
	{"truncations", test_truncations},
	{"corruptions", test_corruptions},
	{"deserialize_limits", test_deserialize_limits},
	{"format2", test_format2},
	{"format1_compat", test_format1_compat},
	{"action_text", test_action_text},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {{"policy_serial", policy_serial_tests}, {NULL, NULL}};

	return test_main(suites);
}
