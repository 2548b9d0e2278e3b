/* The tunnel's inner path MTU at the MN (core/pmtu.c, core/mn_tun.c): TCP
 * SYNs clamped with a checksum that still verifies (MSS at an even and an odd
 * offset, both families), everything else left byte for byte, options that
 * run off the header refused; ICMP "fragmentation needed" as RFC 792/1191/1812
 * describe it; and in the engine (pairnet): a SYN reaches the HA clamped, an
 * IPv4 DF packet over the path is answered into the TUN and never sent, one
 * without DF and an IPv6 packet up to 1280 go on. */
#include <string.h>

#include "pairnet.h"
#include "pmtu.h"
#include "testutil.h"
#include "wire.h"

/* RFC 1071 sum of the TCP segment with its pseudo-header: 0 when it verifies. */
static uint16_t tcp_verify(const uint8_t *pkt, size_t len)
{
	struct um3n_ip_info ip;
	uint8_t buf[2048];
	size_t n = 0, seg;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(pkt, len, &ip), 0);
	seg = ip.total_len - ip.header_len;
	if (ip.version == 4) {
		memcpy(buf, pkt + 12, 8);
		n = 8;
		buf[n++] = 0;
		buf[n++] = 6;
		um3n_put16(buf + n, (uint16_t)seg);
		n += 2;
	} else {
		memcpy(buf, pkt + 8, 32);
		n = 32;
		um3n_put32(buf + n, (uint32_t)seg);
		buf[n + 4] = buf[n + 5] = buf[n + 6] = 0;
		buf[n + 7] = 6;
		n += 8;
	}
	memcpy(buf + n, pkt + ip.header_len, seg);
	return um3n_wire_inet_csum(buf, n + seg);
}

/* A SYN (IPv4 or IPv6) with options opts (olen, a multiple of 4) and its
 * checksum set; returns its length. */
static size_t syn(uint8_t *p, int version, const uint8_t *opts, size_t olen, uint8_t flags)
{
	size_t ih = version == 4 ? 20 : 40, tl = 20 + olen;
	uint8_t *t = p + ih;

	memset(p, 0, ih + tl);
	if (version == 4) {
		p[0] = 0x45;
		um3n_put16(p + 2, (uint16_t)(ih + tl));
		um3n_put16(p + 6, 0x4000); /* DF */
		p[8] = 64;
		p[9] = 6;
		um3n_put32(p + 12, 0x0ac80002u);
		um3n_put32(p + 16, 0x0a090101u);
		um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
	} else {
		p[0] = 0x60;
		um3n_put16(p + 4, (uint16_t)tl);
		p[6] = 6;
		p[7] = 64;
		p[8] = 0x20, p[9] = 0x01, p[23] = 2;
		p[24] = 0x20, p[25] = 0x01, p[39] = 1;
	}
	um3n_put16(t, 40000);
	um3n_put16(t + 2, 5201);
	um3n_put32(t + 4, 0x12345678u);
	t[12] = (uint8_t)((tl / 4) << 4);
	t[13] = flags;
	um3n_put16(t + 14, 64240);
	memcpy(t + 20, opts, olen);
	um3n_put16(t + 16, 0);
	um3n_put16(t + 16, tcp_verify(p, ih + tl));
	CU_ASSERT_EQUAL(tcp_verify(p, ih + tl), 0);
	return ih + tl;
}

static bool clamp(uint8_t *p, size_t len, unsigned mss)
{
	struct um3n_ip_info ip;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(p, len, &ip), 0);
	return um3n_pmtu_clamp_mss(p, len, &ip, mss);
}

static void test_clamp_even_odd(void)
{
	/* MSS first (offset 22, even), then after one NOP (offset 23, odd) */
	static const uint8_t even[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 1};
	static const uint8_t odd[] = {1, 2, 4, 0x05, 0xb4, 4, 2, 0};
	uint8_t p[128];

	for (int v = 4; v <= 6; v += 2) {
		size_t ih = v == 4 ? 20 : 40, n = syn(p, v, even, sizeof(even), 0x02);
		unsigned want = um3n_pmtu_mss(1240, (uint8_t)v);

		CU_ASSERT_EQUAL(want, v == 4 ? 1200 : 1180);
		CU_ASSERT_TRUE(clamp(p, n, want));
		CU_ASSERT_EQUAL(um3n_get16(p + ih + 22), want);
		CU_ASSERT_EQUAL(tcp_verify(p, n), 0);
		n = syn(p, v, odd, sizeof(odd), 0x12); /* SYN-ACK */
		CU_ASSERT_TRUE(clamp(p, n, want));
		CU_ASSERT_EQUAL(um3n_get16(p + ih + 23), want);
		CU_ASSERT_EQUAL(tcp_verify(p, n), 0);
	}
}

static void test_clamp_leaves(void)
{
	static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	static const uint8_t small[] = {2, 4, 0x04, 0x00};            /* 1024: already fits */
	static const uint8_t runoff[] = {1, 1, 8, 9, 2, 4, 5, 0};     /* length 9 runs off */
	static const uint8_t zero[] = {3, 0, 2, 4, 0x05, 0xb4, 0, 0}; /* length 0: stop */
	uint8_t p[128], before[128];
	size_t n;

	n = syn(p, 4, mss, sizeof(mss), 0x10); /* an ACK, no SYN */
	memcpy(before, p, n);
	CU_ASSERT_FALSE(clamp(p, n, 1200));
	n = syn(p, 4, small, sizeof(small), 0x02);
	memcpy(before, p, n);
	CU_ASSERT_FALSE(clamp(p, n, 1200));
	CU_ASSERT_EQUAL(memcmp(p, before, n), 0);
	n = syn(p, 4, runoff, sizeof(runoff), 0x02);
	CU_ASSERT_FALSE(clamp(p, n, 1200));
	n = syn(p, 4, zero, sizeof(zero), 0x02);
	memcpy(before, p, n);
	CU_ASSERT_FALSE(clamp(p, n, 1200));
	CU_ASSERT_EQUAL(memcmp(p, before, n), 0);
	n = syn(p, 4, mss, sizeof(mss), 0x02);
	um3n_put16(p + 6, 0x2001); /* a later fragment: its bytes are no TCP header */
	CU_ASSERT_FALSE(clamp(p, n, 1200));
	n = syn(p, 4, mss, sizeof(mss), 0x02);
	p[20 + 12] = 0xf0; /* a data offset beyond the packet */
	CU_ASSERT_FALSE(clamp(p, n, 1200));
}

static void test_frag_needed(void)
{
	uint8_t pkt[1500], out[1024];
	struct um3n_ip_info ip, icmp;
	size_t n = pairnet_ip_packet(pkt, 0x0ac80002u, 0x0a090101u, 1300 - 28);
	int len;

	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(pkt, n, &ip), 0);
	len = um3n_pmtu_frag_needed(out, sizeof(out), pkt, &ip, 0xc0000201u, 1240);
	CU_ASSERT_EQUAL_FATAL(len, 576); /* 20 + 8 + 548 quoted */
	CU_ASSERT_EQUAL_FATAL(um3n_wire_ip_parse(out, (size_t)len, &icmp), 0);
	CU_ASSERT_EQUAL(icmp.proto, 1);
	CU_ASSERT_EQUAL(um3n_addr_v4(&icmp.src), 0xc0000201u);
	CU_ASSERT_EQUAL(um3n_addr_v4(&icmp.dst), 0x0ac80002u);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(out, 20), 0);
	CU_ASSERT_EQUAL(out[20], 3);
	CU_ASSERT_EQUAL(out[21], 4);
	CU_ASSERT_EQUAL(um3n_get16(out + 26), 1240);
	CU_ASSERT_EQUAL(um3n_wire_inet_csum(out + 20, (size_t)len - 20), 0);
	CU_ASSERT_EQUAL(memcmp(out + 28, pkt, 548), 0);
	CU_ASSERT_EQUAL(um3n_pmtu_frag_needed(out, 100, pkt, &ip, 1, 1240), UM3N_ETOOBIG);
	/* an ICMP error gets none; an echo request does */
	memcpy(pkt, out, (size_t)len);
	CU_ASSERT_EQUAL(um3n_pmtu_frag_needed(out, sizeof(out), pkt, &icmp, 1, 1240), UM3N_EINVAL);
	pkt[20] = 8;
	CU_ASSERT_TRUE(um3n_pmtu_frag_needed(out, sizeof(out), pkt, &icmp, 1, 1240) > 0);
}

/* ---- in the engine ------------------------------------------------------ */

static uint8_t answer[2048];
static size_t answer_len;

static void on_tun(struct pairnet *net, int dir, const uint8_t *pkt, size_t len)
{
	(void)net;
	if (dir == TO_MN && len <= sizeof(answer)) {
		memcpy(answer, pkt, len);
		answer_len = len;
	}
}

static void test_engine(void)
{
	static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	struct pairnet net;
	struct um3n_mn_status st;
	uint8_t p[1500];
	uint64_t ha_before;
	size_t n;

	pairnet_init(&net, NULL);
	net.mn_conf.path_mtu = 1240;
	net.on_tun = on_tun;
	pairnet_start(&net);
	pairnet_run(&net, 2000000);
	pairnet_check_bindings(&net, 2);

	n = syn(p, 4, mss, sizeof(mss), 0x02);
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, p, n), 0);
	pairnet_run(&net, net.now_us + 100000);
	CU_ASSERT_EQUAL_FATAL(net.last_ha_tun_len, n);
	CU_ASSERT_EQUAL(um3n_get16(net.last_ha_tun + 42), 1200);
	CU_ASSERT_EQUAL(tcp_verify(net.last_ha_tun, n), 0);

	/* DF over the path: answered, not sent */
	ha_before = net.ha_tun_pkts;
	n = pairnet_ip_packet(p, 0x0ac80002u, 0x0a090101u, 1260 - 28);
	um3n_put16(p + 6, 0x4000);
	um3n_put16(p + 10, 0);
	um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
	answer_len = 0;
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, p, n), 0);
	pairnet_run(&net, net.now_us + 100000);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, ha_before);
	CU_ASSERT_EQUAL_FATAL(answer_len, 28 + 548);
	CU_ASSERT_EQUAL(answer[20], 3);
	CU_ASSERT_EQUAL(um3n_get16(answer + 26), 1240);
	/* the same without DF, and exactly the path with DF: sent */
	um3n_put16(p + 6, 0);
	um3n_put16(p + 10, 0);
	um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, p, n), 0);
	n = pairnet_ip_packet(p, 0x0ac80002u, 0x0a090101u, 1240 - 28);
	um3n_put16(p + 6, 0x4000);
	CU_ASSERT_EQUAL(um3n_mn_tun_input(net.mn, net.now_us, p, n), 0);
	pairnet_run(&net, net.now_us + 100000);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, ha_before + 2);

	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.path_mtu, 1240);
	CU_ASSERT_EQUAL(st.mss_clamped, 1);
	CU_ASSERT_EQUAL(st.frag_needed, 1);
	pairnet_fini(&net);
}

static CU_TestInfo pmtu_tests[] = {
	{"clamp_even_odd", test_clamp_even_odd},
	{"clamp_leaves", test_clamp_leaves},
	{"frag_needed", test_frag_needed},
	{"engine", test_engine},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"pmtu", pmtu_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
