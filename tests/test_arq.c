/* arq: repair requests (core/arq.h). The NACK's wire form (round trip and
 * every refusal), then end to end between an MN and an HA engine (pairnet.h:
 * cell 50 ms, wifi 5 ms) with one aggregated flow each way at 20 Mbit/s: a
 * datagram lost on the cell is asked for, re-sent on wifi and delivered in
 * order, nothing lost; with `arq = no` on both ends the same loss reaches the
 * app (the test can fail); losses on the fastest link are not asked for; a
 * link losing more than its budget gets only its budget repaired; and forged
 * requests get each datagram once, and no more than twice an honest budget. */
#include <string.h>

#include "arq.h"
#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define MS 1000ull
#define SEC 1000000ull
#define SELF 0xc0000201u /* 192.0.2.1 */

static size_t inner_of(const uint8_t *dgram, size_t len, const uint8_t **inner)
{
	struct um3n_tunnel_data d;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_tunnel_decode(dgram, len, &d), UM3N_OK);
	CU_ASSERT_FALSE(d.has_seq); /* plain tunnel data, as the probes */
	*inner = d.inner;
	return d.inner_len;
}

static void test_nack_wire(void)
{
	struct um3n_arq_nack n = {3, {0x20000005u, 0x20000006u, 0x20000009u}}, got;
	uint8_t buf[UM3N_ARQ_NACK_MAX], bad[UM3N_ARQ_NACK_MAX];
	const uint8_t *in;
	int len = um3n_arq_nack_build(buf, sizeof(buf), 0x0ac80002u, SELF, &n);
	size_t ilen;

	CU_ASSERT_EQUAL_FATAL(len, UM3N_TUN_HDR_LEN + 20 + 8 + 12);
	ilen = inner_of(buf, (size_t)len, &in);
	CU_ASSERT_TRUE(um3n_arq_is_nack(in, ilen));
	CU_ASSERT_EQUAL(um3n_arq_nack_parse(in, ilen, SELF, &got), UM3N_OK);
	CU_ASSERT_EQUAL(got.n, 3);
	CU_ASSERT_EQUAL(memcmp(got.seq, n.seq, sizeof(n.seq[0]) * 3), 0);
	/* Refused: not for us, truncated, a flipped byte (checksum), a count of
	 * 0 or beyond the length, another ICMP type. */
	CU_ASSERT_EQUAL(um3n_arq_nack_parse(in, ilen, SELF + 1, &got), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_arq_nack_parse(in, ilen - 4, SELF, &got), UM3N_EINVAL);
	for (size_t off = 20; off < ilen; off++) {
		memcpy(bad, in, ilen);
		bad[off] ^= 0x40;
		CU_ASSERT_EQUAL(um3n_arq_nack_parse(bad, ilen, SELF, &got), UM3N_EINVAL);
	}
	n.n = 0;
	CU_ASSERT_EQUAL(um3n_arq_nack_build(buf, sizeof(buf), 1, SELF, &n), UM3N_EINVAL);
	n.n = UM3N_ARQ_MAX_SEQS + 1;
	CU_ASSERT_EQUAL(um3n_arq_nack_build(buf, sizeof(buf), 1, SELF, &n), UM3N_EINVAL);
	n.n = UM3N_ARQ_MAX_SEQS;
	CU_ASSERT_EQUAL(um3n_arq_nack_build(buf, 20, 1, SELF, &n), UM3N_ETOOBIG);
	CU_ASSERT_FALSE(um3n_arq_is_nack(buf, 3));
}

struct flow_seen {
	uint32_t next;
	uint64_t n, out_of_order;
	int drop_link;       /* datagrams toward drop_dir on this link... */
	int drop_dir;        /* TO_MN or TO_HA */
	unsigned drop_every; /* ...every drop_every-th keyed one lost (0: none) */
	unsigned drop_max;   /* at most this many */
	unsigned keyed, dropped;
	bool drop_repairs; /* also lose the repairs (on another link, drop_link's number) */
};

static void note_order(struct pairnet *net, int dir, const uint8_t *pkt, size_t len)
{
	struct flow_seen *o = net->user;
	uint32_t i = um3n_get32(pkt + len - 4);

	if (dir != o->drop_dir || len < 1000)
		return;
	o->n++;
	if (i < o->next)
		o->out_of_order++;
	else
		o->next = i + 1;
}

static bool drop_keyed(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	struct flow_seen *o = net->user;
	struct um3n_tunnel_data td;

	bool data = len > 2 && d[1] == UM3N_NH_SEALED
			    ? len > 500 /* sealed: the flow's 1000-byte packets, not probes */
			    : !um3n_wire_tunnel_decode(d, len, &td) && td.has_key;

	if (o->drop_repairs && dir == o->drop_dir && link != o->drop_link && td.has_key &&
	    (int)(td.seq >> UM3N_SEQ_LINK_SHIFT) == o->drop_link)
		return true;
	if (dir != o->drop_dir || link != o->drop_link || !o->drop_every || !data)
		return false;
	if (++o->keyed % o->drop_every || o->dropped >= o->drop_max)
		return false;
	o->dropped++;
	return true;
}

/* n numbered 1000-byte packets of one flow, one every 400 µs (20 Mbit/s),
 * up from the MN's apps or down from the server. */
static void send_flow(struct pairnet *net, bool up, int n)
{
	uint32_t home = pairnet_v4("10.200.0.2"), srv = pairnet_v4("10.9.1.10");
	uint8_t pkt[1500];

	for (int i = 0; i < n; i++) {
		size_t len = pairnet_ip_packet(pkt, up ? home : srv, up ? srv : home, 1000);
		int rc;

		pairnet_run(net, net->now_us + 400);
		um3n_put32(pkt + len - 4, (uint32_t)i);
		rc = up ? um3n_mn_tun_input(net->mn, net->now_us, pkt, len)
			: um3n_ha_tun_input(net->ha, net->now_us, pkt, len);

		CU_ASSERT_EQUAL(rc, 0);
	}
	pairnet_run(net, net->now_us + 500 * MS);
}

static bool encrypt;      /* run_flow's tunnels sealed (aead.h) */
static bool lose_repairs; /* run_flow loses the repairs too */

struct arq_run {
	uint64_t delivered, out_of_order, dropped;
	struct um3n_arq_stats asker, repairer;
};

/* One aggregated flow of n packets (dir TO_MN: down), losing every
 * drop_every-th keyed datagram on drop_link (at most drop_max). */
static struct arq_run run_flow(int dir, int drop_link, unsigned drop_every, unsigned drop_max,
			       bool arq, int n)
{
	struct um3n_env env = test_env(21);
	struct um3n_policy *p = um3n_policy_new(&env, 1);
	struct flow_seen seen = {.drop_link = drop_link,
				 .drop_dir = dir,
				 .drop_repairs = lose_repairs};
	struct um3n_mn_status ms;
	struct um3n_ha_mn_status hs;
	struct arq_run r;
	struct pairnet net;

	um3n_policy_set_default(p, UM3N_CLASS_ANY, UM3N_MODE_AGGREGATE);
	pairnet_init(&net, p);
	net.mn_conf.links[0].weight_kbps = 3610;
	net.mn_conf.links[1].weight_kbps = 14670;
	net.mn_conf.arq = net.ha_conf.arq = arq;
	net.mn_conf.encrypt = net.ha_conf.encrypt = encrypt;
	net.on_tun = note_order;
	net.drop = drop_keyed;
	net.user = &seen;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC); /* registered, delays measured */
	seen.drop_every = drop_every;
	seen.drop_max = drop_max;
	send_flow(&net, dir == TO_HA, n);
	um3n_mn_status(net.mn, net.now_us, &ms);
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &hs), UM3N_OK);
	r.delivered = seen.n;
	r.out_of_order = seen.out_of_order;
	r.dropped = seen.dropped;
	r.asker = dir == TO_MN ? ms.arq : hs.arq;
	r.repairer = dir == TO_MN ? hs.arq : ms.arq;
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
	return r;
}

static void check_repaired(int dir)
{
	struct arq_run on = run_flow(dir, 0, 50, 3, true, 1000);
	struct arq_run off = run_flow(dir, 0, 50, 3, false, 1000);

	test_check(on.dropped == 3 && on.delivered == 1000 && on.out_of_order == 0, __FILE__,
		   __LINE__,
		   "%s, arq on: %llu lost on the cell, %llu of 1000 delivered, %llu "
		   "out of order",
		   dir == TO_MN ? "down" : "up", (unsigned long long)on.dropped,
		   (unsigned long long)on.delivered, (unsigned long long)on.out_of_order);
	CU_ASSERT_EQUAL(on.asker.asked, 3);
	CU_ASSERT_EQUAL(on.asker.repaired, 3);
	CU_ASSERT_EQUAL(on.repairer.requests_in, 3);
	CU_ASSERT_EQUAL(on.repairer.repairs_sent, 3);
	/* The same losses without repairs reach the app. */
	CU_ASSERT_EQUAL(off.dropped, 3);
	CU_ASSERT_EQUAL(off.delivered, 997);
	CU_ASSERT_EQUAL(off.asker.asked, 0);
}

static void test_repaired_down(void) { check_repaired(TO_MN); }

static void test_repaired_up(void) { check_repaired(TO_HA); }

/* Sealed tunnels: the copy is opened with the key of the link it went on
 * and sealed again for the fastest. */
static void test_repaired_sealed(void)
{
	encrypt = true;
	check_repaired(TO_MN);
	encrypt = false;
}

/* One cell loss whose repair is lost too, and no other gap after it: the
 * request expires within the longest hold all the same (counted
 * unanswered), and the packet is lost to the app. */
static void test_repair_lost(void)
{
	struct arq_run r;

	lose_repairs = true;
	r = run_flow(TO_MN, 0, 50, 1, true, 1000);
	lose_repairs = false;
	CU_ASSERT_EQUAL(r.dropped, 1);
	CU_ASSERT_EQUAL(r.asker.asked, 1);
	CU_ASSERT_EQUAL(r.asker.repaired, 0);
	CU_ASSERT_EQUAL(r.asker.unanswered, 1);
	CU_ASSERT_EQUAL(r.repairer.repairs_sent, 1);
	CU_ASSERT_EQUAL(r.delivered, 999);
}

/* A loss on wifi (the fastest link) is the flow's own: not asked for. */
static void test_fastest_not_asked(void)
{
	struct arq_run r = run_flow(TO_MN, 1, 50, 3, true, 1000);

	CU_ASSERT_EQUAL(r.dropped, 3);
	CU_ASSERT_EQUAL(r.asker.asked, 0);
	CU_ASSERT_EQUAL(r.delivered, 997);
}

/* Every 5th cell datagram lost (20%): about one in UM3N_ARQ_BUDGET_PER of
 * the cell's datagrams is asked for (plus the saved-up burst), the rest is
 * over budget and reaches the app as loss. */
static void test_budget(void)
{
	struct arq_run r = run_flow(TO_MN, 0, 5, 1000, true, 3000);
	uint64_t cell = r.dropped * 5;
	uint64_t budget = cell / UM3N_ARQ_BUDGET_PER + UM3N_ARQ_BURST;

	test_check(r.asker.asked <= budget && r.asker.asked >= UM3N_ARQ_BURST &&
			   r.asker.over_budget >= r.dropped - budget,
		   __FILE__, __LINE__,
		   "%llu lost of ~%llu on the cell: %llu asked (budget %llu), "
		   "%llu over budget",
		   (unsigned long long)r.dropped, (unsigned long long)cell,
		   (unsigned long long)r.asker.asked, (unsigned long long)budget,
		   (unsigned long long)r.asker.over_budget);
	CU_ASSERT_EQUAL(r.delivered, 3000 - r.dropped + r.asker.repaired);
}

/* Remembers the GRE sequence numbers of keyed datagrams to the MN on the
 * cell (none lost). */
struct seen_seqs {
	uint32_t seq[4096];
	size_t n;
};

static bool note_seq(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	struct seen_seqs *s = net->user;
	struct um3n_tunnel_data td;

	if (dir == TO_MN && link == 0 && s->n < 4096 && !um3n_wire_tunnel_decode(d, len, &td) &&
	    td.has_key)
		s->seq[s->n++] = td.seq;
	return false;
}

/* Requests from the MN's care-of that nobody lost: each remembered datagram
 * is given once, and the HA stops at twice what an honest MN may ask. */
static void test_forged_requests(void)
{
	struct um3n_env env = test_env(22);
	struct um3n_policy *p = um3n_policy_new(&env, 1);
	static struct seen_seqs seen;
	struct um3n_ha_mn_status hs;
	struct um3n_arq_nack n;
	uint8_t buf[UM3N_ARQ_NACK_MAX];
	struct pairnet net;
	uint64_t sent, cap;

	memset(&seen, 0, sizeof(seen));
	um3n_policy_set_default(p, UM3N_CLASS_ANY, UM3N_MODE_AGGREGATE);
	pairnet_init(&net, p);
	net.mn_conf.links[0].weight_kbps = 3610;
	net.mn_conf.links[1].weight_kbps = 14670;
	net.drop = note_seq;
	net.user = &seen;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC);
	send_flow(&net, false, 1000);
	CU_ASSERT_FATAL(seen.n >= 16);
	/* The newest 8 the cell carried, asked for twice: given once. */
	n.n = 8;
	memcpy(n.seq, &seen.seq[seen.n - 8], sizeof(n.seq));
	for (int k = 0; k < 2; k++) {
		int len = um3n_arq_nack_build(buf, sizeof(buf), pairnet_v4("10.200.0.2"),
					      pairnet_v4("192.0.2.1"), &n);

		CU_ASSERT_EQUAL(pairnet_inject_to_ha(&net, 0, buf, (size_t)len), UM3N_OK);
	}
	CU_ASSERT_EQUAL_FATAL(um3n_ha_mn_status(net.ha, net.now_us, 0, &hs), UM3N_OK);
	CU_ASSERT_EQUAL(hs.arq.requests_in, 16);
	CU_ASSERT_EQUAL(hs.arq.repairs_sent, 8);
	CU_ASSERT_EQUAL(hs.arq.no_copy, 8);
	/* A flood of requests for every datagram the cell carried. */
	for (size_t i = 0; i + 8 <= seen.n; i += 8) {
		int len;

		memcpy(n.seq, &seen.seq[i], sizeof(n.seq));
		len = um3n_arq_nack_build(buf, sizeof(buf), pairnet_v4("10.200.0.2"),
					  pairnet_v4("192.0.2.1"), &n);
		pairnet_inject_to_ha(&net, 0, buf, (size_t)len);
	}
	um3n_ha_mn_status(net.ha, net.now_us, 0, &hs);
	sent = hs.bindings[0].tx_pkts + hs.bindings[1].tx_pkts;
	cap = 2 * (sent / UM3N_ARQ_BUDGET_PER + UM3N_ARQ_BURST);
	test_check(hs.arq.repairs_sent <= cap && hs.arq.refused > 0, __FILE__, __LINE__,
		   "%llu re-sent (cap %llu of %llu sent), %llu refused",
		   (unsigned long long)hs.arq.repairs_sent, (unsigned long long)cap,
		   (unsigned long long)sent, (unsigned long long)hs.arq.refused);
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo arq_tests[] = {
	{"NACK wire form: round trip and refusals", test_nack_wire},
	{"downlink: cell losses repaired, in order; lost with arq = no", test_repaired_down},
	{"uplink: cell losses repaired, in order; lost with arq = no", test_repaired_up},
	{"encrypted: cell losses repaired, in order", test_repaired_sealed},
	{"a repair lost too: the request expires, unanswered", test_repair_lost},
	{"losses on the fastest link are not asked for", test_fastest_not_asked},
	{"a lossy link gets only its budget repaired", test_budget},
	{"forged requests: each datagram once, at most twice a budget", test_forged_requests},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"arq", arq_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
