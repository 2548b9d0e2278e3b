/* Strict value parsers for scenario files: the whole text must be a value of
 * the expected kind and range, or the function returns false. Header-only
 * (static inline) so every user, the fuzz targets included, needs no extra
 * source file beyond core's um3n.c, confkeys.c and policy.c. */
#ifndef SIM_SCENARIO_VALUES_H
#define SIM_SCENARIO_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "link.h"
#include "policy.h"
#include "scenario.h"
#include "um3n.h"

static inline bool sim_parse_num(const char *v, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	return end != v && *end == '\0' && errno == 0 && isfinite(*out) && *out >= lo && *out <= hi;
}

static inline bool sim_parse_us(const char *v, double unit_us, double max_us, uint64_t *out)
{
	double d;

	if (!sim_parse_num(v, 0, max_us / unit_us, &d))
		return false;
	*out = (uint64_t)llround(d * unit_us);
	return true;
}

static inline bool sim_parse_u32_us(const char *v, double unit_us, uint32_t *out)
{
	uint64_t us;

	if (!sim_parse_us(v, unit_us, 4e9, &us))
		return false;
	*out = (uint32_t)us;
	return true;
}

/* "0.01" or "1%" -> parts per billion. */
static inline bool sim_parse_prob(const char *v, uint32_t *ppb)
{
	char tmp[64];
	size_t n = strlen(v);
	double d, scale = 1;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, v, n + 1);
	if (tmp[n - 1] == '%') {
		tmp[n - 1] = '\0';
		scale = 100;
	}
	if (!sim_parse_num(tmp, 0, scale, &d))
		return false;
	*ppb = (uint32_t)llround(d / scale * SIM_PPB);
	return true;
}

/* Booleans and class names are the words every config accepts (confkeys.h). */
static inline bool sim_parse_bool(const char *v, bool *out) { return um3n_confkeys_bool(v, out); }

static inline bool sim_parse_rate(const char *v, uint64_t *bps)
{
	double mbps;

	if (!sim_parse_num(v, 1e-6, 1e6, &mbps))
		return false;
	*bps = (uint64_t)llround(mbps * 1e6);
	return *bps > 0;
}

static inline bool sim_parse_class(const char *v, uint8_t *cls)
{
	return um3n_confkeys_class(v, cls);
}

/* "CLASS [MODE]", the default: no load-balance or thresholds (policy.h). */
static inline bool sim_parse_class_mode(const char *v, uint8_t *cls, uint8_t *mode)
{
	struct um3n_policy_rule r = {0};

	if (um3n_policy_action_parse(v, &r, NULL) || r.mode == UM3N_MODE_LOAD_BALANCE || r.rtt_ms ||
	    r.loss_pct)
		return false;
	*cls = r.link_class;
	*mode = r.mode;
	return true;
}

/* "10.9.2.0/24" or a bare IPv4 address; host bits must be zero. */
static inline bool sim_parse_prefix(const char *v, struct um3n_addr *prefix, uint8_t *plen)
{
	char addr[64];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	double bits;
	uint32_t mask;

	if (n >= sizeof(addr))
		return false;
	memcpy(addr, v, n);
	addr[n] = '\0';
	if (um3n_addr_parse(addr, prefix) != 0 || prefix->family != UM3N_AF_INET)
		return false;
	*plen = 32;
	if (slash) {
		if (!sim_parse_num(slash + 1, 0, 32, &bits) || bits != floor(bits))
			return false;
		*plen = (uint8_t)bits;
	}
	mask = *plen ? ~0u << (32 - *plen) : 0;
	return (um3n_addr_v4(prefix) & ~mask) == 0;
}

static inline bool sim_parse_v4(const char *v, struct um3n_addr *a)
{
	return um3n_addr_parse(v, a) == 0 && a->family == UM3N_AF_INET;
}

static inline bool sim_parse_port(const char *v, uint16_t *port)
{
	double d;

	if (!sim_parse_num(v, 1, 65535, &d) || d != floor(d))
		return false;
	*port = (uint16_t)d;
	return true;
}

static inline bool sim_parse_flow_type(const char *v, enum sim_flow_type *type)
{
	static const char *names[] = {NULL, "bulk", "cbr", "video", "pcap", "tcp"};

	for (int i = SIM_FLOW_BULK; i <= SIM_FLOW_TCP; i++)
		if (!strcmp(v, names[i])) {
			*type = (enum sim_flow_type)i;
			return true;
		}
	return false;
}

/* The structured link values: each returns NULL, or what was expected. */
#define SIM_OUTAGE_SYNTAX "START-END [cut|carrier]"

/* "START-END [cut|carrier]", END may be "end" (until the run stops). */
static inline const char *sim_parse_outage(const char *v, struct sim_outage *o)
{
	char a[32], b[32], kind[16] = "cut", extra[2];
	char range[80];
	char *dash;
	int n = sscanf(v, "%79s %15s %1s", range, kind, extra);

	if (n < 1 || n > 2)
		return SIM_OUTAGE_SYNTAX;
	dash = strchr(range, '-');
	if (!dash || (size_t)(dash - range) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return "START-END in seconds";
	memcpy(a, range, (size_t)(dash - range));
	a[dash - range] = '\0';
	strcpy(b, dash + 1);
	if (!sim_parse_us(a, 1e6, 1e12, &o->start_us))
		return "a start time in seconds";
	if (!strcmp(b, "end"))
		o->end_us = UINT64_MAX;
	else if (!sim_parse_us(b, 1e6, 1e12, &o->end_us) || o->end_us <= o->start_us)
		return "an end time after the start, or 'end'";
	if (strcmp(kind, "cut") && strcmp(kind, "carrier"))
		return "kind 'cut' (silent) or 'carrier' (link down event)";
	o->carrier = !strcmp(kind, "carrier");
	return NULL;
}

/* One signal point "TIME_S:DBM" (files also take "TIME_S DBM"); the order
 * across points is sim_schedule_add_signal's to check. */
static inline const char *sim_parse_signal(const char *v, struct sim_signal *s)
{
	char t[40], d[40], extra[2];
	const char *colon = strchr(v, ':');
	double dbm;

	if (colon) {
		if ((size_t)(colon - v) >= sizeof(t) || strlen(colon + 1) >= sizeof(d))
			return "TIME_S:DBM";
		memcpy(t, v, (size_t)(colon - v));
		t[colon - v] = '\0';
		strcpy(d, colon + 1);
	} else if (sscanf(v, "%39s %39s %1s", t, d, extra) != 2) {
		return "TIME_S:DBM";
	}
	if (!sim_parse_us(t, 1e6, 1e12, &s->t_us) || !sim_parse_num(d, -150, 0, &dbm))
		return "TIME_S:DBM with dBm in [-150, 0]";
	s->dbm = (int)lround(dbm);
	return NULL;
}

#endif
