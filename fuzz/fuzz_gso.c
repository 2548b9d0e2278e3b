/* libFuzzer: the daemons' userspace TSO/GRO (daemons/dgso.c). The input is a
 * virtio-net header (as the kernel would put before a TUN read), one mode
 * byte, then a packet. The packet is cut with d_gso_split and the segments
 * glued again with d_gso_gro_add; the raw packet is also offered to d_gso_gro_add
 * alone, as a decapsulated packet from the network would be. Checked: every
 * segment lies inside the buffer and is at most D_GSO_SEG_MAX bytes, every
 * coalescer output is a vnet header plus at most D_GSO_MAX readable bytes. */
#include <stdlib.h>
#include <string.h>

#include "dgso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEGS_KEPT 64

struct fz {
	uint8_t *base;
	size_t cap;
	uint8_t segs[SEGS_KEPT][D_GSO_SEG_MAX];
	size_t lens[SEGS_KEPT];
	unsigned n;
	unsigned sink;
};

static void on_seg(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fz *f = ctx;

	if (pkt < f->base || pkt + len > f->base + f->cap || len > D_GSO_SEG_MAX)
		abort();
	if (f->n < SEGS_KEPT) {
		memcpy(f->segs[f->n], pkt, len); /* the next segment is built over it */
		f->lens[f->n++] = len;
	}
}

static void on_out(void *ctx, const struct iovec *iov, int n)
{
	struct fz *f = ctx;
	size_t total = 0;

	if (n < 2 || n > 2 + D_GRO_SEGS || iov[0].iov_len != D_VNET_HDR_LEN)
		abort();
	for (int i = 1; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;

		for (size_t k = 0; k < iov[i].iov_len; k++) /* ASan: every byte readable */
			f->sink += p[k];
		total += iov[i].iov_len;
	}
	if (total > D_GSO_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	static uint8_t buf[D_GSO_MAX];
	static struct d_gso_gro g;
	struct virtio_net_hdr vh;
	uint8_t mode;
	size_t len;

	if (size < D_VNET_HDR_LEN + 1 || size - D_VNET_HDR_LEN - 1 > sizeof(buf))
		return 0;
	memcpy(&vh, data, D_VNET_HDR_LEN);
	mode = data[D_VNET_HDR_LEN];
	len = size - D_VNET_HDR_LEN - 1;
	memcpy(buf, data + D_VNET_HDR_LEN + 1, len);
	f.base = buf;
	f.cap = len;
	f.n = 0;
	memset(&g, 0, sizeof(g));
	g.complete_tcp = mode & 2;
	d_gso_gro_add(&g, buf, len, on_out, &f); /* as from the tunnel */
	d_gso_gro_flush(&g, on_out, &f);
	if (d_gso_split(&vh, buf, len, mode & 1 ? D_GSO_PARTIAL : 0, on_seg, &f) < 0)
		return 0;
	for (unsigned i = 0; i < f.n; i++)
		d_gso_gro_add(&g, f.segs[i], f.lens[i], on_out, &f);
	d_gso_gro_flush(&g, on_out, &f);
	return 0;
}
