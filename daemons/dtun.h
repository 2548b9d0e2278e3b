/* um3n daemons — the TUN device as the daemons use it: plain (one packet per
 * read/write) or, with offload, IFF_VNET_HDR + TSO where a read may return a
 * 64 KiB TCP super-packet (cut up by d_gso_split) and writes of consecutive
 * TCP segments are glued back together (d_gso_gro) before they reach the kernel. */
#ifndef UM3N_DTUN_H
#define UM3N_DTUN_H

#include <stdbool.h>
#include <stdint.h>

#include "dgso.h"

/* With offload: may the TCP checksums of this packet read from the TUN stay
 * partial? Yes when the tunnel peer it goes to completes them (the engines'
 * *_peer_csum_partial()). Called once per read with d_tun_read's ctx. */
typedef bool (*d_partial_fn)(void *ctx, const uint8_t *pkt, size_t len);

struct d_tun {
	int fd;
	bool vnet;
	d_partial_fn partial_ok; /* NULL: always complete them */
	uint64_t write_errors, bad_gso;
	struct d_gso_gro gro;
	uint8_t rbuf[D_VNET_HDR_LEN + D_GSO_MAX];
};

/* Opens name (non-blocking); with vnet, asks for checksum and TSO4 offload.
 * Returns 0 or -errno. */
int d_tun_setup(struct d_tun *t, const char *name, bool vnet);
/* What both daemons do at start: d_tun_setup() with offload if *offload
 * (falling back to plain packets, and clearing *offload, when the kernel
 * refuses), then the address addr_host/32 (none when 0), the MTU, the queue
 * length D_TUN_TXQLEN, and up. Logs what failed; 0 or -1. */
int d_tun_open(struct d_tun *t, const char *name, bool *offload, uint32_t addr_host, unsigned mtu);
/* One read: calls fn per packet (several for a super-packet). Returns the
 * number of packets, 0 when nothing is pending, or -errno. */
int d_tun_read(struct d_tun *t, d_seg_fn fn, void *ctx);
/* Budgets of one TUN wake-up, shared by both daemons. Draining less often
 * means longer UDP GSO runs (a whole super-packet per send) and fewer
 * wake-ups of the peer; 256 packets is ~0.35 ms of data at 8 Gbit/s, the
 * longest an ACK waiting on the UDP socket is held back. With
 * daemons/bench.sh, 32 and 256 were within this machine's noise (tunnel
 * medians 8.6 and 8.9 Gbit/s); 256 is kept for the longer GSO runs. */
#define D_TUN_READ_BUDGET 256 /* packets per wake-up before other fds get a turn */
#define D_TUN_DRAIN_EVERY 256 /* engine inputs between output drains */

/* The MN's TUN MTU for an inner path MTU of `path` (what the smallest uplink
 * carries inside the tunnel): the path's, but at least IPv6's 1280 with an
 * IPv6 home address, since the kernel turns IPv6 off on a smaller device.
 * The engine then keeps IPv4 and TCP within the path (core/pmtu.h) and the
 * outer datagrams of larger IPv6 packets are fragmented. Logs the case. */
unsigned d_tun_mtu(const char *name, unsigned path, bool ipv6);
/* Reads until the TUN is empty or D_TUN_READ_BUDGET packets went to fn, calling
 * drain(ctx) every D_TUN_DRAIN_EVERY packets and at the end, so outputs leave
 * while input is still pouring in; *now_us (the engine clock for the batch)
 * is read again after each drain. */
void d_tun_pump(struct d_tun *t, d_seg_fn fn, void (*drain)(void *ctx), void *ctx,
		uint64_t *now_us);
/* Writes one packet or, with offload, queues it for coalescing by reference:
 * then pkt must stay unchanged until the next d_tun_flush(). */
void d_tun_write(struct d_tun *t, const uint8_t *pkt, size_t len);
/* Pushes out what the coalescer holds; call when a batch of output is done. */
void d_tun_flush(struct d_tun *t);
void d_tun_close(struct d_tun *t);
/* At exit: logs what the daemon dropped at its sockets, if anything. */
void d_tun_log_drops(const struct d_tun *t, uint64_t udp_dropped);

/* The engine's output slot size for a TUN of this MTU: the largest tunnel
 * datagram (with the GRE key of aggregate rules; sealed, encrypt = yes, with
 * UM3N_SEAL_OVERHEAD more). The ring packs outputs (outq.h), so datagrams of
 * any size lie back to back and a UDP GSO run goes to the kernel as one
 * buffer (d_net_iov_merge). */
size_t d_tun_out_slot(unsigned mtu, bool sealed);

#endif
