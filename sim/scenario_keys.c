/* The value of every key in a scenario file, section by section: strict
 * parsers (scenario_values.h) and the engine keys' table shared with the
 * daemons (core/confkeys.h). scenario.c opens the sections and calls here. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "confkeys.h"
#include "scenario_int.h"
#include "scenario_values.h"
#include "schedule.h"

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
	if (!strcmp(k, "core_rate_mbps"))
		return sim_parse_rate(v, &sc->core_rate_bps) ? 1 : bad(c, k, "Mbit/s in (0, 1e6]");
	if (!strcmp(k, "core_queue_bytes")) {
		if (!sim_parse_num(v, 1500, 1e9, &d) || d != floor(d))
			return bad(c, k, "an integer in [1500, 1e9]");
		sc->core_queue_bytes = (uint32_t)d;
		return 1;
	}
	if (!strcmp(k, "event_jitter_ms"))
		return sim_parse_u32_us(v, 1e3, &sc->event_jitter_us) ? 1
								      : bad(c, k, "milliseconds");
	if (!strcmp(k, "measure_from_s")) {
		sc->measure_from_set = true;
		return sim_parse_us(v, 1e6, 1e12, &sc->measure_from_us) ? 1 : bad(c, k, "seconds");
	}
	return fail(c, c->line,
		    "unknown key '%s' in [sim]; expected duration_s, seed, core_delay_ms, "
		    "core_rate_mbps, core_queue_bytes, event_jitter_ms or measure_from_s",
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

/* outages_file / signals_file = PATH: its errors name the file and its line. */
static int schedule_file(struct ini_ctx *c, struct sim_link_spec *l, const char *k, const char *v)
{
	char path[SIM_PATH_MAX];
	int rc;

	if (c->failed || !resolve_path(c, v, path)) /* the first error stays */
		return 0;
	rc = !strcmp(k, "outages_file") ? sim_schedule_read_file(l, path, c->err, c->errcap)
					: sim_schedule_read_signals(l, path, c->err, c->errcap);
	if (rc == 0)
		return 1;
	c->failed = true; /* c->err holds "PATH:LINE: ..." */
	c->fail_line = c->line;
	return 0;
}

/* flap = PERIOD_S DUTY [cut|carrier], onoff = MEAN_UP_S MEAN_DOWN_S [cut|carrier]. */
static int generated(struct ini_ctx *c, struct sim_link_spec *l, const char *k, const char *v)
{
	bool flap = !strcmp(k, "flap");
	char a[32], b[32], kind[16] = "cut", extra[2];
	int n = sscanf(v, "%31s %31s %15s %1s", a, b, kind, extra);
	uint64_t x, y;
	double duty;

	if (n < 2 || n > 3 || (strcmp(kind, "cut") && strcmp(kind, "carrier")))
		return bad(c, k,
			   flap ? "PERIOD_S DUTY [cut|carrier]"
				: "MEAN_UP_S MEAN_DOWN_S [cut|carrier]");
	if (!sim_parse_us(a, 1e6, 1e12, &x) || x < 1000)
		return bad(c, k,
			   flap ? "a period of at least 0.001 s" : "a mean up time >= 0.001 s");
	if (flap) {
		uint64_t up;

		if (!sim_parse_num(b, 0, 1, &duty) || duty <= 0 || duty >= 1)
			return bad(c, k, "a duty cycle (the fraction of each period up) in (0, 1)");
		up = (uint64_t)llround((double)x * duty);
		if (up == 0 || up >= x)
			return bad(c, k, "a duty cycle leaving both up and down at least 1 us");
		l->flap_period_us = x;
		l->flap_duty = duty;
		l->flap_carrier = !strcmp(kind, "carrier");
		return 1;
	}
	if (!sim_parse_us(b, 1e6, 1e12, &y) || y < 1000)
		return bad(c, k, "a mean down time >= 0.001 s");
	l->onoff_up_us = x;
	l->onoff_down_us = y;
	l->onoff_carrier = !strcmp(kind, "carrier");
	return 1;
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
	if (!strcmp(k, "qdisc")) {
		if (strcmp(v, "droptail") && strcmp(v, "fq_codel"))
			return bad(c, k, "droptail or fq_codel");
		l->qdisc = !strcmp(v, "fq_codel") ? SIM_QDISC_FQ_CODEL : SIM_QDISC_DROPTAIL;
		return 1;
	}
	if (!strcmp(k, "outage")) {
		struct sim_outage o;
		const char *why = sim_parse_outage(v, &o);

		if (why)
			return bad(c, k, why);
		switch (sim_schedule_add(l, &o)) {
		case 0: return 1;
		case UM3N_EINVAL: return bad(c, k, "at most 1000000 outages per link");
		default: return fail(c, c->line, "out of memory");
		}
	}
	if (!strcmp(k, "outages_file") || !strcmp(k, "signals_file"))
		return schedule_file(c, l, k, v);
	if (!strcmp(k, "flap") || !strcmp(k, "onoff"))
		return generated(c, l, k, v);
	if (!strcmp(k, "signal")) {
		const char *why = sim_schedule_add_signals(l, v);

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
		return sim_parse_flow_type(v, &f->type)
			       ? 1
			       : bad(c, k, "bulk, cbr, video, pcap or tcp");
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
	if (!strcmp(k, "cc")) {
		if (strcmp(v, "newreno") && strcmp(v, "linux-reno") && strcmp(v, "cubic") &&
		    strcmp(v, "linux-cubic") && strcmp(v, "bbr"))
			return bad(c, k, "newreno, linux-reno, cubic, linux-cubic or bbr");
		strcpy(f->cc, v);
		return 1;
	}
	if (!strcmp(k, "bytes")) {
		if (!sim_parse_num(v, 1, 1e15, &d) || d != floor(d))
			return bad(c, k, "an integer in [1, 1e15]");
		f->bytes = (uint64_t)d;
		return 1;
	}
	return fail(c, c->line, "unknown key '%s' in [%s]; see sim/README.md", k, c->section);
}

static int policy_key(struct ini_ctx *c, const char *k, const char *v)
{
	struct sim_scenario *sc = c->sc;
	char pfx[64], rest[128], want[160];
	struct sim_rule_spec *r;
	struct um3n_policy_rule action = {0};
	const char *why = "";

	if (!strcmp(k, "default"))
		return sim_parse_class_mode(v, &sc->default_class, &sc->default_mode)
			       ? 1
			       : bad(c, k,
				     "CLASS [active-standby|smallest-delay|priority|redundant|"
				     "aggregate] (load-balance and thresholds: a 0.0.0.0/0 rule)");
	if (strcmp(k, "rule"))
		return fail(c, c->line, "unknown key '%s' in [policy]; expected default or rule",
			    k);
	if (sc->n_rules == SIM_MAX_RULES)
		return bad(c, k, "at most 64 rules");
	r = &sc->rules[sc->n_rules];
	if (sscanf(v, "%63s %127[^\n]", pfx, rest) != 2 ||
	    !sim_parse_prefix(pfx, &r->prefix, &r->plen))
		return bad(c, k, "'PREFIX CLASS [MODE]' with an IPv4 prefix like 10.9.2.0/24");
	if (um3n_policy_action_parse(rest, &action, &why)) {
		snprintf(want, sizeof(want),
			 "'PREFIX CLASS [MODE [PCT]] [rtt_ms=N] [loss_pct=N]': %s", why);
		return bad(c, k, want);
	}
	r->link_class = action.link_class;
	r->mode = action.mode;
	r->pct = action.pct;
	r->rtt_ms = action.rtt_ms;
	r->loss_pct = action.loss_pct;
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

int scenario_keys_set(struct ini_ctx *c, const char *key, const char *value)
{
	/* on_key() opened the section (or failed and never got here) */
	assert(!c->failed && c->kind != SEC_NONE);
	assert(c->kind != SEC_LINK || c->index < c->sc->n_links);
	assert(c->kind != SEC_FLOW || c->index < c->sc->n_flows);
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
