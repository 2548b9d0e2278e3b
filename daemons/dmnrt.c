/* um3n daemons — the MN's routing tables and rules (dmnrt.h). */
#include "dmnrt.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "dcommon.h"

static uint32_t table_of(const struct d_mnrt *rt, size_t i) { return rt->base + 1 + (uint32_t)i; }

static const char *ip(uint32_t a, char *buf)
{
	uint32_t be = htonl(a);

	return inet_ntop(AF_INET, &be, buf, INET_ADDRSTRLEN);
}

void d_mnrt_init(struct d_mnrt *rt, uint32_t ha, const char *const *names,
		 const char *const *ifnames, size_t n, const char *tun,
		 const struct d_routes *routes, const struct um3n_addr *home6)
{
	assert(n <= UM3N_MAX_LINKS && routes->table >= D_ROUTE_TABLE_MIN &&
	       routes->table <= D_ROUTE_TABLE_MAX);
	memset(rt, 0, sizeof(*rt));
	rt->base = routes->table;
	rt->ha = ha;
	rt->n = n;
	for (size_t i = 0; i < n; i++) {
		rt->up[i].name = names[i];
		snprintf(rt->up[i].ifname, IFNAMSIZ, "%s", ifnames[i]);
	}
	snprintf(rt->tun, IFNAMSIZ, "%s", tun);
	rt->routes = *routes;
	if (home6 && home6->family == UM3N_AF_INET6)
		rt->home6 = *home6;
	rt->dirty = true;
}

void d_mnrt_start(struct d_mnrt *rt)
{
	int gone = 0, k;

	/* All UM3N_MAX_LINKS slots: the previous run may have had more uplinks. */
	for (size_t i = 0; i < UM3N_MAX_LINKS; i++) {
		if ((k = d_rule_del(D_MNRT_PREF_UPLINK + (uint32_t)i, table_of(rt, i))) > 0)
			gone += k;
		if ((k = d_route_flush(table_of(rt, i))) > 0)
			gone += k;
	}
	if ((k = d_rule_del(D_MNRT_PREF_SUPPRESS, RT_TABLE_MAIN)) > 0)
		gone += k;
	if ((k = d_rule_del(D_MNRT_PREF_TUN, rt->base)) > 0)
		gone += k;
	if ((k = d_route_flush(rt->base)) > 0)
		gone += k;
	if (gone)
		d_log(UM3N_LOG_INFO, "routing: removed %d rules and routes a previous run left",
		      gone);
}

static struct d_mnrt_uplink *by_ifindex(struct d_mnrt *rt, int ifindex)
{
	for (size_t i = 0; ifindex > 0 && i < rt->n; i++)
		if (rt->up[i].ifindex == ifindex)
			return &rt->up[i];
	return NULL;
}

void d_mnrt_link(struct d_mnrt *rt, int ifindex, const char *ifname, bool running)
{
	if (strcmp(ifname, rt->tun) == 0) {
		if (rt->tun_ifindex != (running ? ifindex : 0)) {
			rt->tun_have = false;
			rt->dirty = true;
		}
		rt->tun_ifindex = running ? ifindex : 0;
		return;
	}
	for (size_t i = 0; i < rt->n; i++) {
		struct d_mnrt_uplink *u = &rt->up[i];

		if (strcmp(u->ifname, ifname) != 0)
			continue;
		if (u->ifindex != ifindex || u->running != running)
			rt->dirty = true;
		u->ifindex = ifindex;
		u->running = running;
		if (!running)
			u->have = false; /* the kernel drops routes through a down device */
	}
}

static struct d_route tun_route(const struct d_mnrt *rt, size_t k);

/* One of the routes `routes =` asks for, in the table it goes to. */
static bool wanted(const struct d_mnrt *rt, const struct d_route *r)
{
	for (size_t k = 0; k < rt->routes.n; k++) {
		struct d_route w = tun_route(rt, k);

		if (w.family == r->family && w.plen == r->plen && w.table == r->table &&
		    (w.family == AF_INET6 ? memcmp(w.dst6, r->dst6, 16) == 0 : w.dst == r->dst))
			return true;
	}
	return false;
}

void d_mnrt_route(struct d_mnrt *rt, const struct d_route *r, bool added)
{
	/* Only a deletion of a route still wanted: the ones a reload just took
	 * away report their deletion too. */
	if (!added && r->oif && r->oif == rt->tun_ifindex && wanted(rt, r)) {
		rt->tun_have = false;
		rt->dirty = true;
	}
	if (r->family != AF_INET)
		return; /* the uplinks' routes to the HA are IPv4 */
	if (r->table == RT_TABLE_MAIN) {
		if (by_ifindex(rt, r->oif)) /* a gateway appeared, changed or went */
			rt->dirty = true;
		return;
	}
	if (added || r->table <= rt->base || r->table >= table_of(rt, rt->n))
		return;
	rt->up[r->table - rt->base - 1].have = false;
	rt->dirty = true;
}

void d_mnrt_uplink_addr(struct d_mnrt *rt, size_t i, uint32_t addr)
{
	struct d_mnrt_uplink *u = &rt->up[i];
	struct d_rule rule = {.pref = D_MNRT_PREF_UPLINK + (uint32_t)i,
			      .table = table_of(rt, i),
			      .src = addr,
			      .src_len = 32,
			      .has_mark = true,
			      .mark = rt->base,
			      .suppress_plen = -1};
	char a[INET_ADDRSTRLEN];
	int rc;

	assert(i < rt->n);
	if (addr == u->addr)
		return;
	if (u->addr)
		d_rule_del(rule.pref, rule.table);
	u->addr = 0;
	if (addr && u->last && addr != u->last)
		u->gw_known = false; /* another network: its gateway comes with it */
	if (!addr)
		return;
	u->last = addr;
	rc = d_rule_add(&rule);
	if (rc < 0 && rc != -EEXIST) {
		d_log(UM3N_LOG_ERR, "uplink %s: ip rule from %s lookup %u: %s", u->name,
		      ip(addr, a), rule.table, strerror(-rc));
		return;
	}
	u->addr = addr;
	rt->dirty = true;
}

/* ---- the uplinks' routes to the HA -------------------------------------- */

struct best {
	bool found;
	uint8_t plen;
	uint32_t metric, gw;
};

struct scan {
	const struct d_mnrt *rt;
	struct best b[UM3N_MAX_LINKS];
};

static bool covers(const struct d_route *r, uint32_t a)
{
	uint32_t mask = r->plen ? 0xffffffffu << (32 - r->plen) : 0;

	return (a & mask) == (r->dst & mask);
}

/* The main table's choice for the HA through each uplink: longest prefix,
 * then lowest metric. */
static void scan_main(void *ctx, const struct d_route *r)
{
	struct scan *s = ctx;

	if (r->type != RTN_UNICAST || !covers(r, s->rt->ha))
		return;
	for (size_t i = 0; i < s->rt->n; i++) {
		struct best *b = &s->b[i];

		if (r->oif != s->rt->up[i].ifindex)
			continue;
		if (b->found &&
		    (r->plen < b->plen || (r->plen == b->plen && r->metric >= b->metric)))
			continue;
		*b = (struct best){true, r->plen, r->metric, r->gw};
	}
}

static void uplink_sync(struct d_mnrt *rt, size_t i, const struct best *b, bool *added)
{
	struct d_mnrt_uplink *u = &rt->up[i];
	struct d_route r = {.table = table_of(rt, i), .dst = rt->ha, .plen = 32, .oif = u->ifindex};
	char g[INET_ADDRSTRLEN], h[INET_ADDRSTRLEN];
	int rc;

	if (b->found) {
		u->gw_known = true;
		u->gw = b->gw;
	}
	if (!u->running || !u->ifindex || !u->gw_known) {
		if (u->have && d_route_del(&r) == 0)
			d_log(UM3N_LOG_INFO, "uplink %s: route to the HA removed", u->name);
		u->have = false;
		return;
	}
	if (u->have && u->have_gw == u->gw)
		return;
	r.gw = u->gw;
	rc = d_route_replace(&r);
	if (rc < 0) {
		/* e.g. the remembered gateway is not on this network: wait for
		 * the next default route. Logged once per cause. */
		if (rc != u->err)
			d_log(UM3N_LOG_WARN, "uplink %s: route to the HA via %s dev %s: %s",
			      u->name, u->gw ? ip(u->gw, g) : "(on-link)", u->ifname,
			      strerror(-rc));
		u->err = rc;
		u->have = false;
		return;
	}
	d_log(UM3N_LOG_INFO, "uplink %s: route to the HA %s via %s dev %s (table %u)%s", u->name,
	      ip(rt->ha, h), u->gw ? ip(u->gw, g) : "(on-link)", u->ifname, r.table,
	      b->found ? "" : ", gateway remembered");
	u->err = 0;
	*added |= !u->have;
	u->have = true;
	u->have_gw = u->gw;
}

/* ---- the routes into the TUN --------------------------------------------- */

static struct d_route tun_route(const struct d_mnrt *rt, size_t k)
{
	const struct um3n_addr *dst = &rt->routes.p[k].dst;
	struct d_route r = {.plen = rt->routes.p[k].plen,
			    .oif = rt->tun_ifindex,
			    .table = rt->routes.p[k].plen ? RT_TABLE_MAIN : rt->base,
			    .family = dst->family == UM3N_AF_INET6 ? AF_INET6 : AF_INET};

	if (r.family == AF_INET6) {
		memcpy(r.dst6, dst->bytes, 16);
		memcpy(r.src6, rt->home6.bytes, 16);
	} else {
		r.dst = um3n_addr_v4(dst);
	}
	return r;
}

static bool wants_default(const struct d_mnrt *rt, uint8_t family)
{
	for (size_t k = 0; k < rt->routes.n; k++)
		if (rt->routes.p[k].plen == 0 && rt->routes.p[k].dst.family == family)
			return true;
	return false;
}

/* The default route's two rules in one family. */
static int tun_rules_add(struct d_mnrt *rt, uint8_t family)
{
	struct d_rule sup = {.family = family,
			     .pref = D_MNRT_PREF_SUPPRESS,
			     .table = RT_TABLE_MAIN,
			     .suppress_plen = 0};
	struct d_rule tun = {.family = family,
			     .pref = D_MNRT_PREF_TUN,
			     .table = rt->base,
			     .has_mark = true,
			     .not_mark = true,
			     .mark = rt->base,
			     .suppress_plen = -1};
	int rc = d_rule_add(&sup);

	if (rc == 0 || rc == -EEXIST)
		rc = d_rule_add(&tun);
	return rc == -EEXIST ? 0 : rc;
}

static void tun_rules(struct d_mnrt *rt, bool on)
{
	int rc = 0;

	if (on == rt->tun_rules)
		return;
	if (!on) {
		d_rule_del(D_MNRT_PREF_TUN, rt->base); /* both families */
		d_rule_del(D_MNRT_PREF_SUPPRESS, RT_TABLE_MAIN);
		rt->tun_rules = false;
		return;
	}
	if (wants_default(rt, UM3N_AF_INET))
		rc = tun_rules_add(rt, AF_INET);
	if (rc == 0 && wants_default(rt, UM3N_AF_INET6))
		rc = tun_rules_add(rt, AF_INET6);
	if (rc < 0) {
		d_log(UM3N_LOG_ERR, "routes: ip rule for table %u: %s", rt->base, strerror(-rc));
		return;
	}
	rt->tun_rules = true;
}

/* The IPv6 home address goes before the routes that name it as their source;
 * a TUN that went down lost it (IPv6 drops addresses with the link). */
static bool tun_addr6(struct d_mnrt *rt)
{
	char a[64];
	int rc;

	if (rt->home6.family != UM3N_AF_INET6)
		return true;
	rc = d_addr6_replace(rt->tun_ifindex, rt->home6.bytes, 128);
	if (rc < 0) {
		um3n_addr_format(&rt->home6, a, sizeof(a));
		d_log(UM3N_LOG_WARN, "routes: address %s/128 on %s: %s", a, rt->tun, strerror(-rc));
	}
	return rc == 0;
}

static void tun_sync(struct d_mnrt *rt)
{
	char a[64];
	size_t put = 0;

	if (!rt->tun_ifindex || rt->tun_have)
		return; /* without the TUN, the routes went with it: back when it is */
	if (!tun_addr6(rt))
		return; /* the next event tries again */
	tun_rules(rt, wants_default(rt, UM3N_AF_INET) || wants_default(rt, UM3N_AF_INET6));
	for (size_t k = 0; k < rt->routes.n; k++) {
		struct d_route r = tun_route(rt, k);
		int rc = d_route_replace(&r);

		if (rc < 0) {
			um3n_addr_format(&rt->routes.p[k].dst, a, sizeof(a));
			d_log(UM3N_LOG_WARN, "routes: %s/%u dev %s (table %u): %s", a, r.plen,
			      rt->tun, r.table, strerror(-rc));
		} else {
			put++;
		}
	}
	rt->tun_have = put == rt->routes.n;
	if (put)
		d_log(UM3N_LOG_INFO, "routes: %zu of %zu in place on %s%s", put, rt->routes.n,
		      rt->tun,
		      wants_default(rt, UM3N_AF_INET) || wants_default(rt, UM3N_AF_INET6)
			      ? " (default in its own table)"
			      : "");
}

static void tun_remove(struct d_mnrt *rt)
{
	for (size_t k = 0; rt->tun_ifindex && k < rt->routes.n; k++) {
		struct d_route r = tun_route(rt, k);

		d_route_del(&r);
	}
	tun_rules(rt, false);
	rt->tun_have = false;
}

void d_mnrt_set_routes(struct d_mnrt *rt, const struct d_routes *routes)
{
	if (d_routes_eq(routes, &rt->routes))
		return;
	tun_remove(rt);
	rt->routes.n = routes->n; /* the table stays: it needs a restart */
	memcpy(rt->routes.p, routes->p, sizeof(routes->p));
	rt->dirty = true;
}

bool d_mnrt_sync(struct d_mnrt *rt)
{
	struct scan s = {.rt = rt};
	bool added = false;
	int rc;

	if (!rt->dirty)
		return false;
	rt->dirty = false;
	rc = d_route_dump(RT_TABLE_MAIN, scan_main, &s);
	if (rc < 0) {
		d_log(UM3N_LOG_WARN, "routing: reading the main table: %s", strerror(-rc));
		rt->dirty = true;
		return false;
	}
	for (size_t i = 0; i < rt->n; i++)
		uplink_sync(rt, i, &s.b[i], &added);
	tun_sync(rt);
	return added;
}

void d_mnrt_stop(struct d_mnrt *rt)
{
	tun_remove(rt);
	d_route_flush(rt->base);
	for (size_t i = 0; i < rt->n; i++) {
		d_rule_del(D_MNRT_PREF_UPLINK + (uint32_t)i, table_of(rt, i));
		d_route_flush(table_of(rt, i));
		rt->up[i].addr = 0;
		rt->up[i].have = false;
	}
	d_log(UM3N_LOG_INFO, "routing: tables %u-%u and their rules removed", rt->base,
	      table_of(rt, rt->n - 1));
}
