/* um3n daemons — rtnetlink through libmnl: the link, address and route
 * monitor. Events arrive as they happen (RTMGRP_LINK, RTMGRP_IPV4_IFADDR,
 * RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR for uplinks with an IPv6 care-of,
 * RTMGRP_IPV6_ROUTE for the IPv6 routes into the TUN); nothing is polled. Changing routes is droute.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcommon.h"
#include "dnl.h"
#include "droute.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; net/if.h lacks it */
#endif

struct d_nl {
	struct mnl_socket *sock;
	struct d_nl_cb cb;
	unsigned seq;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const char **name = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) /* ends inside the message */
		*name = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

static void on_link(struct d_nl *nl, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL;
	bool running;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (nl->cb.link_gone)
			nl->cb.link_gone(nl->cb.ctx, ifi->ifi_index);
		return;
	}
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &name);
	/* Carrier is IFF_LOWER_UP (a veth whose peer is down, a Wi-Fi card that
	 * lost its AP); IFF_UP alone is only the administrative state. */
	running = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
	if (nl->cb.link && name)
		nl->cb.link(nl->cb.ctx, ifi->ifi_index, name, running);
}

struct addr_attrs {
	size_t len; /* of an address of the message's family */
	const struct nlattr *local, *address, *flags;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;
	int type = mnl_attr_get_type(attr);

	if (type == IFA_FLAGS && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		a->flags = attr;
	if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, a->len) < 0)
		return MNL_CB_OK;
	if (type == IFA_LOCAL)
		a->local = attr;
	else if (type == IFA_ADDRESS)
		a->address = attr;
	return MNL_CB_OK;
}

/* An IPv6 address a socket can use as its source: global, its duplicate
 * detection over and passed (a new address reports again once it is), and
 * stable: not a privacy address (RFC 8981), which is replaced every day, nor
 * one deprecated (an uplink keeps the one it has until it is removed). */
static void on_addr6(struct d_nl *nl, const struct nlmsghdr *nlh, const struct ifaddrmsg *ifa)
{
	struct addr_attrs a = {.len = 16};
	struct um3n_addr addr = {0};
	uint32_t flags = ifa->ifa_flags;

	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &a);
	if (a.flags)
		flags = mnl_attr_get_u32(a.flags);
	if (!a.local)
		a.local = a.address;
	if (!a.local || !nl->cb.addr || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    (nlh->nlmsg_type == RTM_NEWADDR &&
	     (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_TEMPORARY | IFA_F_DEPRECATED))))
		return;
	addr.family = UM3N_AF_INET6;
	memcpy(addr.bytes, mnl_attr_get_payload(a.local), 16);
	nl->cb.addr(nl->cb.ctx, (int)ifa->ifa_index, &addr, nlh->nlmsg_type == RTM_NEWADDR);
}

static void on_addr(struct d_nl *nl, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_attrs a = {.len = 4};
	struct um3n_addr addr;
	uint32_t be;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return;
	if (ifa->ifa_family == AF_INET6) {
		on_addr6(nl, nlh, ifa);
		return;
	}
	if (ifa->ifa_family != AF_INET)
		return;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &a);
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on
	 * point-to-point links and equals IFA_LOCAL elsewhere. */
	if (!a.local)
		a.local = a.address;
	if (!a.local || !nl->cb.addr)
		return;
	memcpy(&be, mnl_attr_get_payload(a.local), 4);
	um3n_addr_from_v4(&addr, ntohl(be));
	nl->cb.addr(nl->cb.ctx, (int)ifa->ifa_index, &addr, nlh->nlmsg_type == RTM_NEWADDR);
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct d_nl *nl = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: on_link(nl, nlh); break;
	case RTM_NEWADDR:
	case RTM_DELADDR: on_addr(nl, nlh); break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		struct d_route r;

		if (nl->cb.route && d_route_parse(nlh, &r))
			nl->cb.route(nl->cb.ctx, &r, nlh->nlmsg_type == RTM_NEWROUTE);
		break;
	}
	default: break;
	}
	return MNL_CB_OK;
}

static int dump(struct d_nl *nl, int type, int family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	unsigned seq = ++nl->seq;
	int rc;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = (unsigned char)family;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The socket is blocking here: a dump is finite and answered at once.
	 * Events that interleave (seq 0) go through the same callback. */
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));

		if (n < 0)
			return errno == ENOBUFS ? dump(nl, type, family) : -errno;
		rc = mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, nl);
		if (rc <= MNL_CB_STOP)
			return rc < 0 ? -errno : 0;
	}
}

int d_nl_resync(struct d_nl *nl)
{
	int rc = dump(nl, RTM_GETLINK, AF_UNSPEC);

	if (rc == 0)
		rc = dump(nl, RTM_GETADDR, AF_INET);
	return rc < 0 || !nl->cb.addr ? rc : dump(nl, RTM_GETADDR, AF_INET6);
}

struct d_nl *d_nl_open(const struct d_nl_cb *cb)
{
	struct d_nl *nl = calloc(1, sizeof(*nl));
	int sz = 1 << 20;

	if (!nl)
		return NULL;
	nl->cb = *cb;
	nl->seq = (unsigned)time(NULL);
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock,
					 RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE |
						 RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE,
					 MNL_SOCKET_AUTOPID) < 0) {
		d_log(UM3N_LOG_ERR, "netlink: %s", strerror(errno));
		d_nl_close(nl);
		return NULL;
	}
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	if (d_nl_resync(nl) < 0) {
		d_log(UM3N_LOG_ERR, "netlink dump: %s", strerror(errno));
		d_nl_close(nl);
		return NULL;
	}
	return nl;
}

int d_nl_fd(const struct d_nl *nl) { return mnl_socket_get_fd(nl->sock); }

int d_nl_read(struct d_nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl->sock), buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, nl) < 0)
			d_log(UM3N_LOG_WARN, "netlink: bad message: %s", strerror(errno));
	}
}

void d_nl_close(struct d_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}
