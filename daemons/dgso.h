/* um3n daemons — TUN offloads (optional, `offload = yes`): with IFF_VNET_HDR
 * and TSO the kernel hands the daemon TCP super-packets of up to 64 KiB and
 * takes them back, so one read()/write() moves ~44 MTU-sized packets instead
 * of one. The engines still see MTU-sized packets: d_gso_split() cuts a
 * super-packet into segments (headers and checksums fixed up, as the kernel's
 * GSO would), d_gso_gro_*() glues consecutive segments of one TCP flow back
 * into a super-packet for the kernel (as GRO would). Pure functions: unit-tested. */
#ifndef UM3N_DGSO_H
#define UM3N_DGSO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define D_VNET_HDR_LEN ((size_t)sizeof(struct virtio_net_hdr))
#define D_GSO_MAX 65535 /* largest IPv4 super-packet */
#define D_GSO_SEG_MAX 2048

/* RFC 1071 sum helpers. */
uint32_t d_gso_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
uint16_t d_gso_csum_fold(uint32_t sum); /* folded and complemented */

/* fn must be done with pkt when it returns (the engines copy it): the next
 * segment is built over its bytes. */
typedef void (*d_seg_fn)(void *ctx, const uint8_t *pkt, size_t len);

/* Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) and, for
 * VIRTIO_NET_HDR_GSO_TCPV4, cuts the packet into gso_size segments, calling
 * fn for each (the packet itself when no GSO). pkt is modified in place.
 * With D_GSO_PARTIAL (the tunnel's far end completes TCP checksums, wire.h
 * UM3N_LINK_F_CSUM_PARTIAL) TCP/IPv4 checksums are left partial: only the
 * pseudo-header sum, no pass over the payload.
 * Returns the number of packets passed to fn, or UM3N_EINVAL (malformed
 * header, unsupported GSO type: the packet is dropped). */
#define D_GSO_PARTIAL 1u
int d_gso_split(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t len, unsigned flags,
		d_seg_fn fn, void *ctx);

/* Output of the coalescer: iov[0] is the virtio-net header, iov[1..n-1] the
 * packet's bytes (headers, then payloads), ready for writev(). */
typedef void (*d_gso_gro_out_fn)(void *ctx, const struct iovec *iov, int n);

#define D_GRO_SEGS 64     /* segments per run: 64 KiB of 1 KiB segments */
#define D_GRO_HDR_MAX 120 /* IPv4 and TCP headers, 60 bytes at most each */

/* The coalescer holds references, not copies: a packet given to d_gso_gro_add()
 * must stay unchanged until its run has been written out (by d_gso_gro_flush()
 * or by a later d_gso_gro_add() that cannot join the run). Saves a copy of every
 * payload byte on the way to the TUN. */
struct d_gso_gro {
	struct virtio_net_hdr vh;
	uint8_t hdr[D_GRO_HDR_MAX];       /* the first segment's headers, fixed at flush */
	struct iovec iov[2 + D_GRO_SEGS]; /* vh, hdr, one payload per segment */
	bool complete_tcp;                /* have the kernel complete every TCP/IPv4 checksum: the
			    * tunnel's far end may send them partial (D_GSO_PARTIAL) */
	size_t len;                       /* packet bytes held; 0 = no run held */
	size_t hdr_len;                   /* IPv4 + TCP header bytes */
	uint16_t mss;                     /* payload of the first segment: every one but the last */
	uint32_t next_seq;
	unsigned segs;
};

/* Offers one packet: joined to the held run of the same TCP flow when it
 * continues it exactly, else the run is flushed and the packet starts a new
 * one (TCP/IPv4 without IP options) or goes out alone. */
void d_gso_gro_add(struct d_gso_gro *g, const uint8_t *pkt, size_t len, d_gso_gro_out_fn out,
		   void *ctx);
/* Emits the held run (if any). */
void d_gso_gro_flush(struct d_gso_gro *g, d_gso_gro_out_fn out, void *ctx);

#endif
