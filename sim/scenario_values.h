/* Strict value parsers for scenario files: the whole text must be a value of
 * the expected kind and range, or the function returns false. Header-only
 * (static inline) so every user, the fuzz targets included, needs no extra
 * source file. */
#ifndef SIM_SCENARIO_VALUES_H
#define SIM_SCENARIO_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "policy.h"
#include "um3n.h"

static inline bool sim_parse_num(const char *v, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	return end != v && *end == '\0' && errno == 0 && isfinite(*out) && *out >= lo &&
	       *out <= hi;
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

static inline bool sim_parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

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
	static const struct { const char *name; uint8_t cls; } names[] = {
		{"any", UM3N_CLASS_ANY}, {"cell", UM3N_CLASS_CELL},
		{"wifi", UM3N_CLASS_WIFI}, {"wired", UM3N_CLASS_WIRED},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i].name)) {
			*cls = names[i].cls;
			return true;
		}
	return false;
}

static inline bool sim_parse_mode(const char *v, uint8_t *mode)
{
	if (!strcmp(v, "prefer"))
		*mode = UM3N_MODE_PREFER;
	else if (!strcmp(v, "aggregate"))
		*mode = UM3N_MODE_AGGREGATE;
	else if (!strcmp(v, "redundant"))
		*mode = UM3N_MODE_REDUNDANT;
	else
		return false;
	return true;
}

/* "CLASS [MODE]" */
static inline bool sim_parse_class_mode(const char *v, uint8_t *cls, uint8_t *mode)
{
	char a[32], b[32], extra[2];
	int n = sscanf(v, "%31s %31s %1s", a, b, extra);

	*mode = UM3N_MODE_PREFER;
	if (n < 1 || n > 2 || !sim_parse_class(a, cls))
		return false;
	return n == 1 || sim_parse_mode(b, mode);
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

#endif
