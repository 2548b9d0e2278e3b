/* The data path through both engines, back to back in memory (pairnet):
 * policy routing both ways, failover on a silent wifi cut, planned handover,
 * per-packet aggregation by rate weights, false-alarm back-off, the last
 * usable link kept, output slots sized to the largest datagram, and one
 * aggregated flow put back in order at both ends.
 * Registration and the rest of the control plane are test_engine.c. */
#include <string.h>

#include "pairnet.h"
#include "policy.h"
#include "tunnel.h"
#include "testutil.h"
#include "wire.h"

#define MS 1000ull
#define SEC 1000000ull

static void test_policy_routing_both_ways(void)
{
	struct pairnet net;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	pairnet_send_up(&net, "10.9.2.10", 10); /* video server: cell */
	pairnet_send_up(&net, "10.9.1.10", 7);  /* anything else: wifi */
	pairnet_run(&net, 1200 * MS);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0], 10);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[1], 7);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 17);
	pairnet_send_down(&net, "10.9.2.10", 5); /* the HA matches the source */
	pairnet_send_down(&net, "10.9.1.10", 3);
	pairnet_run(&net, 1400 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0], 5);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[1], 3);
	pairnet_fini(&net);
}

/* Downlink CBR of 1 packet per ms from the default server; wifi is cut at 2 s
 * without any event. Measures the delivery gap and losses at the MN. */
static void cbr_until(struct pairnet *net, uint64_t until_us, uint64_t *gap_us)
{
	while (net->now_us < until_us) {
		uint64_t before = net->last_mn_tun_us;

		pairnet_send_down(net, "10.9.1.10", 1);
		pairnet_run(net, net->now_us + 1 * MS);
		if (net->last_mn_tun_us != before && before &&
		    net->last_mn_tun_us - before > *gap_us)
			*gap_us = net->last_mn_tun_us - before;
	}
}

static void test_failover_on_silent_cut(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	uint64_t gap = 0, sent;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	cbr_until(&net, 2 * SEC, &gap);
	CU_ASSERT(net.mn_tun_by_link[1] > 900 && net.mn_tun_by_link[0] == 0);
	net.link_cut[1] = true;
	gap = 0;
	cbr_until(&net, 4 * SEC, &gap);
	pairnet_run(&net, net.now_us + 200 * MS); /* let the last ones land */
	sent = 3000;
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_FAILED);
	CU_ASSERT(net.mn_tun_by_link[0] > 1800);
	/* dead after 100 ms + cell one-way 50 ms; re-send covers the loss window */
	CU_ASSERT(gap < 200 * MS);
	CU_ASSERT(net.mn_tun_pkts >= sent - 5);
	/* wifi comes back: probes find it alive, traffic returns to wifi */
	net.link_cut[1] = false;
	{
		uint64_t cell_before = net.mn_tun_by_link[0], wifi_before = net.mn_tun_by_link[1];

		cbr_until(&net, 5 * SEC, &gap);
		CU_ASSERT(net.mn_tun_by_link[1] - wifi_before > 700); /* 800 sent from 4.2 s */
		CU_ASSERT(net.mn_tun_by_link[0] - cell_before < 200);
	}
	pairnet_fini(&net);
}

static void test_planned_handover_no_loss(void)
{
	struct pairnet net;
	uint64_t gap = 0, cell_before;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	cbr_until(&net, 2 * SEC, &gap);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -80);
	cell_before = net.mn_tun_by_link[0];
	cbr_until(&net, 3 * SEC, &gap);
	net.link_cut[1] = true; /* wifi lost after traffic has moved */
	cbr_until(&net, 4 * SEC, &gap);
	pairnet_run(&net, net.now_us + 200 * MS); /* let the last ones land */
	CU_ASSERT(net.mn_tun_by_link[0] - cell_before > 1900);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, 3000); /* nothing lost */
	CU_ASSERT(gap <= 50 * MS);              /* only the cell/wifi delay difference */
	pairnet_fini(&net);
}

/* Per-packet aggregation of one flow, both directions, over the pair's links
 * (cell 50 ms, wifi 5 ms one way; weights 3.61 and 14.67 Mbit/s, the HA
 * learning them from the MN): offered above the wifi rate, the cell takes the
 * excess; a burst given at once stays on wifi, whose backlog has not lasted
 * the links' difference (the rule and its bound: test_linksched). */
static void test_aggregation_by_weight(void)
{
	struct um3n_env env = test_env(3);
	struct um3n_policy *p = um3n_policy_new(&env, 1);
	struct pairnet net;
	double cell_share;
	uint64_t cell_up, cell_down;

	um3n_policy_set_default(p, UM3N_CLASS_ANY, UM3N_MODE_AGGREGATE);
	pairnet_init(&net, p);
	net.mn_conf.links[0].weight_kbps = 3610;
	net.mn_conf.links[1].weight_kbps = 14670;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC);
	/* paced at 17 Mbit/s on the wire (1000 bytes + 72 of headers every
	 * 504 us): wifi carries 14.67, the cell the other 14% */
	for (int i = 0; i < 1000; i++) {
		pairnet_send_up(&net, "10.9.1.10", 1);
		pairnet_send_down(&net, "10.9.1.10", 1);
		pairnet_run(&net, net.now_us + 504);
	}
	pairnet_run(&net, net.now_us + 200 * MS);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0] + net.ha_rx_by_link[1], 1000);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, 1000);
	cell_share = (double)net.ha_rx_by_link[0] / 1000.0;
	CU_ASSERT(cell_share > 0.10 && cell_share < 0.18);
	cell_share = (double)net.mn_tun_by_link[0] / 1000.0;
	CU_ASSERT(cell_share > 0.10 && cell_share < 0.18);
	/* a burst of 1000 at once: wifi's backlog starts with it */
	cell_up = net.ha_rx_by_link[0];
	cell_down = net.mn_tun_by_link[0];
	pairnet_send_up(&net, "10.9.1.10", 1000);
	pairnet_send_down(&net, "10.9.1.10", 1000);
	pairnet_run(&net, net.now_us + 1200 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, 2000);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0], cell_up);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0], cell_down);
	pairnet_fini(&net);
}

/* The order packets of one flow left each TUN device in. */
struct order_seen {
	uint32_t next[2];
	uint64_t out_of_order[2], n[2];
};

static void note_order(struct pairnet *net, int dir, const uint8_t *pkt, size_t len)
{
	struct order_seen *o = net->user;
	uint32_t i = um3n_get32(pkt + len - 4);

	o->n[dir]++;
	if (i < o->next[dir])
		o->out_of_order[dir]++;
	else
		o->next[dir] = i + 1;
}

/* One flow of an aggregate rule over cell (50 ms) and wifi (5 ms) at 16
 * Mbit/s: about 1 packet in 15 takes the slow path, yet both TUN devices deliver the flow in order,
 * each gap filled within its hold bound (max_ms 100) or proved lost; with
 * reordering off (max_ms 0) the same run comes out of order. */
static void aggregate_in_order(uint32_t max_ms, struct order_seen *seen,
			       struct um3n_reorder_status *mn_ro, struct um3n_reorder_status *ha_ro)
{
	struct um3n_env env = test_env(3);
	struct um3n_policy *p = um3n_policy_new(&env, 1);
	uint32_t home = pairnet_v4("10.200.0.2"), srv = pairnet_v4("10.9.1.10");
	uint8_t pkt[1500];
	size_t len = pairnet_ip_packet(pkt, home, srv, 1000);
	struct pairnet net;
	struct um3n_mn_status ms;
	struct um3n_ha_status hs;

	um3n_policy_set_default(p, UM3N_CLASS_ANY, UM3N_MODE_AGGREGATE);
	pairnet_init(&net, p);
	net.mn_conf.links[0].weight_kbps = 3610;
	net.mn_conf.links[1].weight_kbps = 14670;
	net.mn_conf.reorder_max_us = net.ha_conf.reorder_max_us = max_ms * (uint32_t)MS;
	net.on_tun = note_order;
	net.user = seen;
	memset(seen, 0, sizeof(*seen));
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC);
	for (uint32_t i = 0; i < 2000; i++) { /* 1000 bytes every 0.5 ms: 16 Mbit/s */
		pairnet_run(&net, 1 * SEC + i * 500);
		len = pairnet_ip_packet(pkt, home, srv, 1000);
		um3n_put32(pkt + len - 4, i);
		CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, pkt, len), 0);
		len = pairnet_ip_packet(pkt, srv, home, 1000);
		um3n_put32(pkt + len - 4, i);
		CU_ASSERT_EQUAL(um3n_ha_tun_input(net.ha, net.now_us, pkt, len), 0);
	}
	pairnet_run(&net, 3 * SEC);
	CU_ASSERT(net.ha_rx_by_link[0] > 100 && net.mn_tun_by_link[0] > 100); /* cell too */
	um3n_mn_status(net.mn, net.now_us, &ms);
	um3n_ha_status(net.ha, net.now_us, &hs);
	*mn_ro = ms.reorder;
	*ha_ro = hs.reorder;
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static void test_aggregation_in_order(void)
{
	struct order_seen seen;
	struct um3n_reorder_status mn_ro, ha_ro;

	aggregate_in_order(100, &seen, &mn_ro, &ha_ro);
	CU_ASSERT(seen.n[TO_HA] == 2000 && seen.n[TO_MN] == 2000);
	CU_ASSERT_EQUAL(seen.out_of_order[TO_HA], 0);
	CU_ASSERT_EQUAL(seen.out_of_order[TO_MN], 0);
	CU_ASSERT(mn_ro.held > 1000 && ha_ro.held > 1000); /* wifi ran ahead of cell */
	CU_ASSERT(mn_ro.timed_out == 0 && ha_ro.timed_out == 0);
	CU_ASSERT(mn_ro.overflow == 0 && ha_ro.overflow == 0 && mn_ro.late == 0);
	/* Held at most the 45 ms the cell path lags, plus a bin. */
	CU_ASSERT(ha_ro.p99_us > 0 && ha_ro.p99_us <= 46 * MS && mn_ro.p99_us <= 46 * MS);

	aggregate_in_order(0, &seen, &mn_ro, &ha_ro);
	CU_ASSERT(seen.n[TO_HA] == 2000 && seen.n[TO_MN] == 2000);
	CU_ASSERT(seen.out_of_order[TO_HA] > 100 && seen.out_of_order[TO_MN] > 100);
	CU_ASSERT(mn_ro.held == 0 && ha_ro.held == 0);
}

/* A queue that suddenly grows (cell path 50 ms -> 250 ms one way) looks like
 * death once; the link comes back, its silence floor doubles, and the same
 * jump later no longer fails it. */
static void test_false_alarm_backoff(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	uint64_t failovers[3];

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	for (int k = 0; k < 3; k++) {
		net.delay_us[0] = 250 * MS;
		pairnet_run(&net, net.now_us + 2 * SEC);
		net.delay_us[0] = 50 * MS;
		pairnet_run(&net, net.now_us + 2 * SEC);
		um3n_mn_status(net.mn, net.now_us, &st);
		failovers[k] = st.links[0].failovers;
		CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_UP);
	}
	CU_ASSERT(failovers[0] >= 1);
	CU_ASSERT_EQUAL(failovers[2], failovers[1]); /* the third jump is tolerated */
	pairnet_fini(&net);
}

/* WiFi goes down (carrier event) and the traffic moving onto the cell link
 * makes it slow (50 -> 300 ms one way): the last usable link is not failed for
 * silence, so nothing is dropped for want of a link. */
static void test_last_link_kept(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	uint64_t gap = 0;

	pairnet_start_paper(&net);
	pairnet_run(&net, 1 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, 0);
	net.delay_us[0] = 300 * MS;
	pairnet_send_up(&net, "10.9.1.10", 1);
	pairnet_run(&net, 3 * SEC);
	pairnet_send_up(&net, "10.9.1.10", 1);
	pairnet_run(&net, 4 * SEC);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_UP);
	CU_ASSERT_EQUAL(st.links[0].failovers, 0);
	CU_ASSERT_EQUAL(st.drops.no_link, 0);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0], 2);
	/* and when wifi is back, a cell that really died is failed after all */
	net.link_cut[0] = true;
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_UP, 0);
	cbr_until(&net, 6 * SEC, &gap);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[0].state, UM3N_LS_FAILED);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_UP);
	pairnet_fini(&net);
}

/* Output slots sized to the largest datagram (what the daemons do): the
 * exchange works, a packet one byte over the size is refused as too big on
 * either side, and sizes a registration would not fit in are refused. */
static void test_small_output_slots(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_policy *p = pairnet_paper_policy(&env);
	uint32_t home = pairnet_v4("10.200.0.2"), srv = pairnet_v4("10.9.1.10");
	static uint8_t pkt[1500];
	struct pairnet net;
	struct um3n_mn_status st;

	pairnet_init(&net, p);
	net.mn_conf.out_slot_size = net.ha_conf.out_slot_size = 1460 + UM3N_DATA_OVERHEAD;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC);
	pairnet_check_bindings(&net, 2);
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, pkt,
					  pairnet_ip_packet(pkt, home, srv, 1460 - 28)),
			0);
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, pkt,
					  pairnet_ip_packet(pkt, home, srv, 1461 - 28)),
			UM3N_ETOOBIG);
	CU_ASSERT_EQUAL(um3n_ha_tun_input(net.ha, net.now_us, pkt,
					  pairnet_ip_packet(pkt, srv, home, 1460 - 28)),
			0);
	CU_ASSERT_EQUAL(um3n_ha_tun_input(net.ha, net.now_us, pkt,
					  pairnet_ip_packet(pkt, srv, home, 1461 - 28)),
			UM3N_ETOOBIG);
	pairnet_run(&net, 1100 * MS);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 1);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, 1);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.drops.too_big, 1);
	net.mn_conf.out_slot_size = UM3N_REG_MSG_MAX - 1;
	CU_ASSERT_PTR_NULL(um3n_mn_new(&net.mn_conf, &net.env));
	net.ha_conf.out_slot_size = UM3N_PKT_MAX + 1;
	CU_ASSERT_PTR_NULL(um3n_ha_new(&net.ha_conf, &net.env));
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* An IPv6/UDP packet from src to 2001:db8:ff::1 with 100 bytes of payload. */
static size_t ip6_packet(uint8_t *buf, const char *src)
{
	struct um3n_addr a;

	CU_ASSERT_EQUAL_FATAL(um3n_addr_parse(src, &a), 0);
	memset(buf, 0, 148);
	buf[0] = 0x60;
	um3n_put16(buf + 4, 108);
	buf[6] = 17;
	buf[7] = 64;
	memcpy(buf + 8, a.bytes, 16);
	CU_ASSERT_EQUAL_FATAL(um3n_addr_parse("2001:db8:ff::1", &a), 0);
	memcpy(buf + 24, a.bytes, 16);
	um3n_put16(buf + 40, 5000);
	um3n_put16(buf + 42, 6000);
	um3n_put16(buf + 44, 108);
	return 148;
}

static const char *const src_prefixes[] = {"2001:db8:1::/61", "10.201.0.0/24"};

static size_t mn_prefixes(void *ctx, uint32_t home, struct um3n_prefix *out, size_t cap)
{
	(void)ctx;
	CU_ASSERT_EQUAL(home, pairnet_v4("10.200.0.2"));
	CU_ASSERT_FATAL(cap >= 2);
	for (size_t i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(
			um3n_policy_prefix_parse(src_prefixes[i], &out[i].addr, &out[i].plen), 0);
	return 2;
}

/* Inner sources the HA forwards from its MN: the home address, and with
 * prefixes configured (get_prefixes) what is inside them, to the bit; IPv6
 * only then. Everything else is counted as spoofed_src, nothing else. */
static const struct {
	int num;
	bool prefixes; /* the HA has get_prefixes */
	const char *src;
	bool forwarded;
} src_cases[] = {
	{1, false, "10.200.0.2", true},        {2, false, "10.200.0.3", false},
	{3, false, "2001:db8:1::2", false},    {4, false, "10.201.0.9", false},
	{5, true, "10.200.0.2", true},         {6, true, "2001:db8:1::2", true},
	{7, true, "2001:db8:1:7:ff::1", true}, {8, true, "2001:db8:1:8::1", false},
	{9, true, "2001:db8:2::1", false},     {10, true, "10.201.0.9", true},
	{11, true, "10.201.1.9", false},       {12, true, "::ffff:10.200.0.2", false},
};

static void test_inner_source_checked(void)
{
	for (int with = 0; with < 2; with++) {
		struct pairnet net;
		struct um3n_ha_status hs;

		pairnet_init(&net, NULL);
		if (with)
			net.ha_conf.get_prefixes = mn_prefixes;
		pairnet_start(&net);
		pairnet_run(&net, 1 * SEC);
		for (size_t i = 0; i < N_ELEMS(src_cases); i++) {
			uint8_t pkt[200];
			uint64_t tun = net.ha_tun_pkts, spoofed;
			size_t n;

			if (src_cases[i].prefixes != with)
				continue;
			if (strchr(src_cases[i].src, ':'))
				n = ip6_packet(pkt, src_cases[i].src);
			else
				n = pairnet_ip_packet(pkt, pairnet_v4(src_cases[i].src),
						      pairnet_v4("10.9.1.10"), 100);
			um3n_ha_status(net.ha, net.now_us, &hs);
			spoofed = hs.drops.spoofed_src;
			CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, pkt, n), 0);
			pairnet_run(&net, net.now_us + 100 * MS);
			um3n_ha_status(net.ha, net.now_us, &hs);
			CHECK(net.ha_tun_pkts - tun == src_cases[i].forwarded &&
				      hs.drops.spoofed_src - spoofed == !src_cases[i].forwarded,
			      "case %d: forwarded %llu spoofed %llu", src_cases[i].num,
			      (unsigned long long)(net.ha_tun_pkts - tun),
			      (unsigned long long)(hs.drops.spoofed_src - spoofed));
		}
		um3n_ha_status(net.ha, net.now_us, &hs);
		CU_ASSERT_EQUAL(hs.drops.malformed, 0);
		pairnet_fini(&net);
	}
}

/* The downlink to the MN's prefixes (its IPv6 home address or prefix, an
 * IPv4 network behind it): the HA's TUN packets to an address inside one
 * reach the MN's TUN, others are no_binding. */
static const struct {
	const char *dst;
	bool delivered;
} dst_cases[] = {
	{"2001:db8:1::2", true}, {"2001:db8:1:7:ff::1", true}, {"2001:db8:1:8::1", false},
	{"10.201.0.9", true},    {"10.201.1.9", false},        {"10.200.0.2", true},
};

static void test_downlink_to_prefixes(void)
{
	struct pairnet net;
	struct um3n_ha_status hs;

	pairnet_init(&net, NULL);
	net.ha_conf.get_prefixes = mn_prefixes;
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	for (size_t i = 0; i < N_ELEMS(dst_cases); i++) {
		uint8_t pkt[200];
		uint64_t tun = net.mn_tun_pkts, nob;
		struct um3n_addr d;
		size_t n;
		int rc;

		CU_ASSERT_EQUAL_FATAL(um3n_addr_parse(dst_cases[i].dst, &d), 0);
		if (d.family == UM3N_AF_INET6) {
			n = ip6_packet(pkt, "2001:db8:ff::1");
			memcpy(pkt + 24, d.bytes, 16);
		} else {
			n = pairnet_ip_packet(pkt, pairnet_v4("10.9.1.10"), um3n_addr_v4(&d), 100);
		}
		um3n_ha_status(net.ha, net.now_us, &hs);
		nob = hs.drops.no_binding;
		rc = um3n_ha_tun_input(net.ha, net.now_us, pkt, n);
		pairnet_run(&net, net.now_us + 100 * MS);
		um3n_ha_status(net.ha, net.now_us, &hs);
		CHECK(rc == (dst_cases[i].delivered ? UM3N_OK : UM3N_ENOENT) &&
			      net.mn_tun_pkts - tun == dst_cases[i].delivered &&
			      hs.drops.no_binding - nob == !dst_cases[i].delivered,
		      "to %s: rc %d, delivered %llu", dst_cases[i].dst, rc,
		      (unsigned long long)(net.mn_tun_pkts - tun));
	}
	pairnet_fini(&net);
}

/* The MN takes replies and tunnel data only from its HA's address and port:
 * the HA's own downlink bytes from another port or address are not_from_ha. */
static void test_mn_accepts_only_its_ha(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	struct um3n_sockaddr ha, other;
	uint8_t inner[200], dgram[300];
	uint64_t tun;
	int n;

	pairnet_init(&net, NULL);
	pairnet_start(&net);
	pairnet_run(&net, 1 * SEC);
	n = um3n_tunnel_encap(dgram, sizeof(dgram), inner,
			      pairnet_ip_packet(inner, pairnet_v4("10.9.1.10"),
						pairnet_v4("10.200.0.2"), 100),
			      false, 1u << 29 | 77);
	CU_ASSERT_FATAL(n > 0);
	ha = net.mn_conf.ha;
	other = ha;
	other.port = 435;
	tun = net.mn_tun_pkts;
	CU_ASSERT_EQUAL(um3n_mn_udp_input(net.mn, net.now_us, 1, &other, dgram, (size_t)n),
			UM3N_ENOENT);
	um3n_addr_parse("192.0.2.2", &other.ip);
	other.port = 434;
	CU_ASSERT_EQUAL(um3n_mn_udp_input(net.mn, net.now_us, 1, &other, dgram, (size_t)n),
			UM3N_ENOENT);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.drops.not_from_ha, 2);
	CU_ASSERT_EQUAL(st.drops.unknown_peer, 0);
	/* the same bytes from the HA are delivered */
	CU_ASSERT_EQUAL(um3n_mn_udp_input(net.mn, net.now_us, 1, &ha, dgram, (size_t)n), 0);
	pairnet_run(&net, net.now_us + 10 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, tun + 1);
	pairnet_fini(&net);
}

static CU_TestInfo data_tests[] = {
	{"01 policy routing: MN by destination, HA by source", test_policy_routing_both_ways},
	{"02 silent wifi cut: failover, bounded gap, no loss", test_failover_on_silent_cut},
	{"03 planned handover: make-before-break, zero loss", test_planned_handover_no_loss},
	{"04 aggregation: the excess over the fastest link, within the reorder bound",
	 test_aggregation_by_weight},
	{"05 false alarm on a suddenly slow link backs off", test_false_alarm_backoff},
	{"06 the last usable link is not failed for silence", test_last_link_kept},
	{"07 output slots sized to the largest datagram", test_small_output_slots},
	{"08 aggregation: one flow leaves both TUNs in order", test_aggregation_in_order},
	{"09 HA: inner source the home address or a configured prefix, IPv6 only so",
	 test_inner_source_checked},
	{"10 MN: datagrams only from its HA's address and port", test_mn_accepts_only_its_ha},
	{"11 HA: the downlink to the MN's IPv6 and IPv4 prefixes", test_downlink_to_prefixes},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"engine_data", data_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
