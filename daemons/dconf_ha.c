/* um3n daemons — the home agent's configuration file (ha.conf): its keys, one
 * [mn HOME_ADDRESS] section per mobile node with its key and source prefixes,
 * loading the keys. The helpers shared with mn.conf are dconf.c's
 * (dconf_int.h); the rules are the same: strict, the first problem reported
 * as one line "FILE:LINE: [section] key: problem". */
#include <arpa/inet.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "dcommon.h"
#include "dconf.h"
#include "dconf_int.h"
#include "wire.h"

static int ha_key_main(struct d_conf_ctx *pc, struct d_conf_ha *c, const char *k, const char *v)
{
	uint32_t u;

	if (strcmp(k, "address") == 0) {
		if (!d_conf_parse_ipv4(v, &c->ha.addr.ip))
			return d_conf_fail(pc, "ha", k, "not an IPv4 address");
		c->seen_address = true;
	} else if (strcmp(k, "address6") == 0) {
		if (um3n_addr_parse(v, &c->addr6.ip) || c->addr6.ip.family != UM3N_AF_INET6)
			return d_conf_fail(pc, "ha", k, "not an IPv6 address");
	} else if (strcmp(k, "port") == 0) {
		if (!d_conf_parse_u32(v, 1, 65535, &u))
			return d_conf_fail(pc, "ha", k, "want 1..65535");
		c->ha.addr.port = (uint16_t)u;
	} else if (strcmp(k, "tun") == 0) {
		if (!d_conf_copy_str(c->tun, sizeof(c->tun), v))
			return d_conf_fail(pc, "ha", k, "empty or longer than 15 characters");
	} else if (strcmp(k, "mtu") == 0) {
		if (!d_conf_parse_u32(v, 576, UM3N_PKT_MAX - UM3N_DATA_KEYED_OVERHEAD, &c->mtu))
			return d_conf_fail(pc, "ha", k, "want 576..2036");
	} else if (strcmp(k, "offload") == 0) {
		if (!um3n_confkeys_bool(v, &c->offload))
			return d_conf_fail(pc, "ha", k, "want yes|no");
	} else if (strcmp(k, "busy_poll_us") == 0) {
		if (!d_conf_parse_u32(v, 0, D_BUSY_POLL_MAX_US, &c->busy_poll_us))
			return d_conf_fail(pc, "ha", k, "want 0..1000 microseconds (0 disables)");
	} else if (strcmp(k, "add_routes") == 0) {
		if (!um3n_confkeys_bool(v, &c->add_routes))
			return d_conf_fail(pc, "ha", k, "want yes|no");
	} else if (strcmp(k, "control_socket") == 0) {
		if (!d_conf_copy_str(c->control_socket, sizeof(c->control_socket), v))
			return d_conf_fail(pc, "ha", k, "empty or too long for a unix socket");
	} else if (strcmp(k, "log_level") == 0) {
		if (d_log_level_parse(v, &c->log_level) < 0)
			return d_conf_fail(pc, "ha", k, "want err|warn|info|debug");
	} else {
		return d_conf_engine_key(pc, "ha", UM3N_CONFKEYS_HA, &c->ha, k, v);
	}
	return 1;
}

static struct d_conf_ha_mn *ha_mn_for(struct d_conf_ha *c, uint32_t home)
{
	for (size_t i = 0; i < c->n_mns; i++)
		if (c->mns[i].home_addr == home)
			return &c->mns[i];
	if (c->n_mns == c->cap_mns) {
		size_t cap = c->cap_mns ? c->cap_mns * 2 : 8;
		void *p = realloc(c->mns, cap * sizeof(*c->mns));

		if (!p)
			return NULL;
		c->mns = p;
		c->cap_mns = cap;
	}
	memset(&c->mns[c->n_mns], 0, sizeof(c->mns[0]));
	c->mns[c->n_mns].home_addr = home;
	return &c->mns[c->n_mns++];
}

static int ha_key_mn(struct d_conf_ctx *pc, struct d_conf_ha *c, const char *section, const char *k,
		     const char *v)
{
	struct um3n_addr home;
	struct d_conf_ha_mn *m;

	if (!d_conf_parse_ipv4(section + 3, &home))
		return d_conf_fail(pc, section, k,
				   "section name must be \"mn HOME_ADDRESS\" (IPv4)");
	m = ha_mn_for(c, um3n_addr_v4(&home));
	if (!m)
		return d_conf_fail(pc, section, k, "out of memory");
	if (strcmp(k, "spi") == 0) {
		if (!d_conf_parse_u32(v, UM3N_SPI_HMAC_SHA256_MIN, UINT32_MAX, &m->spi))
			return d_conf_fail(pc, section, k, "want an SPI >= 256 (HMAC-SHA256)");
		m->seen_spi = true;
	} else if (strcmp(k, "key_file") == 0) {
		if (!d_conf_copy_str(m->key_file, sizeof(m->key_file), v))
			return d_conf_fail(pc, section, k, "empty or too long");
		m->seen_key = true;
	} else if (strcmp(k, "home_address6") == 0 || strcmp(k, "prefix") == 0) {
		struct um3n_prefix *p = &m->prefixes[m->n_prefixes];

		if (m->n_prefixes == UM3N_HA_MN_PREFIXES)
			return d_conf_fail(pc, section, k,
					   "more than 4 home_address6 and prefix values");
		if (um3n_policy_prefix_parse(v, &p->addr, &p->plen) ||
		    (k[0] == 'h' && p->addr.family != UM3N_AF_INET6))
			return d_conf_fail(pc, section, k,
					   k[0] == 'h' ? "want an IPv6 address or prefix"
						       : "want an IPv4 or IPv6 prefix");
		m->n_prefixes++;
	} else {
		return d_conf_fail(pc, section, k, "unknown key");
	}
	return 1;
}

static int ha_handler(void *user, const char *section, const char *k, const char *v)
{
	struct d_conf_ctx *pc = user;

	if (strcmp(section, "ha") == 0)
		return ha_key_main(pc, pc->cfg, k, v);
	if (strncmp(section, "mn ", 3) == 0)
		return ha_key_mn(pc, pc->cfg, section, k, v);
	return d_conf_fail(pc, section, k, "unknown section");
}

int d_conf_ha_parse(const char *text, const char *path, struct d_conf_ha *cfg, char *err,
		    size_t err_cap)
{
	struct d_conf_ctx pc = {.cfg = cfg};
	char what[96], ip[16];
	int line;

	memset(cfg, 0, sizeof(*cfg));
	um3n_ha_conf_defaults(&cfg->ha);
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	strcpy(cfg->tun, "um3nha0");
	strcpy(cfg->control_socket, "/run/um3n/ha.sock");
	cfg->log_level = UM3N_LOG_INFO;
	cfg->add_routes = true;
	cfg->offload = true;
	cfg->busy_poll_us = D_BUSY_POLL_DEFAULT_US;
	line = ini_parse_string(text, ha_handler, &pc);
	if (line != 0 || pc.failed) {
		d_conf_report(err, err_cap, path, line,
			      pc.failed ? pc.problem
					: "syntax error (want [section] or key = value)");
		return UM3N_EINVAL;
	}
	if (!cfg->seen_address) {
		d_conf_report(err, err_cap, path, 0, "[ha] address: missing");
		return UM3N_EINVAL;
	}
	cfg->addr6.port = cfg->ha.addr.port;
	for (size_t i = 0; i < cfg->n_mns; i++) {
		const struct d_conf_ha_mn *m = &cfg->mns[i];
		uint32_t be = htonl(m->home_addr);

		if (m->seen_spi && m->seen_key)
			continue;
		inet_ntop(AF_INET, &be, ip, sizeof(ip));
		snprintf(what, sizeof(what), "[mn %s] %s: missing", ip,
			 m->seen_spi ? "key_file" : "spi");
		d_conf_report(err, err_cap, path, 0, what);
		return UM3N_EINVAL;
	}
	return UM3N_OK;
}

void d_conf_ha_free(struct d_conf_ha *cfg)
{
	for (size_t i = 0; i < cfg->n_mns; i++)
		explicit_bzero(cfg->mns[i].key, sizeof(cfg->mns[i].key));
	free(cfg->mns);
	cfg->mns = NULL;
	cfg->n_mns = cfg->cap_mns = 0;
}

int d_conf_ha_get_key(void *ctx, uint32_t home_addr, uint32_t spi, uint8_t *key, size_t *key_len)
{
	const struct d_conf_ha *c = ctx;

	for (size_t i = 0; i < c->n_mns; i++) {
		const struct d_conf_ha_mn *m = &c->mns[i];

		if (m->home_addr != home_addr || m->spi != spi)
			continue;
		if (*key_len < m->key_len)
			return -1;
		memcpy(key, m->key, m->key_len);
		*key_len = m->key_len;
		return 0;
	}
	return -1;
}

int d_conf_ha_load(const char *path, struct d_conf_ha *cfg, char *err, size_t err_cap)
{
	char *text = d_read_text(path, err, err_cap), where[32], one[2 * D_ERR_MAX];
	size_t unreadable = 0;
	int rc;

	if (!text) {
		memset(cfg, 0, sizeof(*cfg));
		return UM3N_ENOENT;
	}
	rc = d_conf_ha_parse(text, path, cfg, err, err_cap);
	free(text);
	/* Past keys we may not read (a check without root): a later real error
	 * wins, else the first unreadable one is reported with the count. */
	for (size_t i = 0; (rc == 0 || rc == D_EKEY_ACCESS) && i < cfg->n_mns; i++) {
		struct d_conf_ha_mn *m = &cfg->mns[i];
		uint32_t be = htonl(m->home_addr);
		char ip[16];
		int k;

		inet_ntop(AF_INET, &be, ip, sizeof(ip));
		snprintf(where, sizeof(where), "mn %s", ip);
		k = d_conf_load_key(path, where, m->key_file, m->key, &m->key_len, one,
				    sizeof(one));
		if (k < 0 && (k != D_EKEY_ACCESS || !unreadable++))
			snprintf(err, err_cap, "%s", one);
		if (k < 0 && k != D_EKEY_ACCESS)
			return k;
		rc = unreadable ? D_EKEY_ACCESS : 0;
	}
	if (unreadable > 1) {
		size_t len = strlen(err);

		snprintf(err + len, err_cap - len, "; %zu key files in all", unreadable);
	}
	return rc;
}

size_t d_conf_ha_get_prefixes(void *ctx, uint32_t home_addr, struct um3n_prefix *out, size_t cap)
{
	const struct d_conf_ha *c = ctx;

	for (size_t i = 0; i < c->n_mns; i++)
		if (c->mns[i].home_addr == home_addr) {
			size_t n = c->mns[i].n_prefixes < cap ? c->mns[i].n_prefixes : cap;

			memcpy(out, c->mns[i].prefixes, n * sizeof(*out));
			return n;
		}
	return 0;
}
