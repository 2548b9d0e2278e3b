/* um3n daemons — routes, policy rules and addresses through rtnetlink (libmnl):
 * the primitives the daemons' own routing is built from (dmnrt.h for the
 * MN's tables, the HA's add_routes), and the `routes =` key's value. */
#ifndef UM3N_DROUTE_H
#define UM3N_DROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "um3n.h"

/* One route, IPv4 or IPv6. IPv4 addresses in host order; gw 0: on-link
 * (scope link). An IPv6 route (family AF_INET6) has dst6 and no gateway: the
 * daemons put IPv6 only into their TUN devices. */
struct d_route {
	uint32_t table;
	int oif;      /* 0 if none or a multipath route */
	uint32_t dst; /* IPv4 network */
	uint8_t plen;
	uint8_t type; /* RTN_* */
	uint8_t protocol;
	uint8_t family; /* 0 or AF_INET: IPv4; AF_INET6 */
	uint32_t gw;
	uint32_t metric;
	uint8_t dst6[16]; /* IPv6 network */
	uint8_t src6[16]; /* IPv6 preferred source (RTA_PREFSRC); all zero: none */
};

/* Fills r from an RTM_NEWROUTE/RTM_DELROUTE message; false if it is neither
 * an IPv4 nor an IPv6 route. */
bool d_route_parse(const struct nlmsghdr *nlh, struct d_route *r);
/* Adds r (dev r->oif), replacing a route with the same table, dst, plen and
 * metric. 0 or -errno. */
int d_route_replace(const struct d_route *r);
/* Deletes the route matching r's table, dst, plen, metric and (if set) oif.
 * 0 or -errno (-ESRCH: no such route). */
int d_route_del(const struct d_route *r);
/* Calls fn for every IPv4 route of `table` (RT_TABLE_MAIN: the main table).
 * 0 or -errno. */
int d_route_dump(uint32_t table, void (*fn)(void *ctx, const struct d_route *r), void *ctx);
/* Deletes every route of `table`, both families; returns how many or -errno. */
int d_route_flush(uint32_t table);
/* Puts addr/plen on interface ifindex without duplicate address detection (a
 * TUN's address is its own), replacing the same address. 0 or -errno. */
int d_addr6_replace(int ifindex, const uint8_t addr[16], uint8_t plen);

/* A policy rule ("ip rule"): from src/src_len (IPv4 only), fwmark (inverted
 * with not_mark), lookup table, suppress_prefixlength. */
struct d_rule {
	uint8_t family; /* 0 or AF_INET; AF_INET6 (then src_len 0) */
	uint32_t pref, table;
	uint32_t src; /* host order; src_len 0: from all */
	uint8_t src_len;
	bool has_mark, not_mark;
	uint32_t mark;
	int suppress_plen; /* -1: none */
};
int d_rule_add(const struct d_rule *r);
/* Deletes every rule of either family with this priority that looks up
 * `table`; returns how many or -errno. */
int d_rule_del(uint32_t pref, uint32_t table);

/* `route_table =` and `routes =` in [mn]: the MN's base table (and
 * fwmark) and the prefixes it routes into its TUN (dmnrt.h). */
#define D_ROUTES_MAX 16
#define D_ROUTE_TABLE_DEFAULT 4340u /* 434: the Mobile IP port */
#define D_ROUTE_TABLE_MIN 256u
#define D_ROUTE_TABLE_MAX 0x7fffff00u
struct d_routes {
	uint32_t table;
	size_t n; /* 0: routes = none */
	struct {
		struct um3n_addr dst; /* IPv4 or IPv6 network */
		uint8_t plen;         /* 0: the default route of dst's family */
	} p[D_ROUTES_MAX];
};
/* Sets key k ("routes" or "route_table") from text v. routes: "none",
 * "default" or IPv4 and IPv6 prefixes separated by commas or spaces
 * ("default" may stand among them for 0.0.0.0/0; ::/0 is IPv6's). 0, or -1 with a one-line reason in err and r
 * unchanged. */
int d_routes_key(struct d_routes *r, const char *k, const char *v, char *err, size_t cap);
/* Same prefixes (the table is not compared). */
bool d_routes_eq(const struct d_routes *a, const struct d_routes *b);
/* Does r hold an IPv6 prefix (which needs an IPv6 home address)? */
bool d_routes_has6(const struct d_routes *r);

#endif
