/* The rig tests/test_datapath*.c share: a data path over three links (0 wifi,
 * 1 cell, 2 wifi), its output queue and policy, and packet makers. Static
 * inline: each test program takes what it uses. */
#ifndef UM3N_TEST_DATAPATH_RIG_H
#define UM3N_TEST_DATAPATH_RIG_H

#include <string.h>

#include "bcache.h"
#include "datapath.h"
#include "pairnet.h"
#include "testutil.h"

#define N 3 /* links: 0 wifi, 1 cell, 2 wifi; priority = index */

static const uint8_t classes[N] = {UM3N_CLASS_WIFI, UM3N_CLASS_CELL, UM3N_CLASS_WIFI};

struct rig {
	struct um3n_env env;
	struct um3n_outq q;
	struct um3n_datapath dp;
	struct um3n_drop_counters drops;
	struct um3n_sockaddr to[N];
	struct um3n_policy *policy;
};

static inline uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* An IPv4/UDP packet of len bytes; its last byte tags it. */
static inline size_t ipv4(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t tag)
{
	size_t n = pairnet_ip_packet(buf, src, dst, len - 28);

	buf[n - 1] = tag;
	return n;
}

/* An IPv4 TCP segment with payload bytes and TCP flags (0x10: a bare ACK). */
static inline size_t tcp4(uint8_t *buf, uint32_t src, uint32_t dst, size_t payload, uint8_t flags)
{
	size_t len = pairnet_ip4_header(buf, 20 + 20 + payload, 6, src, dst);

	buf[20 + 12] = 5 << 4; /* data offset: 20 bytes */
	buf[20 + 13] = flags;
	return len;
}

static inline void add_rule(struct um3n_policy *p, uint32_t prefix, uint8_t plen, uint8_t cls,
			    uint8_t mode)
{
	struct um3n_policy_rule r = {.plen = plen, .link_class = cls, .mode = mode};

	um3n_addr_from_v4(&r.prefix, prefix);
	CU_ASSERT_EQUAL_FATAL(um3n_policy_add(p, &r), 0);
}

/* 10.1/16: prefer cell; 10.2/16: redundant; 10.3/16: aggregate; else prefer wifi. */
static inline void rig_init(struct rig *r, size_t qcap, size_t slot, size_t resend_slots,
			    enum um3n_datapath_key key)
{
	struct um3n_prng prng;

	memset(r, 0, sizeof(*r));
	r->env = test_env(1);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&r->q, &r->env, qcap, slot), 0);
	um3n_prng_seed(&prng, 42);
	CU_ASSERT_EQUAL_FATAL(um3n_datapath_init(&r->dp, &r->env, N, resend_slots, &prng, key), 0);
	for (int l = 0; l < N; l++) {
		um3n_addr_from_v4(&r->to[l].ip, v4(192, 0, 2, 1 + (unsigned)l));
		r->to[l].port = (uint16_t)(4000 + l);
		um3n_datapath_set_dest(&r->dp, l, &r->to[l]);
		um3n_datapath_set_class(&r->dp, l, classes[l], (uint8_t)l, 1000);
		um3n_datapath_set_link(&r->dp, l, true, UM3N_LS_UP);
	}
	um3n_datapath_links_changed(&r->dp);
	r->policy = um3n_policy_new(&r->env, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->policy);
	add_rule(r->policy, v4(10, 1, 0, 0), 16, UM3N_CLASS_CELL, UM3N_MODE_PREFER);
	add_rule(r->policy, v4(10, 2, 0, 0), 16, UM3N_CLASS_ANY, UM3N_MODE_REDUNDANT);
	add_rule(r->policy, v4(10, 3, 0, 0), 16, UM3N_CLASS_ANY, UM3N_MODE_AGGREGATE);
	CU_ASSERT_EQUAL(um3n_policy_set_default(r->policy, UM3N_CLASS_WIFI, UM3N_MODE_PREFER), 0);
}

static inline void rig_fini(struct rig *r)
{
	um3n_policy_free(r->policy);
	um3n_datapath_fini(&r->dp, &r->env);
	um3n_outq_fini(&r->q, &r->env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* Sends a len-byte packet src -> dst; returns the engine's code. */
static inline int send_at(struct rig *r, const struct um3n_policy *policy, uint64_t now_us,
			  uint32_t src, uint32_t dst, size_t len, uint8_t tag)
{
	uint8_t pkt[1500];
	struct um3n_ip_info ip;

	ipv4(pkt, len, src, dst, tag);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(pkt, len, &ip), 0);
	return um3n_datapath_send(&r->dp, &r->q, &r->drops, now_us, policy, &ip, pkt, len);
}

/* A TCP segment from the home address to dst; returns the engine's code. */
static inline int send_tcp(struct rig *r, uint64_t now_us, uint32_t dst, size_t payload,
			   uint8_t flags)
{
	uint8_t pkt[1500];
	struct um3n_ip_info ip;
	size_t len = tcp4(pkt, v4(10, 200, 0, 2), dst, payload, flags);

	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(pkt, len, &ip), 0);
	return um3n_datapath_send(&r->dp, &r->q, &r->drops, now_us, r->policy, &ip, pkt, len);
}

static inline int send_to(struct rig *r, uint32_t dst)
{
	return send_at(r, r->policy, 0, v4(10, 200, 0, 2), dst, 100, 0);
}

static inline int send_tagged(struct rig *r, uint64_t now_us, uint32_t dst, uint8_t tag)
{
	return send_at(r, r->policy, now_us, v4(10, 200, 0, 2), dst, 100, tag);
}

/* Pops every output; returns how many, their links in order into links[]. */
static inline size_t drain(struct rig *r, int *links, size_t cap)
{
	struct um3n_out o = {0};
	size_t n = 0;

	while (um3n_outq_pop(&r->q, &o)) {
		CU_ASSERT_EQUAL(o.kind, UM3N_OUT_UDP);
		CU_ASSERT_FATAL(o.link >= 0 && o.link < N);
		CU_ASSERT(um3n_sockaddr_eq(&o.to, &r->to[o.link])); /* each link its destination */
		if (n < cap)
			links[n] = o.link;
		n++;
	}
	return n;
}

#endif
