/* tunnel: the encapsulation layout and ICMP probe build/answer/parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tunnel.h"

struct encap_case {
	int num;
	size_t inner_len, cap;
	bool v6;
	uint32_t seq;
	int expect; /* bytes or error */
};

/* clang-format off */
static const struct encap_case encap_cases[] = {
	{1, 20, 2048, false, 0x00000001, 20 + UM3N_DATA_OVERHEAD},
	{2, 40, 2048, true, 0xe0000005, 40 + UM3N_DATA_OVERHEAD},
	{3, 1500, 1500 + UM3N_DATA_OVERHEAD, false, 0x3fffffff, 1500 + UM3N_DATA_OVERHEAD},
	{4, 1500, 1500 + UM3N_DATA_OVERHEAD - 1, false, 7, UM3N_ETOOBIG},
	{5, 0, UM3N_DATA_OVERHEAD, true, 9, UM3N_DATA_OVERHEAD},
	{6, 0, UM3N_DATA_OVERHEAD - 1, false, 9, UM3N_ETOOBIG},
	{7, UM3N_PKT_MAX, UM3N_PKT_MAX, false, 9, UM3N_ETOOBIG},
};
/* clang-format on */

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
	CU_ASSERT_EQUAL(um3n_seqwin_seq(5, 0x12345678), 0xb2345678u);
	CU_ASSERT_EQUAL(um3n_seqwin_seq(7, 0xffffffff), 0xffffffffu);
	CU_ASSERT_EQUAL(um3n_seqwin_seq(0, 0x20000001), 1u);
}

#define SRC_V4 0x0a000002u /* 10.0.0.2 */
#define DST_V4 0xc6336401u /* 198.51.100.1 */
#define PROBE_IP_LEN (20 + UM3N_PROBE_ICMP_LEN)

static void test_probe_roundtrip(void)
{
	uint8_t req[UM3N_PROBE_LEN], rep[UM3N_PROBE_LEN + 8];
	const struct um3n_probe p = {.icmp_id = UM3N_PROBE_ICMP_ID_BASE | 3,
				     .icmp_seq = 0xbeef,
				     .sent_us = 0x0102030405060708ull,
				     .prober = {true, 0xfedcba98u, 12345},
				     .interval_ms = 25000};
	const struct um3n_probe_report mine = {true, 0x01020304u, 777};
	struct um3n_probe q;
	int n;

	CU_ASSERT_EQUAL(um3n_tunnel_probe_build(req, sizeof(req) - 1, SRC_V4, DST_V4, &p),
			UM3N_ETOOBIG);
	n = um3n_tunnel_probe_build(req, sizeof(req), SRC_V4, DST_V4, &p);
	CU_ASSERT_EQUAL_FATAL(n, UM3N_PROBE_LEN);
	CU_ASSERT_EQUAL(req[0], 4);
	CU_ASSERT_EQUAL(req[1], UM3N_NH_IPV4);
	/* valid IPv4 header checksum and ICMP checksum: they sum to zero */
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(req + 4, 20), 0);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(req + 24, UM3N_PROBE_ICMP_LEN), 0);
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
	CU_ASSERT_TRUE(q.prober.valid);
	CU_ASSERT_EQUAL(q.prober.rx_bytes, 0xfedcba98u);
	CU_ASSERT_EQUAL(q.prober.qdelay_us, 12345);
	CU_ASSERT_EQUAL(q.interval_ms, 25000);
	CU_ASSERT_TRUE(q.answerer.valid); /* room for it, zero in a request */
	CU_ASSERT_EQUAL(q.answerer.rx_bytes, 0);

	CU_ASSERT_EQUAL(um3n_tunnel_probe_answer(rep, UM3N_PROBE_LEN - 1, req + 4, (size_t)n - 4, 1,
						 &mine),
			UM3N_ETOOBIG);
	n = um3n_tunnel_probe_answer(rep, sizeof(rep), req + 4, UM3N_PROBE_LEN - 4, 4242, &mine);
	CU_ASSERT_EQUAL_FATAL(n, UM3N_PROBE_LEN);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rep + 4, 20), 0);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rep + 24, UM3N_PROBE_ICMP_LEN), 0);
	CU_ASSERT_EQUAL(rep[24], 0); /* echo reply */
	CU_ASSERT_EQUAL(um3n_get32(rep + 4 + 12), DST_V4);
	CU_ASSERT_EQUAL(um3n_get32(rep + 4 + 16), SRC_V4);
	memset(&q, 0, sizeof(q));
	CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(rep + 4, (size_t)n - 4, SRC_V4, &q), 0);
	CU_ASSERT_TRUE(q.is_reply);
	CU_ASSERT_EQUAL(q.icmp_id, p.icmp_id);
	CU_ASSERT_EQUAL(q.icmp_seq, p.icmp_seq);
	CU_ASSERT_EQUAL(q.sent_us, p.sent_us);
	CU_ASSERT_EQUAL(q.answer_us, 4242);              /* the answerer's clock */
	CU_ASSERT_EQUAL(q.prober.rx_bytes, 0xfedcba98u); /* echoed */
	CU_ASSERT_TRUE(q.answerer.valid);
	CU_ASSERT_EQUAL(q.answerer.rx_bytes, 0x01020304u);
	CU_ASSERT_EQUAL(q.answerer.qdelay_us, 777);
	CU_ASSERT_EQUAL(q.interval_ms, 25000); /* echoed */
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

/* clang-format off */
static const struct parse_bad_case parse_bad_cases[] = {
	{1, "wrong destination", -1, 0, false, PROBE_IP_LEN, SRC_V4},
	{2, "bad ICMP checksum (payload byte)", 30, 0x55, false, PROBE_IP_LEN, DST_V4},
	{3, "bad ICMP checksum field", 22, 0x00, false, PROBE_IP_LEN, DST_V4},
	{4, "not ICMP (UDP)", 9, 17, true, PROBE_IP_LEN, DST_V4},
	{5, "ICMP type 3, not echo", 20, 3, false, PROBE_IP_LEN, DST_V4},
	{6, "ICMP code 1", 21, 1, false, PROBE_IP_LEN, DST_V4},
	{7, "truncated buffer", -1, 0, false, 30, DST_V4},
	{8, "truncated: total length 28 (ICMP header only)", 3, 28, true, 28, DST_V4},
	{9, "empty", -1, 0, false, 0, DST_V4},
	{10, "IPv6 version nibble", 0, 0x65, false, PROBE_IP_LEN, DST_V4},
};
/* clang-format on */

static void test_probe_parse_rejects(void)
{
	const struct um3n_probe p = {.icmp_id = 0x5501, .icmp_seq = 9, .sent_us = 777};

	for (size_t i = 0; i < sizeof(parse_bad_cases) / sizeof(parse_bad_cases[0]); i++) {
		const struct parse_bad_case *c = &parse_bad_cases[i];
		uint8_t buf[UM3N_PROBE_LEN], *ip = buf + UM3N_TUN_HDR_LEN;
		struct um3n_probe q;
		int rc;

		CU_ASSERT_EQUAL_FATAL(um3n_tunnel_probe_build(buf, sizeof(buf), SRC_V4, DST_V4, &p),
				      UM3N_PROBE_LEN);
		CU_ASSERT_EQUAL(um3n_tunnel_probe_parse(ip, PROBE_IP_LEN, DST_V4, &q),
				0); /* control */
		if (c->offset >= 0) {
			/* a one-byte edit that lands on a checksum byte must still change it */
			ip[c->offset] = c->value == ip[c->offset] ? (uint8_t)(c->value + 1)
								  : c->value;
			if (c->fix_ip)
				fix_ip_csum(ip);
		}
		rc = um3n_tunnel_probe_parse(ip, c->len, c->self_v4, &q);
		if (rc != UM3N_EINVAL)
			fprintf(stderr, "\n  parse case %d (%s): %d\n", c->num, c->what, rc);
		CU_ASSERT_EQUAL(rc, UM3N_EINVAL);
	}
}

/* An IPv4 packet with fewer ICMP bytes than an echo header has no answer:
 * with a buffer exactly as long as such a packet's tunnelled copy, writing
 * the echo reply's type and checksum went past it (found by fuzz_probe). */
static void test_probe_answer_short(void)
{
	static const size_t icmp_lens[] = {0, 3, 7, 8};

	for (size_t i = 0; i < sizeof(icmp_lens) / sizeof(icmp_lens[0]); i++) {
		size_t n = icmp_lens[i], cap = UM3N_TUN_HDR_LEN + 20 + n;
		uint8_t ip[20 + 8] = {0x45}, out[UM3N_TUN_HDR_LEN + 20 + 8 + 4];
		int rc;

		ip[3] = (uint8_t)(20 + n); /* total length */
		ip[9] = 1;                 /* ICMP */
		um3n_put32(ip + 12, SRC_V4);
		um3n_put32(ip + 16, DST_V4);
		fix_ip_csum(ip);
		memset(out, 0xa5, sizeof(out));
		rc = um3n_tunnel_probe_answer(out, cap, ip, 20 + n, 1, NULL);
		CU_ASSERT_EQUAL(rc, n < 8 ? UM3N_EINVAL : (int)cap);
		for (size_t b = cap; b < sizeof(out); b++)
			CU_ASSERT_EQUAL(out[b], 0xa5); /* nothing written past cap */
	}
}

/* An older prober's echo (24 bytes of ICMP: the clocks, no reports) is
 * answered with the clock but no report, and the reply parses without one:
 * the rate estimate then stays at the configured weight (rateest.h). */
static void test_probe_old_format(void)
{
	const struct um3n_probe_report mine = {true, 99, 1};
	uint8_t ip[20 + 24] = {0x45}, out[UM3N_PROBE_LEN];
	struct um3n_probe q;
	int n;

	ip[3] = sizeof(ip);
	ip[9] = 1;
	um3n_put32(ip + 12, SRC_V4);
	um3n_put32(ip + 16, DST_V4);
	fix_ip_csum(ip);
	ip[20] = 8; /* echo request */
	um3n_put64(ip + 28, 5555);
	um3n_put16(ip + 22, um3n_wire_inet_csum(ip + 20, 24));
	CU_ASSERT_EQUAL_FATAL(um3n_tunnel_probe_parse(ip, sizeof(ip), DST_V4, &q), 0);
	CU_ASSERT_FALSE(q.prober.valid);
	CU_ASSERT_FALSE(q.answerer.valid);
	CU_ASSERT_EQUAL(q.interval_ms, 0); /* not said */
	n = um3n_tunnel_probe_answer(out, sizeof(out), ip, sizeof(ip), 4242, &mine);
	CU_ASSERT_EQUAL_FATAL(n, UM3N_TUN_HDR_LEN + (int)sizeof(ip));
	CU_ASSERT_EQUAL_FATAL(
		um3n_tunnel_probe_parse(out + UM3N_TUN_HDR_LEN, sizeof(ip), SRC_V4, &q), 0);
	CU_ASSERT_EQUAL(q.sent_us, 5555);
	CU_ASSERT_EQUAL(q.answer_us, 4242);
	CU_ASSERT_FALSE(q.answerer.valid);
}

static CU_TestInfo tunnel_tests[] = {
	{"01 encap layout and ETOOBIG", test_encap_layout},
	{"02 probe build/parse/answer round trip", test_probe_roundtrip},
	{"03 probe parse rejects", test_probe_parse_rejects},
	{"04 probe answer: no echo header, no answer", test_probe_answer_short},
	{"05 probe: an older prober's echo has no reports", test_probe_old_format},
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
