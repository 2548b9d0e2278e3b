/* Wire codec tests, registration messages (core/wire_reg.c): golden bytes,
 * round trips for every combination of optional extensions, every truncation,
 * corrupted lengths, unknown and foreign extensions, authenticator coverage and
 * the link-info rate weight. Tunnel data, inner IP, RFC 1071 and the real
 * Mobile IPv4 trace are in test_wire_data.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "testutil.h"
#include "wire.h"

static const uint8_t test_key[32] = "um3n-test-key-0123456789abcdef!";
#define VERIFY(buf, d)                                                                      \
	um3n_auth_verify(test_key, sizeof(test_key), (buf), (d).auth_covered_len, (d).auth, \
			 (d).auth_len)
static const uint8_t chunk_bytes[3] = {'a', 'b', 'c'};

/* ---------- golden vectors (written by hand from the RFC layouts) ---------- */

/* RRQ: flags S|D|T, lifetime 300, home 10.99.0.2, HA 192.0.2.1, CoA
 * 198.51.100.7, ident 0x0123456789abcdef; NVSE link-info {1, 2, 0, 0};
 * NVSE policy chunk v7 0/1 "abc"; MN-HA auth SPI 256 (zero authenticator);
 * UDP Tunnel Request F, encap 4. */
/* clang-format off */
static const uint8_t golden_rrq[] = {
	0x01, 0xa2, 0x01, 0x2c, 0x0a, 0x63, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x07, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	/* NVSE (RFC 3115): type 134, length 12, reserved(2), vendor 32473, type 1, value */
	0x86, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x7e, 0xd9, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00,
	/* NVSE: length 19, reserved, vendor 32473, type 2, version 7, index 0, count 1, "abc" */
	0x86, 0x13, 0x00, 0x00, 0x00, 0x00, 0x7e, 0xd9, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07,
	0x00, 0x00, 0x00, 0x01, 'a', 'b', 'c',
	/* MN-HA auth: type 32, length 36, SPI 256, 32-byte authenticator */
	0x20, 0x24, 0x00, 0x00, 0x01, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* UDP Tunnel Request: type 144, length 6, sub-type 0, res, F, encap 4, res */
	0x90, 0x06, 0x00, 0x00, 0x80, 0x04, 0x00, 0x00,
};
/* clang-format on */
#define GOLDEN_RRQ_AUTH_OFF 65

/* RRP: code 0, lifetime 300, same addresses/ident; UDP Tunnel Reply code 0
 * keepalive 30; link-info {1, 2, 0, 0}; policy ack v7 1/1; MN-HA SPI 257. */
/* clang-format off */
static const uint8_t golden_rrp[] = {
	0x03, 0x00, 0x01, 0x2c, 0x0a, 0x63, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x01,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x2c, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e,
	0x86, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x7e, 0xd9, 0x00, 0x01, 0x01, 0x02, 0x00, 0x00,
	0x86, 0x10, 0x00, 0x00, 0x00, 0x00, 0x7e, 0xd9, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07,
	0x00, 0x01, 0x00, 0x01,
	0x20, 0x24, 0x00, 0x00, 0x01, 0x01,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */
#define GOLDEN_RRP_AUTH_OFF 66

static void fill_rrq(struct um3n_rrq *m, unsigned mask)
{
	memset(m, 0, sizeof(*m));
	m->flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T;
	m->lifetime_s = 300;
	m->home_addr = 0x0a630002;
	m->ha_addr = 0xc0000201;
	m->coa = 0xc6336407;
	m->ident = 0x0123456789abcdefULL;
	m->has_udp_tun_req = mask & 1;
	m->udp_tun_flags = UM3N_UDP_TUN_FLAG_F;
	m->encap = UM3N_ENCAP_IPIP;
	m->has_link_info = mask & 2;
	m->link = (struct um3n_link_info){.link_id = 1, .link_class = 2};
	m->has_policy_chunk = mask & 4;
	m->chunk = (struct um3n_policy_chunk){
		.version = 7, .index = 0, .count = 1, .data = chunk_bytes, .len = 3};
	m->spi = 256;
}

static void fill_rrp(struct um3n_rrp *m, unsigned mask)
{
	memset(m, 0, sizeof(*m));
	m->code = UM3N_CODE_ACCEPTED;
	m->lifetime_s = 300;
	m->home_addr = 0x0a630002;
	m->ha_addr = 0xc0000201;
	m->ident = 0x0123456789abcdefULL;
	m->has_udp_tun_reply = mask & 1;
	m->keepalive_s = 30;
	m->has_link_info = mask & 2;
	m->link = (struct um3n_link_info){.link_id = 1, .link_class = 2};
	m->has_policy_ack = mask & 4;
	m->policy_ack = (struct um3n_policy_ack){.version = 7, .chunks_held = 1, .count = 1};
	m->spi = 257;
}

/* ---------- 1. golden bytes ---------- */

static void test_golden_rrq(void)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrq m, d;
	size_t len = 0, auth_off = 0;

	fill_rrq(&m, 7);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(golden_rrq));
	CU_ASSERT(memcmp(buf, golden_rrq, len) == 0);
	CU_ASSERT_EQUAL(auth_off, GOLDEN_RRQ_AUTH_OFF);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_decode(golden_rrq, sizeof(golden_rrq), &d), 0);
	CU_ASSERT_EQUAL(d.auth_covered_len, GOLDEN_RRQ_AUTH_OFF);
	CU_ASSERT_PTR_EQUAL(d.auth, golden_rrq + GOLDEN_RRQ_AUTH_OFF);
	CU_ASSERT_PTR_EQUAL(d.chunk.data, golden_rrq + 56);
}

static void test_golden_rrp(void)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrp m, d;
	size_t len = 0, auth_off = 0;

	fill_rrp(&m, 7);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(golden_rrp));
	CU_ASSERT(memcmp(buf, golden_rrp, len) == 0);
	CU_ASSERT_EQUAL(auth_off, GOLDEN_RRP_AUTH_OFF);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_decode(golden_rrp, sizeof(golden_rrp), &d), 0);
	CU_ASSERT_EQUAL(d.auth_covered_len, GOLDEN_RRP_AUTH_OFF);
	CU_ASSERT_EQUAL(d.keepalive_s, 30);
	CU_ASSERT_EQUAL(d.spi, 257);
}

/* ---------- 2. round trips ---------- */

static void test_rrq_roundtrip_all_combinations(void)
{
	for (unsigned mask = 0; mask < 8; mask++) {
		uint8_t buf[UM3N_REG_MSG_MAX];
		struct um3n_rrq m, d;
		size_t len, auth_off;
		int rc;

		fill_rrq(&m, mask);
		rc = um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off);
		CHECK(rc == 0, "rrq mask %u: encode %d", mask, rc);
		if (rc)
			continue;
		rc = um3n_wire_rrq_decode(buf, len, &d);
		CHECK(rc == 0, "rrq mask %u: decode %d", mask, rc);
		CHECK(d.flags == m.flags && d.lifetime_s == 300 && d.home_addr == m.home_addr &&
			      d.ha_addr == m.ha_addr && d.coa == m.coa && d.ident == m.ident,
		      "rrq mask %u: fixed part", mask);
		CHECK(d.has_udp_tun_req == m.has_udp_tun_req &&
			      d.has_link_info == m.has_link_info &&
			      d.has_policy_chunk == m.has_policy_chunk,
		      "rrq mask %u: presence", mask);
		CHECK(!d.has_udp_tun_req ||
			      (d.udp_tun_flags == UM3N_UDP_TUN_FLAG_F && d.encap == 4),
		      "rrq mask %u: udp tunnel", mask);
		CHECK(!d.has_link_info || memcmp(&d.link, &m.link, sizeof(d.link)) == 0,
		      "rrq mask %u: link", mask);
		CHECK(!d.has_policy_chunk ||
			      (d.chunk.version == 7 && d.chunk.count == 1 && d.chunk.len == 3 &&
			       memcmp(d.chunk.data, "abc", 3) == 0),
		      "rrq mask %u: chunk", mask);
		CHECK(d.has_auth && d.spi == 256 && d.auth_len == UM3N_AUTH_LEN &&
			      d.auth_covered_len == auth_off && d.auth == buf + auth_off,
		      "rrq mask %u: auth", mask);
		/* The UDP Tunnel Request is the only thing after the authenticator. */
		CHECK(len == auth_off + UM3N_AUTH_LEN + (m.has_udp_tun_req ? 8u : 0u),
		      "rrq mask %u: length %zu auth_off %zu", mask, len, auth_off);
	}
}

static void test_rrp_roundtrip_all_combinations(void)
{
	for (unsigned mask = 0; mask < 8; mask++) {
		uint8_t buf[UM3N_REG_MSG_MAX];
		struct um3n_rrp m, d;
		size_t len, auth_off;
		int rc;

		fill_rrp(&m, mask);
		m.code = (uint8_t)(mask * 20);
		rc = um3n_wire_rrp_encode(&m, buf, sizeof(buf), &len, &auth_off);
		CHECK(rc == 0, "rrp mask %u: encode %d", mask, rc);
		if (rc)
			continue;
		rc = um3n_wire_rrp_decode(buf, len, &d);
		CHECK(rc == 0, "rrp mask %u: decode %d", mask, rc);
		CHECK(d.code == m.code && d.lifetime_s == 300 && d.home_addr == m.home_addr &&
			      d.ha_addr == m.ha_addr && d.ident == m.ident,
		      "rrp mask %u: fixed part", mask);
		CHECK(d.has_udp_tun_reply == m.has_udp_tun_reply &&
			      d.has_link_info == m.has_link_info &&
			      d.has_policy_ack == m.has_policy_ack,
		      "rrp mask %u: presence", mask);
		CHECK(!d.has_udp_tun_reply || (d.keepalive_s == 30 && d.udp_tun_code == 0),
		      "rrp mask %u: udp tunnel", mask);
		CHECK(!d.has_policy_ack ||
			      memcmp(&d.policy_ack, &m.policy_ack, sizeof(d.policy_ack)) == 0,
		      "rrp mask %u: ack", mask);
		CHECK(d.has_auth && d.spi == 257 && d.auth_covered_len == auth_off &&
			      len == auth_off + UM3N_AUTH_LEN,
		      "rrp mask %u: auth is last", mask);
	}
}

/* One RFC 3115 NVSE has an 8-bit length: 255 - 8 (reserved, vendor, type)
 * - 8 (chunk header) = 239 bytes of policy data at most. */
#define NVSE_CHUNK_DATA_MAX 239
#define CHUNK_DATA_MAX \
	(UM3N_POLICY_CHUNK_MAX < NVSE_CHUNK_DATA_MAX ? UM3N_POLICY_CHUNK_MAX : NVSE_CHUNK_DATA_MAX)

static void test_encode_limits(void)
{
	static uint8_t big[UM3N_POLICY_CHUNK_MAX + 1];
	uint8_t buf[UM3N_REG_MSG_MAX + 100];
	struct um3n_rrq m;
	size_t len, auth_off, full_len;

	fill_rrq(&m, 7);
	m.chunk.data = big;
	m.chunk.len = CHUNK_DATA_MAX;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT(len <= UM3N_REG_MSG_MAX);
	full_len = len;
	{
		struct um3n_rrq d;

		CU_ASSERT(um3n_wire_rrq_decode(buf, len, &d) == 0 && d.chunk.len == CHUNK_DATA_MAX);
	}
	/* Every capacity short of the message fails without writing past it. */
	for (size_t cap = 0; cap < full_len; cap++)
		CHECK(um3n_wire_rrq_encode(&m, buf, cap, &len, &auth_off) == UM3N_ETOOBIG,
		      "cap %zu", cap);
	m.chunk.len = CHUNK_DATA_MAX + 1;
	CU_ASSERT_EQUAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), UM3N_EINVAL);
	fill_rrq(&m, 0);
	m.flags |= UM3N_RRQ_FLAG_R;
	CU_ASSERT_EQUAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), UM3N_EINVAL);
	fill_rrq(&m, 0);
	m.spi = 255; /* SPIs 0..255 are reserved (RFC 5944 §3.5.1) */
	CU_ASSERT_EQUAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), UM3N_EINVAL);
	fill_rrq(&m, 4);
	m.chunk.index = 1; /* index must be < count */
	CU_ASSERT_EQUAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), UM3N_EINVAL);
}

/* ---------- 3. truncation and corruption ---------- */

/* Decodes a copy in an exactly-sized heap block so that ASan sees overreads. */
static int decode_copy(const uint8_t *msg, size_t len, struct um3n_rrq *q, struct um3n_rrp *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, msg, len);
	rc = q ? um3n_wire_rrq_decode(copy, len, q) : um3n_wire_rrp_decode(copy, len, p);
	free(copy);
	return rc;
}
#define rrq_decode_copy(msg, len, d) decode_copy((msg), (len), (d), NULL)
#define rrp_decode_copy(msg, len, d) decode_copy((msg), (len), NULL, (d))

/* Every prefix of a golden message: a cut at an extension boundary is a
 * shorter valid message, any other cut is UM3N_ETRUNC. */
static void every_truncation(bool rrp, const uint8_t *msg, size_t len, const size_t bound[4])
{
	struct um3n_rrq q;
	struct um3n_rrp p;

	for (size_t n = 0; n < len; n++) {
		int rc = rrp ? rrp_decode_copy(msg, n, &p) : rrq_decode_copy(msg, n, &q);
		bool at_bound = n == bound[0] || n == bound[1] || n == bound[2] || n == bound[3];

		CHECK(rc == (at_bound ? 0 : UM3N_ETRUNC), "%s cut at %zu: %d", rrp ? "rrp" : "rrq",
		      n, rc);
	}
}

static void test_every_truncation(void)
{
	static const size_t rrq_bounds[4] = {24, 38, 59, 97}, rrp_bounds[4] = {20, 28, 42, 60};
	struct um3n_rrq d;

	every_truncation(false, golden_rrq, sizeof(golden_rrq), rrq_bounds);
	every_truncation(true, golden_rrp, sizeof(golden_rrp), rrp_bounds);
	CU_ASSERT_EQUAL(rrq_decode_copy(golden_rrq, 97, &d), 0);
	CU_ASSERT(d.has_auth && !d.has_udp_tun_req);
	CU_ASSERT_EQUAL(rrq_decode_copy(golden_rrq, 24, &d), 0);
	CU_ASSERT(!d.has_auth && !d.has_link_info);
}

struct corrupt_case {
	int no;
	size_t off; /* byte of golden_rrq to overwrite */
	uint8_t value;
	int expect;
	const char *why;
};

/* clang-format off */
static const struct corrupt_case rrq_corrupt[] = {
	{ 1, 0, 3, UM3N_EINVAL, "message type is not RRQ" },
	{ 2, 1, 0xa2 | UM3N_RRQ_FLAG_R, UM3N_EINVAL, "reserved r flag" },
	{ 3, 1, 0xa2 | UM3N_RRQ_FLAG_X, UM3N_EINVAL, "reserved x flag" },
	{ 4, 25, 0x0d, UM3N_EINVAL, "link-info NVSE one byte longer: value 5 bytes" },
	{ 5, 25, 0x0b, UM3N_EINVAL, "link-info NVSE value 3 bytes" },
	{ 6, 25, 0xff, UM3N_ETRUNC, "NVSE length runs past the end" },
	{ 7, 25, 0x07, UM3N_EINVAL, "NVSE shorter than its vendor header" },
	{ 25, 26, 0xff, 0, "NVSE reserved bytes are ignored" },
	{ 26, 39, 0x14, UM3N_EUNKNOWN, "chunk NVSE swallows the MN-HA type: 36 follows" },
	{ 8, 63, 0x24, 0, "another SPI value still decodes" },
	{ 9, 60, 0x04, UM3N_EINVAL, "MN-HA auth with no authenticator" },
	{ 10, 60, 0xff, UM3N_ETRUNC, "MN-HA length past the end" },
	{ 11, 98, 0x05, UM3N_EINVAL, "UDP Tunnel Request length 5" },
	{ 12, 98, 0x07, UM3N_ETRUNC, "UDP Tunnel Request length 7 past the end" },
	{ 13, 99, 0x01, UM3N_EINVAL, "UDP Tunnel Request sub-type 1" },
	{ 14, 97, 0x63, UM3N_EUNKNOWN, "non-skippable unknown type 99 after auth" },
	{ 15, 97, 0xc8, 0, "skippable unknown type 200 replaces the tunnel request" },
	{ 16, 24, 0x63, UM3N_EUNKNOWN, "non-skippable unknown type 99 first" },
	{ 17, 24, 0x20, UM3N_EINVAL, "NVSE retyped as MN-HA auth of length 0" },
	{ 18, 30, 0x09, 0, "link-info from another vendor: skipped" },
	{ 19, 33, 0x4d, 0, "unknown um3n NVSE type 77: skipped" },
	{ 20, 53, 0x01, UM3N_EINVAL, "policy chunk index 1 of count 1" },
	{ 21, 55, 0x00, UM3N_EINVAL, "policy chunk count 0" },
	{ 22, 97, 0x2c, UM3N_EUNKNOWN, "UDP Tunnel Reply (44) in a request" },
	{ 23, 101, 0xff, 0, "reserved UDP tunnel flag bits are ignored" },
	{ 24, 38, 0x90, UM3N_EINVAL, "chunk NVSE header as 144 with length 0" },
};
/* clang-format on */

static void test_rrq_corruption_table(void)
{
	uint8_t msg[sizeof(golden_rrq)];
	struct um3n_rrq d;

	for (size_t i = 0; i < sizeof(rrq_corrupt) / sizeof(rrq_corrupt[0]); i++) {
		const struct corrupt_case *c = &rrq_corrupt[i];
		int rc;

		memcpy(msg, golden_rrq, sizeof(msg));
		msg[c->off] = c->value;
		rc = rrq_decode_copy(msg, sizeof(msg), &d);
		CHECK(rc == c->expect, "case %d (%s): got %d want %d", c->no, c->why, rc,
		      c->expect);
	}
	/* Case 18/19 details: the skipped NVSE leaves has_link_info false. */
	memcpy(msg, golden_rrq, sizeof(msg));
	msg[30] = 0x09;
	CU_ASSERT(rrq_decode_copy(msg, sizeof(msg), &d) == 0 && !d.has_link_info &&
		  d.has_policy_chunk);
	/* Case 15: skipped, so no tunnel request. */
	memcpy(msg, golden_rrq, sizeof(msg));
	msg[97] = 0xc8;
	CU_ASSERT(rrq_decode_copy(msg, sizeof(msg), &d) == 0 && !d.has_udp_tun_req && d.has_auth);
}

/* Every value of every length byte: decode must return (never crash) and a
 * success must keep the authenticator inside the buffer. */
static void test_rrq_all_length_values(void)
{
	static const size_t length_bytes[] = {25, 26, 27, 39, 40, 41, 60, 98};
	uint8_t msg[sizeof(golden_rrq)];
	struct um3n_rrq d;

	for (size_t i = 0; i < sizeof(length_bytes) / sizeof(length_bytes[0]); i++) {
		for (unsigned v = 0; v < 256; v++) {
			int rc;

			memcpy(msg, golden_rrq, sizeof(msg));
			msg[length_bytes[i]] = (uint8_t)v;
			rc = rrq_decode_copy(msg, sizeof(msg), &d);
			CHECK(rc <= 0 && rc >= UM3N_EUNKNOWN, "byte %zu = %u: rc %d",
			      length_bytes[i], v, rc);
			CHECK(rc || !d.has_auth || d.auth_covered_len + d.auth_len <= sizeof(msg),
			      "byte %zu = %u: auth outside", length_bytes[i], v);
		}
	}
}

/* Builds fixed part + the given extension blobs. */
static size_t build_rrq(uint8_t *out, const uint8_t *const *exts, const size_t *lens, size_t n)
{
	size_t off = UM3N_RRQ_FIXED_LEN;

	memcpy(out, golden_rrq, UM3N_RRQ_FIXED_LEN);
	for (size_t i = 0; i < n; i++) {
		memcpy(out + off, exts[i], lens[i]);
		off += lens[i];
	}
	return off;
}

static const uint8_t x_auth[38] = {0x20, 0x24, 0x00, 0x00, 0x01, 0x00};
static const uint8_t x_link[14] = {0x86, 12, 0, 0, 0, 0, 0x7e, 0xd9, 0, 1, 3, 1, 0, 0};
static const uint8_t x_skip[5] = {0xc8, 3, 1, 2, 3};
static const uint8_t x_noskip[5] = {0x63, 3, 1, 2, 3};
static const uint8_t x_foreign[12] = {0x86, 10, 0, 0, 0, 0, 0x01, 0x37, 0, 1, 0xaa, 0xbb};
static const uint8_t x_cvse[14] = {0x26, 0, 0, 10, 0, 0, 0x7e, 0xd9, 0, 1, 3, 1, 0, 0};
static const uint8_t x_tunreq[8] = {0x90, 6, 0, 0, 0x80, 47, 0, 0};

struct ext_case {
	int no;
	const uint8_t *ext[4];
	size_t len[4];
	int expect;
	int link_id; /* -1: no link info expected */
	bool tun;
	const char *why;
};

/* clang-format off */
static const struct ext_case ext_cases[] = {
	{ 1, { x_skip, x_link, x_auth }, { 5, 14, 38 }, 0, 3, false, "skippable before" },
	{ 2, { x_noskip, x_link, x_auth }, { 5, 14, 38 }, UM3N_EUNKNOWN, -1, false, "non-skippable" },
	{ 3, { x_foreign, x_link, x_auth }, { 12, 14, 38 }, 0, 3, false, "foreign NVSE skipped" },
	{ 4, { x_auth, x_link }, { 38, 14 }, 0, -1, false, "NVSE after auth: not interpreted" },
	{ 5, { x_auth, x_skip, x_tunreq }, { 38, 5, 8 }, 0, -1, true, "skippable after auth" },
	{ 6, { x_tunreq, x_link, x_auth }, { 8, 14, 38 }, 0, 3, true, "tunnel request before auth" },
	{ 7, { x_tunreq, x_auth, x_tunreq }, { 8, 38, 8 }, UM3N_EINVAL, -1, true, "tunnel twice" },
	{ 8, { x_link, x_link, x_auth }, { 14, 14, 38 }, UM3N_EINVAL, -1, false, "link twice" },
	{ 9, { x_link, x_auth, x_auth }, { 14, 38, 38 }, UM3N_EINVAL, -1, false, "auth twice" },
	{ 10, { x_link, x_auth, x_noskip }, { 14, 38, 5 }, UM3N_EUNKNOWN, -1, false, "non-skip after" },
	{ 11, { x_link }, { 14 }, 0, 3, false, "no auth at all: has_auth false" },
	{ 12, { x_cvse, x_auth }, { 14, 38 }, UM3N_EUNKNOWN, -1, false, "CVSE (38) is critical" },
};
/* clang-format on */

static void test_rrq_extension_table(void)
{
	for (size_t i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		const struct ext_case *c = &ext_cases[i];
		uint8_t msg[UM3N_REG_MSG_MAX];
		size_t n = 0, len;
		struct um3n_rrq d;
		int rc;

		while (n < 4 && c->ext[n])
			n++;
		len = build_rrq(msg, c->ext, c->len, n);
		rc = rrq_decode_copy(msg, len, &d);
		CHECK(rc == c->expect, "ext case %d (%s): rc %d want %d", c->no, c->why, rc,
		      c->expect);
		if (rc || c->expect)
			continue;
		CHECK(c->link_id < 0 ? !d.has_link_info
				     : (d.has_link_info && d.link.link_id == c->link_id),
		      "ext case %d (%s): link info", c->no, c->why);
		CHECK(d.has_udp_tun_req == c->tun, "ext case %d (%s): tunnel", c->no, c->why);
		CHECK(!d.has_udp_tun_req || d.encap == UM3N_ENCAP_GRE, "ext case %d: encap", c->no);
	}
}

static void test_reg_size_limit(void)
{
	static uint8_t msg[UM3N_REG_MSG_MAX + 1];
	struct um3n_rrq d;
	struct um3n_rrp p;
	size_t off = UM3N_RRQ_FIXED_LEN;

	/* A valid RRQ padded with skippable extensions to exactly the limit. */
	memcpy(msg, golden_rrq, off);
	while (UM3N_REG_MSG_MAX - off >= 2) {
		size_t body = UM3N_REG_MSG_MAX - off - 2;

		body = body > 255 ? 200 : body;
		msg[off] = 0xc8;
		msg[off + 1] = (uint8_t)body;
		off += 2 + body;
	}
	CU_ASSERT_EQUAL_FATAL(off, UM3N_REG_MSG_MAX);
	CU_ASSERT_EQUAL(um3n_wire_rrq_decode(msg, UM3N_REG_MSG_MAX, &d), 0);
	CU_ASSERT_EQUAL(um3n_wire_rrq_decode(msg, UM3N_REG_MSG_MAX + 1, &d), UM3N_ETOOBIG);
	msg[0] = UM3N_MSG_RRP;
	CU_ASSERT_EQUAL(um3n_wire_rrp_decode(msg, UM3N_REG_MSG_MAX + 1, &p), UM3N_ETOOBIG);
	CU_ASSERT_EQUAL(um3n_wire_rrp_decode(golden_rrq, sizeof(golden_rrq), &p), UM3N_EINVAL);
}

/* ---------- 4. authentication ---------- */

static void test_auth_sign_verify(void)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrq m, d;
	size_t len, auth_off;

	fill_rrq(&m, 7);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(
		um3n_auth_sign(test_key, sizeof(test_key), buf, auth_off, buf + auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_decode(buf, len, &d), 0);
	/* The covered bytes end exactly with the SPI: the 4 bytes before are it. */
	CU_ASSERT_EQUAL(um3n_get32(buf + d.auth_covered_len - 4), 256);
	CU_ASSERT_EQUAL(buf[d.auth_covered_len - 6], UM3N_EXT_MN_HA_AUTH);
	CU_ASSERT_EQUAL(VERIFY(buf, d), 0);
	/* Flip each covered byte: verification fails. */
	for (size_t i = 0; i < d.auth_covered_len; i++) {
		buf[i] ^= 0x01;
		CHECK(VERIFY(buf, d) == UM3N_EAUTH, "flip byte %zu", i);
		buf[i] ^= 0x01;
	}
	/* The UDP Tunnel Request after the authenticator is not covered (RFC 3519 §3.1 placement). */
	buf[len - 3] ^= 0x04;
	CU_ASSERT_EQUAL(VERIFY(buf, d), 0);
}

static void test_auth_rrp(void)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrp m, d;
	size_t len, auth_off;

	fill_rrp(&m, 7);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(
		um3n_auth_sign(test_key, sizeof(test_key), buf, auth_off, buf + auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_decode(buf, len, &d), 0);
	CU_ASSERT_EQUAL(VERIFY(buf, d), 0);
	buf[27] ^= 0x01; /* keepalive interval is covered */
	CU_ASSERT_EQUAL(VERIFY(buf, d), UM3N_EAUTH);
}

/* The link-info NVSE grows from 4 to 8 value bytes when the MN gives a rate
 * weight; both forms decode, and the short form reads as weight 0. */
static void test_link_info_weight(void)
{
	struct um3n_rrq m, d;
	uint8_t buf[512];
	size_t len, len_short, auth_off;

	fill_rrq(&m, 2);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len_short, &auth_off), 0);
	CU_ASSERT_EQUAL(um3n_wire_rrq_decode(buf, len_short, &d), 0);
	CU_ASSERT_EQUAL(d.link.weight_kbps, 0);
	m.link.weight_kbps = 14670;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL(len, len_short + 4);
	CU_ASSERT_EQUAL(um3n_wire_rrq_decode(buf, len, &d), 0);
	CU_ASSERT_EQUAL(d.link.weight_kbps, 14670);
	CU_ASSERT_EQUAL(d.link.link_id, 1);
}

static CU_TestInfo reg_tests[] = {
	{"golden_rrq", test_golden_rrq},
	{"golden_rrp", test_golden_rrp},
	{"rrq_roundtrip_all_combinations", test_rrq_roundtrip_all_combinations},
	{"rrp_roundtrip_all_combinations", test_rrp_roundtrip_all_combinations},
	{"encode_limits", test_encode_limits},
	{"every_truncation", test_every_truncation},
	{"rrq_corruption_table", test_rrq_corruption_table},
	{"rrq_all_length_values", test_rrq_all_length_values},
	{"rrq_extension_table", test_rrq_extension_table},
	{"reg_size_limit", test_reg_size_limit},
	{"auth_sign_verify", test_auth_sign_verify},
	{"auth_rrp", test_auth_rrp},
	{"link_info_weight", test_link_info_weight},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"wire_registration", reg_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
