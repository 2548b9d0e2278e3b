/* Daemon TUN offloads: d_gso_split (userspace TSO) and d_gro (userspace GRO)
 * checked against a naive checksum reference and by round trip. */
#include <stdlib.h>
#include <string.h>

#include "dgso.h"
#include "testutil.h"

#define HDR 40 /* IPv4 20 + TCP 20 */

/* Naive one's-complement sum, byte pairs in a plain loop (the reference). */
static uint16_t naive_sum(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	uint64_t s = 0;
	uint8_t *all = malloc(na + nb + 1);

	memcpy(all, a, na);
	if (nb) /* b may be NULL when empty */
		memcpy(all + na, b, nb);
	all[na + nb] = 0;
	for (size_t i = 0; i < na + nb; i += 2)
		s += (uint64_t)all[i] << 8 | all[i + 1];
	free(all);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static bool ip_csum_ok(const uint8_t *ip) { return naive_sum(ip, 20, NULL, 0) == 0xffff; }

static bool tcp_csum_ok(const uint8_t *ip, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)((len - 20) >> 8);
	ph[11] = (uint8_t)(len - 20);
	return naive_sum(ph, 12, ip + 20, len - 20) == 0xffff;
}

static size_t make_tcp(uint8_t *p, size_t payload, uint32_t seq, uint8_t flags, unsigned seed)
{
	memset(p, 0, HDR);
	p[0] = 0x45;
	p[2] = (uint8_t)((HDR + payload) >> 8);
	p[3] = (uint8_t)(HDR + payload);
	p[4] = 0x12, p[5] = 0x34;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, (uint8_t[]){10, 200, 0, 2, 10, 9, 1, 1}, 8);
	p[20] = 0x9c, p[21] = 0x40, p[22] = 0x14, p[23] = 0x51;
	p[24] = (uint8_t)(seq >> 24), p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8), p[27] = (uint8_t)seq;
	p[28] = 0xaa, p[31] = 0x01;
	p[32] = 5 << 4;
	p[33] = flags;
	p[34] = 0x10;
	srand(seed);
	for (size_t i = 0; i < payload; i++)
		p[HDR + i] = (uint8_t)rand();
	return HDR + payload;
}

struct collect {
	uint8_t pkts[64][D_GSO_SEG_MAX];
	size_t lens[64];
	int n;
	/* GRO outputs */
	struct virtio_net_hdr vh[8];
	uint8_t *out[8];
	size_t out_len[8];
	int nout;
};

static void collect_seg(void *ctx, const uint8_t *pkt, size_t len)
{
	struct collect *c = ctx;

	CU_ASSERT_FATAL(c->n < 64 && len <= D_GSO_SEG_MAX);
	memcpy(c->pkts[c->n], pkt, len);
	c->lens[c->n++] = len;
}

/* Flattens the coalescer's iovecs: iov[0] the vnet header, then the bytes. */
static void collect_out(void *ctx, const struct iovec *iov, int n)
{
	struct collect *c = ctx;
	size_t len = 0;

	CU_ASSERT_FATAL(c->nout < 8 && n >= 2 && iov[0].iov_len == D_VNET_HDR_LEN);
	memcpy(&c->vh[c->nout], iov[0].iov_base, D_VNET_HDR_LEN);
	for (int i = 1; i < n; i++)
		len += iov[i].iov_len;
	c->out[c->nout] = malloc(len);
	len = 0;
	for (int i = 1; i < n; i++) {
		memcpy(c->out[c->nout] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	c->out_len[c->nout++] = len;
}

static struct collect *new_collect(void) { return calloc(1, sizeof(struct collect)); }

static void free_collect(struct collect *c)
{
	for (int i = 0; i < c->nout; i++)
		free(c->out[i]);
	free(c);
}

/* Table of super-packets: payload bytes, mss, TCP flags, segments expected. */
static const struct {
	size_t payload, mss;
	uint8_t flags;
	int segs;
} split_cases[] = {
	/* 0 */ {14600, 1460, 0x18, 10}, /* ACK|PSH, exact multiple */
	/* 1 */ {14601, 1460, 0x19, 11}, /* ACK|PSH|FIN, one byte left */
	/* 2 */ {1000, 1460, 0x10, 1},   /* shorter than one mss */
	/* 3 */ {60000, 1448, 0x90, 42}, /* ACK|CWR: CWR on the first only */
};

/* What the kernel does with VIRTIO_NET_HDR_F_NEEDS_CSUM on a TCP/IPv4
 * packet: sum from the TCP header on, over the field's seed, and store. */
static void complete_like_kernel(uint8_t *ip, size_t len)
{
	uint16_t full = d_gso_csum_fold(d_gso_csum_add(0, ip + 20, len - 20));

	ip[36] = (uint8_t)(full >> 8);
	ip[37] = (uint8_t)full;
}

/* D_GSO_PARTIAL leaves each segment's field at its own pseudo-header sum:
 * not yet a valid checksum, and a valid one once completed. */
static bool partial_ok(const uint8_t *seg, size_t len)
{
	static uint8_t copy[D_GSO_SEG_MAX];

	if (tcp_csum_ok(seg, len))
		return false;
	memcpy(copy, seg, len);
	complete_like_kernel(copy, len);
	return tcp_csum_ok(copy, len);
}

static void test_split_table(void)
{
	static uint8_t super[D_GSO_MAX], orig[D_GSO_MAX]; /* split works in place */

	for (size_t k = 0; k < 2 * sizeof(split_cases) / sizeof(split_cases[0]); k++) {
		size_t c = k / 2;
		unsigned mode = k % 2 ? D_GSO_PARTIAL : 0;
		struct collect *col = new_collect();
		struct virtio_net_hdr vh = {0};
		size_t len = make_tcp(super, split_cases[c].payload, 1000, split_cases[c].flags,
				      (unsigned)c);
		size_t off = 0;

		memcpy(orig, super, len);
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.gso_size = (uint16_t)split_cases[c].mss;
		vh.hdr_len = HDR;
		vh.csum_start = 20;
		vh.csum_offset = 16;
		CU_ASSERT_EQUAL(d_gso_split(&vh, super, len, mode, collect_seg, col),
				split_cases[c].segs);
		CU_ASSERT_EQUAL_FATAL(col->n, split_cases[c].segs);
		for (int i = 0; i < col->n; i++) {
			const uint8_t *s = col->pkts[i];
			size_t pl = col->lens[i] - HDR;
			bool last = i == col->n - 1;

			CU_ASSERT_TRUE(ip_csum_ok(s));
			CU_ASSERT_TRUE(mode ? partial_ok(s, col->lens[i])
					    : tcp_csum_ok(s, col->lens[i]));
			CU_ASSERT_EQUAL((size_t)(s[2] << 8 | s[3]), col->lens[i]);
			CU_ASSERT_EQUAL(s[5], (uint8_t)(0x34 + i)); /* IP ID increments */
			CU_ASSERT_EQUAL((uint32_t)(s[24] << 24 | s[25] << 16 | s[26] << 8 | s[27]),
					1000 + off);
			CU_ASSERT_EQUAL(!!(s[33] & 0x08), last && (split_cases[c].flags & 0x08));
			CU_ASSERT_EQUAL(!!(s[33] & 0x01), last && (split_cases[c].flags & 0x01));
			CU_ASSERT_EQUAL(!!(s[33] & 0x80), i == 0 && (split_cases[c].flags & 0x80));
			CU_ASSERT_TRUE(last || pl == split_cases[c].mss);
			CU_ASSERT_EQUAL(memcmp(s + HDR, orig + HDR + off, pl), 0);
			off += pl;
		}
		CU_ASSERT_EQUAL(off, split_cases[c].payload);
		free_collect(col);
	}
}

static void test_split_rejects(void)
{
	static uint8_t p[4096];
	struct collect *col = new_collect();
	struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 0};
	size_t len = make_tcp(p, 3000, 1, 0x10, 1);

	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, 0, collect_seg, col), UM3N_EINVAL); /* mss 0 */
	vh.gso_size = 1000;
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, 0, collect_seg, col), UM3N_EINVAL);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	p[0] = 0x4f; /* IHL 60 > what the TCP header leaves */
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, 50, 0, collect_seg, col), UM3N_EINVAL);
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 4000;
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, 0, collect_seg, col), UM3N_EINVAL);
	CU_ASSERT_EQUAL(col->n, 0);
	free_collect(col);
}

static void test_partial_csum(void)
{
	static uint8_t p[2000];
	struct collect *col = new_collect();
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .csum_start = 20,
				    .csum_offset = 16};
	size_t len = make_tcp(p, 700, 5, 0x18, 3);
	uint8_t ph[12];
	uint16_t want;

	/* What the kernel leaves in the field for CHECKSUM_PARTIAL: the
	 * pseudo-header sum, not complemented. */
	memcpy(ph, p + 12, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)((len - 20) >> 8), ph[11] = (uint8_t)(len - 20);
	uint16_t psum = naive_sum(ph, 12, NULL, 0);
	p[36] = (uint8_t)(psum >> 8), p[37] = (uint8_t)psum;
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, D_GSO_PARTIAL, collect_seg, col), 1);
	CU_ASSERT_TRUE(partial_ok(col->pkts[0], col->lens[0])); /* left as the kernel gave it */
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, 0, collect_seg, col), 1);
	CU_ASSERT_TRUE(tcp_csum_ok(col->pkts[1], col->lens[1]));
	/* not TCP at offset 16 (a UDP checksum): completed even in partial mode */
	vh.csum_offset = 6;
	p[26] = (uint8_t)(psum >> 8), p[27] = (uint8_t)psum;
	want = d_gso_csum_fold(d_gso_csum_add(0, p + 20, len - 20));
	CU_ASSERT_EQUAL(d_gso_split(&vh, p, len, D_GSO_PARTIAL, collect_seg, col), 1);
	CU_ASSERT_EQUAL(um3n_get16(col->pkts[2] + 26), want);
	free_collect(col);
}

static void test_gro_roundtrip(void)
{
	static uint8_t super[D_GSO_MAX], orig[D_GSO_MAX];
	struct collect *col = new_collect();
	struct d_gso_gro *g = calloc(1, sizeof(*g));
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .gso_size = 1448,
				    .hdr_len = HDR,
				    .csum_start = 20,
				    .csum_offset = 16};
	size_t len = make_tcp(super, 20000, 77, 0x18, 9);
	uint8_t *o;

	memcpy(orig, super, len);
	CU_ASSERT_EQUAL(d_gso_split(&vh, super, len, 0, collect_seg, col), 14);
	for (int i = 0; i < col->n; i++)
		d_gso_gro_add(g, col->pkts[i], col->lens[i], collect_out, col);
	d_gso_gro_flush(g, collect_out, col);
	/* PSH on the last segment ends the run: one super-packet out. */
	CU_ASSERT_EQUAL_FATAL(col->nout, 1);
	CU_ASSERT_EQUAL(col->vh[0].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CU_ASSERT_EQUAL(col->vh[0].gso_size, 1448);
	CU_ASSERT_EQUAL(col->vh[0].hdr_len, HDR);
	CU_ASSERT_EQUAL(col->out_len[0], len);
	o = col->out[0];
	CU_ASSERT_TRUE(ip_csum_ok(o));
	CU_ASSERT_EQUAL(memcmp(o + HDR, orig + HDR, 20000), 0);
	CU_ASSERT_EQUAL(o[33], 0x18);
	/* Completing the partial checksum the way the kernel will (sum from
	 * csum_start over the field's pseudo-header sum, complement) must give
	 * a valid TCP checksum over the whole super-packet. */
	{
		uint16_t full = d_gso_csum_fold(d_gso_csum_add(0, o + 20, len - 20));

		o[36] = (uint8_t)(full >> 8);
		o[37] = (uint8_t)full;
		CU_ASSERT_TRUE(tcp_csum_ok(o, len));
	}
	free(g);
	free_collect(col);
}

static void test_gro_breaks(void)
{
	static uint8_t a[2000], b[2000], c[2000];
	struct collect *col = new_collect();
	struct d_gso_gro *g = calloc(1, sizeof(*g));
	size_t la = make_tcp(a, 1000, 1, 0x10, 1);
	size_t lb = make_tcp(b, 1000, 1001 + 5, 0x10, 2); /* a gap in sequence */
	size_t lc = make_tcp(c, 100, 0, 0x02, 3);         /* SYN: never held */

	d_gso_gro_add(g, a, la, collect_out, col);
	CU_ASSERT_EQUAL(col->nout, 0); /* held */
	d_gso_gro_add(g, b, lb, collect_out, col);
	CU_ASSERT_EQUAL(col->nout, 1); /* a flushed alone */
	d_gso_gro_add(g, c, lc, collect_out, col);
	CU_ASSERT_EQUAL(col->nout, 3); /* b flushed, then c passed through */
	CU_ASSERT_EQUAL(col->vh[0].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CU_ASSERT_EQUAL(col->vh[2].gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CU_ASSERT_EQUAL(col->out_len[2], lc);
	CU_ASSERT_EQUAL(memcmp(col->out[0], a, la), 0); /* untouched */
	d_gso_gro_flush(g, collect_out, col);
	CU_ASSERT_EQUAL(col->nout, 3);
	free(g);
	free_collect(col);
}

/* complete_tcp (the far end sent partial checksums): every TCP/IPv4 packet
 * leaves with NEEDS_CSUM and a re-seeded field, whatever it carried (a pure
 * ACK with a full checksum, a lone segment, a run); other packets untouched. */
static void test_gro_complete_tcp(void)
{
	static uint8_t super[D_GSO_MAX], ack[64], lone[1000], udp[100];
	struct collect *col = new_collect();
	struct d_gso_gro *g = calloc(1, sizeof(*g));
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .gso_size = 1448,
				    .hdr_len = HDR,
				    .csum_start = 20,
				    .csum_offset = 16};
	size_t la = make_tcp(ack, 0, 9, 0x10, 1), ll = make_tcp(lone, 500, 7, 0x18, 2);
	size_t len = make_tcp(super, 5000, 100, 0x18, 3);

	complete_like_kernel(ack, la); /* a full checksum: must be replaced, not summed over */
	memset(udp, 0, sizeof(udp));
	udp[0] = 0x45, udp[3] = sizeof(udp), udp[9] = 17;
	g->complete_tcp = true;
	d_gso_gro_add(g, ack, la, collect_out, col);
	d_gso_gro_add(g, lone, ll, collect_out, col); /* PSH: a run of one, out at once */
	d_gso_gro_add(g, udp, sizeof(udp), collect_out, col);
	CU_ASSERT_EQUAL(d_gso_split(&vh, super, len, D_GSO_PARTIAL, collect_seg, col), 4);
	for (int i = 0; i < col->n; i++)
		d_gso_gro_add(g, col->pkts[i], col->lens[i], collect_out, col);
	d_gso_gro_flush(g, collect_out, col);
	CU_ASSERT_EQUAL_FATAL(col->nout, 4);
	for (int i = 0; i < 4; i++) {
		bool tcp = i != 2;

		CU_ASSERT_EQUAL(!!(col->vh[i].flags & VIRTIO_NET_HDR_F_NEEDS_CSUM), tcp);
		if (!tcp)
			continue;
		CU_ASSERT_EQUAL(col->vh[i].csum_start, 20);
		CU_ASSERT_EQUAL(col->vh[i].csum_offset, 16);
		complete_like_kernel(col->out[i], col->out_len[i]);
		CU_ASSERT_TRUE(tcp_csum_ok(col->out[i], col->out_len[i]));
	}
	CU_ASSERT_EQUAL(col->out_len[3], len);
	CU_ASSERT_EQUAL(memcmp(col->out[2], udp, sizeof(udp)), 0);
	/* without complete_tcp a lone packet goes as it came */
	g->complete_tcp = false;
	d_gso_gro_add(g, ack, la, collect_out, col);
	CU_ASSERT_EQUAL_FATAL(col->nout, 5);
	CU_ASSERT_EQUAL(col->vh[4].flags, 0);
	CU_ASSERT_EQUAL(memcmp(col->out[4], ack, la), 0);
	free(g);
	free_collect(col);
}

/* A run holds at most D_GRO_SEGS segments (the iovec array's size): 70
 * back-to-back 200-byte segments leave as a run of 64 and a run of 6, and the
 * bytes referenced are exactly the segments' payloads, in order. */
static void test_gro_segment_cap(void)
{
	static uint8_t segs[70][HDR + 200];
	struct collect *col = new_collect();
	struct d_gso_gro *g = calloc(1, sizeof(*g));
	size_t len = 0;

	for (unsigned i = 0; i < 70; i++) {
		len = make_tcp(segs[i], 200, 1000 + 200 * i, 0x10, i);
		d_gso_gro_add(g, segs[i], len, collect_out, col);
	}
	CU_ASSERT_EQUAL(col->nout, 1);
	d_gso_gro_flush(g, collect_out, col);
	CU_ASSERT_EQUAL_FATAL(col->nout, 2);
	CU_ASSERT_EQUAL(col->out_len[0], HDR + 64 * 200);
	CU_ASSERT_EQUAL(col->out_len[1], HDR + 6 * 200);
	CU_ASSERT_EQUAL(col->vh[0].gso_size, 200);
	CU_ASSERT_EQUAL(col->vh[1].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	for (unsigned i = 0; i < 70; i++) {
		const uint8_t *o = col->out[i / 64] + HDR + (i % 64) * 200;

		CU_ASSERT_EQUAL(memcmp(o, segs[i] + HDR, 200), 0);
	}
	CU_ASSERT_EQUAL(um3n_get32(col->out[1] + 24), 1000 + 200 * 64);
	CU_ASSERT_TRUE(ip_csum_ok(col->out[0]) && ip_csum_ok(col->out[1]));
	free(g);
	free_collect(col);
}

/* The fast sum against the naive one: every length 0..300, every start
 * offset 0..7 (alignment), and chained calls split at an even length. */
static void test_csum_vs_naive(void)
{
	uint8_t buf[320];

	srand(42);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 300; len++) {
			uint16_t want = naive_sum(buf + off, len, NULL, 0);
			uint32_t got = d_gso_csum_add(0, buf + off, len);
			size_t cut = (len / 2) & ~(size_t)1;

			CU_ASSERT_EQUAL((uint16_t)~d_gso_csum_fold(got), want);
			got = d_gso_csum_add(d_gso_csum_add(0, buf + off, cut), buf + off + cut,
					     len - cut);
			CU_ASSERT_EQUAL((uint16_t)~d_gso_csum_fold(got), want);
		}
	}
}

static CU_TestInfo gso_tests[] = {
	{"csum_vs_naive", test_csum_vs_naive},
	{"split_table", test_split_table},
	{"split_rejects", test_split_rejects},
	{"partial_csum", test_partial_csum},
	{"gro_roundtrip", test_gro_roundtrip},
	{"gro_breaks", test_gro_breaks},
	{"gro_segment_cap", test_gro_segment_cap},
	{"gro_complete_tcp", test_gro_complete_tcp},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_gso", gso_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
