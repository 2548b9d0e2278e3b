/* Daemon platform layer: what SIGHUP changes (dreload.c). The running
 * configuration and the file read again are both parsed from text here; every
 * changed key must come out as applied or "needs a restart", an unchanged file
 * as no change at all, and taking the live keys must leave exactly the
 * restart keys to report on the next reload. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dconf.h"
#include "dreload.h"
#include "testutil.h"

#ifndef UM3N_DAEMON_EXAMPLES
#define UM3N_DAEMON_EXAMPLES "daemons/examples"
#endif

/* The example file with `from` replaced by `to` (each must occur once). */
static char *edited(const char *example, const char *const *pairs)
{
	char *text = test_slurp(example);

	for (size_t i = 0; pairs && pairs[i]; i += 2) {
		char *at = strstr(text, pairs[i]), *out;
		size_t pre, from_len = strlen(pairs[i]), to_len = strlen(pairs[i + 1]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		pre = (size_t)(at - text);
		out = calloc(1, strlen(text) + to_len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		memcpy(out, text, pre);
		memcpy(out + pre, pairs[i + 1], to_len);
		strcpy(out + pre + to_len, at + from_len);
		free(text);
		text = out;
	}
	return text;
}

static void mn_conf(const char *const *pairs, struct d_conf_mn *c)
{
	char *text = edited(UM3N_DAEMON_EXAMPLES "/mn.conf", pairs), err[D_ERR_MAX] = "";

	CU_ASSERT_EQUAL_FATAL(d_conf_mn_parse(text, "/etc/um3n/mn.conf", c, err, sizeof(err)), 0);
	/* the key file is not read here: a key of the right length stands in */
	c->mn.key_len = 32;
	memset(c->mn.key, 0x5a, 32);
	free(text);
}

static void ha_conf(const char *const *pairs, struct d_conf_ha *c)
{
	char *text = edited(UM3N_DAEMON_EXAMPLES "/ha.conf", pairs), err[D_ERR_MAX] = "";

	CU_ASSERT_EQUAL_FATAL(d_conf_ha_parse(text, "/etc/um3n/ha.conf", c, err, sizeof(err)), 0);
	for (size_t i = 0; i < c->n_mns; i++) {
		c->mns[i].key_len = 32;
		memset(c->mns[i].key, 0xa5, 32);
	}
	free(text);
}

/* The change named `what`: 1 live, 0 needs a restart, -1 not reported. */
static int change(const struct d_reload *r, const char *what)
{
	for (size_t i = 0; i < r->n && i < D_RELOAD_MAX; i++)
		if (strcmp(r->ch[i].what, what) == 0)
			return r->ch[i].live;
	return -1;
}

/* 1: the same file twice is no change: no policy version, no engine call. */
static void test_mn_unchanged(void)
{
	struct d_conf_mn a, b;
	struct d_reload r;

	mn_conf(NULL, &a);
	mn_conf(NULL, &b);
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_FALSE(r.policy);
	CU_ASSERT_FALSE(r.engine);
	d_conf_mn_free(&a);
	d_conf_mn_free(&b);
}

/* 2: issue 15's case: a changed lifetime (written with its old alias) is
 * applied to the engine, alone. */
static void test_mn_lifetime(void)
{
	const char *const ed[] = {"lifetime = 300", "lifetime = 120", NULL};
	struct d_conf_mn a, b;
	struct d_reload r;

	mn_conf(NULL, &a);
	mn_conf(ed, &b);
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(change(&r, "[mn] lifetime_s"), 1);
	CU_ASSERT_TRUE(r.engine);
	CU_ASSERT_FALSE(r.policy);
	d_reload_mn_take(&a, &b, false);
	CU_ASSERT_EQUAL(a.mn.lifetime_s, 120);
	d_conf_mn_free(&b);
	mn_conf(ed, &b); /* the next SIGHUP reads the file again */
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	d_conf_mn_free(&a);
	d_conf_mn_free(&b);
}

/* 3: every kind of change at once, each classified; after taking the live
 * ones, the next reload reports exactly the restart ones again. */
static void test_mn_everything(void)
{
	const char *const ed[] = {
		"tun = um3n0",
		"tun = um3n1",
		"; busy_poll_us = 20",
		"busy_poll_us = 0",
		"log_level = info",
		"log_level = debug",
		"probe_interval_ms = 15",
		"probe_interval_ms = 20\nsignal_degraded_dbm = -80\nreg_retry_ms = 250",
		"interface = veth-wifi",
		"interface = wlan0",
		"priority = 1",
		"priority = 2",
		"rule = 10.9.2.0/24 cell",
		"rule = 10.9.3.0/24 cell",
		"[policy]",
		"[uplink lte]\ninterface = wwan1\n\n[policy]",
		"routes = default ",
		"routes = 10.9.0.0/16\nroute_table = 5000",
		NULL,
	};
	static const struct {
		const char *what;
		int live;
	} want[] = {
		{"[mn] tun", 0},
		{"[mn] busy_poll_us", 1},
		{"[mn] log_level", 1},
		{"[mn] reg_retry_ms", 1},
		{"[mn] probe_interval_ms", 0},
		{"[mn] signal_degraded_dbm", 1},
		{"[uplink cell] priority", 0},
		{"[uplink wifi] interface", 0},
		{"[uplink lte] (new section)", 0},
		{"[policy]", 1},
		{"[mn] routes", 1},
		{"[mn] route_table", 0},
	};
	size_t n = sizeof(want) / sizeof(want[0]), restart = 0;
	struct d_conf_mn a, b;
	struct d_reload r;

	mn_conf(NULL, &a);
	mn_conf(ed, &b);
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, n);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(change(&r, want[i].what), want[i].live);
		restart += !want[i].live;
	}
	CU_ASSERT_TRUE(r.engine);
	CU_ASSERT_TRUE(r.policy);

	d_reload_mn_take(&a, &b, true);
	CU_ASSERT_EQUAL(a.busy_poll_us, 0);
	CU_ASSERT_EQUAL(a.log_level, UM3N_LOG_DEBUG);
	CU_ASSERT_EQUAL(a.mn.reg_retry_initial_us, 250000);
	CU_ASSERT_EQUAL(a.mn.signal_degraded_dbm, -80);
	CU_ASSERT_EQUAL_FATAL(a.routes.n, 1);
	CU_ASSERT_EQUAL(a.routes.p[0].plen, 16);
	CU_ASSERT_EQUAL(a.routes.table, D_ROUTE_TABLE_DEFAULT); /* restart: kept */
	CU_ASSERT_STRING_EQUAL(a.tun, "um3n0");                 /* restart: kept */
	CU_ASSERT_EQUAL(a.mn.probe_interval_us, 15000);         /* restart: kept */
	CU_ASSERT_EQUAL_FATAL(a.n_rules, 1);
	CU_ASSERT_EQUAL(a.rules[0].prefix.bytes[2], 3);
	d_conf_mn_free(&b);
	mn_conf(ed, &b);
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, restart);
	for (size_t i = 0; i < r.n; i++)
		CU_ASSERT_FALSE(r.ch[i].live);
	CU_ASSERT_FALSE(r.engine);
	CU_ASSERT_FALSE(r.policy);
	d_conf_mn_free(&a);
	d_conf_mn_free(&b);
}

/* 4: the key's bytes and the uplinks' identity: a new key is live, a removed
 * or reordered uplink needs a restart; a refused policy is kept out. */
static void test_mn_key_uplinks(void)
{
	const char *const ed[] = {"[uplink cell]",
				  "[uplink wifi2]",
				  "class = wifi",
				  "class = cell",
				  "rule = 10.9.2.0/24 cell",
				  "rule = 10.9.2.0/24 wifi",
				  NULL};
	struct d_conf_mn a, b;
	struct d_reload r;

	mn_conf(NULL, &a);
	mn_conf(NULL, &b);
	b.mn.key[31] ^= 1;
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(change(&r, "[mn] key_file"), 1);
	CU_ASSERT_TRUE(r.engine);
	d_reload_mn_take(&a, &b, false);
	CU_ASSERT_EQUAL(a.mn.key[31], 0x5a ^ 1);
	d_conf_mn_free(&b);

	mn_conf(ed, &b);
	b.mn.key[31] ^= 1; /* as taken above */
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(change(&r, "[uplink cell] (section removed)"), 0);
	CU_ASSERT_EQUAL(change(&r, "[uplink wifi2] (new section)"), 0);
	CU_ASSERT_EQUAL(change(&r, "[uplink wifi] class"), 0);
	CU_ASSERT_EQUAL(change(&r, "[policy]"), 1);
	CU_ASSERT_FALSE(r.engine);
	d_reload_mn_take(&a, &b, false); /* the engine refused the table */
	CU_ASSERT_EQUAL(a.rules[0].link_class, UM3N_CLASS_CELL);
	CU_ASSERT_EQUAL(b.rules[0].link_class, UM3N_CLASS_WIFI);
	d_reload_mn(&a, &b, &r);
	CU_ASSERT_EQUAL(change(&r, "[policy]"), 1);
	d_conf_mn_free(&a);
	d_conf_mn_free(&b);
}

/* 5: the HA: unchanged, engine keys, [mn] sections, add_routes both ways. */
static void test_ha(void)
{
	const char *const ed[] = {
		"address = 192.0.2.1",          "address = 192.0.2.9",        "keepalive = 110",
		"keepalive = 25\nmax_mns = 10", "add_routes = yes",           "add_routes = no",
		"[mn 10.200.0.2]\nspi = 256",   "[mn 10.200.0.3]\nspi = 257", NULL};
	struct d_conf_ha a, b;
	struct d_reload r;

	ha_conf(NULL, &a);
	ha_conf(NULL, &b);
	d_reload_ha(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_FALSE(r.mns || r.engine);
	d_conf_ha_free(&b);

	ha_conf(ed, &b);
	d_reload_ha(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 6);
	CU_ASSERT_EQUAL(change(&r, "[ha] address"), 0);
	CU_ASSERT_EQUAL(change(&r, "[ha] keepalive_s"), 1);
	CU_ASSERT_EQUAL(change(&r, "[ha] max_mns"), 0);
	CU_ASSERT_EQUAL(change(&r, "[ha] add_routes"), 0); /* off: routes stay */
	CU_ASSERT_EQUAL(change(&r, "[mn 10.200.0.2] (section removed)"), 1);
	CU_ASSERT_EQUAL(change(&r, "[mn 10.200.0.3] (new section)"), 1);
	CU_ASSERT_TRUE(r.engine && r.mns);
	d_reload_ha_take(&a, &b);
	CU_ASSERT_EQUAL(a.ha.keepalive_s, 25);
	CU_ASSERT_EQUAL(a.ha.max_mns, 1024);
	CU_ASSERT_TRUE(a.add_routes);
	CU_ASSERT_EQUAL_FATAL(a.n_mns, 1);
	CU_ASSERT_EQUAL(a.mns[0].home_addr, 0x0ac80003u);
	CU_ASSERT_EQUAL(a.mns[0].spi, 257);
	d_conf_ha_free(&b);
	ha_conf(ed, &b);
	d_reload_ha(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 3); /* address, max_mns, add_routes */
	CU_ASSERT_FALSE(r.mns || r.engine);
	d_conf_ha_free(&a);
	d_conf_ha_free(&b);

	/* add_routes turned on: applied; a changed key of one MN: applied */
	ha_conf((const char *const[]){"add_routes = yes", "add_routes = no", NULL}, &a);
	ha_conf(NULL, &b);
	b.mns[0].key[0] ^= 1;
	d_reload_ha(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_EQUAL(change(&r, "[ha] add_routes"), 1);
	CU_ASSERT_EQUAL(change(&r, "[mn 10.200.0.2] key_file"), 1);
	d_reload_ha_take(&a, &b);
	CU_ASSERT_TRUE(a.add_routes);
	d_conf_ha_free(&b);
	ha_conf(NULL, &b);
	b.mns[0].key[0] ^= 1;
	d_reload_ha(&a, &b, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	d_conf_ha_free(&a);
	d_conf_ha_free(&b);
}

/* 6: the engines take the live fields and refuse values they cannot run. */
static void test_engine_apply(void)
{
	struct um3n_env env = test_env(1);
	struct d_conf_mn m;
	struct d_conf_ha h;
	struct um3n_mn *mn;
	struct um3n_ha *ha;

	mn_conf(NULL, &m);
	mn = um3n_mn_new(&m.mn, &env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mn);
	m.mn.lifetime_s = 0;
	CU_ASSERT_EQUAL(um3n_mn_conf_apply(mn, &m.mn), UM3N_EINVAL);
	m.mn.lifetime_s = 120;
	m.mn.reg_retry_initial_us = 17000000; /* above the 16 s maximum */
	CU_ASSERT_EQUAL(um3n_mn_conf_apply(mn, &m.mn), UM3N_EINVAL);
	m.mn.reg_retry_initial_us = 250000;
	m.mn.key_len = 8;
	CU_ASSERT_EQUAL(um3n_mn_conf_apply(mn, &m.mn), UM3N_EINVAL);
	m.mn.key_len = 32;
	m.mn.probe_interval_us = 0; /* not a live field: ignored */
	CU_ASSERT_EQUAL(um3n_mn_conf_apply(mn, &m.mn), UM3N_OK);
	um3n_mn_free(mn);
	d_conf_mn_free(&m);

	ha_conf(NULL, &h);
	h.ha.get_key = d_conf_ha_get_key;
	h.ha.key_ctx = &h;
	ha = um3n_ha_new(&h.ha, &env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ha);
	h.ha.max_lifetime_s = 0;
	CU_ASSERT_EQUAL(um3n_ha_conf_apply(ha, &h.ha), UM3N_EINVAL);
	h.ha.max_lifetime_s = 60;
	CU_ASSERT_EQUAL(um3n_ha_conf_apply(ha, &h.ha), UM3N_OK);
	um3n_ha_free(ha);
	d_conf_ha_free(&h);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* `word` in text[from, to) as a whole word (not "port" in "report"). */
static bool has_word(const char *text, size_t from, size_t to, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text + from, word); p && (size_t)(p - text) + n <= to;
	     p = strstr(p + 1, word)) {
		char before = p > text ? p[-1] : ' ', after = p[n];

		if (!(before == '_' || isalnum((unsigned char)before)) &&
		    !(after == '_' || isalnum((unsigned char)after)))
			return true;
	}
	return false;
}

/* 7: the SIGHUP section of each man page names every key dreload.c knows,
 * under "Applied at once" or "Need a restart" as dreload.c decides. */
static void test_man_pages(void)
{
	static const char *const pages[] = {UM3N_DAEMON_EXAMPLES "/../man/um3n-mn.8",
					    UM3N_DAEMON_EXAMPLES "/../man/um3n-ha.8"};

	for (int ha = 0; ha < 2; ha++) {
		char *text = test_slurp(pages[ha]), *sec = strstr(text, ".SH SIGHUP\n"), *end, *app,
		     *rst;
		const char *key;
		bool live;

		CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
		end = strstr(sec + 1, "\n.SH ");
		app = strstr(sec, "Applied at once:");
		rst = strstr(sec, "Need a restart:");
		CU_ASSERT_FATAL(end && app && rst && app < rst && rst < end);
		for (size_t i = 0; (key = d_reload_key(ha, i, &live)) != NULL; i++) {
			size_t a = (size_t)(app - text), r = (size_t)(rst - text),
			       e = (size_t)(end - text);
			bool in_app = has_word(text, a, r, key), in_rst = has_word(text, r, e, key);

			if (in_app != live || in_rst == live)
				fprintf(stderr, "%s: %s should be listed under %s\n", pages[ha],
					key, live ? "Applied at once" : "Need a restart");
			CU_ASSERT_EQUAL(in_app, live);
			CU_ASSERT_NOT_EQUAL(in_rst, live);
		}
		free(text);
	}
}

static CU_TestInfo reload_tests[] = {
	{"mn_unchanged", test_mn_unchanged},
	{"mn_lifetime", test_mn_lifetime},
	{"mn_everything", test_mn_everything},
	{"mn_key_uplinks", test_mn_key_uplinks},
	{"ha", test_ha},
	{"engine_apply", test_engine_apply},
	{"man_pages", test_man_pages},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_reload", reload_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
