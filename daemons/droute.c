/* um3n daemons — routes, rules and addresses over rtnetlink (droute.h). Each call
 * opens its own short-lived socket: these are rare (an interface came up, a
 * gateway changed), and a separate socket never mixes a request's answer
 * with the monitor's event stream (dnl.c). */
#include "droute.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "um3n.h"

#include "policy.h"

/* Sends one request and reads until its ACK or the end of its dump; cb
 * (may be NULL) sees every answer message. 0 or -errno. */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned seq = (unsigned)time(NULL), port;
	int rc = 0;

	if (!s)
		return -errno;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	port = mnl_socket_get_portid(s);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));

		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, port, cb, ctx);
		if (rc <= MNL_CB_STOP) {
			rc = rc < 0 ? -errno : 0;
			break;
		}
	}
out:
	mnl_socket_close(s);
	return rc;
}

static uint8_t family_of(uint8_t f) { return f ? f : AF_INET; }

static struct nlmsghdr *put_rtm(char *buf, uint16_t type, uint16_t flags, uint8_t family,
				struct rtmsg **rtm)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	*rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(**rtm));
	(*rtm)->rtm_family = family_of(family);
	return nlh;
}

/* ---- routes ------------------------------------------------------------ */

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == RTA_OIF || type == RTA_TABLE || type == RTA_PRIORITY) &&
	    mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

/* An address attribute of the route's family: false if it has another size. */
static bool addr_attr(const struct nlattr *a, uint8_t family, uint32_t *v4, uint8_t *v6)
{
	uint32_t be;

	if (!a)
		return true;
	if (mnl_attr_get_payload_len(a) != (family == AF_INET ? 4u : 16u))
		return false;
	if (family == AF_INET6) {
		memcpy(v6, mnl_attr_get_payload(a), 16);
		return true;
	}
	memcpy(&be, mnl_attr_get_payload(a), 4);
	*v4 = ntohl(be);
	return true;
}

bool d_route_parse(const struct nlmsghdr *nlh, struct d_route *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {0};

	uint8_t gw6[16];
	uint32_t src4;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return false;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb);
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->plen = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	r->metric = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	return addr_attr(tb[RTA_DST], r->family, &r->dst, r->dst6) &&
	       addr_attr(tb[RTA_GATEWAY], r->family, &r->gw, gw6) &&
	       addr_attr(tb[RTA_PREFSRC], r->family, &src4, r->src6) &&
	       (r->family == AF_INET6 || r->plen <= 32) && r->plen <= 128;
}

/* The table goes in RTA_TABLE as well: rtm_table has 8 bits. */
static void put_route(struct nlmsghdr *nlh, struct rtmsg *rtm, const struct d_route *r)
{
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen && r->family == AF_INET6)
		mnl_attr_put(nlh, RTA_DST, 16, r->dst6);
	else if (r->plen)
		mnl_attr_put_u32(nlh, RTA_DST, htonl(r->dst));
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
}

int d_route_replace(const struct d_route *r)
{
	static const uint8_t none[16];
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtmsg *rtm;
	struct nlmsghdr *nlh = put_rtm(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
				       r->family, &rtm);
	bool v6 = r->family == AF_INET6;

	assert(r->oif > 0 && r->plen <= (v6 ? 128 : 32) && !(v6 && r->gw));
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_STATIC;
	/* IPv6 knows no link scope for unicast routes: universe, as ip(8) does. */
	rtm->rtm_scope = r->gw || v6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	put_route(nlh, rtm, r);
	if (r->gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(r->gw));
	if (v6 && memcmp(r->src6, none, 16) != 0)
		mnl_attr_put(nlh, RTA_PREFSRC, 16, r->src6);
	return talk(nlh, NULL, NULL);
}

int d_route_del(const struct d_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtmsg *rtm;
	struct nlmsghdr *nlh = put_rtm(buf, RTM_DELROUTE, NLM_F_ACK, r->family, &rtm);

	rtm->rtm_scope = RT_SCOPE_NOWHERE; /* any scope */
	put_route(nlh, rtm, r);
	return talk(nlh, NULL, NULL);
}

struct dump_ctx {
	uint32_t table;
	void (*fn)(void *ctx, const struct d_route *r);
	void *ctx;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *dc = data;
	struct d_route r;

	if (nlh->nlmsg_type == RTM_NEWROUTE && d_route_parse(nlh, &r) && r.table == dc->table)
		dc->fn(dc->ctx, &r);
	return MNL_CB_OK;
}

static int dump_family(uint8_t family, uint32_t table,
		       void (*fn)(void *ctx, const struct d_route *r), void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtmsg *rtm;
	struct nlmsghdr *nlh = put_rtm(buf, RTM_GETROUTE, NLM_F_DUMP, family, &rtm);
	struct dump_ctx dc = {table, fn, ctx};

	return talk(nlh, dump_cb, &dc);
}

int d_route_dump(uint32_t table, void (*fn)(void *ctx, const struct d_route *r), void *ctx)
{
	return dump_family(AF_INET, table, fn, ctx);
}

struct flush_ctx {
	struct d_route r[64];
	size_t n;
};

static void flush_collect(void *ctx, const struct d_route *r)
{
	struct flush_ctx *fc = ctx;

	if (fc->n < sizeof(fc->r) / sizeof(fc->r[0]))
		fc->r[fc->n++] = *r;
}

int d_route_flush(uint32_t table)
{
	struct flush_ctx *fc = calloc(1, sizeof(*fc));
	int rc, done = 0;

	if (!fc)
		return -ENOMEM;
	/* Delete after the dump: changing a table while dumping it skips entries. */
	rc = dump_family(AF_INET, table, flush_collect, fc);
	if (rc == 0)
		rc = dump_family(AF_INET6, table, flush_collect, fc);
	for (size_t i = 0; rc == 0 && i < fc->n; i++)
		if (d_route_del(&fc->r[i]) == 0)
			done++;
	free(fc);
	return rc < 0 ? rc : done;
}

/* ---- rules ------------------------------------------------------------- */

static struct nlmsghdr *put_rule(char *buf, uint16_t type, uint16_t flags, uint8_t family,
				 uint32_t pref, uint32_t table, struct fib_rule_hdr **frh)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	*frh = mnl_nlmsg_put_extra_header(nlh, sizeof(**frh));
	(*frh)->family = family_of(family);
	(*frh)->action = FR_ACT_TO_TBL;
	(*frh)->table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	return nlh;
}

int d_rule_add(const struct d_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh = put_rule(buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r->family,
					r->pref, r->table, &frh);

	assert(r->src_len <= 32 && !(r->family == AF_INET6 && r->src_len));
	if (r->src_len) {
		frh->src_len = r->src_len;
		mnl_attr_put_u32(nlh, FRA_SRC, htonl(r->src));
	}
	if (r->has_mark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
		if (r->not_mark)
			frh->flags |= FIB_RULE_INVERT;
	}
	if (r->suppress_plen >= 0)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, (uint32_t)r->suppress_plen);
	return talk(nlh, NULL, NULL);
}

static int rule_del_family(uint8_t family, uint32_t pref, uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fib_rule_hdr *frh;
	int n = 0, rc;

	/* One rule per request: a stale copy from a daemon that crashed may sit
	 * beside the current one. */
	for (;;) {
		struct nlmsghdr *nlh = put_rule(buf, RTM_DELRULE, 0, family, pref, table, &frh);

		rc = talk(nlh, NULL, NULL);
		if (rc < 0 || ++n > 64)
			break;
	}
	return rc == -ENOENT || rc == -ESRCH ? n : rc;
}

int d_rule_del(uint32_t pref, uint32_t table)
{
	int v4 = rule_del_family(AF_INET, pref, table);
	/* A kernel without IPv6 refuses the family: nothing of it to delete. */
	int v6 = rule_del_family(AF_INET6, pref, table);

	return v4 < 0 ? v4 : v4 + (v6 > 0 ? v6 : 0);
}

/* ---- addresses ----------------------------------------------------------- */

int d_addr6_replace(int ifindex, const uint8_t addr[16], uint8_t plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	return talk(nlh, NULL, NULL);
}

/* ---- the routes = key ---------------------------------------------------- */

static int one_prefix(const char *w, struct d_routes *out, char *err, size_t cap)
{
	struct um3n_addr a;
	uint8_t plen;

	if (out->n == D_ROUTES_MAX) {
		snprintf(err, cap, "more than %d prefixes", D_ROUTES_MAX);
		return -1;
	}
	if (strcmp(w, "default") == 0) {
		plen = 0;
		um3n_addr_from_v4(&a, 0);
	} else if (um3n_policy_prefix_parse(w, &a, &plen) < 0) {
		snprintf(err, cap, "%.40s: want default, none or prefixes (a.b.c.d/n, x:y::/n)", w);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		if (out->p[i].plen == plen && um3n_addr_eq(&out->p[i].dst, &a)) {
			snprintf(err, cap, "%.40s: listed twice", w);
			return -1;
		}
	}
	out->p[out->n].dst = a;
	out->p[out->n++].plen = plen;
	return 0;
}

static int table_key(struct d_routes *r, const char *v, char *err, size_t cap)
{
	char *end;
	unsigned long long t;

	errno = 0;
	t = *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
	if (errno || t < D_ROUTE_TABLE_MIN || t > D_ROUTE_TABLE_MAX || *end) {
		snprintf(err, cap, "want a table number %u..%u", D_ROUTE_TABLE_MIN,
			 D_ROUTE_TABLE_MAX);
		return -1;
	}
	r->table = (uint32_t)t;
	return 0;
}

int d_routes_key(struct d_routes *r, const char *k, const char *v, char *err, size_t cap)
{
	struct d_routes out = {.table = r->table};
	char buf[512], *save = NULL;

	if (strcmp(k, "route_table") == 0)
		return table_key(r, v, err, cap);
	assert(strcmp(k, "routes") == 0);
	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf)) {
		snprintf(err, cap, "too long");
		return -1;
	}
	if (strcmp(buf, "none") != 0) {
		for (char *w = strtok_r(buf, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save))
			if (one_prefix(w, &out, err, cap) < 0)
				return -1;
		if (out.n == 0) {
			snprintf(err, cap, "empty: want default, none or prefixes");
			return -1;
		}
	}
	*r = out;
	return 0;
}

bool d_routes_eq(const struct d_routes *a, const struct d_routes *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!um3n_addr_eq(&a->p[i].dst, &b->p[i].dst) || a->p[i].plen != b->p[i].plen)
			return false;
	return true;
}

bool d_routes_has6(const struct d_routes *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].dst.family == UM3N_AF_INET6)
			return true;
	return false;
}
