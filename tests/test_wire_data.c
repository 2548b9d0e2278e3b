/* Wire codec tests, tunnel data and inner IP (core/wire_data.c): the golden
 * tunnel header, a table of tunnel-data headers, inner IP parsing, RFC 1071;
 * and the real Mobile IPv4 trace in traces/pcap (its frames unwrapped with the
 * IP parser, its registrations decoded on bytes we did not write). The
 * registration codec on its own is test_wire_reg.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wire.h"

#ifdef UM3N_HAVE_PCAP
#include <pcap/pcap.h>
#endif

/* Inner IPv4/UDP packet 10.99.0.2 -> 192.0.2.80, 28 bytes (checksums left 0). */
/* clang-format off */
static const uint8_t inner_v4[] = {
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	0x0a, 0x63, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x50,
	0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
};
/* clang-format on */
/* Tunnel data, next header GRE, S bit, IPv4, sequence 42, then inner_v4. */
static const uint8_t golden_tun_gre_hdr[] = {
	0x04, 0x2f, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x2a,
};
/* The same with K: key 0x50000007 (flow 5, counter 7), then sequence 42. */
static const uint8_t golden_tun_gre_key_hdr[] = {
	0x04, 0x2f, 0x00, 0x00, 0x30, 0x00, 0x08, 0x00,
	0x50, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x2a,
};

/* ---------- 1. golden bytes ---------- */

static void test_golden_tunnel(void)
{
	uint8_t buf[64];
	struct um3n_tunnel_data d;
	size_t hlen;

	hlen = um3n_wire_tunnel_hdr(buf, UM3N_NH_GRE, false, 42);
	CU_ASSERT_EQUAL_FATAL(hlen, sizeof(golden_tun_gre_hdr));
	CU_ASSERT(memcmp(buf, golden_tun_gre_hdr, hlen) == 0);
	memcpy(buf + hlen, inner_v4, sizeof(inner_v4));
	CU_ASSERT_EQUAL_FATAL(um3n_wire_tunnel_decode(buf, hlen + sizeof(inner_v4), &d), 0);
	CU_ASSERT(d.next_header == UM3N_NH_GRE && d.has_seq && d.seq == 42);
	CU_ASSERT_PTR_EQUAL(d.inner, buf + hlen);
	CU_ASSERT_EQUAL(d.inner_len, sizeof(inner_v4));

	CU_ASSERT(!d.has_key);

	/* Aggregate rules: K and S (RFC 2890 §2.1), the key before the sequence. */
	hlen = um3n_wire_tunnel_hdr_keyed(buf, false, 0x50000007, 42);
	CU_ASSERT_EQUAL_FATAL(hlen, sizeof(golden_tun_gre_key_hdr));
	CU_ASSERT(memcmp(buf, golden_tun_gre_key_hdr, hlen) == 0);
	memcpy(buf + hlen, inner_v4, sizeof(inner_v4));
	CU_ASSERT_EQUAL_FATAL(um3n_wire_tunnel_decode(buf, hlen + sizeof(inner_v4), &d), 0);
	CU_ASSERT(d.has_seq && d.seq == 42 && d.has_key && d.key == 0x50000007);
	CU_ASSERT_PTR_EQUAL(d.inner, buf + UM3N_DATA_KEYED_OVERHEAD);

	CU_ASSERT_EQUAL(um3n_wire_tunnel_hdr(buf, UM3N_NH_IPV4, false, 99), UM3N_TUN_HDR_LEN);
	CU_ASSERT(buf[0] == 4 && buf[1] == 4 && buf[2] == 0 && buf[3] == 0); /* no GRE, no seq */
}

/* ---------- 2. tunnel data ---------- */

static const uint8_t inner_v6[40] = {0x60, 0, 0, 0, 0, 0, 59, 64};

struct tun_case {
	int no;
	uint8_t hdr[16];
	size_t hdr_len;
	const uint8_t *inner;
	size_t inner_len;
	int expect;
	const char *why;
};

/* clang-format off */
static const struct tun_case tun_cases[] = {
	{ 1, { 4, 4, 0, 0 }, 4, inner_v4, sizeof(inner_v4), 0, "IPv4 in" },
	{ 2, { 4, 41, 0, 0 }, 4, inner_v6, sizeof(inner_v6), 0, "IPv6 in" },
	{ 3, { 4, 4, 0, 0 }, 4, inner_v6, sizeof(inner_v6), UM3N_EINVAL, "NH 4 with IPv6 inside" },
	{ 4, { 4, 41, 0, 0 }, 4, inner_v4, sizeof(inner_v4), UM3N_EINVAL, "NH 41 with IPv4 inside" },
	{ 5, { 4, 47, 0, 0, 0x10, 0, 0x86, 0xdd, 0, 0, 0, 1 }, 12, inner_v6, 40, 0, "GRE v6" },
	{ 6, { 4, 47, 0, 0, 0x10, 0, 0x86, 0xdd, 0, 0, 0, 1 }, 12, inner_v4, 28, UM3N_EINVAL, "GRE v6 proto, v4 in" },
	{ 7, { 4, 47, 0, 0, 0x90, 0, 0x08, 0, 0, 0, 0, 1 }, 12, inner_v4, 28, UM3N_EINVAL, "GRE C bit" },
	{ 8, { 4, 47, 0, 0, 0x00, 0, 0x08, 0, 0, 0, 0, 1 }, 12, inner_v4, 28, UM3N_EINVAL, "GRE no S bit" },
	{ 9, { 4, 47, 0, 0, 0x10, 0, 0x88, 0x47, 0, 0, 0, 1 }, 12, inner_v4, 28, UM3N_EUNKNOWN, "GRE MPLS" },
	{ 10, { 4, 17, 0, 0 }, 4, inner_v4, 28, UM3N_EUNKNOWN, "next header 17" },
	{ 11, { 1, 4, 0, 0 }, 4, inner_v4, 28, UM3N_EINVAL, "type 1 is not tunnel data" },
	{ 12, { 4, 4, 0, 0 }, 4, NULL, 0, UM3N_ETRUNC, "no inner packet" },
	{ 13, { 4, 47, 0, 0, 0x10, 0, 0x08, 0 }, 8, NULL, 0, UM3N_ETRUNC, "GRE cut" },
	{ 14, { 4, 47, 0, 0, 0x10, 0, 0x08, 0, 0, 0, 0, 1 }, 12, NULL, 0, UM3N_ETRUNC, "GRE, no inner" },
	{ 15, { 4, 4 }, 2, NULL, 0, UM3N_ETRUNC, "header cut" },
	{ 16, { 4, 47, 0, 0, 0x10, 1, 0x08, 0, 0, 0, 0, 1 }, 12, inner_v4, 28, UM3N_EINVAL, "GRE version 1" },
	{ 17, { 4, 47, 0, 0, 0x30, 0, 0x08, 0, 0x50, 0, 0, 7, 0, 0, 0, 1 }, 16, inner_v4, 28, 0, "GRE key and seq" },
	{ 18, { 4, 47, 0, 0, 0x30, 0, 0x86, 0xdd, 0x50, 0, 0, 7, 0, 0, 0, 1 }, 16, inner_v6, 40, 0, "GRE key, v6" },
	{ 19, { 4, 47, 0, 0, 0x20, 0, 0x08, 0, 0x50, 0, 0, 7, 0, 0, 0, 1 }, 16, inner_v4, 28, UM3N_EINVAL, "GRE key, no seq" },
	{ 20, { 4, 47, 0, 0, 0x30, 0, 0x08, 0, 0x50, 0, 0, 7 }, 12, NULL, 0, UM3N_ETRUNC, "GRE key, seq cut" },
	{ 21, { 4, 47, 0, 0, 0x30, 0, 0x08, 0, 0x50, 0, 0, 7, 0, 0, 0, 1 }, 16, NULL, 0, UM3N_ETRUNC, "GRE key, no inner" },
	{ 22, { 4, 47, 0, 0, 0xb0, 0, 0x08, 0, 0, 0, 0, 0, 0x50, 0, 0, 7 }, 16, inner_v4, 28, UM3N_EINVAL, "GRE C, K and S" },
	{ 23, { 4, 47, 0, 0, 0x30, 0, 0x08, 0, 0x50, 0, 0, 7, 0, 0, 0, 1 }, 16, inner_v6, 40, UM3N_EINVAL, "GRE key, v4 proto, v6 in" },
};
/* clang-format on */

static void test_tunnel_table(void)
{
	for (size_t i = 0; i < sizeof(tun_cases) / sizeof(tun_cases[0]); i++) {
		const struct tun_case *c = &tun_cases[i];
		size_t len = c->hdr_len + c->inner_len;
		uint8_t *buf = malloc(len);
		struct um3n_tunnel_data d;
		int rc;

		memcpy(buf, c->hdr, c->hdr_len);
		if (c->inner_len)
			memcpy(buf + c->hdr_len, c->inner, c->inner_len);
		rc = um3n_wire_tunnel_decode(buf, len, &d);
		CHECK(rc == c->expect, "tunnel case %d (%s): rc %d want %d", c->no, c->why, rc,
		      c->expect);
		if (rc == 0)
			CHECK(d.inner == buf + c->hdr_len && d.inner_len == c->inner_len &&
				      d.has_seq == (c->hdr_len >= 12) &&
				      (!d.has_seq || d.seq == 1) &&
				      d.has_key == (c->hdr_len == 16) &&
				      (!d.has_key || d.key == 0x50000007),
			      "tunnel case %d: fields", c->no);
		free(buf);
	}
}

/* ---------- 3. inner IP and checksum ---------- */

struct ip_case {
	int no;
	uint8_t pkt[48];
	size_t len;
	int expect;
	uint8_t proto;
	size_t header_len, total_len;
};

/* clang-format off */
static const struct ip_case ip_cases[] = {
	{ 1, { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 }, 28, 0, 17, 20, 28 },
	{ 2, { 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1 }, 24, 0, 1, 20, 20 },
	{ 3, { 0x44, 0, 0, 20 }, 20, UM3N_EINVAL, 0, 0, 0 },
	{ 4, { 0x45, 0, 0, 40 }, 28, UM3N_ETRUNC, 0, 0, 0 },
	{ 5, { 0x45, 0, 0, 19 }, 20, UM3N_EINVAL, 0, 0, 0 },
	{ 6, { 0x46, 0, 0, 24 }, 24, 0, 0, 24, 24 },
	{ 7, { 0x46, 0, 0, 20 }, 24, UM3N_EINVAL, 0, 0, 0 },
	{ 8, { 0x4f, 0, 0, 60 }, 40, UM3N_ETRUNC, 0, 0, 0 },
	{ 9, { 0x45, 0, 0, 20 }, 19, UM3N_ETRUNC, 0, 0, 0 },
	{ 10, { 0x60, 0, 0, 0, 0, 8, 17, 64 }, 48, 0, 17, 40, 48 },
	{ 11, { 0x60, 0, 0, 0, 0, 9, 17, 64 }, 48, UM3N_ETRUNC, 0, 0, 0 },
	{ 12, { 0x60 }, 39, UM3N_ETRUNC, 0, 0, 0 },
	{ 13, { 0x50 }, 40, UM3N_EINVAL, 0, 0, 0 },
	{ 14, { 0 }, 0, UM3N_ETRUNC, 0, 0, 0 },
};
/* clang-format on */

static void test_ip_parse_table(void)
{
	for (size_t i = 0; i < sizeof(ip_cases) / sizeof(ip_cases[0]); i++) {
		const struct ip_case *c = &ip_cases[i];
		uint8_t *buf = malloc(c->len ? c->len : 1);
		struct um3n_ip_info ip;
		int rc;

		memcpy(buf, c->pkt, c->len);
		rc = um3n_wire_ip_parse(buf, c->len, &ip);
		CHECK(rc == c->expect, "ip case %d: rc %d want %d", c->no, rc, c->expect);
		if (rc == 0)
			CHECK(ip.proto == c->proto && ip.header_len == c->header_len &&
				      ip.total_len == c->total_len &&
				      ip.version == (c->pkt[0] >> 4),
			      "ip case %d: fields", c->no);
		free(buf);
	}
}

static void test_ip_addresses(void)
{
	struct um3n_ip_info ip;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(inner_v4, sizeof(inner_v4), &ip), 0);
	CU_ASSERT(ip.src.family == UM3N_AF_INET && um3n_addr_v4(&ip.src) == 0x0a630002);
	CU_ASSERT(ip.dst.family == UM3N_AF_INET && um3n_addr_v4(&ip.dst) == 0xc0000250);
}

static void test_inet_csum(void)
{
	/* RFC 1071 §3 example bytes: one's-complement sum 0xddf2. */
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t hdr[20];

	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rfc, sizeof(rfc)), (uint16_t)~0xddf2);
	/* Odd length: the last byte is the high half of a zero-padded word. */
	CU_ASSERT_EQUAL(um3n_wire_inet_csum((const uint8_t *)"\x01", 1), (uint16_t)~0x0100);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(rfc, 0), 0xffff);
	/* A header carrying its own checksum sums to zero. */
	memcpy(hdr, inner_v4, 20);
	um3n_put16(hdr + 10, um3n_wire_inet_csum(hdr, 20));
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(hdr, 20), 0);
}

/* ---------- 4. a real Mobile IPv4 trace ---------- */

/* tests/interop.cmake defines UM3N_TRACE_DIR as <repo>/traces/pcap;
 * the environment variable of the same name overrides it. */
#ifndef UM3N_TRACE_DIR
#define UM3N_TRACE_DIR "traces/pcap"
#endif
#define TRACE_FILE "uantwerp_mip4_ref_public.pcap"

#ifdef UM3N_HAVE_PCAP
/* Returns the UDP payload of an Ethernet/IPv4/UDP frame to/from port 434. */
static const uint8_t *udp434_payload(const uint8_t *f, size_t caplen, size_t *len)
{
	struct um3n_ip_info ip;
	const uint8_t *udp;

	if (caplen < 14 || um3n_get16(f + 12) != 0x0800)
		return NULL;
	if (um3n_wire_ip_parse(f + 14, caplen - 14, &ip) || ip.version != 4 || ip.proto != 17)
		return NULL;
	if (ip.total_len < ip.header_len + 8)
		return NULL;
	udp = f + 14 + ip.header_len;
	if (um3n_get16(udp) != 434 && um3n_get16(udp + 2) != 434)
		return NULL;
	*len = ip.total_len - ip.header_len - 8;
	return udp + 8;
}

static void test_real_trace(void)
{
	const char *dir = getenv("UM3N_TRACE_DIR");
	char err[PCAP_ERRBUF_SIZE], path[512];
	struct pcap_pkthdr *h;
	const u_char *f;
	int good = 0, rrq_ok = 0, rrp_ok = 0, rc;
	struct um3n_rrq q = {0};
	struct um3n_rrp r;
	size_t len;
	pcap_t *p;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : UM3N_TRACE_DIR, TRACE_FILE);
	p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "SKIP test_real_trace: %s\n", err);
		CU_PASS("trace absent: skipped");
		return;
	}
	/* Values as tshark reads them: HoA 192.168.2.1, HA 192.168.0.2, CoA
	 * 192.168.0.3, lifetime 60; each reply (code 1) echoes its request's ident. */
	while ((rc = pcap_next_ex(p, &h, &f)) == 1) {
		const uint8_t *pl = udp434_payload(f, h->caplen, &len);

		good++;
		if (pl && len && pl[0] == UM3N_MSG_RRQ) {
			rc = um3n_wire_rrq_decode(pl, len, &q);
			CHECK(rc == 0 && q.lifetime_s == 60 && q.home_addr == 0xc0a80201 &&
				      q.ha_addr == 0xc0a80002 && q.coa == 0xc0a80003 && !q.has_auth,
			      "trace packet %d RRQ: %d", good, rc);
			rrq_ok += rc == 0;
		} else if (pl && len && pl[0] == UM3N_MSG_RRP) {
			rc = um3n_wire_rrp_decode(pl, len, &r);
			CHECK(rc == 0 && r.code == 1 && r.lifetime_s == 60 &&
				      r.home_addr == 0xc0a80201 && r.ha_addr == 0xc0a80002 &&
				      r.ident == q.ident,
			      "trace packet %d RRP: %d", good, rc);
			rrp_ok += rc == 0;
		}
	}
	/* The file is cut inside its last packet: the reader reports an error. */
	CU_ASSERT_EQUAL(rc, PCAP_ERROR);
	fprintf(stderr, "trace: %d good packets, %d RRQ and %d RRP decoded\n", good, rrq_ok,
		rrp_ok);
	CU_ASSERT(good > 0 && rrq_ok == 2 && rrp_ok == 2);
	pcap_close(p);
}
#else
static void test_real_trace(void)
{
	fprintf(stderr, "SKIP test_real_trace: built without libpcap\n");
	CU_PASS("no libpcap: skipped");
}
#endif

static CU_TestInfo data_tests[] = {
	{"golden_tunnel", test_golden_tunnel},   {"tunnel_table", test_tunnel_table},
	{"ip_parse_table", test_ip_parse_table}, {"ip_addresses", test_ip_addresses},
	{"inet_csum", test_inet_csum},           CU_TEST_INFO_NULL,
};

static CU_TestInfo trace_tests[] = {
	{"real_trace", test_real_trace},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"wire_data", data_tests},
		{"wire_trace", trace_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
