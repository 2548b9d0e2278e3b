/* The configuration vocabulary (core/confkeys.c): every key parses its range
 * edges and refuses what lies outside with one message, aliases set the same
 * field, the table's defaults are the engines', and the two documents that
 * list the keys (um3n.conf(5), sim/README.md) agree with the table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "ha.h"
#include "mn.h"
#include "policy.h"
#include "testutil.h"

#ifndef UM3N_CONFKEYS_MAN
#define UM3N_CONFKEYS_MAN "daemons/man/um3n.conf.5"
#endif
#ifndef UM3N_CONFKEYS_SIM_README
#define UM3N_CONFKEYS_SIM_README "sim/README.md"
#endif

/* Big enough for any engine's conf; parse targets are zeroed first. */
union conf {
	struct um3n_mn_conf mn;
	struct um3n_ha_conf ha;
	struct um3n_mn_link_conf link;
};

/* The section each engine's keys live in: in um3n.conf(5), in sim/README.md. */
static const char *const man_section_name[UM3N_CONFKEYS_ENGINES] = {"mn", "ha", "uplink NAME"};
static const char *const readme_section[UM3N_CONFKEYS_ENGINES] = {"mn", "ha", "link NAME"};

static void defaults(int engine, union conf *c)
{
	memset(c, 0, sizeof(*c));
	if (engine == UM3N_CONFKEYS_MN) {
		um3n_mn_conf_defaults(&c->mn);
	} else if (engine == UM3N_CONFKEYS_HA) {
		um3n_ha_conf_defaults(&c->ha);
	} else {
		struct um3n_mn_conf mn;

		um3n_mn_conf_defaults(&mn);
		c->link = mn.links[0];
	}
}

/* A value of the key as text: class names for a class key. */
static void value_text(const struct um3n_confkey *k, int64_t v, char *out, size_t cap)
{
	if (k->type == UM3N_CONFKEY_WORD && v >= k->min && v <= k->max)
		snprintf(out, cap, "%s", k->words[v]);
	else if (k->type == UM3N_CONFKEY_WORD)
		snprintf(out, cap, "word%" PRId64, v);
	else if (k->type == UM3N_CONFKEY_CLASS && v >= 0 && v <= UM3N_CLASS_MAX)
		snprintf(out, cap, "%s", um3n_policy_class_name((uint8_t)v));
	else if (k->type == UM3N_CONFKEY_CLASS)
		snprintf(out, cap, "class%" PRId64, v);
	else
		snprintf(out, cap, "%" PRId64, v);
}

static void range_text(const struct um3n_confkey *k, char *out, size_t cap)
{
	if (k->type == UM3N_CONFKEY_CLASS)
		snprintf(out, cap, "%s", UM3N_CONFKEYS_CLASS_WORDS);
	else if (k->type == UM3N_CONFKEY_WORD)
		um3n_confkeys_words_text(k, out, cap);
	else
		snprintf(out, cap, "%" PRId64 "..%" PRId64, k->min, k->max);
}

static void expect_msg(const struct um3n_confkey *k, const char *as_written, char *out, size_t cap)
{
	const char *unit = um3n_confkeys_unit_name(k->unit);
	char range[64];

	range_text(k, range, sizeof(range));
	if (k->type == UM3N_CONFKEY_CLASS)
		snprintf(out, cap, "%s: expected a class: %s", as_written, range);
	else if (k->type == UM3N_CONFKEY_WORD)
		snprintf(out, cap, "%s: expected %s", as_written, range);
	else
		snprintf(out, cap, "%s: expected %s in %s", as_written, *unit ? unit : "an integer",
			 range);
}

/* 1: names are unique per engine, carry their unit's suffix, ranges hold. */
static void test_table_shape(void)
{
	static const char *const suffix[UM3N_CONFKEY_UNITS] = {
		"", "_s", "_ms", "_us", "_dbm", "_kbps",
	};
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);

	CU_ASSERT_FATAL(n > 0 && n <= 64);
	for (size_t i = 0; i < n; i++) {
		const struct um3n_confkey *k = &t[i];
		size_t len = strlen(k->name), sl = strlen(suffix[k->unit]);

		CU_ASSERT(k->engine < UM3N_CONFKEYS_ENGINES && k->doc && *k->doc);
		CU_ASSERT(len > sl && !strcmp(k->name + len - sl, suffix[k->unit]));
		/* the table's keys are numbers, classes and words today */
		CU_ASSERT(k->type < UM3N_CONFKEY_BOOL || k->type == UM3N_CONFKEY_CLASS ||
			  k->type == UM3N_CONFKEY_WORD);
		CU_ASSERT((k->type == UM3N_CONFKEY_WORD) == (k->words != NULL));
		if (k->words) {
			size_t w = 0;

			while (k->words[w])
				w++;
			CU_ASSERT(w >= 2 && k->min == 0 && k->max == (int64_t)w - 1);
		}
		CU_ASSERT(k->type != UM3N_CONFKEY_CLASS ||
			  (k->min == 0 && k->max == UM3N_CLASS_MAX));
		CU_ASSERT(k->min <= k->def && k->def <= k->max && k->scale >= 1);
		CU_ASSERT(k->type != UM3N_CONFKEY_U8 || k->max * k->scale <= UINT8_MAX);
		CU_ASSERT(k->type != UM3N_CONFKEY_U16 || k->max * k->scale <= UINT16_MAX);
		CU_ASSERT(k->type != UM3N_CONFKEY_U32 || k->max * k->scale <= UINT32_MAX);
		CU_ASSERT(k->type == UM3N_CONFKEY_INT || k->min >= 0);
		CU_ASSERT_PTR_EQUAL(um3n_confkeys_find(k->engine, k->name), k);
		if (k->alias) {
			CU_ASSERT_PTR_EQUAL(um3n_confkeys_find(k->engine, k->alias), k);
		}
		for (size_t j = 0; j < i; j++)
			if (t[j].engine == k->engine) {
				CU_ASSERT(strcmp(t[j].name, k->name) != 0);
				CU_ASSERT(!k->alias || strcmp(t[j].name, k->alias) != 0);
				CU_ASSERT(!t[j].alias || strcmp(t[j].alias, k->name) != 0);
			}
	}
	CU_ASSERT_PTR_NULL(um3n_confkeys_find(UM3N_CONFKEYS_MN, "max_mns"));
	CU_ASSERT_PTR_NULL(um3n_confkeys_find(UM3N_CONFKEYS_HA, "lifetime_s"));
	CU_ASSERT_PTR_NULL(um3n_confkeys_find(UM3N_CONFKEYS_MN, "Lifetime_s"));
}

/* 2: the documented defaults are what um3n_*_conf_defaults() fill in. */
static void test_defaults(void)
{
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);
	union conf c;

	for (size_t i = 0; i < n; i++) {
		defaults(t[i].engine, &c);
		if (um3n_confkeys_get(&t[i], &c) != t[i].def)
			fprintf(stderr, "\n%s: table default %" PRId64 ", engine %" PRId64 "\n",
				t[i].name, t[i].def, um3n_confkeys_get(&t[i], &c));
		CU_ASSERT_EQUAL(um3n_confkeys_get(&t[i], &c), t[i].def);
	}
}

static void try_bad(const struct um3n_confkey *k, const char *as_written, const char *value)
{
	char err[160] = "", want[160];
	union conf c, before;
	int rc;

	defaults(k->engine, &c);
	before = c;
	rc = um3n_confkeys_set(k->engine, &c, as_written, value, err, sizeof(err));
	expect_msg(k, as_written, want, sizeof(want));
	if (rc != UM3N_EINVAL || strcmp(err, want))
		fprintf(stderr, "\n%s = '%s': rc %d err '%s' want '%s'\n", as_written, value, rc,
			err, want);
	CU_ASSERT_EQUAL(rc, UM3N_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT(memcmp(&c, &before, sizeof(c)) == 0); /* a refused value changes nothing */
}

static void try_good(const struct um3n_confkey *k, const char *as_written, int64_t v)
{
	char text[32], err[160] = "";
	union conf c;
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);

	defaults(k->engine, &c);
	value_text(k, v, text, sizeof(text));
	CU_ASSERT_EQUAL(um3n_confkeys_set(k->engine, &c, as_written, text, err, sizeof(err)),
			(int)(k - t));
	CU_ASSERT_EQUAL(um3n_confkeys_get(k, &c), v);
}

/* 3: every key, by each of its names: both range edges parse and land in the
 * field (scaled), one past either edge and garbage are refused with
 * "NAME: expected UNIT in MIN..MAX". */
static void test_edges_and_garbage(void)
{
	static const char *const garbage[] = {
		"",     "abc", "1.5", " 1",  "1 ",   "+1",
		"0x10", "1e3", "-",   "--1", "15ms", "9999999999999999999999",
	};
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);
	char text[32];

	for (size_t i = 0; i < n; i++) {
		const struct um3n_confkey *k = &t[i];
		const char *names[] = {k->name, k->alias};

		for (size_t a = 0; a < 2 && names[a]; a++) {
			try_good(k, names[a], k->min);
			try_good(k, names[a], k->max);
			try_good(k, names[a], k->def);
			value_text(k, k->min - 1, text, sizeof(text));
			try_bad(k, names[a], text);
			value_text(k, k->max + 1, text, sizeof(text));
			try_bad(k, names[a], text);
			for (size_t g = 0; g < sizeof(garbage) / sizeof(garbage[0]); g++)
				try_bad(k, names[a], garbage[g]);
		}
	}
}

static char set_err[160];

static int set(enum um3n_confkeys_engine engine, void *conf, const char *key, const char *value)
{
	return um3n_confkeys_set(engine, conf, key, value, set_err, sizeof(set_err));
}

/* 4: an alias sets the same field as the canonical name; the scale is the
 * unit's (ms into a _us field); unknown names are left to the driver. */
static void test_aliases_and_scale(void)
{
	struct um3n_mn_conf a, b;
	struct um3n_ha_conf h;

	um3n_mn_conf_defaults(&a);
	um3n_mn_conf_defaults(&b);
	CU_ASSERT(set(UM3N_CONFKEYS_MN, &a, "lifetime", "120") >= 0);
	CU_ASSERT(set(UM3N_CONFKEYS_MN, &b, "lifetime_s", "120") >= 0);
	CU_ASSERT_EQUAL(a.lifetime_s, 120);
	CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	um3n_ha_conf_defaults(&h);
	CU_ASSERT(set(UM3N_CONFKEYS_HA, &h, "max_lifetime", "900") >= 0);
	CU_ASSERT(set(UM3N_CONFKEYS_HA, &h, "keepalive", "30") >= 0);
	CU_ASSERT_EQUAL(h.max_lifetime_s, 900);
	CU_ASSERT_EQUAL(h.keepalive_s, 30);
	CU_ASSERT(set(UM3N_CONFKEYS_MN, &a, "reg_retry_ms", "700") >= 0);
	CU_ASSERT_EQUAL(a.reg_retry_initial_us, 700000);
	CU_ASSERT(set(UM3N_CONFKEYS_MN, &a, "signal_degraded_dbm", "-80") >= 0);
	CU_ASSERT_EQUAL(a.signal_degraded_dbm, -80);
	CU_ASSERT(set(UM3N_CONFKEYS_HA, &h, "dead_after_ms", "90") >= 0);
	CU_ASSERT_EQUAL(h.dead_after_us, 90000);
	/* the message names the key as written */
	CU_ASSERT_EQUAL(set(UM3N_CONFKEYS_MN, &a, "lifetime", "0"), UM3N_EINVAL);
	CU_ASSERT_STRING_EQUAL(set_err, "lifetime: expected seconds in 1..65534");
	strcpy(set_err, "unchanged");
	CU_ASSERT_EQUAL(set(UM3N_CONFKEYS_MN, &a, "tun", "um3n0"), UM3N_ENOENT);
	CU_ASSERT_EQUAL(set(UM3N_CONFKEYS_HA, &h, "probe_interval_ms", "5"), UM3N_ENOENT);
	CU_ASSERT_STRING_EQUAL(set_err, "unchanged");
}

/* 5: um3n_confkeys_copy moves exactly the keys whose bits are set. */
static void test_copy(void)
{
	struct um3n_mn_conf parsed, to, want;
	int dead, slots;

	memset(&parsed, 0, sizeof(parsed));
	dead = set(UM3N_CONFKEYS_MN, &parsed, "dead_after_ms", "80");
	slots = set(UM3N_CONFKEYS_MN, &parsed, "resend_slots", "64");
	CU_ASSERT_FATAL(dead >= 0 && slots >= 0);
	um3n_mn_conf_defaults(&to);
	um3n_mn_conf_defaults(&want);
	want.dead_after_us = 80000;
	want.resend_slots = 64;
	um3n_confkeys_copy(UM3N_CONFKEYS_MN, &to, &parsed, 1ull << dead | 1ull << slots);
	CU_ASSERT(memcmp(&to, &want, sizeof(to)) == 0);
	um3n_confkeys_copy(UM3N_CONFKEYS_MN, &to, &parsed, 0);
	CU_ASSERT(memcmp(&to, &want, sizeof(to)) == 0);
}

/* 6: boolean and class values: one set of words for every driver. */
static void test_bool_and_class(void)
{
	static const struct {
		const char *v;
		int b;
	} bools[] = {
		{"yes", 1}, {"true", 1}, {"on", 1},   {"1", 1}, {"no", 0}, {"false", 0},
		{"off", 0}, {"0", 0},    {"Yes", -1}, {"", -1}, {"y", -1}, {"2", -1},
	};
	static const struct {
		const char *v;
		int cls;
	} classes[] = {
		{"any", UM3N_CLASS_ANY},
		{"cell", UM3N_CLASS_CELL},
		{"wifi", UM3N_CLASS_WIFI},
		{"wired", UM3N_CLASS_WIRED},
		{"class2", UM3N_CLASS_WIFI},
		{"class15", 15},
		{"class16", -1},
		{"lte", -1},
		{"", -1},
		{"Cell", -1},
		{"class01", -1},
	};
	struct {
		bool flag;
		uint8_t cls;
	} s = {false, 0};
	const struct um3n_confkey kb = {.name = "flag",
					.type = UM3N_CONFKEY_BOOL,
					.offset = offsetof(__typeof__(s), flag),
					.doc = "t"};
	const struct um3n_confkey kc = {.name = "class",
					.type = UM3N_CONFKEY_CLASS,
					.offset = offsetof(__typeof__(s), cls),
					.doc = "t"};
	char err[160];

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		int rc = um3n_confkeys_parse(&kb, "flag", bools[i].v, &s, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, bools[i].b < 0 ? UM3N_EINVAL : UM3N_OK);
		if (bools[i].b >= 0) {
			CU_ASSERT_EQUAL(s.flag, bools[i].b);
		} else {
			CU_ASSERT_STRING_EQUAL(err, "flag: expected yes or no");
		}
	}
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		int rc = um3n_confkeys_parse(&kc, "class", classes[i].v, &s, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, classes[i].cls < 0 ? UM3N_EINVAL : UM3N_OK);
		if (classes[i].cls >= 0) {
			CU_ASSERT_EQUAL(s.cls, classes[i].cls);
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "class: expected a class: any, cell"));
		}
	}
}

/* ---- the documents --------------------------------------------------- */

static const char *unit_word(const struct um3n_confkey *k)
{
	if (k->type == UM3N_CONFKEY_CLASS)
		return "class";
	if (k->type == UM3N_CONFKEY_WORD)
		return "word";
	return *um3n_confkeys_unit_name(k->unit) ? um3n_confkeys_unit_name(k->unit) : "number";
}

/* The README row for a key, as the table says it should read. */
static void readme_row(const struct um3n_confkey *k, char *out, size_t cap)
{
	char alias[64] = "", range[64], def[32];

	if (k->alias)
		snprintf(alias, sizeof(alias), " (alias `%s`)", k->alias);
	range_text(k, range, sizeof(range));
	value_text(k, k->def, def, sizeof(def));
	snprintf(out, cap, "| `%s`%s | %s | %s | %s | %s |\n", k->name, alias, unit_word(k), range,
		 def, k->doc);
}

/* sim/README.md: under the headings "#### `[mn]`", "#### `[ha]`" and
 * "#### `[link NAME]` ..." one row per key of that engine, exactly as
 * readme_row() prints it, and no other rows. */
static void test_doc_readme(void)
{
	char *text = test_slurp(UM3N_CONFKEYS_SIM_README), head[32], row[512], name[64];
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);

	for (int e = 0; e < UM3N_CONFKEYS_ENGINES; e++) {
		const char *sec = readme_section[e];
		char *start, *end, *line;

		snprintf(head, sizeof(head), "\n#### `[%s]`", sec);
		start = strstr(text, head);
		CU_ASSERT_PTR_NOT_NULL_FATAL(start);
		start = strchr(start + 1, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(start);
		end = strstr(start, "\n#");
		CU_ASSERT_PTR_NOT_NULL_FATAL(end);
		end[1] = '\0'; /* cut the region; its heading's '#' goes, nothing else reads it */
		for (size_t i = 0; i < n; i++) {
			if (t[i].engine != e)
				continue;
			readme_row(&t[i], row, sizeof(row));
			if (!strstr(start, row))
				fprintf(stderr, "\nsim/README.md [%s] lacks the row\n%s", sec, row);
			CU_ASSERT_PTR_NOT_NULL(strstr(start, row));
		}
		for (line = start; (line = strstr(line, "\n| `")); line++) {
			CU_ASSERT_FATAL(sscanf(line, "\n| `%63[^`]`", name) == 1);
			if (!um3n_confkeys_find(e, name))
				fprintf(stderr, "\nsim/README.md [%s] names %s, no table key\n",
					sec, name);
			CU_ASSERT_PTR_NOT_NULL(um3n_confkeys_find(e, name));
		}
		end[1] = '#';
	}
	free(text);
}

/* Keys of um3n.conf(5)'s [mn], [ha] and [uplink NAME] that only the daemons have. */
/* clang-format off */
static const char *const daemon_keys[UM3N_CONFKEYS_ENGINES] = {
	(" home_address home_address6 home_agent home_agent6 port spi key_file tun mtu offload busy_poll_us"
	 " control_socket log_level routes route_table "), /* parenthesised: one element, joined on purpose (clang warns) */
	" address address6 port tun mtu offload busy_poll_us add_routes control_socket log_level ",
	" interface family up_command down_command command_timeout_ms ",
};
/* clang-format on */

/* The key names a .TP tag line (".B key", ".BR a \", \" b") lists, one at a
 * time: returns the next, advancing *save (strtok_r on `tag`). */
static char *tag_word(char *tag, char **save)
{
	char *w;

	while ((w = strtok_r(tag, " \",", save))) {
		tag = NULL;
		if (w[0] != '.' && strspn(w, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(w))
			return w;
	}
	return NULL;
}

/* Section [sec] of um3n.conf(5): from its .SS line to the next .SS or .SH. */
static const char *man_section(const char *text, const char *sec, const char **end)
{
	char ss[32];
	const char *p;

	snprintf(ss, sizeof(ss), "\n.SS [%s]\n", sec);
	p = strstr(text, ss);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*end = strstr(p + 1, "\n.S");
	if (!*end)
		*end = p + strlen(p);
	return p;
}

/* The body of the .TP paragraph of [sec] whose tag names `key`, with "\-" as
 * "-"; false if there is none. */
static bool man_paragraph(const char *text, const char *sec, const char *key, char *out, size_t cap)
{
	const char *end, *p = man_section(text, sec, &end);

	for (p = strstr(p, "\n.TP\n"); p && p < end; p = strstr(p + 1, "\n.TP\n")) {
		char tag[160], *save = NULL, *w;
		const char *q;
		size_t o = 0;

		CU_ASSERT_FATAL(sscanf(p, "\n.TP\n%159[^\n]", tag) == 1);
		q = p + 5 + strlen(tag);
		for (w = tag_word(tag, &save); w && strcmp(w, key); w = tag_word(NULL, &save))
			;
		if (!w)
			continue;
		for (; *q && strncmp(q, "\n.TP", 4) && strncmp(q, "\n.S", 3) && o + 1 < cap; q++) {
			if (q[0] == '\\' && q[1] == '-')
				q++;
			out[o++] = *q;
		}
		out[o] = '\0';
		return true;
	}
	return false;
}

/* daemons/man/um3n.conf.5: each key has a paragraph in its section with its
 * unit, range, default and alias; each key the sections name is a table key
 * or one of the daemons' own. */
static void test_doc_man(void)
{
	char *text = test_slurp(UM3N_CONFKEYS_MAN), body[4096], want[64];
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);

	for (size_t i = 0; i < n; i++) {
		const struct um3n_confkey *k = &t[i];
		const char *sec = man_section_name[k->engine];
		bool ok = man_paragraph(text, sec, k->name, body, sizeof(body));

		if (!ok)
			fprintf(stderr, "\num3n.conf.5 [%s]: no paragraph for %s\n", sec, k->name);
		CU_ASSERT_FATAL(ok);
		range_text(k, want, sizeof(want));
		CU_ASSERT_PTR_NOT_NULL(strstr(body, want));
		CU_ASSERT(k->unit == UM3N_CONFKEY_COUNT || strstr(body, unit_word(k)));
		want[0] = '(';
		value_text(k, k->def, want + 1, sizeof(want) - 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(body, want));
		CU_ASSERT(!k->alias || strstr(body, k->alias));
		if (!strstr(body, want) || (k->alias && !strstr(body, k->alias)))
			fprintf(stderr, "\num3n.conf.5 %s: want range, unit, '%s', alias\n",
				k->name, want);
	}
	/* every tagged key of [mn] and [ha] is known */
	for (int e = 0; e < UM3N_CONFKEYS_ENGINES; e++) {
		const char *end, *p = man_section(text, man_section_name[e], &end);

		for (p = strstr(p, "\n.TP\n"); p && p < end; p = strstr(p + 1, "\n.TP\n")) {
			char tag[160], *save = NULL, *w, spaced[80];

			CU_ASSERT_FATAL(sscanf(p, "\n.TP\n%159[^\n]", tag) == 1);
			for (w = tag_word(tag, &save); w; w = tag_word(NULL, &save)) {
				snprintf(spaced, sizeof(spaced), " %s ", w);
				if (!um3n_confkeys_find(e, w) && !strstr(daemon_keys[e], spaced))
					fprintf(stderr, "\num3n.conf.5 [%s] names '%s', no key\n",
						man_section_name[e], w);
				CU_ASSERT(um3n_confkeys_find(e, w) ||
					  strstr(daemon_keys[e], spaced));
			}
		}
	}
	free(text);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 table shape", test_table_shape},
		{"2 defaults are the engines'", test_defaults},
		{"3 range edges and garbage", test_edges_and_garbage},
		{"4 aliases, units, unknown keys", test_aliases_and_scale},
		{"5 copy by set bits", test_copy},
		{"6 booleans and classes", test_bool_and_class},
		{"7 um3n.conf(5) documents the table", test_doc_man},
		{"8 sim/README.md documents the table", test_doc_readme},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"confkeys", tests}, {NULL, NULL}};

	return test_main(suites);
}
