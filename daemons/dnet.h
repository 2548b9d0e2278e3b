/* um3n daemons — Linux network plumbing: TUN devices, interface settings,
 * UDP sockets pinned to an uplink and batched datagram I/O. The netlink side
 * (link monitor, routes) is dnl.h. */
#ifndef UM3N_DNET_H
#define UM3N_DNET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "um3n.h"

/* IPv4 address/prefix, MTU and IFF_UP on `ifname` (ioctl). 0 or -errno. */
int d_net_if_set_addr(const char *ifname, uint32_t addr_host, int plen);
int d_net_if_set_mtu(const char *ifname, unsigned mtu);
int d_net_if_set_up(const char *ifname);
/* Transmit queue length (packets the kernel holds for the daemon to read
 * from a TUN). 0 or -errno. */
int d_net_if_set_txqlen(const char *ifname, int qlen);
#define D_TUN_TXQLEN 2000 /* default 500 overflows under bulk TCP */
/* MTU of an interface, or -errno. */
int d_net_if_get_mtu(const char *ifname);
/* The lowest MTU of these interfaces (1500 if none is known). */
unsigned d_net_lowest_mtu(const char *const *ifnames, size_t n);

/* A socket address of either family, as the kernel takes and gives it. */
union d_sa {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* UDP socket bound to addr:port (port 0 = ephemeral) of addr's family (an
 * IPv6 one takes IPv6 only: IPV6_V6ONLY), optionally pinned to a device with
 * SO_BINDTODEVICE, non-blocking, large buffers. fd or -errno. */
int d_net_udp_open(const struct um3n_sockaddr *local, const char *bind_dev);
/* SO_MARK (needs CAP_NET_ADMIN): the mark policy rules select on. 0 or
 * -1 with errno. */
int d_net_udp_set_mark(int fd, uint32_t mark);
/* The socket's bound address (host-order port). 0 or -errno. */
int d_net_udp_local(int fd, struct um3n_sockaddr *local);
/* Conversions; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) comes out as the
 * IPv4 address it is. from_um3n returns the length to pass to the kernel. */
void d_net_sockaddr_to_um3n(const union d_sa *in, struct um3n_sockaddr *out);
socklen_t d_net_sockaddr_from_um3n(const struct um3n_sockaddr *in, union d_sa *out);

/* A batch of outgoing datagrams for sendmmsg. It holds pointers, not copies:
 * the datagrams are the engine's outputs, which stay put until the engine is
 * next fed (engine.h), and the daemons flush before feeding it again. One
 * copy less per packet than batching into a buffer of our own. */
#define D_BATCH 64
#define D_DGRAM_MAX 2048  /* >= UM3N_PKT_MAX */
#define D_UDP_GSO_SEGS 64 /* datagrams per UDP_SEGMENT send (kernel limit 64) */
struct d_net_batch {
	unsigned n;
	bool gso; /* flush with UDP_SEGMENT: runs of equal-size datagrams to one peer */
	struct mmsghdr msgs[D_BATCH];
	struct iovec iov[D_BATCH];
	union d_sa addrs[D_BATCH];
};
/* Appends a datagram by reference: data must stay unchanged until the next
 * d_net_batch_flush(). False if the batch is full or the datagram too big. */
bool d_net_batch_add(struct d_net_batch *b, const struct um3n_sockaddr *to, const uint8_t *data,
		     size_t len);
/* Joins iovecs whose buffers follow each other in memory, in place; returns
 * how many are left. */
unsigned d_net_iov_merge(struct iovec *iov, unsigned n);
/* Sends the batch with sendmmsg, empties it. Returns datagrams not sent (dropped).
 * With b->gso, consecutive datagrams to the same peer of equal size (the last
 * of a run may be shorter) leave as one UDP_SEGMENT send: one trip through
 * the stack for up to 64 datagrams; if the kernel refuses, gso is switched off. */
unsigned d_net_batch_flush(int fd, struct d_net_batch *b);

/* Receiving with UDP GRO: the kernel may hand over up to 64 KiB of
 * coalesced equal-size datagrams from one sender at once. */
#define D_RX_BATCH 16
#define D_RX_BUF 65536
struct d_net_rx {
	struct mmsghdr msgs[D_RX_BATCH];
	struct iovec iov[D_RX_BATCH];
	union d_sa addrs[D_RX_BATCH];
	char ctrl[D_RX_BATCH][64];
	uint8_t bufs[D_RX_BATCH][D_RX_BUF];
};
/* Enables UDP_GRO on fd (0 or -errno). */
int d_net_udp_enable_gro(int fd);
typedef void (*d_net_dgram_fn)(void *ctx, const struct um3n_sockaddr *from, const uint8_t *buf,
			       size_t len);
/* One recvmmsg; calls fn per datagram (coalesced ones split at their
 * gso_size). Returns messages received (0 when none) or -errno. */
int d_net_rx_recv(int fd, struct d_net_rx *r, d_net_dgram_fn fn, void *ctx);

/* The MN's socket of uplink `name`: bound to local (its port filled in),
 * pinned to ifname, marked for its routing table, with UDP GRO when gro; each
 * step logged. The fd, or -1 (logged). */
int d_net_uplink_open(const char *name, const char *ifname, struct um3n_sockaddr *local,
		      uint32_t mark, bool gro);

#endif
