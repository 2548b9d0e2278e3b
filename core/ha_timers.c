/* The HA's deadlines and the hooks that alone write them (ha_timers.h). */
#include "ha_timers.h"

#include <assert.h>

#define US_PER_S 1000000ull

/* Silence that means failure: dead_after_us, plus the MN's probe interval if
 * longer (an idle MN probes every keepalive, mn_timers.c). */
static uint64_t silence_us(const struct um3n_ha *ha, const struct um3n_binding *b)
{
	uint64_t d = ha->conf.dead_after_us;

	return b->peer_probe_us > d ? d + b->peer_probe_us : d;
}

static uint64_t silence_deadline(const struct um3n_ha *ha, const struct um3n_binding *b)
{
	return b->lm.last_heard_us + silence_us(ha, b);
}

/* A scan of rec at at_us: each record has its own wake-up in the binding
 * cache's heap, so a scan looks only at the records with something due. */
static void want_scan(struct um3n_ha *ha, struct um3n_mn_rec *rec, uint64_t at_us)
{
	assert(at_us != UM3N_TIME_NONE);
	um3n_bcache_wake_at(&ha->cache, rec, at_us);
}

static void want_scan_of(struct um3n_ha *ha, const struct um3n_binding *b, uint64_t at_us)
{
	want_scan(ha, um3n_bcache_rec_of(&ha->cache, b), at_us);
}

void ha_timers_init(struct um3n_ha *ha) { (void)ha; /* the cache's heap starts empty */ }

void ha_timers_binding_updated(struct um3n_ha *ha, struct um3n_binding *b, uint64_t now_us,
			       uint16_t lifetime_s)
{
	assert(b->active && lifetime_s > 0);
	b->expires_us = now_us + lifetime_s * US_PER_S;
	b->lm.last_heard_us = now_us;
	assert(b->expires_us > now_us);
	want_scan_of(ha, b, b->expires_us);
	want_scan_of(ha, b, silence_deadline(ha, b));
}

void ha_timers_heard(struct um3n_ha *ha, struct um3n_binding *b, uint64_t now_us)
{
	bool was_quiet = now_us - b->lm.last_heard_us >= silence_us(ha, b);

	assert(b->active);
	b->lm.last_heard_us = now_us;
	if (was_quiet)
		want_scan_of(ha, b, now_us);
}

void ha_timers_heard_after_failure(struct um3n_ha *ha, const struct um3n_binding *b,
				   uint64_t now_us)
{
	want_scan_of(ha, b, now_us + silence_us(ha, b));
}

void ha_timers_probe_interval(struct um3n_ha *ha, struct um3n_binding *b, uint64_t interval_us,
			      uint64_t now_us)
{
	uint64_t before = silence_deadline(ha, b);

	assert(b->active);
	b->peer_probe_us = interval_us;
	if (silence_deadline(ha, b) < before) /* past already: the scan judges it now */
		want_scan_of(ha, b,
			     silence_deadline(ha, b) > now_us ? silence_deadline(ha, b) : now_us);
}

void ha_timers_reorder_held(struct um3n_ha *ha, struct um3n_mn_rec *rec, uint64_t deadline_us)
{
	if (deadline_us != UM3N_TIME_NONE)
		want_scan(ha, rec, deadline_us);
}

struct um3n_mn_rec *ha_timers_scan_due(struct um3n_ha *ha, uint64_t now_us)
{
	return um3n_bcache_wake_pop(&ha->cache, now_us);
}

void ha_timers_binding_kept(struct um3n_ha *ha, const struct um3n_binding *b, uint64_t now_us)
{
	assert(b->active && b->expires_us > now_us);
	(void)now_us; /* for the assert */
	want_scan_of(ha, b, b->expires_us);
}

void ha_timers_watch_silence(struct um3n_ha *ha, const struct um3n_binding *b, uint64_t now_us)
{
	assert(ha_timers_heard_lately(ha, b, now_us) && silence_deadline(ha, b) > now_us);
	(void)now_us;
	want_scan_of(ha, b, silence_deadline(ha, b));
}

bool ha_timers_expired(const struct um3n_binding *b, uint64_t now_us)
{
	assert(b->active);
	return b->expires_us <= now_us;
}

bool ha_timers_heard_lately(const struct um3n_ha *ha, const struct um3n_binding *b, uint64_t now_us)
{
	return b->active && now_us - b->lm.last_heard_us < silence_us(ha, b);
}

uint64_t ha_timers_next_wake(const struct um3n_ha *ha) { return um3n_bcache_wake_next(&ha->cache); }
