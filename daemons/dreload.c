/* um3n daemons — what a reload changes (dreload.h).
 *
 * A key is live when something reads it afresh at each use: the daemon's own
 * (log level, busy polling), the engine fields um3n_mn_conf_apply and
 * um3n_ha_conf_apply take (mn.h, ha.h), the policy table (a new version,
 * synced by re-registration) and the HA's key table (asked at every request).
 * Everything that shaped a socket, the TUN, a pool or an armed timer at
 * start-up needs a restart. A new key in dconf.h needs a row here. */
#include "dreload.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "dcommon.h"

enum kind { K_STR, K_UINT, K_U16, K_U32, K_INT, K_BOOL, K_ADDR };

/* A daemon key of the [mn] or [ha] section and where both structs keep it. */
struct row {
	const char *key;
	uint8_t kind; /* enum kind */
	bool live;
	size_t off;
};

static const struct row mn_rows[] = {
	{"home_address", K_ADDR, false, offsetof(struct d_conf_mn, mn.home_addr)},
	{"home_address6", K_ADDR, false, offsetof(struct d_conf_mn, mn.home_addr6)},
	{"home_agent", K_ADDR, false, offsetof(struct d_conf_mn, mn.ha.ip)},
	{"home_agent6", K_ADDR, false, offsetof(struct d_conf_mn, mn.ha6.ip)},
	{"port", K_U16, false, offsetof(struct d_conf_mn, mn.ha.port)},
	{"spi", K_U32, false, offsetof(struct d_conf_mn, mn.spi)},
	{"tun", K_STR, false, offsetof(struct d_conf_mn, tun)},
	{"mtu", K_UINT, false, offsetof(struct d_conf_mn, mtu)},
	{"offload", K_BOOL, false, offsetof(struct d_conf_mn, offload)},
	{"busy_poll_us", K_UINT, true, offsetof(struct d_conf_mn, busy_poll_us)},
	{"control_socket", K_STR, false, offsetof(struct d_conf_mn, control_socket)},
	{"log_level", K_INT, true, offsetof(struct d_conf_mn, log_level)},
	{"route_table", K_U32, false, offsetof(struct d_conf_mn, routes.table)},
};

static const struct row ha_rows[] = {
	{"address", K_ADDR, false, offsetof(struct d_conf_ha, ha.addr.ip)},
	{"address6", K_ADDR, false, offsetof(struct d_conf_ha, addr6.ip)},
	{"port", K_U16, false, offsetof(struct d_conf_ha, ha.addr.port)},
	{"tun", K_STR, false, offsetof(struct d_conf_ha, tun)},
	{"mtu", K_UINT, false, offsetof(struct d_conf_ha, mtu)},
	{"offload", K_BOOL, false, offsetof(struct d_conf_ha, offload)},
	{"busy_poll_us", K_UINT, true, offsetof(struct d_conf_ha, busy_poll_us)},
	{"control_socket", K_STR, false, offsetof(struct d_conf_ha, control_socket)},
	{"log_level", K_INT, true, offsetof(struct d_conf_ha, log_level)},
};

/* The engine keys (confkeys.h) whose fields um3n_*_conf_apply take. */
static const char *const mn_live_engine[] = {"lifetime_s", "reg_retry_ms", "signal_degraded_dbm",
					     "signal_recovered_dbm", "resend_window_ms"};
static const char *const ha_live_engine[] = {"max_lifetime_s", "keepalive_s", "resend_window_ms"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void note(struct d_reload *r, bool live, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct d_reload *r, bool live, const char *fmt, ...)
{
	va_list ap;

	if (r->n < D_RELOAD_MAX) {
		va_start(ap, fmt);
		vsnprintf(r->ch[r->n].what, D_RELOAD_WHAT_MAX, fmt, ap);
		va_end(ap);
		r->ch[r->n].live = live;
	}
	r->n++;
}

static bool row_differs(const struct row *w, const void *a, const void *b)
{
	const char *x = (const char *)a + w->off, *y = (const char *)b + w->off;

	switch (w->kind) {
	case K_STR: return strcmp(x, y) != 0;
	case K_UINT: return *(const unsigned *)x != *(const unsigned *)y;
	case K_U16: return *(const uint16_t *)x != *(const uint16_t *)y;
	case K_U32: return *(const uint32_t *)x != *(const uint32_t *)y;
	case K_INT: return *(const int *)x != *(const int *)y;
	case K_BOOL: return *(const bool *)x != *(const bool *)y;
	default:
		assert(w->kind == K_ADDR);
		return !um3n_addr_eq((const struct um3n_addr *)x, (const struct um3n_addr *)y);
	}
}

static void rows(const struct row *t, size_t n, const char *section, const void *a, const void *b,
		 struct d_reload *r)
{
	for (size_t i = 0; i < n; i++)
		if (row_differs(&t[i], a, b))
			note(r, t[i].live, "[%s] %s", section, t[i].key);
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* The engine keys of one section; returns whether a live one changed. */
static bool engine_keys(enum um3n_confkeys_engine e, const char *section, const void *a,
			const void *b, const char *const *live, size_t n_live, struct d_reload *r)
{
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		bool is_live;

		if (t[i].engine != e || um3n_confkeys_get(&t[i], a) == um3n_confkeys_get(&t[i], b))
			continue;
		is_live = live && listed(live, n_live, t[i].name);
		note(r, is_live, "[%s] %s", section, t[i].name);
		any |= is_live;
	}
	return any;
}

/* The live engine keys as um3n_confkeys_copy's mask of table indexes. */
static uint64_t live_mask(enum um3n_confkeys_engine e, const char *const *live, size_t n_live)
{
	size_t n;
	const struct um3n_confkey *t = um3n_confkeys_table(&n);
	uint64_t mask = 0;

	assert(n <= 64);
	for (size_t i = 0; i < n; i++)
		if (t[i].engine == e && listed(live, n_live, t[i].name))
			mask |= 1ull << i;
	return mask;
}

static bool same_key(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* ---- mn.conf ---------------------------------------------------------- */

static int uplink_index(const struct d_conf_mn *c, const char *name)
{
	for (size_t i = 0; i < c->mn.n_links; i++)
		if (strcmp(c->mn.links[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool same_cmd(const struct d_spawn_cmd *x, const struct d_spawn_cmd *y)
{
	if (x->argc != y->argc)
		return false;
	for (int i = 0; i < x->argc; i++)
		if (strcmp(d_spawn_arg(x, i), d_spawn_arg(y, i)))
			return false;
	return true;
}

/* Uplinks are the engine's link indexes, sockets and the wire's link ids:
 * every change to them needs a restart. */
static void uplinks(const struct d_conf_mn *a, const struct d_conf_mn *b, struct d_reload *r)
{
	char sec[32];

	for (size_t i = 0; i < a->mn.n_links; i++) {
		const char *name = a->mn.links[i].name;
		int j = uplink_index(b, name);

		if (j < 0) {
			note(r, false, "[uplink %s] (section removed)", name);
			continue;
		}
		if ((size_t)j != i)
			note(r, false, "[uplink %s] (position in the file)", name);
		if (strcmp(a->uplinks[i].ifname, b->uplinks[j].ifname))
			note(r, false, "[uplink %s] interface", name);
		if (a->uplinks[i].ipv6 != b->uplinks[j].ipv6)
			note(r, false, "[uplink %s] family", name);
		if (!same_cmd(&a->uplinks[i].up_cmd, &b->uplinks[j].up_cmd))
			note(r, false, "[uplink %s] up_command", name);
		if (!same_cmd(&a->uplinks[i].down_cmd, &b->uplinks[j].down_cmd))
			note(r, false, "[uplink %s] down_command", name);
		if (a->uplinks[i].cmd_timeout_ms != b->uplinks[j].cmd_timeout_ms)
			note(r, false, "[uplink %s] command_timeout_ms", name);
		snprintf(sec, sizeof(sec), "uplink %s", name);
		engine_keys(UM3N_CONFKEYS_LINK, sec, &a->mn.links[i], &b->mn.links[j], NULL, 0, r);
	}
	for (size_t j = 0; j < b->mn.n_links; j++)
		if (uplink_index(a, b->mn.links[j].name) < 0)
			note(r, false, "[uplink %s] (new section)", b->mn.links[j].name);
}

static bool same_rule(const struct um3n_policy_rule *x, const struct um3n_policy_rule *y)
{
	return x->plen == y->plen && um3n_addr_eq(&x->prefix, &y->prefix) &&
	       x->link_class == y->link_class && x->mode == y->mode && x->pct == y->pct &&
	       x->rtt_ms == y->rtt_ms && x->loss_pct == y->loss_pct;
}

static bool same_policy(const struct d_conf_mn *a, const struct d_conf_mn *b)
{
	if (a->default_class != b->default_class || a->default_mode != b->default_mode ||
	    a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++)
		if (!same_rule(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

void d_reload_mn(const struct d_conf_mn *a, const struct d_conf_mn *b, struct d_reload *r)
{
	memset(r, 0, sizeof(*r));
	rows(mn_rows, N(mn_rows), "mn", a, b, r);
	if (strcmp(a->key_file, b->key_file) ||
	    !same_key(a->mn.key, a->mn.key_len, b->mn.key, b->mn.key_len)) {
		note(r, true, "[mn] key_file");
		r->engine = true;
	}
	r->engine |= engine_keys(UM3N_CONFKEYS_MN, "mn", &a->mn, &b->mn, mn_live_engine,
				 N(mn_live_engine), r);
	/* The routes into the TUN are swapped at once (dmnrt.c). */
	if (!d_routes_eq(&a->routes, &b->routes))
		note(r, true, "[mn] routes");
	uplinks(a, b, r);
	if (!same_policy(a, b)) {
		note(r, true, "[policy]");
		r->policy = true;
	}
}

static void copy_live_rows(const struct row *t, size_t n, void *to, const void *from)
{
	static const size_t size[] = {
		[K_UINT] = sizeof(unsigned), [K_U16] = sizeof(uint16_t), [K_U32] = sizeof(uint32_t),
		[K_INT] = sizeof(int),       [K_BOOL] = sizeof(bool),
	};

	for (size_t i = 0; i < n; i++) {
		/* live rows are scalars: strings and addresses shape sockets */
		assert(!t[i].live || (t[i].kind != K_STR && t[i].kind != K_ADDR));
		if (t[i].live)
			memcpy((char *)to + t[i].off, (const char *)from + t[i].off,
			       size[t[i].kind]);
	}
}

void d_reload_mn_take(struct d_conf_mn *run, struct d_conf_mn *file, bool take_policy)
{
	struct um3n_mn_conf *m = &run->mn;
	const struct um3n_mn_conf *f = &file->mn;

	copy_live_rows(mn_rows, N(mn_rows), run, file);
	run->routes.n = file->routes.n;
	memcpy(run->routes.p, file->routes.p, sizeof(run->routes.p));
	memcpy(run->key_file, file->key_file, sizeof(run->key_file));
	memcpy(m->key, f->key, sizeof(m->key));
	m->key_len = f->key_len;
	um3n_confkeys_copy(UM3N_CONFKEYS_MN, m, f,
			   live_mask(UM3N_CONFKEYS_MN, mn_live_engine, N(mn_live_engine)));
	if (take_policy) {
		struct um3n_policy_rule *rules = run->rules;
		size_t cap = run->cap_rules;

		run->rules = file->rules;
		run->n_rules = file->n_rules;
		run->cap_rules = file->cap_rules;
		run->default_class = file->default_class;
		run->default_mode = file->default_mode;
		file->rules = rules; /* the old table is freed with file */
		file->cap_rules = cap;
		file->n_rules = 0;
	}
}

/* ---- ha.conf ---------------------------------------------------------- */

static const struct d_conf_ha_mn *mn_find(const struct d_conf_ha *c, uint32_t home)
{
	for (size_t i = 0; i < c->n_mns; i++)
		if (c->mns[i].home_addr == home)
			return &c->mns[i];
	return NULL;
}

static void mn_sections(const struct d_conf_ha *a, const struct d_conf_ha *b, struct d_reload *r)
{
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < a->n_mns; i++) {
		const struct d_conf_ha_mn *x = &a->mns[i], *y = mn_find(b, x->home_addr);
		uint32_t be = htonl(x->home_addr);

		inet_ntop(AF_INET, &be, ip, sizeof(ip));
		if (!y)
			note(r, true, "[mn %s] (section removed)", ip);
		else if (x->spi != y->spi)
			note(r, true, "[mn %s] spi", ip);
		if (y && (strcmp(x->key_file, y->key_file) ||
			  !same_key(x->key, x->key_len, y->key, y->key_len)))
			note(r, true, "[mn %s] key_file", ip);
		if (y && (x->n_prefixes != y->n_prefixes ||
			  memcmp(x->prefixes, y->prefixes, x->n_prefixes * sizeof(x->prefixes[0]))))
			note(r, true, "[mn %s] home_address6/prefix", ip);
	}
	for (size_t j = 0; j < b->n_mns; j++) {
		uint32_t be = htonl(b->mns[j].home_addr);

		if (mn_find(a, b->mns[j].home_addr))
			continue;
		inet_ntop(AF_INET, &be, ip, sizeof(ip));
		note(r, true, "[mn %s] (new section)", ip);
	}
}

void d_reload_ha(const struct d_conf_ha *a, const struct d_conf_ha *b, struct d_reload *r)
{
	size_t before;

	memset(r, 0, sizeof(*r));
	rows(ha_rows, N(ha_rows), "ha", a, b, r);
	/* Turned on, the routes are added at once; turned off, the ones in
	 * place stay on the TUN until it goes away with the daemon. */
	if (a->add_routes != b->add_routes)
		note(r, b->add_routes, "[ha] add_routes");
	r->engine = engine_keys(UM3N_CONFKEYS_HA, "ha", &a->ha, &b->ha, ha_live_engine,
				N(ha_live_engine), r);
	before = r->n;
	mn_sections(a, b, r);
	r->mns = r->n > before;
}

void d_reload_ha_take(struct d_conf_ha *run, struct d_conf_ha *file)
{
	struct d_conf_ha_mn *mns = run->mns;
	size_t n = run->n_mns, cap = run->cap_mns;

	copy_live_rows(ha_rows, N(ha_rows), run, file);
	if (file->add_routes)
		run->add_routes = true;
	um3n_confkeys_copy(UM3N_CONFKEYS_HA, &run->ha, &file->ha,
			   live_mask(UM3N_CONFKEYS_HA, ha_live_engine, N(ha_live_engine)));
	/* the key table: get_key reads run->mns at the next request */
	run->mns = file->mns;
	run->n_mns = file->n_mns;
	run->cap_mns = file->cap_mns;
	file->mns = mns; /* the old table is freed (and its keys wiped) with file */
	file->n_mns = n;
	file->cap_mns = cap;
}

/* ---- the keys, for the man pages' test ---------------------------------- */

const char *d_reload_key(bool ha, size_t i, bool *live)
{
	const struct row *t = ha ? ha_rows : mn_rows;
	size_t n = ha ? N(ha_rows) : N(mn_rows), nk;
	const struct um3n_confkey *k = um3n_confkeys_table(&nk);

	if (i < n) {
		*live = t[i].live;
		return t[i].key;
	}
	i -= n;
	if (i == 0) {
		*live = true; /* [mn] key_file; the HA's [mn HOME] key_file */
		return "key_file";
	}
	if (!ha && i <= 2) {
		*live = i == 2;
		return i == 1 ? "interface" : "routes";
	}
	i -= ha ? 1 : 3;
	for (size_t j = 0; j < nk; j++) {
		if ((k[j].engine == UM3N_CONFKEYS_HA) != ha || i-- > 0)
			continue;
		*live = ha ? listed(ha_live_engine, N(ha_live_engine), k[j].name)
			   : k[j].engine == UM3N_CONFKEYS_MN &&
					listed(mn_live_engine, N(mn_live_engine), k[j].name);
		return k[j].name;
	}
	return NULL;
}

/* ---- the log ---------------------------------------------------------- */

void d_reload_log(const struct d_reload *r)
{
	if (r->n == 0) {
		d_log(UM3N_LOG_INFO, "reload: no change");
		return;
	}
	for (size_t i = 0; i < r->n && i < D_RELOAD_MAX; i++) {
		if (r->ch[i].live)
			d_log(UM3N_LOG_INFO, "reload: %s applied", r->ch[i].what);
		else
			d_log(UM3N_LOG_WARN, "reload: %s needs a restart", r->ch[i].what);
	}
	if (r->n > D_RELOAD_MAX)
		d_log(UM3N_LOG_WARN, "reload: %zu more changes not listed", r->n - D_RELOAD_MAX);
}
