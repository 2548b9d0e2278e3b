/* um3n daemons — interface ioctls, pinned UDP sockets and batched datagram
 * I/O (sendmmsg with UDP GSO, recvmmsg with UDP GRO). TUN I/O is in dtun.c. */
#include "dnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dcommon.h"

static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		rc = -errno;
	close(s);
	return rc;
}

static void ifr_init(struct ifreq *ifr, const char *ifname)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
}

static void ifr_set_sin(struct ifreq *ifr, uint32_t addr_host)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr_host);
}

int d_net_if_set_addr(const char *ifname, uint32_t addr_host, int plen)
{
	struct ifreq ifr;
	int rc;

	ifr_init(&ifr, ifname);
	ifr_set_sin(&ifr, addr_host);
	rc = if_ioctl(SIOCSIFADDR, &ifr);
	if (rc < 0)
		return rc;
	ifr_init(&ifr, ifname);
	ifr_set_sin(&ifr, plen == 0 ? 0 : 0xffffffffu << (32 - plen));
	return if_ioctl(SIOCSIFNETMASK, &ifr);
}

int d_net_if_set_mtu(const char *ifname, unsigned mtu)
{
	struct ifreq ifr;

	ifr_init(&ifr, ifname);
	ifr.ifr_mtu = (int)mtu;
	return if_ioctl(SIOCSIFMTU, &ifr);
}

int d_net_if_set_up(const char *ifname)
{
	struct ifreq ifr;
	int rc;

	ifr_init(&ifr, ifname);
	rc = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (rc < 0)
		return rc;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

int d_net_if_set_txqlen(const char *ifname, int qlen)
{
	struct ifreq ifr;

	ifr_init(&ifr, ifname);
	ifr.ifr_qlen = qlen;
	return if_ioctl(SIOCSIFTXQLEN, &ifr);
}

int d_net_if_get_mtu(const char *ifname)
{
	struct ifreq ifr;
	int rc;

	ifr_init(&ifr, ifname);
	rc = if_ioctl(SIOCGIFMTU, &ifr);
	return rc < 0 ? rc : ifr.ifr_mtu;
}

unsigned d_net_lowest_mtu(const char *const *ifnames, size_t n)
{
	int lowest = 1500;

	for (size_t i = 0; i < n; i++) {
		int m = d_net_if_get_mtu(ifnames[i]);

		if (m > 0 && m < lowest)
			lowest = m;
	}
	return (unsigned)lowest;
}

void d_net_sockaddr_to_um3n(const union d_sa *in, struct um3n_sockaddr *out)
{
	const uint8_t *b = in->v6.sin6_addr.s6_addr;

	memset(out, 0, sizeof(*out));
	if (in->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&in->v6.sin6_addr)) {
		out->ip.family = UM3N_AF_INET6;
		memcpy(out->ip.bytes, b, 16);
	} else if (in->sa.sa_family == AF_INET6) {
		um3n_addr_from_v4(&out->ip, (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
						    (uint32_t)b[14] << 8 | b[15]);
	} else {
		um3n_addr_from_v4(&out->ip, ntohl(in->v4.sin_addr.s_addr));
	}
	out->port = ntohs(in->sa.sa_family == AF_INET6 ? in->v6.sin6_port : in->v4.sin_port);
}

socklen_t d_net_sockaddr_from_um3n(const struct um3n_sockaddr *in, union d_sa *out)
{
	memset(out, 0, sizeof(*out));
	if (in->ip.family == UM3N_AF_INET6) {
		out->v6.sin6_family = AF_INET6;
		memcpy(out->v6.sin6_addr.s6_addr, in->ip.bytes, 16);
		out->v6.sin6_port = htons(in->port);
		return sizeof(out->v6);
	}
	out->v4.sin_family = AF_INET;
	out->v4.sin_addr.s_addr = htonl(um3n_addr_v4(&in->ip));
	out->v4.sin_port = htons(in->port);
	return sizeof(out->v4);
}

static void set_bufs(int fd)
{
	int sz = 4 << 20;

	/* FORCE variants ignore rmem_max/wmem_max (we run as root / CAP_NET_ADMIN);
	 * bursts of tunnelled traffic otherwise overflow the default buffers. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

int d_net_udp_open(const struct um3n_sockaddr *local, const char *bind_dev)
{
	union d_sa sa;
	socklen_t sl = d_net_sockaddr_from_um3n(local, &sa);
	int one = 1, e;
	int fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* An IPv4 peer has the IPv4 socket: this one takes no mapped addresses. */
	if (sa.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	/* Pin to the uplink: the kernel then routes this socket's datagrams out
	 * of that device whatever the main table's default route says. */
	if (bind_dev &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bind_dev, (socklen_t)strlen(bind_dev)) < 0)
		goto fail;
	set_bufs(fd);
	if (bind(fd, &sa.sa, sl) < 0)
		goto fail;
	return fd;
fail:
	e = -errno;
	close(fd);
	return e;
}

int d_net_udp_set_mark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
}

int d_net_udp_local(int fd, struct um3n_sockaddr *local)
{
	union d_sa sa;
	socklen_t sl = sizeof(sa);

	if (getsockname(fd, &sa.sa, &sl) < 0)
		return -errno;
	d_net_sockaddr_to_um3n(&sa, local);
	return 0;
}

bool d_net_batch_add(struct d_net_batch *b, const struct um3n_sockaddr *to, const uint8_t *data,
		     size_t len)
{
	unsigned i = b->n;

	if (i == D_BATCH || len > D_DGRAM_MAX)
		return false;
	memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
	b->msgs[i].msg_hdr.msg_namelen = d_net_sockaddr_from_um3n(to, &b->addrs[i]);
	b->iov[i].iov_base = (void *)data;
	b->iov[i].iov_len = len;
	b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
	b->msgs[i].msg_hdr.msg_iovlen = 1;
	b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
	b->n++;
	return true;
}

/* Length of the run of datagrams starting at i that one UDP_SEGMENT send
 * can carry: same peer, equal sizes, only the last may be shorter. */
static unsigned gso_run(const struct d_net_batch *b, unsigned i)
{
	size_t seg = b->iov[i].iov_len, total = seg;
	unsigned j = i + 1;

	while (j < b->n && j - i < D_UDP_GSO_SEGS && b->iov[j].iov_len <= seg &&
	       total + b->iov[j].iov_len <= 65000 &&
	       b->msgs[j].msg_hdr.msg_namelen == b->msgs[i].msg_hdr.msg_namelen &&
	       memcmp(&b->addrs[j], &b->addrs[i], b->msgs[i].msg_hdr.msg_namelen) == 0) {
		total += b->iov[j].iov_len;
		if (b->iov[j++].iov_len < seg)
			break;
	}
	return j - i;
}

unsigned d_net_iov_merge(struct iovec *iov, unsigned n)
{
	unsigned k = 0;

	if (n == 0)
		return 0;
	for (unsigned j = 1; j < n; j++) {
		if ((uint8_t *)iov[k].iov_base + iov[k].iov_len == iov[j].iov_base)
			iov[k].iov_len += iov[j].iov_len;
		else
			iov[++k] = iov[j];
	}
	return k + 1;
}

/* Rewrites the batch's message array into UDP_SEGMENT groups; returns how
 * many messages; runs[g] is the datagram count of group g. */
static unsigned gso_group(struct d_net_batch *b, struct mmsghdr *mm, unsigned *runs,
			  char (*ctrl)[CMSG_SPACE(sizeof(uint16_t))])
{
	unsigned g = 0;
	uint16_t seg;

	for (unsigned i = 0; i < b->n; i += runs[g++]) {
		runs[g] = gso_run(b, i);
		memset(&mm[g], 0, sizeof(mm[g]));
		mm[g].msg_hdr.msg_name = &b->addrs[i];
		mm[g].msg_hdr.msg_namelen = b->msgs[i].msg_hdr.msg_namelen;
		mm[g].msg_hdr.msg_iov = &b->iov[i];
		seg = (uint16_t)b->iov[i].iov_len;
		/* Back-to-back datagrams (the engine's ring, outq.h) go as one
		 * buffer: one copy and one check in the kernel, not one each. */
		mm[g].msg_hdr.msg_iovlen = d_net_iov_merge(&b->iov[i], runs[g]);
		if (runs[g] > 1) {
			struct cmsghdr *cm;

			mm[g].msg_hdr.msg_control = ctrl[g];
			mm[g].msg_hdr.msg_controllen = sizeof(ctrl[g]);
			cm = CMSG_FIRSTHDR(&mm[g].msg_hdr);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		}
	}
	return g;
}

/* One UDP_SEGMENT group sent as single datagrams: the kernel refuses a
 * group whose segments exceed the route's MTU (EMSGSIZE: a peer behind a
 * 1280-byte cellular link), but fragments single datagrams as IPv4 lets it
 * (emu/mtu.sh). The group's buffers hold whole segments of seg bytes (the
 * last of the group may be shorter). Returns the datagrams not sent. */
static unsigned send_split(int fd, struct msghdr *mh, unsigned count)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	uint16_t seg;
	unsigned sent = 0;
	struct msghdr one = *mh;

	memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
	one.msg_control = NULL;
	one.msg_controllen = 0;
	for (size_t v = 0; v < mh->msg_iovlen; v++) {
		uint8_t *p = mh->msg_iov[v].iov_base;
		size_t left = mh->msg_iov[v].iov_len;

		while (left) {
			struct iovec iov = {p, left < seg ? left : seg};

			one.msg_iov = &iov;
			one.msg_iovlen = 1;
			if (sendmsg(fd, &one, MSG_DONTWAIT) >= 0)
				sent++;
			p += iov.iov_len;
			left -= iov.iov_len;
		}
	}
	return count > sent ? count - sent : 0;
}

static unsigned send_all(int fd, struct mmsghdr *mm, const unsigned *runs, unsigned n,
			 bool *refused)
{
	unsigned done = 0, dropped = 0;

	while (done < n) {
		int k = fd < 0 ? -1 : sendmmsg(fd, mm + done, n - done, MSG_DONTWAIT);

		if (k > 0) {
			done += (unsigned)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		/* The message at `done` failed (EAGAIN: socket buffer full,
		 * ENETUNREACH: uplink lost its route, ...): drop it like a
		 * congested link would and go on with the rest. EIO/EINVAL on a
		 * segmented send means this kernel or device refuses UDP GSO. */
		if (k < 0 && runs[done] > 1 && errno == EMSGSIZE) {
			dropped += send_split(fd, &mm[done].msg_hdr, runs[done]);
			done++;
			continue;
		}
		if (k < 0 && runs[done] > 1 && (errno == EIO || errno == EINVAL))
			*refused = true;
		dropped += runs[done];
		done++;
	}
	return dropped;
}

unsigned d_net_batch_flush(int fd, struct d_net_batch *b)
{
	static unsigned ones[D_BATCH] = {0};
	struct mmsghdr mm[D_BATCH];
	unsigned runs[D_BATCH], dropped;
	char ctrl[D_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	bool refused = false;

	if (!ones[0])
		for (unsigned i = 0; i < D_BATCH; i++)
			ones[i] = 1;
	if (!b->gso) {
		dropped = send_all(fd, b->msgs, ones, b->n, &refused);
	} else {
		unsigned g = gso_group(b, mm, runs, ctrl);

		dropped = send_all(fd, mm, runs, g, &refused);
		if (refused) {
			d_log(UM3N_LOG_WARN, "UDP GSO refused by the kernel: sending one by one");
			b->gso = false;
		}
	}
	b->n = 0;
	return dropped;
}

int d_net_udp_enable_gro(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0 ? -errno : 0;
}

static size_t gro_size(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			int seg;

			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg > 0 ? (size_t)seg : 0;
		}
	}
	return 0;
}

int d_net_rx_recv(int fd, struct d_net_rx *r, d_net_dgram_fn fn, void *ctx)
{
	struct um3n_sockaddr from;
	int n;

	for (unsigned i = 0; i < D_RX_BATCH; i++) {
		r->iov[i].iov_base = r->bufs[i];
		r->iov[i].iov_len = D_RX_BUF;
		memset(&r->msgs[i].msg_hdr, 0, sizeof(r->msgs[i].msg_hdr));
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
		r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
		r->msgs[i].msg_hdr.msg_namelen = sizeof(r->addrs[i]);
		r->msgs[i].msg_hdr.msg_control = r->ctrl[i];
		r->msgs[i].msg_hdr.msg_controllen = sizeof(r->ctrl[i]);
	}
	n = recvmmsg(fd, r->msgs, D_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		size_t len = r->msgs[k].msg_len, seg = gro_size(&r->msgs[k].msg_hdr);

		if (!seg || seg > len)
			seg = len;
		d_net_sockaddr_to_um3n(&r->addrs[k], &from);
		if (len == 0) /* empty datagram: still the engine's to count */
			fn(ctx, &from, r->bufs[k], 0);
		for (size_t off = 0; off < len; off += seg)
			fn(ctx, &from, r->bufs[k] + off, len - off < seg ? len - off : seg);
	}
	return n;
}

int d_net_uplink_open(const char *name, const char *ifname, struct um3n_sockaddr *local,
		      uint32_t mark, bool gro)
{
	char ip[48];
	int fd;

	um3n_addr_format(&local->ip, ip, sizeof(ip));
	fd = d_net_udp_open(local, ifname);
	if (fd < 0) {
		d_log(UM3N_LOG_ERR, "uplink %s: socket on %s: %s", name, ip, strerror(-fd));
		return -1;
	}
	if (d_net_udp_set_mark(fd, mark) < 0)
		d_log(UM3N_LOG_WARN, "uplink %s: SO_MARK: %s (its routing table is not used)", name,
		      strerror(errno));
	if (gro && d_net_udp_enable_gro(fd) < 0)
		d_log(UM3N_LOG_WARN, "uplink %s: no UDP GRO on this kernel", name);
	d_net_udp_local(fd, local);
	d_log(UM3N_LOG_INFO, "uplink %s: care-of address %s:%u on %s", name, ip, local->port,
	      ifname);
	return fd;
}
