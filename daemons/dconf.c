/* um3n daemons — INI configuration parsing (inih) and validation (`routes`
 * and `route_table` values: droute.c). Strict on purpose: an unknown section or key is an error, so a typo never
 * silently leaves a default in place. The first problem is reported as one
 * line "FILE:LINE: [section] key: problem" (um3n-mn -n prints it). */
#include "dconf.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "dcommon.h"
#include "dconf_int.h"
#include "wire.h"

/* key NULL: `what` already starts with it (an engine key's message, confkeys.h). */
int d_conf_fail(struct d_conf_ctx *pc, const char *section, const char *key, const char *what)
{
	if (!pc->failed) {
		snprintf(pc->problem, sizeof(pc->problem), "[%s] %s%s%s", section, key ? key : "",
			 key ? ": " : "", what);
		pc->failed = true;
	}
	return 0; /* inih: error on this line */
}

/* A key that is no daemon key: an engine parameter (the table shared with the
 * simulator, confkeys.h) or unknown. */
int d_conf_engine_key(struct d_conf_ctx *pc, const char *section, enum um3n_confkeys_engine e,
		      void *conf, const char *k, const char *v)
{
	char why[128]; /* k is a table key's name here: the message is short */
	int rc = um3n_confkeys_set(e, conf, k, v, why, sizeof(why));

	if (rc == UM3N_ENOENT)
		return d_conf_fail(pc, section, k, "unknown key");
	return rc < 0 ? d_conf_fail(pc, section, NULL, why) : 1;
}

bool d_conf_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*text || *text == '-')
		return false;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool d_conf_copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

bool d_conf_parse_ipv4(const char *text, struct um3n_addr *a)
{
	return um3n_addr_parse(text, a) == 0 && a->family == UM3N_AF_INET;
}

/* ---- mn.conf ---------------------------------------------------------- */

static int mn_key_main(struct d_conf_ctx *pc, struct d_conf_mn *c, const char *k, const char *v)
{
	char why[96];
	uint32_t u;

	if (strcmp(k, "home_address") == 0) {
		if (!d_conf_parse_ipv4(v, &c->mn.home_addr))
			return d_conf_fail(pc, "mn", k, "not an IPv4 address");
		c->seen_home = true;
	} else if (strcmp(k, "home_address6") == 0) {
		if (um3n_addr_parse(v, &c->mn.home_addr6) ||
		    c->mn.home_addr6.family != UM3N_AF_INET6)
			return d_conf_fail(pc, "mn", k, "not an IPv6 address");
	} else if (strcmp(k, "home_agent") == 0) {
		if (!d_conf_parse_ipv4(v, &c->mn.ha.ip))
			return d_conf_fail(pc, "mn", k, "not an IPv4 address");
		c->seen_ha = true;
	} else if (strcmp(k, "home_agent6") == 0) {
		if (um3n_addr_parse(v, &c->mn.ha6.ip) || c->mn.ha6.ip.family != UM3N_AF_INET6)
			return d_conf_fail(pc, "mn", k, "not an IPv6 address");
	} else if (strcmp(k, "port") == 0) {
		if (!d_conf_parse_u32(v, 1, 65535, &u))
			return d_conf_fail(pc, "mn", k, "want 1..65535");
		c->mn.ha.port = (uint16_t)u;
	} else if (strcmp(k, "spi") == 0) {
		if (!d_conf_parse_u32(v, UM3N_SPI_HMAC_SHA256_MIN, UINT32_MAX, &c->mn.spi))
			return d_conf_fail(pc, "mn", k, "want an SPI >= 256 (HMAC-SHA256)");
		c->seen_spi = true;
	} else if (strcmp(k, "key_file") == 0) {
		if (!d_conf_copy_str(c->key_file, sizeof(c->key_file), v))
			return d_conf_fail(pc, "mn", k, "empty or too long");
		c->seen_key = true;
	} else if (strcmp(k, "tun") == 0) {
		if (!d_conf_copy_str(c->tun, sizeof(c->tun), v))
			return d_conf_fail(pc, "mn", k, "empty or longer than 15 characters");
	} else if (strcmp(k, "mtu") == 0) {
		if (!d_conf_parse_u32(v, 576, UM3N_PKT_MAX - UM3N_DATA_KEYED_OVERHEAD, &c->mtu))
			return d_conf_fail(pc, "mn", k, "want 576..2036");
	} else if (strcmp(k, "offload") == 0) {
		if (!um3n_confkeys_bool(v, &c->offload))
			return d_conf_fail(pc, "mn", k, "want yes|no");
	} else if (strcmp(k, "busy_poll_us") == 0) {
		if (!d_conf_parse_u32(v, 0, D_BUSY_POLL_MAX_US, &c->busy_poll_us))
			return d_conf_fail(pc, "mn", k, "want 0..1000 microseconds (0 disables)");
	} else if (strcmp(k, "control_socket") == 0) {
		if (!d_conf_copy_str(c->control_socket, sizeof(c->control_socket), v))
			return d_conf_fail(pc, "mn", k, "empty or too long for a unix socket");
	} else if (strcmp(k, "log_level") == 0) {
		if (d_log_level_parse(v, &c->log_level) < 0)
			return d_conf_fail(pc, "mn", k, "want err|warn|info|debug");
	} else if (strcmp(k, "routes") == 0 || strcmp(k, "route_table") == 0) {
		if (d_routes_key(&c->routes, k, v, why, sizeof(why)) < 0)
			return d_conf_fail(pc, "mn", k, why);
	} else {
		return d_conf_engine_key(pc, "mn", UM3N_CONFKEYS_MN, &c->mn, k, v);
	}
	return 1;
}

static struct um3n_mn_link_conf *uplink_for(struct d_conf_mn *c, const char *name, int *idx)
{
	for (size_t i = 0; i < c->mn.n_links; i++) {
		if (strcmp(c->mn.links[i].name, name) == 0) {
			*idx = (int)i;
			return &c->mn.links[i];
		}
	}
	if (c->mn.n_links == UM3N_MAX_LINKS || strlen(name) >= UM3N_LINK_NAME_MAX || !*name)
		return NULL;
	*idx = (int)c->mn.n_links;
	strcpy(c->mn.links[c->mn.n_links].name, name);
	return &c->mn.links[c->mn.n_links++];
}

static int mn_key_uplink(struct d_conf_ctx *pc, struct d_conf_mn *c, const char *section,
			 const char *k, const char *v)
{
	const char *name = section + strlen("uplink ");
	struct um3n_mn_link_conf *l;
	int idx;

	l = uplink_for(c, name, &idx);
	if (!l)
		return d_conf_fail(pc, section, k, "too many uplinks or bad name (1..15 chars)");
	if (strcmp(k, "interface") == 0) {
		if (!d_conf_copy_str(c->uplinks[idx].ifname, IFNAMSIZ, v))
			return d_conf_fail(pc, section, k, "empty or longer than 15 characters");
		c->uplinks[idx].seen_interface = true;
		return 1;
	}
	if (strcmp(k, "up_command") == 0 || strcmp(k, "down_command") == 0) {
		bool up = k[0] == 'u';
		const char *why;

		if (d_spawn_parse(up ? &c->uplinks[idx].up_cmd : &c->uplinks[idx].down_cmd, v,
				  &why) < 0)
			return d_conf_fail(pc, section, k, why);
		/* the handover manager may pick it even while it has no carrier */
		l->on_demand = up || l->on_demand;
		return 1;
	}
	if (strcmp(k, "family") == 0) {
		if (strcmp(v, "ipv4") && strcmp(v, "ipv6"))
			return d_conf_fail(pc, section, k, "want ipv4 or ipv6");
		c->uplinks[idx].ipv6 = v[3] == '6';
		return 1;
	}
	if (strcmp(k, "command_timeout_ms") == 0) {
		if (!d_conf_parse_u32(v, 100, 600000, &c->uplinks[idx].cmd_timeout_ms))
			return d_conf_fail(pc, section, k, "want milliseconds, 100..600000");
		return 1;
	}
	return d_conf_engine_key(pc, section, UM3N_CONFKEYS_LINK, l, k, v);
}

/* "CLASS [MODE]": the default rule has no room for parameters (policy.h). */
static bool parse_class_mode(char *text, uint8_t *cls, uint8_t *mode)
{
	struct um3n_policy_rule r = {0};

	if (um3n_policy_action_parse(text, &r, NULL) < 0 || r.mode == UM3N_MODE_LOAD_BALANCE ||
	    r.rtt_ms || r.loss_pct)
		return false;
	*cls = r.link_class;
	*mode = r.mode;
	return true;
}

static int mn_rule_add(struct d_conf_ctx *pc, struct d_conf_mn *c, const char *v)
{
	char buf[200], *save = NULL, *prefix, msg[160];
	struct um3n_policy_rule r = {0};
	const char *why = "";

	if (!d_conf_copy_str(buf, sizeof(buf), v))
		return d_conf_fail(pc, "policy", "rule", "empty");
	prefix = strtok_r(buf, " \t", &save);
	if (!prefix || um3n_policy_prefix_parse(prefix, &r.prefix, &r.plen) < 0)
		return d_conf_fail(pc, "policy", "rule", "bad prefix (want PREFIX CLASS [MODE])");
	if (!save || um3n_policy_action_parse(save, &r, &why) < 0) {
		snprintf(msg, sizeof(msg),
			 "%s (want PREFIX CLASS [MODE [PCT]] [rtt_ms=N] [loss_pct=N])", why);
		return d_conf_fail(pc, "policy", "rule", msg);
	}
	for (size_t i = 0; i < c->n_rules; i++)
		if (c->rules[i].plen == r.plen && um3n_addr_eq(&c->rules[i].prefix, &r.prefix))
			return d_conf_fail(pc, "policy", "rule", "duplicate prefix");
	if (c->n_rules == c->cap_rules) {
		size_t cap = c->cap_rules ? c->cap_rules * 2 : 16;
		void *p = cap <= UM3N_POLICY_MAX_RULES ? realloc(c->rules, cap * sizeof(r)) : NULL;

		if (!p)
			return d_conf_fail(pc, "policy", "rule", "too many rules");
		c->rules = p;
		c->cap_rules = cap;
	}
	c->rules[c->n_rules++] = r;
	return 1;
}

static int mn_handler(void *user, const char *section, const char *k, const char *v)
{
	struct d_conf_ctx *pc = user;
	struct d_conf_mn *c = pc->cfg;
	char tmp[200];

	if (strcmp(section, "mn") == 0)
		return mn_key_main(pc, c, k, v);
	if (strncmp(section, "uplink ", 7) == 0)
		return mn_key_uplink(pc, c, section, k, v);
	if (strcmp(section, "policy") == 0) {
		if (strcmp(k, "rule") == 0)
			return mn_rule_add(pc, c, v);
		if (strcmp(k, "default") == 0) {
			if (!d_conf_copy_str(tmp, sizeof(tmp), v) ||
			    !parse_class_mode(tmp, &c->default_class, &c->default_mode))
				return d_conf_fail(
					pc, section, k,
					"want CLASS [MODE], MODE not load-balance, no thresholds "
					"(a 0.0.0.0/0 rule takes them)");
			return 1;
		}
		return d_conf_fail(pc, section, k, "unknown key");
	}
	return d_conf_fail(pc, section, k, "unknown section");
}

static void mn_config_init(struct d_conf_mn *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	um3n_mn_conf_defaults(&c->mn);
	c->mn.ha.port = UM3N_PORT_DEFAULT;
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(c->tun, "um3n0");
	strcpy(c->control_socket, "/run/um3n/mn.sock");
	c->log_level = UM3N_LOG_INFO;
	c->offload = true;
	c->busy_poll_us = D_BUSY_POLL_DEFAULT_US;
	c->routes.table = D_ROUTE_TABLE_DEFAULT;
	c->default_class = UM3N_CLASS_ANY;
	c->default_mode = UM3N_MODE_PREFER;
	for (size_t i = 0; i < UM3N_MAX_LINKS; i++)
		c->uplinks[i].cmd_timeout_ms = D_CMD_TIMEOUT_DEFAULT_MS;
}

void d_conf_report(char *err, size_t cap, const char *path, int line, const char *problem)
{
	if (line > 0)
		snprintf(err, cap, "%s:%d: %s", path, line, problem);
	else
		snprintf(err, cap, "%s: %s", path, problem);
}

static int mn_validate(const struct d_conf_mn *c, char *err, size_t cap)
{
	const char *miss = !c->seen_home        ? "[mn] home_address: missing"
			   : !c->seen_ha        ? "[mn] home_agent: missing"
			   : !c->seen_spi       ? "[mn] spi: missing"
			   : !c->seen_key       ? "[mn] key_file: missing"
			   : c->mn.n_links == 0 ? "[uplink NAME]: at least one uplink is needed"
						: NULL;
	char what[128]; /* room for three 16-byte names */

	if (!miss && d_routes_has6(&c->routes) && c->mn.home_addr6.family != UM3N_AF_INET6)
		miss = "[mn] routes: an IPv6 prefix needs home_address6"; /* its source */
	for (size_t i = 0; !miss && i < c->mn.n_links; i++) {
		if (c->uplinks[i].ipv6 && c->mn.ha6.ip.family != UM3N_AF_INET6) {
			snprintf(what, sizeof(what),
				 "[uplink %s] family = ipv6 needs [mn] home_agent6",
				 c->mn.links[i].name);
			miss = what;
		}
	}
	if (!miss && c->mtu && c->mtu < 1280 && c->mn.home_addr6.family == UM3N_AF_INET6)
		miss = "[mn] mtu: below 1280, where the kernel turns IPv6 off, with home_address6";
	if (miss) {
		d_conf_report(err, cap, c->path, 0, miss);
		return UM3N_EINVAL;
	}
	for (size_t i = 0; i < c->mn.n_links; i++) {
		if (!c->uplinks[i].seen_interface) {
			snprintf(what, sizeof(what), "[uplink %s] interface: missing",
				 c->mn.links[i].name);
			d_conf_report(err, cap, c->path, 0, what);
			return UM3N_EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->uplinks[i].ifname, c->uplinks[j].ifname) == 0) {
				snprintf(what, sizeof(what),
					 "[uplink %s] interface: %s already used by uplink %s",
					 c->mn.links[i].name, c->uplinks[i].ifname,
					 c->mn.links[j].name);
				d_conf_report(err, cap, c->path, 0, what);
				return UM3N_EINVAL;
			}
		}
	}
	return UM3N_OK;
}

int d_conf_mn_parse(const char *text, const char *path, struct d_conf_mn *cfg, char *err,
		    size_t err_cap)
{
	struct d_conf_ctx pc = {.cfg = cfg};
	int line;

	mn_config_init(cfg, path);
	line = ini_parse_string(text, mn_handler, &pc);
	if (line != 0 || pc.failed) {
		d_conf_report(err, err_cap, path, line,
			      pc.failed ? pc.problem
					: "syntax error (want [section] or key = value)");
		return UM3N_EINVAL;
	}
	if (cfg->mn.ha6.ip.family)
		cfg->mn.ha6.port = cfg->mn.ha.port; /* one port for both addresses */
	return mn_validate(cfg, err, err_cap);
}

void d_conf_mn_free(struct d_conf_mn *cfg)
{
	free(cfg->rules);
	cfg->rules = NULL;
	cfg->n_rules = cfg->cap_rules = 0;
	explicit_bzero(cfg->mn.key, sizeof(cfg->mn.key));
}

struct um3n_policy *d_conf_policy_build(const struct d_conf_mn *cfg, const struct um3n_env *env,
					uint32_t version)
{
	struct um3n_policy *p = um3n_policy_new(env, cfg->n_rules ? cfg->n_rules : 1);

	if (!p)
		return NULL;
	if (um3n_policy_set_default(p, cfg->default_class, cfg->default_mode) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (um3n_policy_add(p, &cfg->rules[i]) < 0)
			goto fail;
	um3n_policy_set_version(p, version);
	return p;
fail:
	um3n_policy_free(p);
	return NULL;
}

bool d_conf_policy_check(const struct d_conf_mn *cfg)
{
	struct um3n_env env;
	struct um3n_policy *p;

	d_env_init(&env);
	env.log = NULL; /* -n: the caller says what went wrong, once */
	p = d_conf_policy_build(cfg, &env, 1);
	if (p)
		um3n_policy_free(p);
	return p != NULL;
}

/* ---- loading files ---------------------------------------------------- */

int d_conf_load_key(const char *conf_path, const char *where, const char *key_file, uint8_t *key,
		    size_t *len, char *err, size_t cap)
{
	char full[2 * D_PATH_MAX], why[D_ERR_MAX];
	int rc;

	d_path_beside(conf_path, key_file, full, sizeof(full));
	rc = d_key_load(full, key, 64, len, why, sizeof(why));
	if (rc < 0)
		snprintf(err, cap, "%s: [%s] key_file: %s", conf_path, where, why);
	return rc;
}

int d_conf_mn_load(const char *path, struct d_conf_mn *cfg, char *err, size_t err_cap)
{
	char *text = d_read_text(path, err, err_cap);
	int rc;

	if (!text) {
		mn_config_init(cfg, path);
		return UM3N_ENOENT;
	}
	rc = d_conf_mn_parse(text, path, cfg, err, err_cap);
	free(text);
	if (rc == 0)
		rc = d_conf_load_key(path, "mn", cfg->key_file, cfg->mn.key, &cfg->mn.key_len, err,
				     err_cap);
	return rc;
}

size_t d_conf_mn_ipv6_uplinks(const struct d_conf_mn *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->mn.n_links; i++)
		n += c->uplinks[i].ipv6;
	return n;
}

int d_conf_mn_check_exit(struct d_conf_mn *cfg, const char *path, int rc, const char *err)
{
	bool policy_ok = d_conf_policy_check(cfg);

	d_conf_mn_free(cfg);
	if (!policy_ok)
		fprintf(stderr, "%s: [policy]: rejected (too many or conflicting rules)\n", path);
	else if (rc < 0)
		fprintf(stderr, "%s; the rest is good\n", err);
	return policy_ok ? 0 : 2;
}
