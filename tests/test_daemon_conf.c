/* Daemon platform layer: configuration parsing (mn.conf, ha.conf), key files,
 * the NTP identification base, and policy building. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcommon.h"
#include "dconf.h"
#include "testutil.h"
#include "wire.h"

#ifndef UM3N_DAEMON_EXAMPLES
#define UM3N_DAEMON_EXAMPLES "daemons/examples"
#endif

static void test_mn_example(void)
{
	char *text = test_slurp(UM3N_DAEMON_EXAMPLES "/mn.conf"), err[D_ERR_MAX] = "";
	struct d_conf_mn c;
	int rc = d_conf_mn_parse(text, "mn.conf", &c, err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(um3n_addr_v4(&c.mn.home_addr), 0x0ac80002u);
	CU_ASSERT_EQUAL(um3n_addr_v4(&c.mn.ha.ip), 0xc0000201u);
	CU_ASSERT_EQUAL(c.mn.ha.port, 434);
	CU_ASSERT_EQUAL(c.mn.spi, 256);
	CU_ASSERT_STRING_EQUAL(c.key_file, "/etc/um3n/mn.key"); /* inline comment cut */
	CU_ASSERT_EQUAL(c.mn.lifetime_s, 300);
	CU_ASSERT_EQUAL(c.mn.probe_interval_us, 15000);
	CU_ASSERT_EQUAL(c.mn.dead_after_us, 75000);
	CU_ASSERT_EQUAL(c.log_level, UM3N_LOG_INFO);
	CU_ASSERT_EQUAL(c.mtu, 0);
	CU_ASSERT_EQUAL(c.busy_poll_us, D_BUSY_POLL_DEFAULT_US);
	CU_ASSERT_EQUAL_FATAL(c.mn.n_links, 2);
	CU_ASSERT_STRING_EQUAL(c.mn.links[0].name, "cell");
	CU_ASSERT_STRING_EQUAL(c.uplinks[0].ifname, "veth-cell");
	CU_ASSERT_EQUAL(c.mn.links[0].link_class, UM3N_CLASS_CELL);
	CU_ASSERT_EQUAL(c.mn.links[0].priority, 1);
	CU_ASSERT_EQUAL(c.mn.links[0].weight_kbps, 3610);
	CU_ASSERT_STRING_EQUAL(c.mn.links[1].name, "wifi");
	CU_ASSERT_EQUAL(c.mn.links[1].link_class, UM3N_CLASS_WIFI);
	CU_ASSERT_EQUAL(c.default_class, UM3N_CLASS_WIFI);
	CU_ASSERT_EQUAL_FATAL(c.n_rules, 1);
	CU_ASSERT_EQUAL(c.rules[0].plen, 24);
	CU_ASSERT_EQUAL(c.rules[0].link_class, UM3N_CLASS_CELL);
	CU_ASSERT_EQUAL(c.rules[0].mode, UM3N_MODE_PREFER);
	CU_ASSERT_EQUAL(c.routes.table, D_ROUTE_TABLE_DEFAULT);
	CU_ASSERT_EQUAL_FATAL(c.routes.n, 1); /* routes = default */
	CU_ASSERT_EQUAL(c.routes.p[0].plen, 0);
	d_conf_mn_free(&c);
	free(text);
}

#define MN_HEAD                                                                \
	"[mn]\nhome_address = 10.200.0.2\nhome_agent = 192.0.2.1\nspi = 256\n" \
	"key_file = k\n"
#define MN_UPLINK "[uplink a]\ninterface = eth0\n"

/* Numbered table: text, expected substring of the one-line error. */
static const struct {
	const char *text;
	const char *want;
} bad_mn[] = {
	/* 0 */ {MN_HEAD MN_UPLINK "[mn]\nport = 0\n", "t.conf:9: [mn] port: want 1..65535"},
	/* 1 */ {MN_HEAD MN_UPLINK "[mn]\nspi = 255\n", "[mn] spi: want an SPI >= 256"},
	/* 2 */ {MN_HEAD MN_UPLINK "[mn]\nhome_address = 10.0.0\n", "[mn] home_address"},
	/* 3 */ {MN_HEAD MN_UPLINK "[mn]\nbogus = 1\n", "t.conf:9: [mn] bogus: unknown key"},
	/* 4 */ {MN_HEAD MN_UPLINK "[weird]\nx = 1\n", "[weird] x: unknown section"},
	/* 5 */ {MN_HEAD MN_UPLINK "[uplink b]\nclass = satellite\n", "[uplink b] class"},
	/* 6 */ {MN_HEAD "[uplink a]\nclass = cell\n", "[uplink a] interface: missing"},
	/* 7 */ {MN_HEAD, "at least one uplink"},
	/* 8 */ {"[mn]\nhome_agent = 192.0.2.1\n" MN_UPLINK, "[mn] home_address: missing"},
	/* 9 */
	{MN_HEAD MN_UPLINK "[policy]\nrule = 10.9.2.0/33 cell\n", "[policy] rule: bad prefix"},
	/* 10 */
	{MN_HEAD MN_UPLINK "[policy]\nrule = 10.9.2.0/24 cell sideways\n", "bad MODE"},
	/* 11 */
	{MN_HEAD MN_UPLINK "[policy]\nrule = 10.9.2.0/24 cell\nrule = 10.9.2.0/24 wifi\n",
	 "t.conf:10: [policy] rule: duplicate prefix"},
	/* 12 */ {MN_HEAD MN_UPLINK "[uplink b]\ninterface = eth0\n", "eth0 already used"},
	/* 13 */ {MN_HEAD MN_UPLINK "this line has no equals sign\n", "t.conf:8: syntax error"},
	/* 14 */ {MN_HEAD MN_UPLINK "[mn]\nlog_level = loud\n", "[mn] log_level"},
	/* 15 */ {MN_HEAD MN_UPLINK "[mn]\ntun = an-interface-name-too-long\n", "[mn] tun"},
	/* 16 */ {MN_HEAD MN_UPLINK "[uplink a]\npriority = 256\n", "[uplink a] priority"},
	/* 17 */
	{MN_HEAD MN_UPLINK "[policy]\ndefault = wifi aggregate extra\n", "[policy] default"},
	/* 18 */
	{MN_HEAD MN_UPLINK "[mn]\nbusy_poll_us = 1001\n", "[mn] busy_poll_us: want 0..1000"},
	/* 19 */ {MN_HEAD MN_UPLINK "[mn]\nbusy_poll_us = -1\n", "[mn] busy_poll_us"},
	/* 20 */
	{MN_HEAD MN_UPLINK "[mn]\nprobe_interval_ms = 60001\n",
	 "t.conf:9: [mn] probe_interval_ms: expected milliseconds in 0..60000"},
	/* 21 */
	{MN_HEAD MN_UPLINK "[mn]\nlifetime = 0\n", "[mn] lifetime: expected seconds in 1..65534"},
	/* 22 */ {MN_HEAD MN_UPLINK "[mn]\nmax_mns = 5\n", "t.conf:9: [mn] max_mns: unknown key"},
	/* 23 */
	{MN_HEAD MN_UPLINK "[uplink a]\nweight_kbps = fast\n",
	 "t.conf:9: [uplink a] weight_kbps: expected kbit/s in 0..4294967295"},
	/* 24 */
	{MN_HEAD MN_UPLINK "[uplink a]\nlifetime_s = 5\n", "[uplink a] lifetime_s: unknown key"},
	/* 25 */
	{MN_HEAD MN_UPLINK "[mn]\nroutes = everything\n",
	 "t.conf:9: [mn] routes: everything: want default, none or prefixes"},
	/* 26 */ {MN_HEAD MN_UPLINK "[mn]\nroutes = none, 10.0.0.0/8\n", "[mn] routes: none: want"},
	/* 27 */
	{MN_HEAD MN_UPLINK "[mn]\nroutes = 2001:db8::/32\n",
	 "[mn] routes: an IPv6 prefix needs home_address6"},
	/* 28 */
	{MN_HEAD MN_UPLINK "[mn]\nroutes = default 0.0.0.0/0\n",
	 "[mn] routes: 0.0.0.0/0: listed twice"},
	/* 29 */ {MN_HEAD MN_UPLINK "[mn]\nroutes = ,\n", "[mn] routes: empty"},
	/* 30 */
	{MN_HEAD MN_UPLINK "[mn]\nroute_table = 255\n",
	 "t.conf:9: [mn] route_table: want a table number 256..2147483392"},
	/* 31 */ {MN_HEAD MN_UPLINK "[mn]\nroute_table = 4340x\n", "[mn] route_table: want"},
	/* 32 */ {MN_HEAD MN_UPLINK "[mn]\nroute_table = -4340\n", "[mn] route_table: want"},
	/* 33 */ {MN_HEAD MN_UPLINK "family = ip6\n", "[uplink a] family: want ipv4 or ipv6"},
	/* 34 */
	{MN_HEAD MN_UPLINK "family = ipv6\n",
	 "t.conf: [uplink a] family = ipv6 needs [mn] home_agent6"},
	/* 35 */
	{MN_HEAD MN_UPLINK "[mn]\nhome_agent6 = 192.0.2.1\n", "[mn] home_agent6: not an IPv6"},
};

static void test_mn_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_mn) / sizeof(bad_mn[0]); i++) {
		struct d_conf_mn c;
		char err[D_ERR_MAX] = "";
		int rc = d_conf_mn_parse(bad_mn[i].text, "t.conf", &c, err, sizeof(err));

		if (rc == 0 || !strstr(err, bad_mn[i].want))
			fprintf(stderr, "\ncase %zu: rc %d err \"%s\" want \"%s\"\n", i, rc, err,
				bad_mn[i].want);
		CU_ASSERT(rc < 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad_mn[i].want));
		CU_ASSERT_PTR_NULL(strchr(err, '\n')); /* one line */
		d_conf_mn_free(&c);
	}
}

static void test_mn_good_variants(void)
{
	const char *text = MN_HEAD MN_UPLINK
		"[mn]\nmtu = 1300\nlog_level = debug\nsignal_degraded_dbm = -80\nbusy_poll_us = 0\n"
		"lifetime_s = 120\nreg_retry_ms = 700\nresend_slots = 64\n"
		"routes = 10.9.0.0/16, 172.16.0.0/12 default 2001:db8:9::/48 ::/0\n"
		"home_address6 = 2001:db8:1::2\nroute_table = 51000\nhome_agent6 = 2001:db8::434\n"
		"port = 4340\n[uplink b]\ninterface = wwan0\nfamily = ipv6\n"
		"[policy]\ndefault = cell redundant\n"
		"rule = 10.9.0.0/16 wifi aggregate\nrule = 2001:db8::/32 cell\nrule = 10.9.2.7 "
		"cell\n";
	struct d_conf_mn c;
	char err[D_ERR_MAX] = "";
	struct um3n_env env = test_env(1);
	struct um3n_policy *p;
	struct um3n_addr a;

	CU_ASSERT_EQUAL_FATAL(d_conf_mn_parse(text, "t.conf", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.mtu, 1300);
	CU_ASSERT_EQUAL(c.busy_poll_us, 0);
	CU_ASSERT_EQUAL(c.log_level, UM3N_LOG_DEBUG);
	CU_ASSERT_EQUAL(c.mn.signal_degraded_dbm, -80);
	CU_ASSERT_EQUAL(c.mn.lifetime_s, 120); /* the canonical names of lifetime etc. */
	CU_ASSERT_EQUAL(c.mn.reg_retry_initial_us, 700000);
	CU_ASSERT_EQUAL(c.mn.resend_slots, 64);
	CU_ASSERT_EQUAL(c.routes.table, 51000);
	CU_ASSERT_EQUAL_FATAL(c.routes.n, 5);
	CU_ASSERT_EQUAL(um3n_addr_v4(&c.routes.p[0].dst), 0x0a090000u);
	CU_ASSERT_EQUAL(c.routes.p[0].plen, 16);
	CU_ASSERT_EQUAL(c.routes.p[1].plen, 12);
	CU_ASSERT_EQUAL(c.routes.p[2].plen, 0);
	CU_ASSERT_EQUAL(c.routes.p[2].dst.family, UM3N_AF_INET);
	um3n_addr_parse("2001:db8:9::", &a);
	CU_ASSERT_TRUE(um3n_addr_eq(&c.routes.p[3].dst, &a));
	CU_ASSERT_EQUAL(c.routes.p[3].plen, 48);
	CU_ASSERT_EQUAL(c.routes.p[4].dst.family, UM3N_AF_INET6);
	CU_ASSERT_EQUAL(c.routes.p[4].plen, 0);
	CU_ASSERT_TRUE(d_routes_has6(&c.routes));
	CU_ASSERT_EQUAL(c.mn.ha6.ip.family, UM3N_AF_INET6);
	CU_ASSERT_EQUAL(c.mn.ha6.port, 4340); /* the one port */
	CU_ASSERT_FALSE(c.uplinks[0].ipv6);
	CU_ASSERT_TRUE(c.uplinks[1].ipv6);
	CU_ASSERT_EQUAL(d_conf_mn_ipv6_uplinks(&c), 1);
	CU_ASSERT_EQUAL(c.default_mode, UM3N_MODE_REDUNDANT);
	CU_ASSERT_EQUAL_FATAL(c.n_rules, 3);
	CU_ASSERT_EQUAL(c.rules[2].plen, 32);
	p = d_conf_policy_build(&c, &env, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(um3n_policy_version(p), 7);
	CU_ASSERT_EQUAL(um3n_policy_count(p), 3);
	um3n_addr_parse("10.9.2.7", &a);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->link_class, UM3N_CLASS_CELL);
	um3n_addr_parse("10.9.3.1", &a);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->mode, UM3N_MODE_AGGREGATE);
	um3n_addr_parse("192.168.1.1", &a);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->link_class, UM3N_CLASS_CELL);
	CU_ASSERT_EQUAL(um3n_policy_lookup(p, &a)->mode, UM3N_MODE_REDUNDANT);
	um3n_policy_free(p);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
	d_conf_mn_free(&c);
}

static void test_ha_conf(void)
{
	char *text = test_slurp(UM3N_DAEMON_EXAMPLES "/ha.conf"), err[D_ERR_MAX] = "";
	struct d_conf_ha c;
	uint8_t key[64];
	size_t len = sizeof(key);

	CU_ASSERT_EQUAL_FATAL(d_conf_ha_parse(text, "ha.conf", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(um3n_addr_v4(&c.ha.addr.ip), 0xc0000201u);
	CU_ASSERT_EQUAL(c.ha.addr.port, 434);
	CU_ASSERT_EQUAL(c.ha.max_lifetime_s, 600);
	CU_ASSERT_EQUAL(c.ha.keepalive_s, 110);
	CU_ASSERT_STRING_EQUAL(c.tun, "um3nha0");
	CU_ASSERT_TRUE(c.add_routes);
	CU_ASSERT_EQUAL(c.busy_poll_us, D_BUSY_POLL_DEFAULT_US);
	CU_ASSERT_EQUAL_FATAL(c.n_mns, 1);
	CU_ASSERT_EQUAL(c.mns[0].home_addr, 0x0ac80002u);
	CU_ASSERT_EQUAL(c.mns[0].spi, 256);
	/* keys: only the configured (home, spi) pair is found */
	c.mns[0].key_len = 16;
	memset(c.mns[0].key, 0xab, 16);
	CU_ASSERT_EQUAL(d_conf_ha_get_key(&c, 0x0ac80002u, 256, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(key[15], 0xab);
	len = sizeof(key);
	CU_ASSERT_NOT_EQUAL(d_conf_ha_get_key(&c, 0x0ac80002u, 257, key, &len), 0);
	CU_ASSERT_NOT_EQUAL(d_conf_ha_get_key(&c, 0x0ac80003u, 256, key, &len), 0);
	d_conf_ha_free(&c);
	free(text);

	CU_ASSERT(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\n[mn 10.0.0.1]\nspi = 300\n", "h", &c,
				  err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[mn 10.0.0.1] key_file: missing"));
	d_conf_ha_free(&c);
	CU_ASSERT(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\n[mn nowhere]\nspi = 300\n", "h", &c,
				  err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "h:4: [mn nowhere] spi"));
	d_conf_ha_free(&c);
	CU_ASSERT(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\naddress6 = 192.0.2.2\n", "h", &c, err,
				  sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "h:3: [ha] address6: not an IPv6 address"));
	d_conf_ha_free(&c);
	CU_ASSERT_EQUAL(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\naddress6 = 2001:db8::434\n"
					"port = 4340\n",
					"h", &c, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(c.addr6.ip.family, UM3N_AF_INET6);
	CU_ASSERT_EQUAL(c.addr6.port, 4340); /* the one port */
	d_conf_ha_free(&c);
	CU_ASSERT(d_conf_ha_parse("[ha]\nport = 434\n", "h", &c, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[ha] address: missing"));
	d_conf_ha_free(&c);
	CU_ASSERT(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\nbusy_poll_us = 5000\n", "h", &c, err,
				  sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "h:3: [ha] busy_poll_us: want 0..1000"));
	d_conf_ha_free(&c);
	CU_ASSERT_EQUAL(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\nbusy_poll_us = 50\n", "h", &c,
					err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(c.busy_poll_us, 50);
	d_conf_ha_free(&c);
	CU_ASSERT_EQUAL(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\nmax_lifetime_s = 900\n"
					"keepalive_s = 30\nresend_window_ms = 90\n"
					"add_routes = off\n",
					"h", &c, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(c.ha.max_lifetime_s, 900);
	CU_ASSERT_EQUAL(c.ha.keepalive_s, 30);
	CU_ASSERT_EQUAL(c.ha.resend_window_us, 90000);
	CU_ASSERT_FALSE(c.add_routes);
	d_conf_ha_free(&c);
	CU_ASSERT(d_conf_ha_parse("[ha]\naddress = 192.0.2.1\nkeepalive = 65536\n", "h", &c, err,
				  sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "h:3: [ha] keepalive: expected seconds in 0..65535"));
	d_conf_ha_free(&c);
}

static const struct {
	const char *text;
	int len; /* bytes, -1 = rejected */
} hex_cases[] = {
	/* 0 */ {"00112233445566778899aabbccddeeff", 16},
	/* 1 */ {"  00112233445566778899AABBCCDDEEFF\n", 16},
	/* 2 */ {"00112233445566778899aabbccddeef", -1},     /* 31 digits */
	/* 3 */ {"0011223344556677", -1},                    /* too short */
	/* 4 */ {"00112233445566778899aabbccddeegg", -1},    /* not hex */
	/* 5 */ {"0011223344556677 8899aabbccddeeff00", -1}, /* inner space */
	/* 6 */ {"", -1},
};

static void test_key_hex(void)
{
	char long_key[130];
	uint8_t key[64];
	size_t len;

	for (size_t i = 0; i < sizeof(hex_cases) / sizeof(hex_cases[0]); i++) {
		int rc = d_key_parse_hex(hex_cases[i].text, key, sizeof(key), &len);

		CU_ASSERT_EQUAL(rc == 0 ? (int)len : -1, hex_cases[i].len);
	}
	memset(long_key, 'f', 128);
	long_key[128] = '\0';
	CU_ASSERT_EQUAL(d_key_parse_hex(long_key, key, sizeof(key), &len), 0);
	CU_ASSERT_EQUAL(len, 64);
	CU_ASSERT_EQUAL(key[63], 0xff);
	long_key[128] = 'f';
	long_key[129] = '\0';
	CU_ASSERT(d_key_parse_hex(long_key, key, sizeof(key), &len) < 0);
}

static void test_key_file_mode(void)
{
	char path[] = "/tmp/um3n_test_keyXXXXXX", why[D_ERR_MAX];
	const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	uint8_t key[64];
	size_t len = 0;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, hex, strlen(hex)), (ssize_t)strlen(hex));
	close(fd);
	chmod(path, 0644);
	CU_ASSERT_EQUAL(d_key_load(path, key, sizeof(key), &len, why, sizeof(why)), UM3N_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "group/other"));
	chmod(path, 0640);
	CU_ASSERT_EQUAL(d_key_load(path, key, sizeof(key), &len, why, sizeof(why)), UM3N_EINVAL);
	chmod(path, 0600);
	CU_ASSERT_EQUAL(d_key_load(path, key, sizeof(key), &len, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(key[31], 0x1f);
	unlink(path);
	CU_ASSERT_EQUAL(d_key_load(path, key, sizeof(key), &len, why, sizeof(why)), UM3N_ENOENT);
}

static void test_ntp(void)
{
	/* 1970-01-01 is NTP second 2208988800 (RFC 5905 era 0). */
	CU_ASSERT_EQUAL(d_ntp_from_timespec(0, 0), 2208988800ULL << 32);
	CU_ASSERT_EQUAL(d_ntp_from_timespec(0, 500000000), (2208988800ULL << 32) | 0x80000000u);
	CU_ASSERT_EQUAL(d_ntp_from_timespec(1, 250000000), (2208988801ULL << 32) | 0x40000000u);
	/* subtracting 1.5 s of monotonic time */
	CU_ASSERT_EQUAL(d_ntp_minus_us((2208988802ULL << 32), 1500000),
			(2208988800ULL << 32) | 0x80000000u);
	CU_ASSERT_EQUAL(d_ntp_minus_us(12345, 0), 12345);
	/* the live base lies after 2020 (NTP second 3786825600) */
	CU_ASSERT(d_ident_base() >> 32 > 3786825600ULL);
}

/* [mn HOME] home_address6 and prefix: inner sources for get_prefixes, in file
 * order; [mn] home_address6; bad values are one-line errors. */
static void test_source_prefixes(void)
{
	static const char *const bad[] = {
		"home_address6 = 10.1.0.0/16\n",    /* not IPv6 */
		"home_address6 = 2001:db8::1/64\n", /* host bits */
		"prefix = 10.1.0.0/33\n",           /* length */
		("prefix = 10.1.0.0/16\nprefix = 10.2.0.0/16\nprefix = 10.3.0.0/16\n"
		 "prefix = 10.4.0.0/16\nprefix = 10.5.0.0/16\n"), /* more than 4 */
	};
	const char *head = "[ha]\naddress = 192.0.2.1\n[mn 10.200.0.2]\nspi = 256\nkey_file = k\n";
	char text[512], err[D_ERR_MAX] = "";
	struct d_conf_ha c;
	struct d_conf_mn m;
	struct um3n_prefix p[UM3N_HA_MN_PREFIXES];

	snprintf(text, sizeof(text), "%shome_address6 = 2001:db8:1::/64\nprefix = 10.201.0.0/24\n",
		 head);
	CU_ASSERT_EQUAL_FATAL(d_conf_ha_parse(text, "h", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d_conf_ha_get_prefixes(&c, 0x0ac80002u, p, UM3N_HA_MN_PREFIXES), 2);
	CU_ASSERT_EQUAL(p[0].addr.family, UM3N_AF_INET6);
	CU_ASSERT_EQUAL(p[0].plen, 64);
	CU_ASSERT_EQUAL(p[1].plen, 24);
	CU_ASSERT_EQUAL(d_conf_ha_get_prefixes(&c, 0x0ac80002u, p, 1), 1);
	CU_ASSERT_EQUAL(d_conf_ha_get_prefixes(&c, 0x0ac80003u, p, UM3N_HA_MN_PREFIXES), 0);
	d_conf_ha_free(&c);
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i]);
		err[0] = 0;
		CHECK(d_conf_ha_parse(text, "h", &c, err, sizeof(err)) < 0 && strstr(err, "h:") &&
			      !strchr(err, '\n'),
		      "bad %zu: %s", i, err);
		d_conf_ha_free(&c);
	}
	CU_ASSERT_EQUAL(d_conf_mn_parse("[mn]\nhome_address6 = 10.0.0.1\n", "m", &m, err,
					sizeof(err)),
			UM3N_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "home_address6: not an IPv6 address"));
	d_conf_mn_free(&m);
}

static CU_TestInfo conf_tests[] = {
	{"mn_example", test_mn_example},
	{"mn_bad_table", test_mn_bad},
	{"mn_good_variants", test_mn_good_variants},
	{"ha_conf", test_ha_conf},
	{"source_prefixes", test_source_prefixes},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo key_tests[] = {
	{"hex_table", test_key_hex},
	{"file_mode", test_key_file_mode},
	{"ntp_ident_base", test_ntp},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_conf", conf_tests},
		{"daemon_keys", key_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
