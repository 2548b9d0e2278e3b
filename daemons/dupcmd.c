/* um3n daemons — the uplinks' up_command and down_command (dupcmd.h). */
#include "dupcmd.h"

#include <assert.h>
#include <string.h>

#include "dcommon.h"

#define RETRY_FIRST_US 1000000ull
#define RETRY_MAX_US 64000000ull

void d_upcmd_init(struct d_upcmd *u, const char *name, const struct d_spawn_cmd *up,
		  const struct d_spawn_cmd *down, uint32_t timeout_ms)
{
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->up = up && up->argc ? up : NULL;
	u->down = down && down->argc ? down : NULL;
	u->timeout_ms = timeout_ms;
	d_spawn_init(&u->run);
}

static uint64_t backoff_us(uint32_t fails)
{
	uint64_t b = RETRY_FIRST_US;

	while (fails-- > 1 && b < RETRY_MAX_US)
		b *= 2;
	return b < RETRY_MAX_US ? b : RETRY_MAX_US;
}

static void up_ended(struct d_upcmd *u, enum d_spawn_end end, uint64_t now_us)
{
	uint32_t ms = (uint32_t)((now_us - u->run.started_us) / 1000);
	char why[96];

	if (end == D_SPAWN_OK) {
		u->up_done = true;
		u->last_up_ms = ms;
		d_log(UM3N_LOG_INFO, "uplink %s: up_command done in %u ms%s", u->name, ms,
		      u->fails ? " (recovered)" : "");
		u->fails = 0;
		u->retry_at_us = 0;
		return;
	}
	u->up_failed++;
	u->fails++;
	u->retry_at_us = now_us + backoff_us(u->fails);
	d_spawn_describe(end, &u->run, u->timeout_ms, why, sizeof(why));
	d_log(u->fails == 1 ? UM3N_LOG_WARN : UM3N_LOG_DEBUG,
	      "uplink %s: up_command failed (%s); retried in %llu ms while wanted", u->name, why,
	      (unsigned long long)((u->retry_at_us - now_us) / 1000));
}

static void ended(struct d_upcmd *u, int kind, enum d_spawn_end end, uint64_t now_us)
{
	char why[96];

	u->running = D_UPCMD_NONE;
	if (kind == D_UPCMD_UP) {
		up_ended(u, end, now_us);
	} else if (end != D_SPAWN_OK) {
		u->down_failed++;
		d_spawn_describe(end, &u->run, u->timeout_ms, why, sizeof(why));
		d_log(UM3N_LOG_WARN, "uplink %s: down_command failed (%s)", u->name, why);
	}
}

static bool start(struct d_upcmd *u, int kind, uint64_t now_us)
{
	const struct d_spawn_cmd *c = kind == D_UPCMD_UP ? u->up : u->down;

	assert(c && u->running == D_UPCMD_NONE);
	d_log(UM3N_LOG_INFO, "uplink %s: running %s_command %s", u->name,
	      kind == D_UPCMD_UP ? "up" : "down", d_spawn_arg(c, 0));
	if (kind == D_UPCMD_UP) {
		u->up_runs++;
		u->tried_up = true;
	} else {
		u->down_runs++;
		u->tried_up = u->up_done = false;
	}
	u->running = kind;
	if (d_spawn_start(&u->run, c, now_us, u->timeout_ms))
		return true;
	u->run.started_us = now_us;
	ended(u, kind, D_SPAWN_NOT_RUN, now_us);
	return false;
}

bool d_upcmd_poll(struct d_upcmd *u, uint64_t now_us)
{
	enum d_spawn_end end;

	if (u->running == D_UPCMD_NONE)
		return false;
	end = d_spawn_poll(&u->run, now_us);
	if (end == D_SPAWN_RUNNING)
		return false;
	ended(u, u->running, end, now_us);
	return true;
}

bool d_upcmd_sync(struct d_upcmd *u, bool wanted, uint64_t now_us)
{
	if (u->running != D_UPCMD_NONE)
		return false;
	if (wanted && u->up && !u->up_done && now_us >= u->retry_at_us)
		return start(u, D_UPCMD_UP, now_us);
	if (!wanted && u->tried_up) {
		if (u->down)
			return start(u, D_UPCMD_DOWN, now_us);
		u->tried_up = u->up_done = false;
	}
	if (!wanted) { /* a new want starts afresh */
		u->fails = 0;
		u->retry_at_us = 0;
	}
	return false;
}

void d_upcmd_carrier_lost(struct d_upcmd *u)
{
	if (u->running == D_UPCMD_NONE)
		u->up_done = false;
}

bool d_upcmd_ready(const struct d_upcmd *u) { return !u->up || u->up_done; }

uint64_t d_upcmd_next_us(const struct d_upcmd *u)
{
	if (u->running != D_UPCMD_NONE)
		return u->run.deadline_us;
	if (u->up && !u->up_done && u->fails)
		return u->retry_at_us;
	return UINT64_MAX;
}

void d_upcmd_stop(struct d_upcmd *u)
{
	d_spawn_kill(&u->run);
	u->running = D_UPCMD_NONE;
}
