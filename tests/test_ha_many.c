/* One HA engine serving many MNs on one UDP port: each of 200 MNs registers
 * two uplinks, syncs its own policy, and gets its own downlink traffic on the
 * link its own policy picks; NAT rebinding of one MN's port does not disturb
 * the others; expiry frees every record. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ha.h"
#include "mn.h"
#include "testutil.h"
#include "wire.h"

#define N_MNS 200
static const uint8_t key[32] = "many-mn-test-key-0123456789abcde";

static int get_key(void *ctx, uint32_t home, uint32_t spi, uint8_t *k, size_t *len)
{
	(void)ctx;
	if ((home >> 16) != 0x0ac8 || spi != 256) /* 10.200.0.0/16 */
		return -1;
	memcpy(k, key, sizeof(key));
	*len = sizeof(key);
	return 0;
}

struct many {
	struct um3n_env env;
	struct um3n_ha *ha;
	struct um3n_mn *mn[N_MNS + 1]; /* the last one finds the cache full */
	struct um3n_mn_conf conf[N_MNS + 1];
	uint64_t tun_by_link[N_MNS + 1][2];
	int n; /* engines created so far */
};

static uint32_t home_of(int i) { return 0x0ac80000u + 2 + (uint32_t)i; }

/* MN i: cell 198.51.100.1:(10000+i), wifi 203.0.113.1:(10000+i) (a NAT in front
 * of every MN: same address, one port each). Odd MNs route 10.9.2.0/24 over
 * cell, even ones everything over wifi. */
static void make_mn(struct many *m, int i)
{
	struct um3n_mn_conf *c = &m->conf[i];
	struct um3n_policy *p = um3n_policy_new(&m->env, 2);
	struct um3n_policy_rule r = {.plen = 24, .link_class = UM3N_CLASS_CELL};

	um3n_mn_conf_defaults(c);
	um3n_addr_from_v4(&c->home_addr, home_of(i));
	um3n_addr_parse("192.0.2.1", &c->ha.ip);
	memcpy(c->key, key, sizeof(key));
	c->key_len = sizeof(key);
	c->probe_interval_us = 0;
	c->n_links = 2;
	strcpy(c->links[0].name, "cell");
	c->links[0].link_class = UM3N_CLASS_CELL;
	um3n_addr_parse("198.51.100.1", &c->links[0].local.ip);
	c->links[0].local.port = (uint16_t)(10000 + i);
	strcpy(c->links[1].name, "wifi");
	c->links[1].link_class = UM3N_CLASS_WIFI;
	um3n_addr_parse("203.0.113.1", &c->links[1].local.ip);
	c->links[1].local.port = (uint16_t)(10000 + i);
	um3n_addr_parse("10.9.2.0", &r.prefix);
	if (i % 2)
		um3n_policy_add(p, &r);
	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_PREFER);
	c->policy = p;
	m->mn[i] = um3n_mn_new(c, &m->env);
	m->n = i + 1;
	um3n_policy_free(p);
	c->policy = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->mn[i]);
}

static int mn_of(const struct many *m, const struct um3n_sockaddr *to, int *link)
{
	for (int i = 0; i < m->n; i++)
		for (int l = 0; l < 2; l++)
			if (um3n_sockaddr_eq(&m->conf[i].links[l].local, to)) {
				*link = l;
				return i;
			}
	return -1;
}

/* Zero-delay shuttle until every queue is empty. */
static void settle(struct many *m, uint64_t now)
{
	bool more = true;
	struct um3n_out o;

	while (more) {
		more = false;
		for (int i = 0; i < m->n; i++)
			while (um3n_mn_poll_output(m->mn[i], &o)) {
				more = true;
				if (o.kind == UM3N_OUT_UDP)
					um3n_ha_udp_input(m->ha, now,
							  &m->conf[i].links[o.link].local, o.data,
							  o.len);
				else
					m->tun_by_link[i][o.link]++;
			}
		while (um3n_ha_poll_output(m->ha, &o)) {
			int link, i = mn_of(m, &o.to, &link);

			more = true;
			if (o.kind == UM3N_OUT_UDP && i >= 0)
				um3n_mn_udp_input(m->mn[i], now, link, &m->conf[i].ha, o.data,
						  o.len);
		}
	}
}

static size_t down_packet(uint8_t *b, uint32_t src, uint32_t dst)
{
	memset(b, 0, 100);
	b[0] = 0x45;
	um3n_put16(b + 2, 100);
	b[8] = 64;
	b[9] = 17;
	um3n_put32(b + 12, src);
	um3n_put32(b + 16, dst);
	um3n_put16(b + 10, um3n_wire_inet_csum(b, 20));
	return 100;
}

static void test_many_mns(void)
{
	static struct many m;
	struct um3n_ha_conf hc;
	struct um3n_ha_status hs;
	uint8_t pkt[100];
	int wrong = 0;

	memset(&m, 0, sizeof(m));
	m.env = test_env(11);
	um3n_ha_conf_defaults(&hc);
	um3n_addr_parse("192.0.2.1", &hc.addr.ip);
	hc.get_key = get_key;
	hc.max_mns = N_MNS;
	m.ha = um3n_ha_new(&hc, &m.env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.ha);
	for (int i = 0; i < N_MNS; i++) {
		make_mn(&m, i);
		um3n_mn_link_event(m.mn[i], 0, 0, UM3N_LINK_EV_UP, 0);
		um3n_mn_link_event(m.mn[i], 0, 1, UM3N_LINK_EV_UP, 0);
	}
	for (int round = 0; round < 4; round++) /* registration, then policy chunks */
		settle(&m, 1000);
	um3n_ha_status(m.ha, 1000, &hs);
	CU_ASSERT_EQUAL(hs.n_mns, N_MNS);
	CU_ASSERT_EQUAL(hs.reg_denied, 0);
	CU_ASSERT_EQUAL(hs.reg_unexpected, 0);
	for (int i = 0; i < N_MNS; i++) {
		um3n_ha_tun_input(m.ha, 2000, pkt, down_packet(pkt, 0x0a09020a, home_of(i)));
		um3n_ha_tun_input(m.ha, 2000, pkt, down_packet(pkt, 0x0a09010a, home_of(i)));
	}
	settle(&m, 2000);
	for (int i = 0; i < N_MNS; i++) {
		uint64_t want_cell = i % 2 ? 1 : 0;

		wrong += m.tun_by_link[i][0] != want_cell || m.tun_by_link[i][1] != 2 - want_cell;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* A full cache refuses one more MN (code 130), the others unharmed. */
	{
		struct um3n_ha_status after;
		struct um3n_mn_status st;

		make_mn(&m, N_MNS);
		um3n_mn_link_event(m.mn[N_MNS], 3000, 1, UM3N_LINK_EV_UP, 0);
		settle(&m, 3000);
		um3n_mn_status(m.mn[N_MNS], 3000, &st);
		CU_ASSERT_EQUAL(st.links[1].last_code, UM3N_CODE_DENIED_NO_RESOURCES);
		CU_ASSERT_EQUAL(st.links[1].reg_state, UM3N_REG_DENIED);
		um3n_ha_status(m.ha, 3000, &after);
		CU_ASSERT_EQUAL(after.n_mns, N_MNS);
		CU_ASSERT_EQUAL(um3n_ha_mn_status(m.ha, 2000, N_MNS,
						  &(struct um3n_ha_mn_status){0}),
				UM3N_ENOENT);
		um3n_ha_timeout(m.ha, 301 * 1000000ull); /* every lifetime (300 s) is over */
		um3n_ha_status(m.ha, 301 * 1000000ull, &after);
		CU_ASSERT_EQUAL(after.n_mns, 0);
	}
	for (int i = 0; i < m.n; i++)
		um3n_mn_free(m.mn[i]);
	um3n_ha_free(m.ha);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo many_tests[] = {
	{"01 200 MNs on one HA port: own policy, own links, expiry", test_many_mns},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ha_many_mns", many_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
