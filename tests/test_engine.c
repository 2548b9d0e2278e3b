/* The MN <-> HA exchange, engines back to back in memory (pairnet), its
 * control plane: registration on every uplink, loss of the first request,
 * replay, forgery, lifetime expiry, 10,000-rule policy sync, deregistration,
 * garbage to the HA, an HA restart and the partial-checksum capability. The
 * data path through both engines is test_engine_data.c. */
#include <string.h>

#include "auth.h"
#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define MS 1000ull
#define SEC 1000000ull

static void test_register_both_links(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	struct um3n_ha_mn_status ms;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[0].reg_state, UM3N_REG_REGISTERED);
	CU_ASSERT_EQUAL(st.links[1].reg_state, UM3N_REG_REGISTERED);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.policy_acked_version, st.policy_version);
	pairnet_check_bindings(&net, 2);
	um3n_ha_mn_status(net.ha, net.now_us, 0, &ms);
	CU_ASSERT_EQUAL(ms.policy_rules, 1);
	CU_ASSERT_EQUAL(ms.policy_version, st.policy_version);
	/* the care-of port is the one seen on the wire */
	CU_ASSERT_EQUAL(ms.bindings[0].coa.port, 40000);
	/* probes measured the round trips: 100 ms on cell, 10 ms on wifi */
	CU_ASSERT(st.links[0].srtt_us >= 100 * MS && st.links[0].srtt_us < 105 * MS);
	CU_ASSERT(st.links[1].srtt_us >= 10 * MS && st.links[1].srtt_us < 12 * MS);
	CU_ASSERT(st.links[1].probes_answered > 30);
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static int first_rrq_dropped;

static bool drop_first_rrq(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	(void)net;
	(void)len;
	if (dir == TO_HA && link == 1 && d[0] == UM3N_MSG_RRQ && first_rrq_dropped == 0) {
		first_rrq_dropped = 1;
		return true;
	}
	return false;
}

static void test_first_request_lost(void)
{
	struct pairnet net;
	struct um3n_mn_status st;

	first_rrq_dropped = 0;
	pairnet_init(&net, NULL);
	net.drop = drop_first_rrq;
	pairnet_start(&net);
	pairnet_run(&net, 400 * MS);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(first_rrq_dropped, 1);
	CU_ASSERT_EQUAL(st.links[1].reg_state, UM3N_REG_REQUESTING); /* waiting: 500 ms RTO */
	pairnet_run(&net, 600 * MS);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[1].reg_state, UM3N_REG_REGISTERED);
	pairnet_fini(&net);
}

/* Captures the next RRQ the MN sends on wifi. */
static uint8_t captured[2048];
static size_t captured_len;

static bool capture_rrq(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	(void)net;
	if (dir == TO_HA && link == 1 && d[0] == UM3N_MSG_RRQ && !captured_len) {
		memcpy(captured, d, len);
		captured_len = len;
	}
	return false;
}

static void test_replay_rejected(void)
{
	struct pairnet net;
	struct um3n_ha_mn_status before, after;
	struct um3n_ha_status hs;
	uint64_t code133;

	captured_len = 0;
	pairnet_start_paper(&net);
	net.drop = capture_rrq;
	pairnet_run(&net, 1 * SEC);
	CU_ASSERT_FATAL(captured_len > 0);
	um3n_ha_mn_status(net.ha, net.now_us, 0, &before);
	code133 = net.rrp_codes[UM3N_CODE_IDENT_MISMATCH];
	/* An attacker replays the captured (valid, signed) request. */
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 1, captured, captured_len), UM3N_EREPLAY);
	um3n_ha_mn_status(net.ha, net.now_us, 0, &after);
	CU_ASSERT_EQUAL(before.bindings[1].lifetime_left_s, after.bindings[1].lifetime_left_s);
	CU_ASSERT(um3n_sockaddr_eq(&before.bindings[1].coa, &after.bindings[1].coa));
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.replayed, 1);
	/* ...and the 133 reply it provokes does not disturb the MN. */
	pairnet_run(&net, 1200 * MS);
	CU_ASSERT_EQUAL(net.rrp_codes[UM3N_CODE_IDENT_MISMATCH], code133 + 1);
	pairnet_check_bindings(&net, 2);
	pairnet_fini(&net);
}

static void test_forged_authenticator(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;
	struct um3n_ha_mn_status before, after;
	struct um3n_rrq rrq = {0};
	uint8_t buf[512], bad_key[32] = {1};
	size_t len, auth_off;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_ha_mn_status(net.ha, net.now_us, 0, &before);
	/* A fresh, well-formed request for the MN's home address moving wifi to
	 * an attacker's address, signed with the wrong key. */
	rrq.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D;
	rrq.lifetime_s = 300;
	rrq.home_addr = pairnet_v4("10.200.0.2");
	rrq.ha_addr = pairnet_v4("192.0.2.1");
	rrq.coa = pairnet_v4("198.18.0.66");
	rrq.ident = (uint64_t)0xF0000000 << 32;
	rrq.has_udp_tun_req = true;
	rrq.encap = UM3N_ENCAP_GRE;
	rrq.has_link_info = true;
	rrq.link.link_id = 1;
	rrq.spi = 256;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&rrq, buf, sizeof(buf), &len, &auth_off), 0);
	um3n_auth_sign(bad_key, sizeof(bad_key), buf, auth_off, buf + auth_off);
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 1, buf, len), UM3N_EAUTH);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.auth_failed, 1);
	um3n_ha_mn_status(net.ha, net.now_us, 0, &after);
	CU_ASSERT_EQUAL(after.n_bindings, before.n_bindings);
	CU_ASSERT(um3n_sockaddr_eq(&before.bindings[1].coa, &after.bindings[1].coa));
	/* The reply sent is a 131 denial (code byte of the queued reply). */
	pairnet_run(&net, 1100 * MS);
	CU_ASSERT_EQUAL(net.rrp_codes[UM3N_CODE_MN_FAILED_AUTH], 1);
	pairnet_fini(&net);
}

static void test_lifetime_expiry(void)
{
	struct pairnet net;

	pairnet_init(&net, NULL);
	net.mn_conf.lifetime_s = 10;
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	pairnet_check_bindings(&net, 2);
	net.drop = pairnet_drop_all_to_ha; /* the MN can no longer refresh */
	pairnet_run(&net, 10 * SEC);
	pairnet_check_bindings(&net, 2);
	pairnet_run(&net, 11500 * MS);
	pairnet_check_bindings(&net, 0);
	pairnet_fini(&net);
}

static void test_policy_sync_10000_rules(void)
{
	struct um3n_env env = test_env(7);
	struct um3n_policy *p = um3n_policy_new(&env, 10000);
	struct um3n_prng prng;
	struct pairnet net;
	struct um3n_mn_status st;
	struct um3n_ha_mn_status ms;
	size_t added = 0;

	um3n_prng_seed(&prng, 99);
	while (added < 10000) {
		struct um3n_policy_rule r = {
			.link_class = (uint8_t)(1 + um3n_prng_below(&prng, 2))};
		uint32_t a = (uint32_t)um3n_prng_next(&prng);

		r.plen = (uint8_t)(8 + um3n_prng_below(&prng, 25));
		a &= r.plen == 32 ? ~0u : ~(~0u >> r.plen);
		um3n_addr_from_v4(&r.prefix, a);
		if (um3n_policy_add(p, &r) == 0)
			added++;
	}
	pairnet_init(&net, p);
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 30 * SEC);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.policy_rules, 10000);
	CU_ASSERT_EQUAL(st.policy_acked_version, st.policy_version);
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &ms), 0);
	CU_ASSERT_EQUAL(ms.policy_rules, 10000);
	CU_ASSERT_EQUAL(ms.policy_version, st.policy_version);
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static void test_shutdown_deregisters(void)
{
	struct pairnet net;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	pairnet_check_bindings(&net, 2);
	um3n_mn_shutdown(net.mn, net.now_us);
	pairnet_run(&net, 1200 * MS);
	pairnet_check_bindings(&net, 0);
	pairnet_fini(&net);
}

static void test_garbage_to_ha(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;
	struct um3n_prng prng;
	uint8_t junk[300];

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_prng_seed(&prng, 5);
	for (int i = 0; i < 2000; i++) {
		size_t len = um3n_prng_below(&prng, sizeof(junk));

		for (size_t k = 0; k < len; k++)
			junk[k] = (uint8_t)um3n_prng_next(&prng);
		if (len)
			junk[0] = (uint8_t)(1 + um3n_prng_below(&prng, 4)); /* plausible types */
		pairnet_inject_to_ha(&net, (int)(i & 1), junk, len);
	}
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT(hs.drops.malformed + hs.drops.auth_failed > 1500);
	pairnet_check_bindings(&net, 2);
	pairnet_send_down(&net, "10.9.1.10", 3);
	pairnet_run(&net, 1100 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[1], 3);
	pairnet_fini(&net);
}

/* The HA restarts (all bindings lost): the MN notices the silence on every
 * link, re-registers at once and syncs its policy table again. */
/* The HA loses every binding (a new engine from the same conf). */
static void restart_ha(struct pairnet *net)
{
	um3n_ha_free(net->ha);
	net->ha = um3n_ha_new(&net->ha_conf, &net->env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net->ha);
}

static void test_ha_restart(void)
{
	struct pairnet net;
	struct um3n_ha_mn_status ms;
	struct um3n_mn_status st;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	restart_ha(&net);
	pairnet_run(&net, 2 * SEC); /* well under the 300 s refresh */
	pairnet_check_bindings(&net, 2);
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &ms), 0);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(ms.policy_version, st.policy_version);
	CU_ASSERT_EQUAL(ms.policy_rules, 1);
	CU_ASSERT_EQUAL(st.policy_acked_version, st.policy_version);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_UP);
	pairnet_send_down(&net, "10.9.2.10", 4);
	pairnet_run(&net, 2200 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0], 4);
	pairnet_fini(&net);
}

/* UM3N_LINK_F_CSUM_PARTIAL: each side learns from the registration whether
 * the other completes inner checksums; unset on either side, the other keeps
 * sending complete ones; a restarted HA without it is learnt again. */
static void test_csum_capability(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_policy *p = pairnet_paper_policy(&env);
	uint32_t home = pairnet_v4("10.200.0.2");
	struct pairnet net;

	pairnet_init(&net, p);
	net.mn_conf.rx_csum_partial = true;
	pairnet_start(&net);
	um3n_policy_free(p);
	CU_ASSERT_FALSE(um3n_ha_peer_csum_partial(net.ha, home)); /* not registered yet */
	pairnet_run(&net, 1 * SEC);
	pairnet_check_bindings(&net, 2);
	CU_ASSERT_TRUE(um3n_ha_peer_csum_partial(net.ha, home));
	CU_ASSERT_FALSE(um3n_ha_peer_csum_partial(net.ha, home + 1));
	CU_ASSERT_FALSE(um3n_mn_peer_csum_partial(net.mn)); /* the HA did not offer it */

	for (int k = 0; k < 2; k++) { /* restarted with it, then without it */
		net.ha_conf.rx_csum_partial = k == 0;
		restart_ha(&net);
		pairnet_run(&net, (2 + (uint64_t)k) * SEC);
		pairnet_check_bindings(&net, 2);
		CU_ASSERT_EQUAL(um3n_mn_peer_csum_partial(net.mn), k == 0);
	}
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo exchange_tests[] = {
	{"01 register on both links, policy synced, RTTs", test_register_both_links},
	{"02 first request lost, retransmitted", test_first_request_lost},
	{"03 replayed request gets 133, changes nothing", test_replay_rejected},
	{"04 forged authenticator gets 131, changes nothing", test_forged_authenticator},
	{"05 binding expires when not refreshed", test_lifetime_expiry},
	{"06 policy sync of a 10,000-rule table", test_policy_sync_10000_rules},
	{"07 shutdown deregisters every link", test_shutdown_deregisters},
	{"08 garbage to the HA is counted, service goes on", test_garbage_to_ha},
	{"09 HA restart: MN re-registers and re-syncs at once", test_ha_restart},
	{"10 partial-checksum capability learnt both ways", test_csum_capability},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"engine_exchange", exchange_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
