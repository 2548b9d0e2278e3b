/* um3n daemons — TUN offloads (optional, `offload = yes`): with IFF_VNET_HDR
 * and TSO the kernel hands the daemon TCP super-packets of up to 64 KiB and
 * takes them back, so one read()/write() moves ~44 MTU-sized packets instead
 * of one. The engines still see MTU-sized packets: d_gso_split() cuts a
 * super-packet into segments (headers and checksums fixed up, as the kernel's
 * GSO would), d_gro_*() glues consecutive segments of one TCP flow back into
 * a super-packet for the kernel (as GRO would). Pure functions: unit-tested. */
#ifndef UM3N_DGSO_H
#define UM3N_DGSO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define D_VNET_HDR_LEN ((size_t)sizeof(struct virtio_net_hdr))
#define D_GSO_MAX 65535 /* largest IPv4 super-packet */
#define D_GSO_SEG_MAX 2048

/* RFC 1071 sum helpers. */
uint32_t d_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
uint16_t d_csum_fold(uint32_t sum); /* folded and complemented */

/* fn must be done with pkt when it returns (the engines copy it): the next
 * segment is built over its bytes. */
typedef void (*d_seg_fn)(void *ctx, const uint8_t *pkt, size_t len);

/* Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) and, for
 * VIRTIO_NET_HDR_GSO_TCPV4, cuts the packet into gso_size segments, calling
 * fn for each (the packet itself when no GSO). pkt is modified in place.
 * Returns the number of packets passed to fn, or UM3N_EINVAL (malformed
 * header, unsupported GSO type: the packet is dropped). */
int d_gso_split(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t len, d_seg_fn fn,
		void *ctx);

/* Output of the coalescer: a vnet header and a packet to write to the TUN. */
typedef void (*d_gro_out_fn)(void *ctx, const struct virtio_net_hdr *vh, const uint8_t *pkt,
			     size_t len);

struct d_gro {
	uint8_t buf[D_GSO_MAX];
	size_t len;      /* 0 = no run held */
	size_t hdr_len;  /* IPv4 + TCP header bytes */
	uint16_t mss;    /* payload of the first segment: every one but the last */
	uint32_t next_seq;
	unsigned segs;
};

/* Offers one packet: appended to the held run of the same TCP flow when it
 * continues it exactly, else the run is flushed and the packet starts a new
 * one (TCP/IPv4 without IP options) or goes out alone. */
void d_gro_add(struct d_gro *g, const uint8_t *pkt, size_t len, d_gro_out_fn out, void *ctx);
/* Emits the held run (if any). */
void d_gro_flush(struct d_gro *g, d_gro_out_fn out, void *ctx);

#endif
