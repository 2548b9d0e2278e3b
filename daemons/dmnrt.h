/* um3n daemons — the MN's own routing (um3n-mn(8), ROUTING), the way
 * wg-quick and MPTCP endpoints do it:
 *
 *  - uplink i keeps its own table (route_table + 1 + i) holding one route,
 *    the HA's address via that uplink's gateway, learned from the main
 *    table (the interface's default route as a DHCP client installs it, or
 *    any route there covering the HA through it) and remembered while it is
 *    gone (an `ip link set wlan0 down; up` deletes it and nothing re-adds it
 *    but the daemon). A rule "from CARE-OF fwmark MARK lookup TABLE"
 *    (priority D_MNRT_PREF_UPLINK + i) sends the uplink socket's datagrams
 *    there; the mark is route_table itself, set on every uplink socket.
 *  - `routes =` puts prefixes into the TUN: the default route in table
 *    route_table behind the rules "lookup main suppress_prefixlength 0" and
 *    "not fwmark MARK lookup route_table" (so a DHCP default stays in place
 *    and the tunnel's own datagrams never enter the tunnel), other prefixes
 *    into the main table. IPv6 the same way (::/0 with its own two rules),
 *    with the IPv6 home address on the TUN as their preferred source.
 *
 * An uplink with an IPv6 care-of (`family = ipv6`) gets no table or rule: its
 * socket, pinned to the device, follows the main table's IPv6 routes as
 * router advertisements keep them.
 *
 * Everything is re-installed on the netlink events that can remove it and
 * removed at a clean exit; what a crashed daemon left is cleared at start. */
#ifndef UM3N_DMNRT_H
#define UM3N_DMNRT_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "droute.h"
#include "engine.h"

#define D_MNRT_PREF_UPLINK 32000u /* + uplink index */
#define D_MNRT_PREF_SUPPRESS 32100u
#define D_MNRT_PREF_TUN 32101u

struct d_mnrt_uplink {
	const char *name; /* the [uplink NAME], for the log */
	char ifname[IFNAMSIZ];
	int ifindex;
	bool running;
	uint32_t addr; /* source of the rule in place; 0: none */
	uint32_t last; /* last non-zero care-of address (a new one forgets the gateway) */
	bool gw_known; /* learned from the main table at least once */
	uint32_t gw;   /* ... that gateway (0: on-link) */
	bool have;     /* a route is in the uplink's table */
	uint32_t have_gw;
	int err; /* last failure logged (-errno), 0 if none */
};

struct d_mnrt {
	uint32_t base; /* route_table: the TUN table and the fwmark */
	uint32_t ha;   /* host order */
	size_t n;
	struct d_mnrt_uplink up[UM3N_MAX_LINKS];
	char tun[IFNAMSIZ];
	int tun_ifindex;
	struct um3n_addr home6; /* put on the TUN (/128); family 0: none */
	struct d_routes routes; /* wanted into the TUN */
	bool tun_rules;         /* the two rules of the default route are in place */
	bool tun_have;          /* the routes into the TUN are in place */
	bool dirty;             /* something may have to be installed again */
};

/* No I/O. names/ifnames: n uplinks; the strings must outlive rt. The base
 * table is routes->table. home6: the IPv6 home address (NULL or family 0:
 * none), put on the TUN with the routes and the preferred source of the IPv6
 * ones. */
void d_mnrt_init(struct d_mnrt *rt, uint32_t ha, const char *const *names,
		 const char *const *ifnames, size_t n, const char *tun,
		 const struct d_routes *routes, const struct um3n_addr *home6);
/* Clears what a daemon that did not exit cleanly left in our tables/rules. */
void d_mnrt_start(struct d_mnrt *rt);
/* The fwmark of every uplink socket (SO_MARK). */
static inline uint32_t d_mnrt_mark(const struct d_mnrt *rt) { return rt->base; }
/* Netlink events, as dnl.h reports them. */
void d_mnrt_link(struct d_mnrt *rt, int ifindex, const char *ifname, bool running);
void d_mnrt_route(struct d_mnrt *rt, const struct d_route *r, bool added);
/* Uplink i's socket is now bound to addr (0: closed): the rule follows. */
void d_mnrt_uplink_addr(struct d_mnrt *rt, size_t i, uint32_t addr);
/* A reload: the TUN routes wanted from now on. */
void d_mnrt_set_routes(struct d_mnrt *rt, const struct d_routes *routes);
/* Installs what is missing or changed since the events; cheap when nothing
 * happened. Returns true if an uplink's route to the HA was just added. */
bool d_mnrt_sync(struct d_mnrt *rt);
/* Clean exit: removes every route and rule the daemon added. */
void d_mnrt_stop(struct d_mnrt *rt);

#endif
