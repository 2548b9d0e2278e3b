/* tunnel: the per-link receive window as numbered cases, the per-link sequence
 * space against a naive reference on a reordered, duplicated random stream,
 * the encapsulation layout, and ICMP probe build/answer/parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tunnel.h"

#define W UM3N_SEQWIN_BITS
#define M UM3N_SEQ_MASK

struct win_step {
	uint32_t counter;
	int expect;
};

struct win_case {
	int num;
	const char *what;
	struct win_step steps[12];
	size_t n;
	uint32_t top_after;
};

static const struct win_case win_cases[] = {
	{1, "first packet, any value", {{123456, 0}}, 1, 123456},
	{2, "in order", {{10, 0}, {11, 0}, {12, 0}, {13, 0}}, 4, 13},
	{3, "duplicate of top", {{10, 0}, {10, UM3N_EDUP}}, 2, 10},
	{4, "duplicate below top", {{10, 0}, {11, 0}, {12, 0}, {11, UM3N_EDUP}}, 4, 12},
	{5, "reordered within window", {{10, 0}, {14, 0}, {12, 0}, {11, 0}, {13, 0}, {12, UM3N_EDUP}}, 6, 14},
	{6, "oldest in window (W-1 behind)", {{W + 100, 0}, {101, 0}, {101, UM3N_EDUP}}, 3, W + 100},
	{7, "just older than the window", {{W + 100, 0}, {100, UM3N_EREPLAY}}, 2, W + 100},
	{8, "far older, under RESTART_BEHIND", {{1000000, 0}, {1000, UM3N_EREPLAY}}, 2, 1000000},
	{9, "far ahead clears every bit",
	 {{10, 0}, {11, 0}, {10 + 3 * W, 0}, {12 + 2 * W, 0}, {9 + 3 * W, 0}}, 5, 10 + 3 * W},
	{10, "ahead by less than W clears the skipped ones",
	 {{0, 0}, {1, 0}, {2, 0}, {W + 1, 0}, {2, UM3N_EDUP}, {1, UM3N_EREPLAY}, {W - 1, 0}, {W, 0},
	  {W + 1, UM3N_EDUP}},
	 9, W + 1},
	{11, "29-bit wrap: M then 0 then 1", {{M - 1, 0}, {M, 0}, {0, 0}, {1, 0}, {M, UM3N_EDUP}, {M - 2, 0}}, 6, 1},
	{12, "29-bit wrap: reordered across it", {{M, 0}, {3, 0}, {1, 0}, {0, 0}, {M - 5, 0}, {3, UM3N_EDUP}}, 6, 3},
	{13, "bits above 29 ignored", {{(1u << 29) | 7, 0}, {7, UM3N_EDUP}, {8, 0}}, 3, 8},
	{14, "W slots reused cleanly", {{0, 0}, {W, 0}, {2 * W, 0}, {W, UM3N_EREPLAY}, {2 * W - 1, 0}}, 5, 2 * W},
	{15, "RESTART_BEHIND or more: the peer restarted", {{5000000, 0}, {1000, 0}, {1000, UM3N_EDUP}}, 3, 1000},
};

static void test_seqwin_cases(void)
{
	for (size_t i = 0; i < sizeof(win_cases) / sizeof(win_cases[0]); i++) {
		const struct win_case *c = &win_cases[i];
		struct um3n_seqwin w;

		memset(&w, 0, sizeof(w));
		for (size_t k = 0; k < c->n; k++) {
			int rc = um3n_seqwin_check(&w, c->steps[k].counter);

			if (rc != c->steps[k].expect)
				fprintf(stderr, "\n  seqwin case %d (%s) step %zu: counter %u -> %d want %d\n",
					c->num, c->what, k, c->steps[k].counter, rc, c->steps[k].expect);
			CU_ASSERT_EQUAL(rc, c->steps[k].expect);
		}
		CU_ASSERT_EQUAL(w.top, c->top_after);
	}
}

/* A peer that restarted its counter: RESYNC_AFTER consecutive too-old packets
 * restart the window on the last one; anything fresh in between resets the run. */
static void test_seqwin_resync(void)
{
	struct um3n_seqwin w;
	uint32_t base = 1000000;

	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base), 0);
	for (uint32_t k = 0; k < UM3N_SEQWIN_RESYNC_AFTER - 1; k++)
		CU_ASSERT_EQUAL(um3n_seqwin_check(&w, k), UM3N_EREPLAY);
	/* a fresh packet breaks the run */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base + 1), 0);
	for (uint32_t k = 0; k < UM3N_SEQWIN_RESYNC_AFTER - 1; k++)
		CU_ASSERT_EQUAL(um3n_seqwin_check(&w, k), UM3N_EREPLAY);
	/* the 64th in a row resynchronises on itself */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 500), 0);
	CU_ASSERT_EQUAL(w.top, 500);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 500), UM3N_EDUP);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 501), 0);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 499), 0); /* fresh window: not a dup */
	/* the old high counters are now far ahead -> accepted as new */
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, base + 2), 0);
}

/* A restarted peer whose new counter is far behind (>= RESTART_BEHIND): the
 * window restarts on the first such packet; just short of it, the old rule. */
static void test_seqwin_restart_far_behind(void)
{
	struct um3n_seqwin w;
	uint32_t top = 5u << 20;

	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top), 0);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top - UM3N_SEQWIN_RESTART_BEHIND + 1), UM3N_EREPLAY);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, top - UM3N_SEQWIN_RESTART_BEHIND), 0);
	CU_ASSERT_EQUAL(w.top, top - UM3N_SEQWIN_RESTART_BEHIND);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 100), 0);
	CU_ASSERT_EQUAL(w.top, 100);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 100), UM3N_EDUP);
	CU_ASSERT_EQUAL(um3n_seqwin_check(&w, 101), 0);
}

/* Two links, one 100,000 packets behind the other (deep cellular queue):
 * no false drops; then every packet sent again (any link) is a duplicate. */
static void test_seqspace_lagging_link(void)
{
	struct um3n_seqspace *sp = calloc(1, sizeof(*sp));
	unsigned drops = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	for (uint32_t i = 0; i < 200000; i++) {
		drops += um3n_seqspace_check(sp, um3n_seq_make(0, 7000000 + i)) != 0;
		if (i >= 100000)
			drops += um3n_seqspace_check(sp, um3n_seq_make(1, 42 + i - 100000)) != 0;
	}
	CU_ASSERT_EQUAL(drops, 0);
	/* re-sent copies of recent packets, whichever link carries them now, keep
	 * their first link's number: duplicates */
	for (uint32_t k = 0; k < 100; k++) {
		CU_ASSERT_EQUAL(um3n_seqspace_check(sp, um3n_seq_make(0, 7000000 + 199999 - k)), UM3N_EDUP);
		CU_ASSERT_EQUAL(um3n_seqspace_check(sp, um3n_seq_make(1, 42 + 99999 - k)), UM3N_EDUP);
	}
	/* the same counter on another link is a different packet */
	CU_ASSERT_EQUAL(um3n_seqspace_check(sp, um3n_seq_make(2, 7000000 + 199999)), 0);
	CU_ASSERT_EQUAL(um3n_seqspace_check(sp, um3n_seq_make(7, 42 + 99999)), 0);
	free(sp);
}

/* Naive reference: the exact set of (link, counter) seen, the highest counter
 * per link, and the same rule: older than top - (W-1) is too old; RESYNC_AFTER
 * too-old in a row restart. Counters stay far below 2^28 (no serial wrap). */
#define REF_LINKS 3
#define REF_PER_LINK 20000

struct ref_space {
	bool started[REF_LINKS];
	uint32_t top[REF_LINKS], run[REF_LINKS];
	bool seen[REF_LINKS][REF_PER_LINK];
};

static int ref_check(struct ref_space *r, int link, uint32_t c)
{
	if (!r->started[link] || (c < r->top[link] && r->top[link] - c >= W &&
				  ++r->run[link] >= UM3N_SEQWIN_RESYNC_AFTER)) {
		memset(r->seen[link], 0, sizeof(r->seen[link]));
		r->started[link] = true;
		r->top[link] = c;
		r->run[link] = 0;
		r->seen[link][c] = true;
		return 0;
	}
	if (c < r->top[link] && r->top[link] - c >= W)
		return UM3N_EREPLAY;
	if (c != r->top[link]) /* anything in the window but top breaks a too-old run */
		r->run[link] = 0;
	if (r->seen[link][c])
		return UM3N_EDUP;
	r->seen[link][c] = true;
	if (c > r->top[link])
		r->top[link] = c;
	return 0;
}

struct pkt {
	uint8_t link;
	uint32_t counter;
};

static void test_seqspace_vs_reference(void)
{
	enum { N = REF_LINKS * REF_PER_LINK / 2, EXTRA = N / 4 };
	struct ref_space *ref = calloc(1, sizeof(*ref));
	struct um3n_seqspace *sp = calloc(1, sizeof(*sp));
	struct pkt *stream = calloc(N + EXTRA, sizeof(*stream));
	struct um3n_prng prng;
	uint32_t next[REF_LINKS] = {0};
	size_t len = 0;
	unsigned counts[3] = {0}, mismatches = 0;

	CU_ASSERT_FATAL(ref && sp && stream);
	um3n_prng_seed(&prng, 0x5eed);
	for (int i = 0; i < N; i++) {
		uint8_t l = (uint8_t)um3n_prng_below(&prng, REF_LINKS);

		if (next[l] < REF_PER_LINK)
			stream[len++] = (struct pkt){l, next[l]++};
	}
	/* reordering: mostly short swaps, sometimes beyond the window */
	for (size_t i = 0; i < len; i++) {
		uint64_t r = um3n_prng_below(&prng, 100);
		size_t dist = r < 10 ? um3n_prng_below(&prng, 64) : r < 12 ? 3 * W + um3n_prng_below(&prng, 2 * W) : 0;
		struct pkt t;

		if (dist == 0 || i + dist >= len)
			continue;
		t = stream[i];
		stream[i] = stream[i + dist];
		stream[i + dist] = t;
	}
	/* duplicates: copies of recent or old packets */
	for (int k = 0; k < EXTRA; k++) {
		size_t at = (size_t)um3n_prng_below(&prng, len);
		size_t back = (size_t)um3n_prng_below(&prng, k % 2 ? 100 : 3 * W);

		memmove(&stream[at + 1], &stream[at], (len - at) * sizeof(*stream));
		stream[at] = stream[at > back ? at - back : 0];
		len++;
	}
	for (size_t i = 0; i < len; i++) {
		int want = ref_check(ref, stream[i].link, stream[i].counter);
		int got = um3n_seqspace_check(sp, um3n_seq_make(stream[i].link, stream[i].counter));

		if (got != want && mismatches++ < 5)
			fprintf(stderr, "\n  packet %zu link %u counter %u: got %d want %d\n", i,
				stream[i].link, stream[i].counter, got, want);
		counts[want == 0 ? 0 : want == UM3N_EDUP ? 1 : 2]++;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* the stream exercised every outcome */
	CU_ASSERT(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 100);
	free(ref);
	free(sp);
	free(stream);
}

struct encap_case {
	int num;
	size_t inner_len, cap;
	bool v6;
	uint32_t seq;
	int expect; /* bytes or error */
};

static const struct encap_case encap_cases[] = {
	{1, 20, 2048, false, 0x00000001, 20 + UM3N_DATA_OVERHEAD},
	{2, 40, 2048, true, 0xe0000005, 40 + UM3N_DATA_OVERHEAD},
	{3, 1500, 1500 + UM3N_DATA_OVERHEAD, false, 0x3fffffff, 1500 + UM3N_DATA_OVERHEAD},
	{4, 1500, 1500 + UM3N_DATA_OVERHEAD - 1, false, 7, UM3N_ETOOBIG},
	{5, 0, UM3N_DATA_OVERHEAD, true, 9, UM3N_DATA_OVERHEAD},
	{6, 0, UM3N_DATA_OVERHEAD - 1, false, 9, UM3N_ETOOBIG},
	{7, UM3N_PKT_MAX, UM3N_PKT_MAX, false, 9, UM3N_ETOOBIG},
};

static void test_encap_layout(void)
{
	static uint8_t inner[UM3N_PKT_MAX], buf[UM3N_PKT_MAX + 64];

	for (size_t i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(encap_cases) / sizeof(encap_cases[0]); i++) {
		const struct encap_case *c = &encap_cases[i];
		int n;

		memset(buf, 0xAA, sizeof(buf));
		n = um3n_tunnel_encap(buf, c->cap, inner, c->inner_len, c->v6, c->seq);
		CU_ASSERT_EQUAL(n, c->expect);
		if (n < 0)
			continue;
		CU_ASSERT_EQUAL(buf[0], 4);           /* RFC 3519 tunnel data */
		CU_ASSERT_EQUAL(buf[1], UM3N_NH_GRE); /* next header 47 */
		CU_ASSERT_EQUAL(um3n_get16(buf + 2), 0);
		CU_ASSERT_EQUAL(um3n_get16(buf + 4), 0x1000); /* S bit only, version 0 */
		CU_ASSERT_EQUAL(um3n_get16(buf + 6), c->v6 ? 0x86DD : 0x0800);
		CU_ASSERT_EQUAL(um3n_get32(buf + 8), c->seq);
		CU_ASSERT_EQUAL(memcmp(buf + 12, inner, c->inner_len), 0);
		CU_ASSERT_EQUAL(buf[n], 0xAA); /* nothing written past the end */
	}
	/* seq helpers: link in the top 3 bits */
	CU_ASSERT_EQUAL(um3n_seq_make(5, 0x12345678), 0xb2345678u);
	CU_ASSERT_EQUAL(um3n_seq_make(7, 0xffffffff), 0xffffffffu);
	CU_ASSERT_EQUAL(um3n_seq_make(0, 0x20000001), 1u);
}

#define SRC_V4 0x0a000002u /* 10.0.0.2 */
#define DST_V4 0xc6336401u /* 198.51.100.1 */

static void test_probe_roundtrip(void)
{
	uint8_t req[UM3N_PROBE_LEN], rep[UM3N_PROBE_LEN + 8];
	const struct um3n_probe p = {.icmp_id = UM3N_PROBE_ICMP_ID_BASE | 3, .icmp_seq = 0xbeef,
				     .sent_us = 0x0102030405060708ull};
	struct um3n_probe q;
	int n;

	CU_ASSERT_EQUAL(um3n_tunnel_probe_build(req, sizeof(req) - 1, SRC_V4, DST_V4, &p), UM3N_ETOOBIG);
	n = um3n_tunnel_probe_build(req, sizeof(req), SRC_V4, DST_V4, &p);
	CU_ASSERT_EQUAL_FATAL(n, UM3N_PROBE_LEN);
	CU_ASSERT_EQUAL(req[0], 4);
	CU_ASSERT_EQUAL(req[1], UM3N_NH_IPV4);
	/* valid IPv4 header checksum and ICMP checksum: they sum to zero */
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(req + 4, 20), 0);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(req + 24, 16), 0);
	CU_ASSERT_EQUAL(req[4 + 9], 1);
	CU_ASSERT_EQUAL(um3n_get32(req + 4 + 12), SRC_V4);
	CU_ASSERT_EQUAL(um3n_get32(req + 4 + 16), DST_V4);
	CU_ASSERT_EQUAL(req[24], 8); /* echo request */
	memset(&q, 0, sizeof(q));
	CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(req + 4, (size_t)n - 4, DST_V4, &q), 0);
	CU_ASSERT_FALSE(q.is_reply);
	CU_ASSERT_EQUAL(q.icmp_id, p.icmp_id);
	CU_ASSERT_EQUAL(q.icmp_seq, p.icmp_seq);
	CU_ASSERT_EQUAL(q.sent_us, p.sent_us);

	CU_ASSERT_EQUAL(um3n_tunnel_probe_answer(rep, UM3N_PROBE_LEN - 1, req + 4, (size_t)n - 4), UM3N_ETOOBIG);
	n = um3n_tunnel_probe_answer(rep, sizeof(rep), req + 4, UM3N_PROBE_LEN - 4);
	CU_ASSERT_EQUAL_FATAL(n, UM3N_PROBE_LEN);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rep + 4, 20), 0);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rep + 24, 16), 0);
	CU_ASSERT_EQUAL(rep[24], 0); /* echo reply */
	CU_ASSERT_EQUAL(um3n_get32(rep + 4 + 12), DST_V4);
	CU_ASSERT_EQUAL(um3n_get32(rep + 4 + 16), SRC_V4);
	memset(&q, 0, sizeof(q));
	CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(rep + 4, (size_t)n - 4, SRC_V4, &q), 0);
	CU_ASSERT_TRUE(q.is_reply);
	CU_ASSERT_EQUAL(q.icmp_id, p.icmp_id);
	CU_ASSERT_EQUAL(q.icmp_seq, p.icmp_seq);
	CU_ASSERT_EQUAL(q.sent_us, p.sent_us);
	/* the reply is not for the prober's peer */
	CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(rep + 4, (size_t)n - 4, DST_V4, &q), UM3N_EINVAL);
}

/* Rewrites the IPv4 header checksum after a deliberate edit, so that only the
 * edited property is wrong. */
static void fix_ip_csum(uint8_t *ip)
{
	um3n_put16(ip + 10, 0);
	um3n_put16(ip + 10, um3n_wire_inet_csum(ip, 20));
}

struct parse_bad_case {
	int num;
	const char *what;
	int offset; /* into the inner packet; -1 = none */
	uint8_t value;
	bool fix_ip;
	size_t len; /* inner bytes handed over */
	uint32_t self_v4;
};

static const struct parse_bad_case parse_bad_cases[] = {
	{1, "wrong destination", -1, 0, false, 36, SRC_V4},
	{2, "bad ICMP checksum (payload byte)", 30, 0x55, false, 36, DST_V4},
	{3, "bad ICMP checksum field", 22, 0x00, false, 36, DST_V4},
	{4, "not ICMP (UDP)", 9, 17, true, 36, DST_V4},
	{5, "ICMP type 3, not echo", 20, 3, false, 36, DST_V4},
	{6, "ICMP code 1", 21, 1, false, 36, DST_V4},
	{7, "truncated buffer", -1, 0, false, 30, DST_V4},
	{8, "truncated: total length 28 (ICMP header only)", 3, 28, true, 28, DST_V4},
	{9, "empty", -1, 0, false, 0, DST_V4},
	{10, "IPv6 version nibble", 0, 0x65, false, 36, DST_V4},
};

static void test_probe_parse_rejects(void)
{
	const struct um3n_probe p = {.icmp_id = 0x5501, .icmp_seq = 9, .sent_us = 777};

	for (size_t i = 0; i < sizeof(parse_bad_cases) / sizeof(parse_bad_cases[0]); i++) {
		const struct parse_bad_case *c = &parse_bad_cases[i];
		uint8_t buf[UM3N_PROBE_LEN], *ip = buf + UM3N_TUN_HDR_LEN;
		struct um3n_probe q;
		int rc;

		CU_ASSERT_EQUAL_FATAL(um3n_tunnel_probe_build(buf, sizeof(buf), SRC_V4, DST_V4, &p), UM3N_PROBE_LEN);
		CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(ip, 36, DST_V4, &q), 0); /* control */
		if (c->offset >= 0) {
			/* a one-byte edit that lands on a checksum byte must still change it */
			ip[c->offset] = c->value == ip[c->offset] ? (uint8_t)(c->value + 1) : c->value;
			if (c->fix_ip)
				fix_ip_csum(ip);
		}
		rc = um3n_tunnel_probe_parse(ip, c->len, c->self_v4, &q);
		if (rc != UM3N_EINVAL)
			fprintf(stderr, "\n  parse case %d (%s): %d\n", c->num, c->what, rc);
		CU_ASSERT_EQUAL(rc, UM3N_EINVAL);
	}
}

static CU_TestInfo tunnel_tests[] = {
	{"01 seqwin: numbered cases", test_seqwin_cases},
	{"02 seqwin: resync after a run of too-old", test_seqwin_resync},
	{"03 seqspace: link 100,000 behind, re-sends dropped", test_seqspace_lagging_link},
	{"04 seqspace vs naive reference, random stream", test_seqspace_vs_reference},
	{"05 encap layout and ETOOBIG", test_encap_layout},
	{"06 probe build/parse/answer round trip", test_probe_roundtrip},
	{"07 probe parse rejects", test_probe_parse_rejects},
	{"08 seqwin: restart at once when far behind", test_seqwin_restart_far_behind},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"tunnel", tunnel_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
