/* Scenario INI loader: inih does the tokenising, this file is strict about
 * every value. inih reads through our own line reader so we know the line of
 * every key (the system inih is built without INI_HANDLER_LINENO). */
#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "policy.h"
#include "scenario_values.h"

enum section_kind {
	SEC_NONE,
	SEC_SIM,
	SEC_LINK,
	SEC_FLOW,
	SEC_POLICY,
	SEC_MN,
	SEC_HA,
	SEC_HANDOVER
};

struct ini_ctx {
	const char *name;
	const char *buf;
	size_t len, pos;
	int line, section_line;
	char section[80];
	enum section_kind kind;
	size_t index;
	struct sim_scenario *sc;
	char *err;
	size_t errcap;
	bool failed, header_seen;
	int fail_line;
};

static int fail(struct ini_ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error only; returns 0 so inih notes the line too. */
static int fail(struct ini_ctx *c, int line, const char *fmt, ...)
{
	char msg[SIM_ERR_MAX - 64];
	va_list ap;

	if (c->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errcap, "%s:%d: %s", c->name, line, msg);
	c->failed = true;
	c->fail_line = line;
	return 0;
}

/* inih's reader callback: one line from memory; counts lines and notices
 * section headers so late errors can point at them. */
static char *read_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	size_t n = 0;
	const char *s;

	if (c->pos >= c->len || c->failed)
		return NULL;
	c->line++;
	while (c->pos < c->len && c->buf[c->pos] != '\n') {
		if (n + 2 >= (size_t)num || c->buf[c->pos] == '\0') {
			fail(c, c->line,
			     c->buf[c->pos] ? "expected a line shorter than %d characters"
					    : "expected text, found a NUL byte (max %d)",
			     num - 2);
			return NULL;
		}
		str[n++] = c->buf[c->pos++];
	}
	if (c->pos < c->len)
		c->pos++;
	str[n++] = '\n';
	str[n] = '\0';
	s = str + strspn(str, " \t");
	if (*s == '[') {
		c->section_line = c->line;
		c->header_seen =
			true; /* "[link a] .. [link a]" is a duplicate, not a continuation */
	}
	return str;
}

static int resolve_path(struct ini_ctx *c, const char *v, char *out)
{
	const char *slash = strrchr(c->name, '/');
	int n;

	if (v[0] == '\0')
		return fail(c, c->line, "expected a path");
	if (v[0] == '/' || !slash)
		n = snprintf(out, SIM_PATH_MAX, "%s", v);
	else
		n = snprintf(out, SIM_PATH_MAX, "%.*s/%s", (int)(slash - c->name), c->name, v);
	if (n < 0 || n >= SIM_PATH_MAX)
		return fail(c, c->line, "expected a path shorter than %d bytes", SIM_PATH_MAX);
	return 1;
}

static int bad(struct ini_ctx *c, const char *key, const char *expected)
{
	return fail(c, c->line, "%s: expected %s", key, expected);
}

/* ---- sections ------------------------------------------------------------ */

static int sim_key(struct ini_ctx *c, const char *k, const char *v)
{
	struct sim_scenario *sc = c->sc;
	double d;

	if (!strcmp(k, "duration_s"))
		return sim_parse_us(v, 1e6, 1e6 * 86400 * 7, &sc->duration_us) && sc->duration_us
			       ? 1
			       : bad(c, k, "seconds in (0, 604800]");
	if (!strcmp(k, "seed")) {
		if (!sim_parse_num(v, 0, 1e15, &d) || d != floor(d))
			return bad(c, k, "an integer in [0, 1e15]");
		sc->seed = (uint64_t)d;
		return 1;
	}
	if (!strcmp(k, "core_delay_ms"))
		return sim_parse_u32_us(v, 1e3, &sc->core_delay_us) ? 1 : bad(c, k, "milliseconds");
	if (!strcmp(k, "measure_from_s")) {
		sc->measure_from_set = true;
		return sim_parse_us(v, 1e6, 1e12, &sc->measure_from_us) ? 1 : bad(c, k, "seconds");
	}
	return fail(c, c->line,
		    "unknown key '%s' in [sim]; expected duration_s, seed, "
		    "core_delay_ms or measure_from_s",
		    k);
}

/* The engine parameters of [mn], [ha] and [link NAME]: the table shared with
 * the daemons (core/confkeys.h) parses them; the set bits say which to apply. */
static int engine_key(struct ini_ctx *c, enum um3n_confkeys_engine e, void *conf, uint64_t *set,
		      const char *k, const char *v)
{
	char why[SIM_ERR_MAX - 64];
	int rc = um3n_confkeys_set(e, conf, k, v, why, sizeof(why));

	if (rc == UM3N_ENOENT)
		return fail(c, c->line, "unknown key '%s' in [%s]; see sim/README.md", k,
			    c->section);
	if (rc < 0)
		return fail(c, c->line, "%s", why);
	assert(rc < 64);
	*set |= 1ull << rc;
	return 1;
}

static int link_trace_fmt(struct ini_ctx *c, const char *k, const char *v,
			  enum sim_trace_format *fmt)
{
	return sim_trace_format_parse(v, fmt) == 0 ? 1 : bad(c, k, "auto, mahimahi, mbps or csv");
}

static int link_prob_key(struct ini_ctx *c, struct sim_link_spec *l, const char *k, const char *v)
{
	static const struct {
		const char *key;
		size_t off;
	} probs[] = {
		{"loss", offsetof(struct sim_link_spec, loss_ppb)},
		{"ge_p_gb", offsetof(struct sim_link_spec, ge_p_gb_ppb)},
		{"ge_p_bg", offsetof(struct sim_link_spec, ge_p_bg_ppb)},
		{"ge_loss_good", offsetof(struct sim_link_spec, ge_loss_good_ppb)},
		{"ge_loss_bad", offsetof(struct sim_link_spec, ge_loss_bad_ppb)},
	};

	for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++)
		if (!strcmp(k, probs[i].key))
			return sim_parse_prob(v, (uint32_t *)((char *)l + probs[i].off))
				       ? 1
				       : bad(c, k, "a probability like 0.01 or 1%");
	return -1;
}

static int link_key(struct ini_ctx *c, struct sim_link_spec *l, const char *k, const char *v)
{
	double d;
	int rc = link_prob_key(c, l, k, v);

	if (rc >= 0)
		return rc;
	if (!strcmp(k, "rate_mbps"))
		return sim_parse_rate(v, &l->rate_bps) ? 1 : bad(c, k, "Mbit/s in (0, 1e6]");
	if (!strcmp(k, "up_rate_mbps"))
		return sim_parse_rate(v, &l->up_rate_bps) ? 1 : bad(c, k, "Mbit/s in (0, 1e6]");
	if (!strcmp(k, "trace"))
		return resolve_path(c, v, l->trace);
	if (!strcmp(k, "up_trace"))
		return resolve_path(c, v, l->up_trace);
	if (!strcmp(k, "trace_format"))
		return link_trace_fmt(c, k, v, &l->trace_fmt);
	if (!strcmp(k, "up_trace_format"))
		return link_trace_fmt(c, k, v, &l->up_trace_fmt);
	if (!strcmp(k, "trace_scale"))
		return sim_parse_num(v, 1e-3, 1e3, &l->trace_scale)
			       ? 1
			       : bad(c, k, "a factor in [0.001, 1000]");
	if (!strcmp(k, "delay_ms"))
		return sim_parse_u32_us(v, 1e3, &l->delay_us) ? 1 : bad(c, k, "milliseconds");
	if (!strcmp(k, "jitter_ms"))
		return sim_parse_u32_us(v, 1e3, &l->jitter_us) ? 1 : bad(c, k, "milliseconds");
	if (!strcmp(k, "queue_bytes")) {
		if (!sim_parse_num(v, 1500, 1e9, &d) || d != floor(d))
			return bad(c, k, "an integer in [1500, 1e9]");
		l->queue_bytes = (uint32_t)d;
		return 1;
	}
	if (!strcmp(k, "reorder"))
		return sim_parse_bool(v, &l->reorder) ? 1 : bad(c, k, "yes or no");
	if (!strcmp(k, "outage")) {
		const char *why = l->n_outages == SIM_LINK_MAX_OUTAGES
					  ? SIM_OUTAGE_SYNTAX
					  : sim_parse_outage(v, &l->outages[l->n_outages]);

		l->n_outages += !why;
		return why ? bad(c, k, why) : 1;
	}
	if (!strcmp(k, "signal")) {
		const char *why = sim_parse_signals(v, l->signals, &l->n_signals);

		return why ? bad(c, k, why) : 1;
	}
	if (!strcmp(k, "address"))
		return sim_parse_v4(v, &l->coa) ? 1 : bad(c, k, "an IPv4 address");
	return engine_key(c, UM3N_CONFKEYS_LINK, &l->engine, &l->engine_set, k, v);
}

static int flow_key(struct ini_ctx *c, struct sim_flow_spec *f, const char *k, const char *v)
{
	double d;

	if (!strcmp(k, "type"))
		return sim_parse_flow_type(v, &f->type) ? 1 : bad(c, k, "bulk, cbr, video or pcap");
	if (!strcmp(k, "server"))
		return sim_parse_v4(v, &f->server) ? 1 : bad(c, k, "an IPv4 address");
	if (!strcmp(k, "direction")) {
		if (strcmp(v, "down") && strcmp(v, "up"))
			return bad(c, k, "down or up");
		f->dir = !strcmp(v, "down") ? SIM_DIR_DOWN : SIM_DIR_UP;
		return 1;
	}
	if (!strcmp(k, "rate_mbps"))
		return sim_parse_rate(v, &f->rate_bps) ? 1 : bad(c, k, "Mbit/s in (0, 1e6]");
	if (!strcmp(k, "start_s"))
		return sim_parse_us(v, 1e6, 1e12, &f->start_us) ? 1 : bad(c, k, "seconds");
	if (!strcmp(k, "stop_s"))
		return sim_parse_us(v, 1e6, 1e12, &f->stop_us) ? 1 : bad(c, k, "seconds");
	if (!strcmp(k, "server_port"))
		return sim_parse_port(v, &f->server_port) ? 1 : bad(c, k, "a port in [1, 65535]");
	if (!strcmp(k, "client_port"))
		return sim_parse_port(v, &f->client_port) ? 1 : bad(c, k, "a port in [1, 65535]");
	if (!strcmp(k, "packet_bytes")) {
		if (!sim_parse_num(v, 64, 1400, &d) || d != floor(d))
			return bad(c, k, "an integer in [64, 1400]");
		f->packet_bytes = (uint32_t)d;
		return 1;
	}
	if (!strcmp(k, "playout_ms"))
		return sim_parse_u32_us(v, 1e3, &f->playout_us) ? 1 : bad(c, k, "milliseconds");
	if (!strcmp(k, "pcap"))
		return resolve_path(c, v, f->pcap);
	if (!strcmp(k, "pcap_filter")) {
		if (strlen(v) >= sizeof(f->pcap_filter))
			return bad(c, k, "a BPF expression shorter than 128 bytes");
		strcpy(f->pcap_filter, v);
		return 1;
	}
	if (!strcmp(k, "pcap_server"))
		return sim_parse_v4(v, &f->pcap_server)
			       ? 1
			       : bad(c, k, "an IPv4 address in the capture");
	if (!strcmp(k, "loop"))
		return sim_parse_bool(v, &f->loop) ? 1 : bad(c, k, "yes or no");
	if (!strcmp(k, "rate_scale"))
		return sim_parse_num(v, 1e-3, 1e3, &f->rate_scale)
			       ? 1
			       : bad(c, k, "a factor in [0.001, 1000]");
	return fail(c, c->line, "unknown key '%s' in [%s]; see sim/README.md", k, c->section);
}

static int policy_key(struct ini_ctx *c, const char *k, const char *v)
{
	struct sim_scenario *sc = c->sc;
	char pfx[64], rest[64];
	struct sim_rule_spec *r;

	if (!strcmp(k, "default"))
		return sim_parse_class_mode(v, &sc->default_class, &sc->default_mode)
			       ? 1
			       : bad(c, k, "CLASS [prefer|aggregate|redundant]");
	if (strcmp(k, "rule"))
		return fail(c, c->line, "unknown key '%s' in [policy]; expected default or rule",
			    k);
	if (sc->n_rules == SIM_MAX_RULES)
		return bad(c, k, "at most 64 rules");
	r = &sc->rules[sc->n_rules];
	if (sscanf(v, "%63s %63[^\n]", pfx, rest) != 2 ||
	    !sim_parse_prefix(pfx, &r->prefix, &r->plen))
		return bad(c, k, "'PREFIX CLASS [MODE]' with an IPv4 prefix like 10.9.2.0/24");
	if (!sim_parse_class_mode(rest, &r->link_class, &r->mode))
		return bad(c, k, "'PREFIX CLASS [MODE]' with CLASS cell|wifi|wired|any");
	sc->n_rules++;
	return 1;
}

static int handover_key(struct ini_ctx *c, const char *k, const char *v)
{
	struct sim_scenario *sc = c->sc;

	if (!strcmp(k, "at_s")) {
		sc->handover_set = true;
		return sim_parse_us(v, 1e6, 1e12, &sc->handover_at_us) ? 1 : bad(c, k, "seconds");
	}
	if (!strcmp(k, "before_s"))
		return sim_parse_us(v, 1e6, 1e12, &sc->handover_before_us) ? 1
									   : bad(c, k, "seconds");
	if (!strcmp(k, "after_s"))
		return sim_parse_us(v, 1e6, 1e12, &sc->handover_after_us) ? 1
									  : bad(c, k, "seconds");
	return fail(c, c->line, "unknown key '%s' in [handover]; expected at_s, before_s, after_s",
		    k);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SIM_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* A new [section]: work out its kind and create the link/flow it names. */
static int open_section(struct ini_ctx *c, const char *section)
{
	struct sim_scenario *sc = c->sc;
	static const struct {
		const char *name;
		enum section_kind kind;
	} plain[] = {
		{"sim", SEC_SIM}, {"policy", SEC_POLICY},     {"mn", SEC_MN},
		{"ha", SEC_HA},   {"handover", SEC_HANDOVER},
	};
	bool is_link = !strncmp(section, "link ", 5), is_flow = !strncmp(section, "flow ", 5);
	const char *name = section + 5;

	snprintf(c->section, sizeof(c->section), "%s", section);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(section, plain[i].name)) {
			c->kind = plain[i].kind;
			return 1;
		}
	if (!is_link && !is_flow)
		return fail(c, c->section_line,
			    "unknown section [%s]; expected [sim], [link NAME], "
			    "[flow NAME], [policy], [mn], [ha] or [handover]",
			    section);
	if (!valid_name(name))
		return fail(c, c->section_line,
			    "expected a name of 1-15 letters, digits, - or _ "
			    "in [%s]",
			    section);
	if (is_link) {
		for (size_t i = 0; i < sc->n_links; i++)
			if (!strcmp(sc->links[i].name, name))
				return fail(c, c->section_line, "duplicate section [%s]", section);
		if (sc->n_links == SIM_MAX_LINKS)
			return fail(c, c->section_line, "expected at most %d links", SIM_MAX_LINKS);
		c->kind = SEC_LINK;
		c->index = sc->n_links++;
		strcpy(sc->links[c->index].name, name);
		sc->links[c->index].line = c->section_line;
		sc->links[c->index].trace_scale = 1.0;
		return 1;
	}
	for (size_t i = 0; i < sc->n_flows; i++)
		if (!strcmp(sc->flows[i].name, name))
			return fail(c, c->section_line, "duplicate section [%s]", section);
	if (sc->n_flows == SIM_MAX_FLOWS)
		return fail(c, c->section_line, "expected at most %d flows", SIM_MAX_FLOWS);
	c->kind = SEC_FLOW;
	c->index = sc->n_flows++;
	strcpy(sc->flows[c->index].name, name);
	sc->flows[c->index].line = c->section_line;
	sc->flows[c->index].rate_scale = 1.0;
	return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;

	if (c->failed)
		return 1; /* only the first error is reported */
	if (section[0] == '\0')
		return fail(c, c->line, "expected a [section] before '%s'", key);
	if (c->header_seen || strcmp(section, c->section) != 0 || c->kind == SEC_NONE) {
		c->header_seen = false;
		if (!open_section(c, section))
			return 0;
	}
	switch (c->kind) {
	case SEC_SIM: return sim_key(c, key, value);
	case SEC_LINK: return link_key(c, &c->sc->links[c->index], key, value);
	case SEC_FLOW: return flow_key(c, &c->sc->flows[c->index], key, value);
	case SEC_POLICY: return policy_key(c, key, value);
	case SEC_MN: return engine_key(c, UM3N_CONFKEYS_MN, &c->sc->mn, &c->sc->mn_set, key, value);
	case SEC_HA: return engine_key(c, UM3N_CONFKEYS_HA, &c->sc->ha, &c->sc->ha_set, key, value);
	case SEC_HANDOVER: return handover_key(c, key, value);
	default: return fail(c, c->line, "expected a [section] before '%s'", key);
	}
}

/* ---- whole-file checks and defaults ------------------------------------- */

static int check_link(struct ini_ctx *c, struct sim_link_spec *l, size_t i)
{
	static const uint32_t base[] = {0xc0000264u /* 192.0.2.100 */,
					0xc6336402u /* 198.51.100.2 */,
					0xcb007102u /* 203.0.113.2 */,
					0xc0000270u /* 192.0.2.112 */};
	uint8_t *cls = &l->engine.link_class;

	if (*cls == UM3N_CLASS_ANY && !sim_parse_class(l->name, cls))
		return fail(c, l->line, "[link %s]: expected class = cell|wifi|wired", l->name);
	if (!l->rate_bps && !l->trace[0])
		return fail(c, l->line, "[link %s]: expected rate_mbps or trace", l->name);
	if (l->rate_bps && l->trace[0])
		return fail(c, l->line, "[link %s]: expected rate_mbps or trace, not both",
			    l->name);
	if (l->up_trace[0] && !l->trace[0])
		return fail(c, l->line, "[link %s]: expected up_trace only with trace", l->name);
	if (!l->coa.family)
		um3n_addr_from_v4(&l->coa, base[*cls < 4 ? *cls : 0] + (uint32_t)i);
	for (size_t j = 0; j < i; j++)
		if (um3n_addr_eq(&c->sc->links[j].coa, &l->coa))
			return fail(c, l->line, "[link %s]: expected an address no other link uses",
				    l->name);
	return 1;
}

static int check_flow(struct ini_ctx *c, struct sim_flow_spec *f, size_t i)
{
	struct sim_scenario *sc = c->sc;

	if (!f->type)
		return fail(c, f->line, "[flow %s]: expected type = bulk|cbr|video|pcap", f->name);
	if (!f->dir)
		f->dir = SIM_DIR_DOWN;
	if (!f->server.family)
		return fail(c, f->line, "[flow %s]: expected server = IPV4_ADDRESS", f->name);
	if (f->type != SIM_FLOW_PCAP && !f->rate_bps)
		return fail(c, f->line, "[flow %s]: expected rate_mbps", f->name);
	if (f->type == SIM_FLOW_PCAP && !f->pcap[0])
		return fail(c, f->line, "[flow %s]: expected pcap = PATH", f->name);
	if (f->type != SIM_FLOW_PCAP && (f->pcap[0] || f->pcap_filter[0] || f->pcap_server.family))
		return fail(c, f->line, "[flow %s]: pcap keys need type = pcap", f->name);
	if (!f->packet_bytes)
		f->packet_bytes = 1400;
	if (!f->playout_us)
		f->playout_us = 150000;
	if (!f->server_port)
		f->server_port = (uint16_t)(f->type == SIM_FLOW_VIDEO ? 5004 : 5001 + 2 * i);
	if (!f->client_port)
		f->client_port = (uint16_t)(40000 + i);
	if (!f->stop_us || f->stop_us > sc->duration_us)
		f->stop_us = sc->duration_us;
	if (f->start_us >= f->stop_us)
		return fail(c, f->line,
			    "[flow %s]: expected start_s before stop_s and the end of the "
			    "run",
			    f->name);
	for (size_t j = 0; j < i; j++)
		if (f->type == SIM_FLOW_PCAP && sc->flows[j].type == SIM_FLOW_PCAP &&
		    um3n_addr_eq(&sc->flows[j].server, &f->server))
			return fail(c, f->line,
				    "[flow %s]: expected a server address no other pcap "
				    "flow uses",
				    f->name);
	return 1;
}

static int check_all(struct ini_ctx *c)
{
	struct sim_scenario *sc = c->sc;
	if (sc->n_links == 0)
		return fail(c, c->line, "expected at least one [link NAME] section");
	for (size_t i = 0; i < sc->n_links; i++)
		if (!check_link(c, &sc->links[i], i))
			return 0;
	for (size_t i = 0; i < sc->n_flows; i++)
		if (!check_flow(c, &sc->flows[i], i))
			return 0;
	if (sc->default_class == UM3N_CLASS_ANY)
		sc->default_class = sc->links[0].engine.link_class;
	if (!sc->measure_from_set) {
		sc->measure_from_us = sc->n_flows ? UINT64_MAX : 0;
		for (size_t i = 0; i < sc->n_flows; i++)
			if (sc->flows[i].start_us < sc->measure_from_us)
				sc->measure_from_us = sc->flows[i].start_us;
	}
	if (sc->measure_from_us >= sc->duration_us)
		return fail(c, c->line, "expected measure_from_s before the end of the run");
	return 1;
}

static void defaults(struct sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->duration_us = 60ULL * 1000000;
	sc->seed = 1;
	sc->handover_before_us = 1000000;
	sc->handover_after_us = 4000000;
}

int sim_scenario_parse(const char *name, const char *buf, size_t len, struct sim_scenario *sc,
		       char *err, size_t errcap)
{
	struct ini_ctx c = {
		.name = name, .buf = buf, .len = len, .sc = sc, .err = err, .errcap = errcap};
	int rc;

	defaults(sc);
	snprintf(sc->path, sizeof(sc->path), "%s", name);
	err[0] = '\0';
	rc = ini_parse_stream(read_line, &c, on_key, &c);
	if (rc > 0 && (!c.failed || rc < c.fail_line)) {
		c.failed = false;
		fail(&c, rc, "expected '[section]', 'key = value' or a ';'/'#' comment");
	} else if (!c.failed && rc < 0)
		fail(&c, c.line, "out of memory while parsing");
	if (!c.failed)
		c.line++; /* late errors not tied to a key point just past the end */
	if (!c.failed && !check_all(&c))
		c.failed = true;
	return c.failed ? UM3N_EINVAL : 0;
}

int sim_scenario_load(const char *path, struct sim_scenario *sc, char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	if (!f) {
		defaults(sc);
		snprintf(err, errcap, "%s:0: cannot open: %s", path, strerror(errno));
		return UM3N_ENOENT;
	}
	buf = malloc(1u << 20);
	n = buf ? fread(buf, 1, 1u << 20, f) : 0;
	fclose(f);
	if (!buf || n == 1u << 20) {
		free(buf);
		defaults(sc);
		snprintf(err, errcap, "%s:0: expected a file smaller than 1 MiB", path);
		return UM3N_EINVAL;
	}
	rc = sim_scenario_parse(path, buf, n, sc, err, errcap);
	free(buf);
	return rc;
}

bool sim_scenario_handover(const struct sim_scenario *sc, uint64_t *at_us)
{
	bool found = false;

	if (sc->handover_set) {
		*at_us = sc->handover_at_us;
		return true;
	}
	for (size_t i = 0; i < sc->n_links; i++)
		for (size_t j = 0; j < sc->links[i].n_outages; j++)
			if (!found || sc->links[i].outages[j].start_us < *at_us) {
				*at_us = sc->links[i].outages[j].start_us;
				found = true;
			}
	return found;
}

int sim_scenario_set_duration(struct sim_scenario *sc, uint64_t duration_us)
{
	if (duration_us == 0)
		return UM3N_EINVAL;
	for (size_t i = 0; i < sc->n_flows; i++) {
		struct sim_flow_spec *f = &sc->flows[i];

		if (f->stop_us == sc->duration_us || f->stop_us > duration_us)
			f->stop_us = duration_us;
		if (f->start_us >= f->stop_us)
			return UM3N_EINVAL;
	}
	if (sc->measure_from_us >= duration_us)
		return UM3N_EINVAL;
	sc->duration_us = duration_us;
	return 0;
}
