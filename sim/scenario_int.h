/* Private to the scenario loader: scenario.c (inih's reader and callback, the
 * sections, whole-file checks and defaults, the public functions) and
 * scenario_keys.c (the value of every key, section by section). Calls go one
 * way: scenario.c -> scenario_keys.c; both record errors through fail(). */
#ifndef SIM_SCENARIO_INT_H
#define SIM_SCENARIO_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scenario.h"

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

static inline int fail(struct ini_ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error only; returns 0 so inih notes the line too. */
static inline int fail(struct ini_ctx *c, int line, const char *fmt, ...)
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

/* One `key = value` of the section open in c (c->kind, c->index): 1 when
 * taken, 0 after recording the first error with fail(). */
int scenario_keys_set(struct ini_ctx *c, const char *key, const char *value);

#endif
