/* datapath: the per-peer data path both engines share. Path choice per mode
 * and per policy key, per-link sequence numbers, queue full, too big, failover
 * re-send of the window on the surviving links only, per-link counters, the
 * receive side (duplicates, TUN output link) and the HA's bindings view
 * (base delays, pure ACKs and failover under load: test_datapath_load.c). */
#include "datapath_rig.h"

static void test_path_choice(void)
{
	struct rig r;
	int links[8];

	rig_init(&r, 64, 0, 0, UM3N_DATAPATH_BY_DST);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 1, 0, 1)), UM3N_OK); /* prefer cell */
	CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
	CU_ASSERT_EQUAL(links[0], 1);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 9, 9, 9)), UM3N_OK); /* default: wifi, lowest prio */
	CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
	CU_ASSERT_EQUAL(links[0], 0);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 2, 0, 1)), UM3N_OK); /* redundant: all, in order */
	CU_ASSERT_EQUAL_FATAL(drain(&r, links, 8), 3);
	CU_ASSERT(links[0] == 0 && links[1] == 1 && links[2] == 2);
	/* Aggregate: one link a packet, all of them used at equal weights. */
	{
		unsigned used[N] = {0};

		for (int i = 0; i < 30; i++) {
			CU_ASSERT_EQUAL(send_to(&r, v4(10, 3, 0, 1)), UM3N_OK);
			CU_ASSERT_EQUAL_FATAL(drain(&r, links, 8), 1);
			used[links[0]]++;
		}
		CU_ASSERT(used[0] && used[1] && used[2]);
	}
	/* No policy (the HA before the first sync): prefer any class. */
	CU_ASSERT_EQUAL(send_at(&r, NULL, 0, v4(10, 200, 0, 2), v4(10, 1, 0, 1), 100, 0), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
	CU_ASSERT_EQUAL(links[0], 0);
	/* The cell link unusable: its class falls back to any usable link. */
	um3n_datapath_set_link(&r.dp, 1, true, UM3N_LS_FAILED);
	um3n_datapath_links_changed(&r.dp);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 1, 0, 1)), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
	CU_ASSERT_EQUAL(links[0], 0);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 2, 0, 1)), UM3N_OK); /* redundant skips it too */
	CU_ASSERT_EQUAL_FATAL(drain(&r, links, 8), 2);
	CU_ASSERT(links[0] == 0 && links[1] == 2);
	rig_fini(&r);
}

/* The policy key: the MN looks up the destination, the HA the source. */
static void test_policy_key(void)
{
	static const enum um3n_datapath_key keys[2] = {UM3N_DATAPATH_BY_DST, UM3N_DATAPATH_BY_SRC};
	static const int expect[2] = {0, 1};

	for (int k = 0; k < 2; k++) {
		struct rig r;
		int links[8];

		rig_init(&r, 64, 0, 0, keys[k]);
		/* from a cell-class correspondent to a default one */
		CU_ASSERT_EQUAL(send_at(&r, r.policy, 0, v4(10, 1, 0, 1), v4(10, 9, 9, 9), 100, 0),
				UM3N_OK);
		CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
		CU_ASSERT_EQUAL(links[0], expect[k]);
		rig_fini(&r);
	}
}

static uint32_t seq_of(const struct um3n_out *o)
{
	struct um3n_tunnel_data d;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_tunnel_decode(o->data, o->len, &d), 0);
	CU_ASSERT_TRUE(d.has_seq);
	return d.seq;
}

/* Per-link counters from the prng, the first link's in the top bits, one
 * number for every copy of a packet. */
static void test_sequence(void)
{
	struct rig r;
	struct um3n_prng prng;
	struct um3n_out o = {0};
	uint32_t c[UM3N_MAX_LINKS];

	rig_init(&r, 64, 0, 0, UM3N_DATAPATH_BY_DST);
	um3n_prng_seed(&prng, 42);
	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		c[l] = (uint32_t)um3n_prng_next(&prng);
	for (uint32_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(send_to(&r, v4(10, 9, 9, 9)), UM3N_OK);
		CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
		CU_ASSERT_EQUAL(seq_of(&o), um3n_seqwin_seq(0, c[0] + i));
	}
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 2, 0, 1)), UM3N_OK); /* redundant: 3 copies */
	for (int k = 0; k < 3; k++) {
		CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
		CU_ASSERT_EQUAL(o.link, k);
		CU_ASSERT_EQUAL(seq_of(&o), um3n_seqwin_seq(0, c[0] + 3));
	}
	/* The copies did not use link 1's or 2's counter. */
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 1, 0, 1)), UM3N_OK);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(seq_of(&o), um3n_seqwin_seq(1, c[1]));
	CU_ASSERT_EQUAL(seq_of(&o) >> UM3N_SEQ_LINK_SHIFT, 1);
	/* The counter wraps within its 29 bits. */
	r.dp.tx_seq[1] = UM3N_SEQ_MASK;
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 1, 0, 1)), UM3N_OK);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 1, 0, 1)), UM3N_OK);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(seq_of(&o), 1u << UM3N_SEQ_LINK_SHIFT | UM3N_SEQ_MASK);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(seq_of(&o), 1u << UM3N_SEQ_LINK_SHIFT);
	rig_fini(&r);
}

static void test_queue_full_no_link(void)
{
	struct rig r;
	uint8_t dgram[64] = {0};
	int links[8];

	rig_init(&r, 2, 0, 0, UM3N_DATAPATH_BY_DST);
	/* Three copies, room for two: the first two stay queued and counted. */
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 2, 0, 1)), UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(r.drops.queue_full, 1);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[0], 1);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[1], 1);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[2], 0);
	CU_ASSERT_EQUAL(um3n_datapath_queue(&r.dp, &r.q, &r.drops, 2, dgram, sizeof(dgram)),
			UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(r.drops.queue_full, 2);
	CU_ASSERT_EQUAL(drain(&r, links, 8), 2);
	CU_ASSERT(links[0] == 0 && links[1] == 1);
	/* Nothing usable. */
	for (int l = 0; l < N; l++)
		um3n_datapath_set_link(&r.dp, l, false, UM3N_LS_UP);
	um3n_datapath_links_changed(&r.dp);
	for (uint32_t dst = v4(10, 1, 0, 1); dst <= v4(10, 3, 0, 1); dst += 1u << 16)
		CU_ASSERT_EQUAL(send_to(&r, dst), UM3N_ENOLINK);
	CU_ASSERT_EQUAL(r.drops.no_link, 3);
	CU_ASSERT_EQUAL(r.q.count, 0);
	rig_fini(&r);
}

static void test_too_big(void)
{
	struct rig r;
	struct um3n_out o = {0};
	uint8_t dgram[1500] = {0};
	size_t fit = 1472 - UM3N_DATA_OVERHEAD;

	rig_init(&r, 4, 1472, 0, UM3N_DATAPATH_BY_DST);
	CU_ASSERT_TRUE(um3n_datapath_fits(&r.dp, &r.q, &r.drops, fit));
	CU_ASSERT_EQUAL(r.drops.too_big, 0);
	CU_ASSERT_FALSE(um3n_datapath_fits(&r.dp, &r.q, &r.drops, fit + 1));
	CU_ASSERT_EQUAL(r.drops.too_big, 1);
	/* What fits fills the slot exactly. */
	CU_ASSERT_EQUAL(send_at(&r, r.policy, 0, v4(10, 200, 0, 2), v4(10, 9, 9, 9), fit, 0), 0);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(o.len, 1472);
	/* A ready datagram larger than a slot. */
	CU_ASSERT_EQUAL(um3n_datapath_queue(&r.dp, &r.q, &r.drops, 0, dgram, 1473), UM3N_ETOOBIG);
	CU_ASSERT_EQUAL(r.drops.too_big, 2);
	CU_ASSERT_EQUAL(um3n_datapath_queue(&r.dp, &r.q, &r.drops, 0, dgram, 1472), UM3N_OK);
	CU_ASSERT_EQUAL(r.q.count, 1);
	rig_fini(&r);
}

struct sent {
	size_t n;
	uint32_t seq[16];
	uint8_t bytes[16][200];
	size_t len[16];
};

static void remember_all(struct rig *r, struct sent *s)
{
	struct um3n_out o = {0};

	while (um3n_outq_pop(&r->q, &o)) {
		CU_ASSERT_FATAL(s->n < 16 && o.len <= sizeof(s->bytes[0]));
		s->seq[s->n] = seq_of(&o);
		memcpy(s->bytes[s->n], o.data, o.len);
		s->len[s->n++] = o.len;
	}
}

/* Link 0 fails: what it carried in the window goes again on the survivors by
 * each packet's rule, byte for byte (the same sequence number), never on the
 * failed link; older packets and other links' packets stay put. */
static void test_failover(void)
{
	struct rig r;
	struct sent s = {0};
	struct um3n_out o = {0};
	size_t resent, taken;
	unsigned on[N] = {0};

	rig_init(&r, 64, 0, 64, UM3N_DATAPATH_BY_DST);
	for (uint8_t i = 0; i < 2; i++) /* outside the window */
		CU_ASSERT_EQUAL(send_tagged(&r, 1000, v4(10, 9, 9, 9), i), UM3N_OK);
	for (uint8_t i = 2; i < 5; i++) /* wifi: link 0 */
		CU_ASSERT_EQUAL(send_tagged(&r, 200000, v4(10, 9, 9, 9), i), UM3N_OK);
	CU_ASSERT_EQUAL(send_tagged(&r, 200000, v4(10, 1, 0, 1), 5), UM3N_OK); /* cell: link 1 */
	CU_ASSERT_EQUAL(send_tagged(&r, 200000, v4(10, 2, 0, 1), 6), UM3N_OK); /* all three */
	remember_all(&r, &s);
	CU_ASSERT_EQUAL_FATAL(s.n, 9); /* 2 + 3 + 1 + 3 copies */

	um3n_datapath_set_link(&r.dp, 0, true, UM3N_LS_FAILED);
	um3n_datapath_links_changed(&r.dp);
	taken = um3n_datapath_failover(&r.dp, &r.q, &r.drops, 300000, 150000, 0, r.policy, &resent);
	CU_ASSERT_EQUAL(taken, 4);  /* three wifi packets and link 0's redundant copy */
	CU_ASSERT_EQUAL(resent, 5); /* wifi -> link 2; the redundant one -> links 1 and 2 */
	CU_ASSERT_EQUAL(r.dp.resent_pkts[0], 5);
	CU_ASSERT_EQUAL(r.dp.resent_pkts[1] + r.dp.resent_pkts[2], 0);
	while (um3n_outq_pop(&r.q, &o)) {
		uint32_t seq = seq_of(&o);
		bool found = false;

		CU_ASSERT_FATAL(o.link >= 0 && o.link < N);
		CU_ASSERT_NOT_EQUAL(o.link, 0);
		CU_ASSERT(um3n_sockaddr_eq(&o.to, &r.to[o.link]));
		on[o.link]++;
		for (size_t k = 0; k < s.n; k++)
			if (s.seq[k] == seq && s.len[k] == o.len &&
			    !memcmp(s.bytes[k], o.data, o.len))
				found = seq >> UM3N_SEQ_LINK_SHIFT == 0 && k >= 2;
		CU_ASSERT_TRUE(found); /* one of link 0's recent datagrams, unchanged */
	}
	CU_ASSERT_EQUAL(on[1], 1);
	CU_ASSERT_EQUAL(on[2], 4);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[2], 1 + 4);
	/* Re-sent once: the history forgot them. */
	taken = um3n_datapath_failover(&r.dp, &r.q, &r.drops, 300000, 150000, 0, r.policy, &resent);
	CU_ASSERT_EQUAL(taken, 0);
	CU_ASSERT_EQUAL(resent, 0);
	/* A link re-sent while its rule still picks it: never on itself. Link 1
	 * carried the cell packet (its rule picks link 1 alone) and a redundant
	 * copy (now links 1 and 2). */
	taken = um3n_datapath_failover(&r.dp, &r.q, &r.drops, 300000, 150000, 1, r.policy, &resent);
	CU_ASSERT_EQUAL(taken, 2);
	CU_ASSERT_EQUAL(resent, 1);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(o.link, 2);
	CU_ASSERT_FALSE(um3n_outq_pop(&r.q, &o));
	rig_fini(&r);
}

static void test_counters(void)
{
	struct rig r;
	uint8_t dgram[300] = {0};
	size_t dlen = 100 + UM3N_DATA_OVERHEAD;
	int links[8];

	rig_init(&r, 64, 0, 0, UM3N_DATAPATH_BY_DST);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 9, 9, 9)), UM3N_OK);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 9, 9, 9)), UM3N_OK);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 2, 0, 1)), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_datapath_queue(&r.dp, &r.q, &r.drops, 1, dgram, 300), UM3N_OK);
	um3n_datapath_count_tx(&r.dp, 2, 64);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[0], 3);
	CU_ASSERT_EQUAL(r.dp.tx_bytes[0], 3 * dlen);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[1], 2);
	CU_ASSERT_EQUAL(r.dp.tx_bytes[1], dlen + 300);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[2], 2);
	CU_ASSERT_EQUAL(r.dp.tx_bytes[2], dlen + 64);
	CU_ASSERT_EQUAL(drain(&r, links, 8), 6);
	/* A link reset: counters back to zero, no longer used. */
	um3n_datapath_link_reset(&r.dp, 0);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[0], 0);
	CU_ASSERT_EQUAL(r.dp.tx_bytes[0], 0);
	CU_ASSERT_EQUAL(r.dp.tx_pkts[1], 2);
	CU_ASSERT_EQUAL(send_to(&r, v4(10, 9, 9, 9)), UM3N_OK);
	CU_ASSERT_EQUAL(drain(&r, links, 8), 1);
	CU_ASSERT_EQUAL(links[0], 2);
	rig_fini(&r);
}

/* The way in: copies dropped by the first link's window, the inner packet
 * leaves by reference with the link it arrived on. */
static void test_deliver(void)
{
	struct rig r;
	struct um3n_out o = {0};
	uint8_t inner[100];
	uint32_t seq = um3n_seqwin_seq(1, 5);

	rig_init(&r, 2, 0, 0, UM3N_DATAPATH_BY_DST);
	ipv4(inner, sizeof(inner), v4(10, 9, 9, 9), v4(10, 200, 0, 2), 0);
	CU_ASSERT_EQUAL(um3n_datapath_deliver(&r.dp, &r.q, &r.drops, 2, seq, inner, 100), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_datapath_deliver(&r.dp, &r.q, &r.drops, 0, seq, inner, 100),
			UM3N_EDUP);
	CU_ASSERT_EQUAL(r.drops.duplicate, 1);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&r.q, &o));
	CU_ASSERT_EQUAL(o.kind, UM3N_OUT_TUN);
	CU_ASSERT_EQUAL(o.link, 2);
	CU_ASSERT_PTR_EQUAL(o.data, inner);
	CU_ASSERT_FALSE(um3n_outq_pop(&r.q, &o));
	for (uint32_t i = 6; i < 8; i++)
		CU_ASSERT_EQUAL(um3n_datapath_deliver(&r.dp, &r.q, &r.drops, 1,
						      um3n_seqwin_seq(1, i), inner, 100),
				UM3N_OK);
	CU_ASSERT_EQUAL(um3n_datapath_deliver(&r.dp, &r.q, &r.drops, 1, um3n_seqwin_seq(1, 8),
					      inner, 100),
			UM3N_ENOBUFS);
	CU_ASSERT_EQUAL(r.drops.queue_full, 1);
	rig_fini(&r);
}

/* The HA: one MN's bindings give the links, their classes and destinations. */
static void test_bindings(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_binding b[UM3N_MAX_LINKS];
	struct um3n_datapath dp;
	struct um3n_prng prng;
	struct um3n_outq q;
	struct um3n_drop_counters drops = {0};
	struct um3n_out o = {0};
	struct um3n_ip_info ip;
	uint8_t pkt[100];

	memset(b, 0, sizeof(b));
	um3n_prng_seed(&prng, 7);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 8, 0), 0);
	CU_ASSERT_EQUAL_FATAL(
		um3n_datapath_init(&dp, &env, UM3N_MAX_LINKS, 0, &prng, UM3N_DATAPATH_BY_SRC), 0);
	for (int l = 3; l <= 5; l += 2) {
		b[l].active = true;
		b[l].lm.state = UM3N_LS_UP;
		b[l].info.link_class = l == 3 ? UM3N_CLASS_CELL : UM3N_CLASS_WIFI;
		b[l].info.priority = (uint8_t)(10 - l); /* link 5 preferred */
		um3n_addr_from_v4(&b[l].coa.ip, v4(198, 51, 100, (unsigned)l));
		b[l].coa.port = 434;
	}
	um3n_datapath_bindings_changed(&dp, b);
	CU_ASSERT_EQUAL(dp.sched.links[3].link_class, UM3N_CLASS_CELL);
	CU_ASSERT_FALSE(dp.sched.links[4].present);
	ipv4(pkt, sizeof(pkt), v4(10, 9, 9, 9), v4(10, 200, 0, 2), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(pkt, sizeof(pkt), &ip), 0);
	CU_ASSERT_EQUAL(um3n_datapath_send(&dp, &q, &drops, 0, NULL, &ip, pkt, sizeof(pkt)), 0);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&q, &o));
	CU_ASSERT_EQUAL(o.link, 5);
	CU_ASSERT(um3n_sockaddr_eq(&o.to, &b[5].coa));
	/* The binding moves (NAT rebinding): the next datagram follows it. */
	b[5].coa.port = 4434;
	CU_ASSERT_EQUAL(um3n_datapath_send(&dp, &q, &drops, 0, NULL, &ip, pkt, sizeof(pkt)), 0);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&q, &o));
	CU_ASSERT_EQUAL(o.to.port, 4434);
	/* Link 5 silent, then link 3 gone too. */
	b[5].lm.state = UM3N_LS_FAILED;
	um3n_datapath_bindings_changed(&dp, b);
	CU_ASSERT_EQUAL(um3n_datapath_send(&dp, &q, &drops, 0, NULL, &ip, pkt, sizeof(pkt)), 0);
	CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&q, &o));
	CU_ASSERT_EQUAL(o.link, 3);
	b[3].active = false;
	um3n_datapath_bindings_changed(&dp, b);
	CU_ASSERT_EQUAL(um3n_datapath_send(&dp, &q, &drops, 0, NULL, &ip, pkt, sizeof(pkt)),
			UM3N_ENOLINK);
	CU_ASSERT_EQUAL(dp.tx_pkts[5], 2);
	CU_ASSERT_EQUAL(dp.tx_pkts[3], 1);
	um3n_datapath_fini(&dp, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo datapath_tests[] = {
	{"01 send: path per mode, fallback, no policy", test_path_choice},
	{"02 send: policy keyed on destination (MN) or source (HA)", test_policy_key},
	{"03 send: per-link sequence numbers, copies share one", test_sequence},
	{"04 send: queue full keeps earlier copies; no usable link", test_queue_full_no_link},
	{"05 send/queue: too big for a slot", test_too_big},
	{"06 failover: the window again on the survivors only", test_failover},
	{"07 counters: per link, reset with the link", test_counters},
	{"08 deliver: duplicates dropped, TUN output keeps its link", test_deliver},
	{"09 bindings: the HA's links, classes and care-of addresses", test_bindings},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"datapath", datapath_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
