/* Scenario INI loader: inih does the tokenising, this file follows its
 * sections and checks the whole file (scenario_keys.c is strict about every
 * value). inih reads through our own line reader so we know the line of
 * every key (the system inih is built without INI_HANDLER_LINENO). */
#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "scenario_int.h"
#include "scenario_values.h"

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

/* ---- sections ------------------------------------------------------------ */

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
	return scenario_keys_set(c, key, value);
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
	if (l->up_trace[0] && l->up_rate_bps)
		return fail(c, l->line, "[link %s]: expected up_trace or up_rate_mbps, not both",
			    l->name);
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
		return fail(c, f->line, "[flow %s]: expected type = bulk|cbr|video|pcap|tcp",
			    f->name);
	if (!f->dir)
		f->dir = SIM_DIR_DOWN;
	if (!f->server.family)
		return fail(c, f->line, "[flow %s]: expected server = IPV4_ADDRESS", f->name);
	if (f->type != SIM_FLOW_PCAP && f->type != SIM_FLOW_TCP && !f->rate_bps)
		return fail(c, f->line, "[flow %s]: expected rate_mbps", f->name);
	/* TCP's rate is what its congestion control finds: a given one would mislead. */
	if (f->type == SIM_FLOW_TCP && f->rate_bps)
		return fail(c, f->line, "[flow %s]: rate_mbps does not apply to type = tcp",
			    f->name);
	if (f->type != SIM_FLOW_TCP && (f->cc[0] || f->bytes))
		return fail(c, f->line, "[flow %s]: cc and bytes need type = tcp", f->name);
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
	if (sc->core_queue_bytes && !sc->core_rate_bps) /* it would never fill */
		return fail(c, c->line,
			    "[sim]: expected core_queue_bytes only with core_rate_mbps");
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
	if (c.failed)
		sim_scenario_free(sc); /* a failed parse holds nothing */
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

void sim_scenario_jitter_events(struct sim_scenario *sc, uint64_t seed)
{
	struct um3n_prng rng;
	uint64_t d;

	if (!sc->event_jitter_us)
		return;
	um3n_prng_seed(&rng, seed ^ 0x6576656e74ULL); /* "event": a stream of its own */
	d = um3n_prng_below(&rng, (uint64_t)sc->event_jitter_us + 1);
	for (size_t i = 0; i < sc->n_links; i++) {
		struct sim_link_spec *l = &sc->links[i];

		for (size_t j = 0; j < l->n_outages; j++) {
			l->outages[j].start_us += d;
			if (l->outages[j].end_us != UINT64_MAX)
				l->outages[j].end_us += d;
			assert(l->outages[j].end_us > l->outages[j].start_us);
		}
		for (size_t j = 0; j < l->n_signals; j++)
			l->signals[j].t_us += d;
	}
	if (sc->handover_set)
		sc->handover_at_us += d;
}

void sim_scenario_free(struct sim_scenario *sc)
{
	for (size_t i = 0; i < SIM_MAX_LINKS; i++) {
		free(sc->links[i].outages);
		sc->links[i].outages = NULL;
		sc->links[i].n_outages = sc->links[i].cap_outages = 0;
		free(sc->links[i].signals);
		sc->links[i].signals = NULL;
		sc->links[i].n_signals = sc->links[i].cap_signals = 0;
	}
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
