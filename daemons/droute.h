/* um3n daemons — IPv4 routes and policy rules through rtnetlink (libmnl):
 * the primitives the daemons' own routing is built from (dmnrt.h for the
 * MN's tables, the HA's add_routes), and the `routes =` key's value. */
#ifndef UM3N_DROUTE_H
#define UM3N_DROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* One IPv4 route, addresses in host order. gw 0: on-link (scope link). */
struct d_route {
	uint32_t table;
	int oif;      /* 0 if none or a multipath route */
	uint32_t dst; /* network */
	uint8_t plen;
	uint8_t type; /* RTN_* */
	uint8_t protocol;
	uint32_t gw;
	uint32_t metric;
};

/* Fills r from an RTM_NEWROUTE/RTM_DELROUTE message; false if it is no IPv4
 * route. */
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
/* Deletes every route of `table`; returns how many or -errno. */
int d_route_flush(uint32_t table);

/* An IPv4 policy rule ("ip rule"): from src/src_len, fwmark (inverted with
 * not_mark), lookup table, suppress_prefixlength. */
struct d_rule {
	uint32_t pref, table;
	uint32_t src; /* host order; src_len 0: from all */
	uint8_t src_len;
	bool has_mark, not_mark;
	uint32_t mark;
	int suppress_plen; /* -1: none */
};
int d_rule_add(const struct d_rule *r);
/* Deletes every IPv4 rule with this priority that looks up `table`;
 * returns how many or -errno. */
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
		uint32_t dst; /* host order */
		uint8_t plen; /* 0: the default route */
	} p[D_ROUTES_MAX];
};
/* Sets key k ("routes" or "route_table") from text v. routes: "none",
 * "default" or prefixes separated by commas or spaces ("default" may stand
 * among them for 0.0.0.0/0). 0, or -1 with a one-line reason in err and r
 * unchanged. */
int d_routes_key(struct d_routes *r, const char *k, const char *v, char *err, size_t cap);
/* Same prefixes (the table is not compared). */
bool d_routes_eq(const struct d_routes *a, const struct d_routes *b);

#endif
