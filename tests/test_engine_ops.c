/* What the operator sees of the MN <-> HA exchange (pairnet, engines back to
 * back): failovers counted by cause, registration retries counted, explained
 * and logged (rate-limited), a clean shutdown that raises none of the HA's
 * attack-like counters and logs no policy resync, and HA log lines that name
 * the MN's home address with the link. The log goes through the env callback,
 * captured here line by line. */
#include <stdio.h>
#include <string.h>

#include "bcache.h"
#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define MS 1000ull
#define SEC 1000000ull

#define LOG_LINES 4096

static char logged[LOG_LINES][200];
static size_t n_logged;

static void capture_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	if (n_logged < LOG_LINES)
		snprintf(logged[n_logged++], sizeof(logged[0]), "%s", msg);
}

static size_t count_logs(const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < n_logged; i++)
		n += strstr(logged[i], needle) != NULL;
	return n;
}

/* pairnet with the log captured (set before the engines copy the env). */
static void init(struct pairnet *net)
{
	pairnet_init(net, NULL);
	net->env.log = capture_log;
	n_logged = 0;
}

static void mn_status(struct pairnet *net, struct um3n_mn_status *st)
{
	um3n_mn_status(net->mn, net->now_us, st);
	for (size_t i = 0; i < st->n_links; i++) {
		uint64_t sum = 0;

		for (int c = 0; c < UM3N_FAILOVER_CAUSES; c++)
			sum += st->links[i].failovers_by[c];
		CU_ASSERT_EQUAL(st->links[i].failovers, sum); /* the total is the sum */
	}
}

/* Every move of traffic off wifi, one cause after the other: the operator's
 * command, carrier loss, a weak signal (up -> degraded), silence. */
static void test_failovers_by_cause(void)
{
	/* by cause; signal: none, a degraded link is still usable, nothing re-sent */
	static const char *const logs[UM3N_FAILOVER_CAUSES] = {
		"link wifi: failover (silence)",
		"link wifi: failover (carrier)",
		"link wifi: failover (command)",
		NULL,
	};
	struct pairnet net;
	struct um3n_mn_status st;

	init(&net);
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.links[1].failovers, 0);
	CU_ASSERT_FALSE(st.links[1].have_signal); /* shown as "-", not 0 dBm */
	CU_ASSERT_EQUAL(um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, 7),
			UM3N_EINVAL);

	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, UM3N_LINK_DOWN_COMMAND);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_COMMAND], 1);
	CU_ASSERT_FALSE(st.links[1].carrier);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_UP, 0);
	pairnet_run(&net, 2 * SEC);

	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, UM3N_LINK_DOWN_CARRIER);
	/* down again while down: nothing moves */
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, UM3N_LINK_DOWN_COMMAND);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_CARRIER], 1);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_COMMAND], 1);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_UP, 0);
	pairnet_run(&net, 3 * SEC);

	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -90);
	pairnet_run(&net, 3500 * MS);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_DEGRADED);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_SIGNAL], 1);
	CU_ASSERT_TRUE(st.links[1].have_signal);
	CU_ASSERT_EQUAL(st.links[1].signal_dbm, -90);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -95); /* weaker still */
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -60); /* recovered */
	pairnet_run(&net, 4 * SEC);

	net.link_cut[1] = true;
	pairnet_run(&net, 4500 * MS);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_FAILED);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_SILENCE], 1);
	for (int c = 0; c < UM3N_FAILOVER_CAUSES; c++) {
		CU_ASSERT_EQUAL(st.links[1].failovers_by[c], 1);
		if (logs[c])
			CU_ASSERT_EQUAL(count_logs(logs[c]), 1);
	}
	CU_ASSERT_EQUAL(st.links[1].failovers, UM3N_FAILOVER_CAUSES);
	CU_ASSERT_EQUAL(st.links[0].failovers, 0); /* cell took the traffic, never left */
	CU_ASSERT_STRING_EQUAL(um3n_mn_failover_cause_name(UM3N_FAILOVER_COMMAND), "command");
	CU_ASSERT_STRING_EQUAL(um3n_mn_failover_cause_name(UM3N_FAILOVER_CAUSES), "?");
	pairnet_fini(&net);
}

/* The HA unreachable for two minutes: the retries are counted and explained
 * in the status, logged at the first and then once a minute, and the success
 * that ends them is logged too. */
static void test_retries_no_reply(void)
{
	struct pairnet net;
	struct um3n_mn_status st;

	init(&net);
	net.drop = pairnet_drop_all_to_ha;
	pairnet_start(&net);
	pairnet_run(&net, 10 * SEC);
	mn_status(&net, &st);
	for (int l = 0; l < 2; l++) {
		CU_ASSERT_EQUAL(st.links[l].reg_state, UM3N_REG_REQUESTING);
		CU_ASSERT_EQUAL(st.links[l].trying_s, 10);
		CU_ASSERT_EQUAL(st.links[l].reg_retries, 4); /* at 0.5, 1.5, 3.5, 7.5 s */
		CU_ASSERT_EQUAL(st.links[l].reg_wait, UM3N_MN_REG_WAIT_NO_REPLY);
	}
	CU_ASSERT_EQUAL(count_logs("link wifi: registration retry 1, requesting for 0 s, "
				   "last: no reply"),
			1);
	CU_ASSERT_EQUAL(count_logs("registration retry"), 2); /* one per link */
	pairnet_run(&net, 130 * SEC);
	/* retries at 0.5, 1.5, 3.5, 7.5, 15.5 s, then every 16 s: logged at the
	 * first, then at 63.5 and 127.5 s */
	CU_ASSERT_EQUAL(count_logs("link wifi: registration retry"), 3);
	CU_ASSERT_EQUAL(count_logs("link wifi: registration retry 8, requesting for 63 s"), 1);
	CU_ASSERT_EQUAL(count_logs("link wifi: registration retry 12, requesting for 127 s"), 1);
	net.drop = NULL;
	pairnet_run(&net, 150 * SEC);
	mn_status(&net, &st);
	for (int l = 0; l < 2; l++) {
		CU_ASSERT_EQUAL(st.links[l].reg_state, UM3N_REG_REGISTERED);
		CU_ASSERT_EQUAL(st.links[l].trying_s, 0);
		CU_ASSERT_EQUAL(st.links[l].reg_retries, 0);
		CU_ASSERT_EQUAL(st.links[l].reg_wait, UM3N_MN_REG_WAIT_NONE);
	}
	CU_ASSERT_EQUAL(count_logs("link wifi: registered after 13 retries in 143 s"), 1);
	pairnet_fini(&net);
}

/* Denied: both uplinks claim one care-of address, so the HA binds wifi's
 * (first in) and denies cell's (128); the status and the log say so. */
static void test_retries_denied(void)
{
	struct pairnet net;
	struct um3n_mn_status st;

	init(&net);
	net.mn_conf.links[0].local = net.mn_conf.links[1].local;
	pairnet_start(&net);
	pairnet_run(&net, 20 * SEC);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[0].last_code, UM3N_CODE_DENIED_REASON_UNSPEC);
	CU_ASSERT_EQUAL(st.links[0].reg_wait, UM3N_MN_REG_WAIT_DENIED);
	/* denied at 0.1 s, then backoff and retransmission each double the
	 * timeout: retries at 1.1 and 5.2 s, the next at 21.3 s */
	CU_ASSERT_EQUAL(st.links[0].reg_state, UM3N_REG_DENIED);
	CU_ASSERT_EQUAL(st.links[0].reg_retries, 2);
	CU_ASSERT_EQUAL(st.links[0].trying_s, 20);
	CU_ASSERT_EQUAL(count_logs("link cell: registration retry 1, requesting for 1 s, "
				   "last: denied, code 128"),
			1);
	CU_ASSERT_EQUAL(count_logs("link cell: registration retry"), 1);
	pairnet_fini(&net);
}

/* An uplink datagram the MN sent on wifi, kept to play it again late. */
static uint8_t late[2048];
static size_t late_len;

static bool keep_data(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	(void)net;
	if (dir == TO_HA && link == 1 && d[0] == UM3N_MSG_TUNNEL_DATA && len <= sizeof(late)) {
		memcpy(late, d, len);
		late_len = len;
	}
	return false;
}

/* A clean shutdown: what the MN sent before its deregistration and arrives
 * after it is counted as late (after_dereg), for a grace period, and the MN
 * does not take the deregistration reply for a lost policy table. */
static void test_clean_shutdown(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;
	struct um3n_sockaddr stranger = {.port = 40001};
	uint64_t after;

	init(&net);
	late_len = 0;
	net.drop = keep_data;
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	CU_ASSERT_FATAL(late_len > 0); /* probes at least */
	um3n_mn_shutdown(net.mn, net.now_us);
	pairnet_run(&net, 1200 * MS);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL_FATAL(hs.n_mns, 0);
	CU_ASSERT_EQUAL(count_logs("syncing again"), 0);
	/* the probes in flight when the deregistrations went out came in late */
	CU_ASSERT_EQUAL(hs.drops.unknown_peer, 0);
	after = hs.drops.after_dereg;
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 1, late, late_len), UM3N_ENOENT);
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 0, late, late_len), UM3N_ENOENT);
	um3n_addr_parse("203.0.113.99", &stranger.ip);
	CU_ASSERT_EQUAL(um3n_ha_udp_input(net.ha, net.now_us, &stranger, late, late_len),
			UM3N_ENOENT);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.after_dereg, after + 2);
	CU_ASSERT_EQUAL(hs.drops.unknown_peer, 1); /* the stranger */
	/* after the grace period it is anyone's packet again */
	net.now_us += UM3N_BCACHE_GONE_GRACE_US;
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 1, late, late_len), UM3N_ENOENT);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.after_dereg, after + 2);
	CU_ASSERT_EQUAL(hs.drops.unknown_peer, 2);
	pairnet_fini(&net);
}

/* Expiry is not a deregistration: late packets then are from an unknown peer.
 * And the HA's log names the MN by its home address with the link. */
static void test_ha_log_names(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;

	init(&net);
	late_len = 0;
	net.mn_conf.lifetime_s = 10;
	net.drop = keep_data;
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	CU_ASSERT_EQUAL(count_logs("link 1 of 10.200.0.2: probing --confirmed--> up"), 1);
	CU_ASSERT_EQUAL(count_logs("mn-l"), 0);
	net.drop = pairnet_drop_all_to_ha;
	pairnet_run(&net, 11500 * MS);
	CU_ASSERT_EQUAL(count_logs("binding 0 of 10.200.0.2 expired"), 1);
	CU_ASSERT_EQUAL(count_logs("binding 1 of 10.200.0.2 expired"), 1);
	CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 1, late, late_len), UM3N_ENOENT);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.after_dereg, 0);
	CU_ASSERT_EQUAL(hs.drops.unknown_peer, 1);
	pairnet_fini(&net);
}

/* Idle probing, end to end: an MN with no data probes each link every
 * keepalive (25 s) after idle_after (5 s), and its probes say so, so the HA
 * keeps both bindings UP through the quiet; a link cut while idle is found
 * by the fast probes that the first data brings back, within dead_after of
 * it, and the data fails over instead of waiting for a keepalive. */
static void test_idle_probing(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	struct um3n_ha_mn_status hs;
	uint64_t sent[2], t_data;

	init(&net);
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_UP);
	pairnet_run(&net, 10 * SEC); /* idle from ~6 s */
	mn_status(&net, &st);
	sent[0] = st.links[0].probes_sent;
	sent[1] = st.links[1].probes_sent;
	pairnet_run(&net, 70 * SEC); /* a minute of idle */
	mn_status(&net, &st);
	for (int l = 0; l < 2; l++) {
		uint64_t per_min = st.links[l].probes_sent - sent[l];

		test_check(per_min >= 2 && per_min <= 3, __FILE__, __LINE__,
			   "link %d: %llu probes in an idle minute (keepalive 25 s)", l,
			   (unsigned long long)per_min);
		CU_ASSERT_EQUAL(st.links[l].state, UM3N_LS_UP);
	}
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &hs), UM3N_OK);
	CU_ASSERT_EQUAL(hs.n_bindings, 2);
	for (size_t b = 0; b < hs.n_bindings; b++)
		CU_ASSERT_EQUAL(hs.bindings[b].state, UM3N_LS_UP); /* not failed by the quiet */
	/* wifi dies silently while idle; then the apps send */
	net.link_cut[1] = true;
	pairnet_run(&net, 80 * SEC);
	t_data = net.now_us;
	pairnet_send_up(&net, "10.9.1.10", 1);
	pairnet_run(&net, t_data + 200000);
	mn_status(&net, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_FAILED);
	CU_ASSERT_EQUAL(st.links[1].failovers_by[UM3N_FAILOVER_SILENCE], 1);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.links[0].failovers, 0); /* cell, heard a keepalive ago, not failed */
	/* the HA too has wifi failed, not a keepalive later (emu/idle.sh
	 * shows the downlink side: 0 pings lost) */
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &hs), UM3N_OK);
	{
		int wifi_state = -1;

		for (size_t b = 0; b < hs.n_bindings; b++)
			if (hs.bindings[b].link_id == 1)
				wifi_state = hs.bindings[b].state;
		test_check(wifi_state == UM3N_LS_FAILED, __FILE__, __LINE__,
			   "the HA's wifi binding: state %d, want failed", wifi_state);
	}
	test_check(net.ha_rx_by_link[0] >= 1, __FILE__, __LINE__,
		   "the packet sent into the dead wifi went again on cell (%llu)",
		   (unsigned long long)net.ha_rx_by_link[0]);
	pairnet_fini(&net);
}

static struct um3n_sockaddr sa(const char *ip, uint16_t port)
{
	struct um3n_sockaddr s = {.port = port};

	CU_ASSERT_EQUAL(um3n_addr_parse(ip, &s.ip), 0);
	return s;
}

/* An uplink with only IPv6 beside an IPv4 one (issue 17): the MN registers it
 * with the HA's IPv6 address, the HA binds its IPv6 care-of (the request's
 * IPv4 care-of field is 0: the datagram's source counts, as behind a NAT),
 * and data goes both ways over it; without the HA's IPv6 address an IPv6
 * care-of is refused, and a wrong ha6 is a bad configuration. */
static void test_coa6(void)
{
	struct pairnet net;
	struct um3n_ha_mn_status hs;
	struct um3n_mn_status st;
	struct um3n_sockaddr v6 = sa("2001:db8:c::2", 40000);
	struct um3n_env env = test_env(1);
	struct um3n_policy *paper = pairnet_paper_policy(&env);
	char a[64];
	int cell = -1;

	pairnet_init(&net, paper); /* 10.9.2.0/24 over the cell */
	net.mn_conf.ha6 = sa("2001:db8::434", 434);
	net.mn_conf.links[0].local = v6;
	pairnet_start(&net);
	um3n_policy_free(paper); /* the engine keeps its own copy */
	pairnet_run(&net, 2 * SEC);
	pairnet_check_bindings(&net, 2);
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &hs), UM3N_OK);
	for (size_t b = 0; b < hs.n_bindings; b++)
		if (hs.bindings[b].link_id == 0)
			cell = (int)b;
	CU_ASSERT_FATAL(cell >= 0);
	um3n_addr_format(&hs.bindings[cell].coa.ip, a, sizeof(a));
	CU_ASSERT_STRING_EQUAL(a, "2001:db8:c::2");
	CU_ASSERT_EQUAL(hs.bindings[cell].state, UM3N_LS_UP); /* probes answered */
	pairnet_send_up(&net, "10.9.2.7", 20);                /* the cell's, by the policy */
	pairnet_send_down(&net, "10.9.2.7", 20);              /* the HA picks the cell by source */
	pairnet_run(&net, net.now_us + SEC);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0], 20);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0], 20);
	/* the cell goes: the IPv4 wifi takes over both ways */
	net.link_cut[0] = true;
	pairnet_run(&net, net.now_us + SEC);
	pairnet_send_up(&net, "10.9.2.7", 5);
	pairnet_send_down(&net, "10.9.2.7", 5);
	pairnet_run(&net, net.now_us + SEC);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[1], 5);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[1], 5);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_FAILED);
	pairnet_fini(&net);

	/* no IPv6 address for the HA: an IPv6 care-of is refused */
	pairnet_init(&net, NULL);
	pairnet_start(&net);
	CU_ASSERT_EQUAL(um3n_mn_link_addr(net.mn, net.now_us, 0, &v6), UM3N_EINVAL);
	pairnet_fini(&net);
	pairnet_init(&net, NULL);
	net.mn_conf.ha6 = sa("192.0.2.9", 434);
	CU_ASSERT_PTR_NULL(um3n_mn_new(&net.mn_conf, &net.env));
	pairnet_fini(&net);
}

static CU_TestInfo ops_tests[] = {
	{"01 failovers counted by cause, the total their sum", test_failovers_by_cause},
	{"02 retries without reply: counted, explained, logged once a minute",
	 test_retries_no_reply},
	{"03 retries after a denial: code in status and log", test_retries_denied},
	{"04 clean shutdown: late packets after_dereg, no resync logged", test_clean_shutdown},
	{"05 HA logs name home address and link; expiry is not a deregistration",
	 test_ha_log_names},
	{"06 idle probing: keepalive probes, bindings kept, a dead link found on data",
	 test_idle_probing},
	{"07 an IPv6 care-of beside an IPv4 one: registered, carried both ways, failed over",
	 test_coa6},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"engine_ops", ops_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
