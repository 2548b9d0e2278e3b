/* um3n daemons — TUN I/O with optional virtio-net header offloads. */
#include "dtun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dcommon.h"
#include "dnet.h"
#include "outq.h"
#include "pmtu.h"

int d_tun_setup(struct d_tun *t, const char *name, bool vnet)
{
	struct ifreq ifr;
	int hdr = (int)D_VNET_HDR_LEN, e;
	/* TSO4 lets the kernel hand us unsegmented IPv4 TCP; CSUM is required
	 * with it; TSO_ECN because ECN-marked flows are common. */
	unsigned offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN;

	memset(t, 0, sizeof(*t));
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	if (vnet &&
	    (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(t->fd, TUNSETOFFLOAD, offload) < 0))
		goto fail;
	t->vnet = vnet;
	/* We tell the peer we complete checksums (UM3N_LINK_F_CSUM_PARTIAL)
	 * exactly when the TUN can take partial ones. */
	t->gro.complete_tcp = vnet;
	return 0;
fail:
	e = -errno;
	close(t->fd);
	t->fd = -1;
	return e;
}

int d_tun_open(struct d_tun *t, const char *name, bool *offload, uint32_t addr_host, unsigned mtu)
{
	int rc = d_tun_setup(t, name, *offload);

	if (rc < 0 && *offload) {
		d_log(UM3N_LOG_WARN, "tun %s: no offload (%s): plain packets", name, strerror(-rc));
		*offload = false;
		rc = d_tun_setup(t, name, false);
	}
	if (rc < 0) {
		d_log(UM3N_LOG_ERR, "tun %s: %s", name, strerror(-rc));
		return -1;
	}
	if (addr_host)
		rc = d_net_if_set_addr(name, addr_host, 32);
	if (rc == 0)
		rc = d_net_if_set_mtu(name, mtu);
	if (rc == 0)
		rc = d_net_if_set_txqlen(name, D_TUN_TXQLEN);
	if (rc == 0)
		rc = d_net_if_set_up(name);
	if (rc < 0) {
		d_log(UM3N_LOG_ERR, "tun %s: configure: %s", name, strerror(-rc));
		return -1;
	}
	d_log(UM3N_LOG_INFO, "tun %s up, mtu %u%s", name, mtu,
	      *offload ? ", offload (vnet header, TSO4)" : "");
	return 0;
}

int d_tun_read(struct d_tun *t, d_seg_fn fn, void *ctx)
{
	struct virtio_net_hdr vh;
	uint8_t *pkt;
	size_t len;
	unsigned flags;
	ssize_t n;
	int segs;

	if (!t->vnet) {
		n = read(t->fd, t->rbuf, sizeof(t->rbuf));
		if (n <= 0)
			return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -errno;
		fn(ctx, t->rbuf, (size_t)n);
		return 1;
	}
	n = read(t->fd, t->rbuf, sizeof(t->rbuf));
	if (n <= 0)
		return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if ((size_t)n <= D_VNET_HDR_LEN)
		return 1; /* nothing after the header: count it, drop it */
	memcpy(&vh, t->rbuf, sizeof(vh));
	pkt = t->rbuf + D_VNET_HDR_LEN;
	len = (size_t)n - D_VNET_HDR_LEN;
	flags = t->partial_ok && t->partial_ok(ctx, pkt, len) ? D_GSO_PARTIAL : 0;
	segs = d_gso_split(&vh, pkt, len, flags, fn, ctx);
	if (segs < 0) {
		t->bad_gso++;
		return 1;
	}
	return segs;
}

static void write_vnet(void *ctx, const struct iovec *iov, int n)
{
	struct d_tun *t = ctx;
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (writev(t->fd, iov, n) != (ssize_t)len)
		t->write_errors++;
}

void d_tun_write(struct d_tun *t, const uint8_t *pkt, size_t len)
{
	if (t->vnet) {
		d_gso_gro_add(&t->gro, pkt, len, write_vnet, t);
		return;
	}
	if (write(t->fd, pkt, len) != (ssize_t)len)
		t->write_errors++;
}

void d_tun_flush(struct d_tun *t)
{
	if (t->vnet)
		d_gso_gro_flush(&t->gro, write_vnet, t);
}

size_t d_tun_out_slot(unsigned mtu, bool sealed)
{
	size_t slot = (size_t)mtu + UM3N_DATA_KEYED_OVERHEAD + (sealed ? UM3N_SEAL_OVERHEAD : 0);

	if (slot < UM3N_OUTQ_SLOT_MIN)
		return UM3N_OUTQ_SLOT_MIN;
	return slot > UM3N_PKT_MAX ? UM3N_PKT_MAX : slot;
}

void d_tun_log_drops(const struct d_tun *t, uint64_t udp_dropped)
{
	if (udp_dropped || t->write_errors || t->bad_gso)
		d_log(UM3N_LOG_INFO, "dropped at the sockets: udp %llu tun %llu bad gso %llu",
		      (unsigned long long)udp_dropped, (unsigned long long)t->write_errors,
		      (unsigned long long)t->bad_gso);
}

void d_tun_close(struct d_tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void d_tun_pump(struct d_tun *t, d_seg_fn fn, void (*drain)(void *ctx), void *ctx, uint64_t *now_us)
{
	int since_drain = 0;

	*now_us = d_now_us();
	for (int n = 0; n < D_TUN_READ_BUDGET; n++) {
		int got = d_tun_read(t, fn, ctx);

		if (got <= 0)
			break;
		since_drain += got;
		if (since_drain >= D_TUN_DRAIN_EVERY) {
			drain(ctx);
			since_drain = 0;
			*now_us = d_now_us();
		}
	}
	drain(ctx);
}

unsigned d_tun_mtu(const char *name, unsigned path, bool ipv6)
{
	if (!ipv6 || path >= UM3N_PMTU_IPV6_MIN)
		return path;
	d_log(UM3N_LOG_INFO,
	      "%s: MTU %u for IPv6, the path carries %u: TCP SYNs clamped to it, IPv4 beyond "
	      "it answered with ICMP fragmentation needed, IPv6 beyond it fragmented outside",
	      name, UM3N_PMTU_IPV6_MIN, path);
	return UM3N_PMTU_IPV6_MIN;
}
