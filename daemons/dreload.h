/* um3n daemons — what a reload (SIGHUP) changes: the running configuration
 * compared with the file read again, key by key. Each changed key is either
 * applied at once ("live") or needs a restart, and is logged as such; an
 * unchanged file changes nothing. Which key is which is decided here, in one
 * place, and listed in um3n-mn(8) and um3n-ha(8) under SIGHUP. Pure: no I/O
 * but the log, so tests/test_daemon_reload.c checks it from strings. */
#ifndef UM3N_DRELOAD_H
#define UM3N_DRELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "dconf.h"

#define D_RELOAD_MAX 32 /* changes kept for the log; more are counted */
#define D_RELOAD_WHAT_MAX 64

struct d_reload_change {
	char what[D_RELOAD_WHAT_MAX]; /* "[mn] lifetime_s", "[uplink wifi] interface", "[policy]" */
	bool live;                    /* applied at once; false: needs a restart */
};

struct d_reload {
	size_t n; /* changes found; the first D_RELOAD_MAX are in ch[] */
	struct d_reload_change ch[D_RELOAD_MAX];
	bool engine; /* a live engine parameter or the key changed: um3n_*_conf_apply */
	bool policy; /* MN: [policy] changed, a new version for the engine */
	bool mns;    /* HA: an [mn ...] section was added, removed or changed */
};

/* Compares the running configuration with the file's. Both were parsed by
 * dconf; `run` may hold fields the daemon set at start-up that no key sets
 * (out_slot_size, policy, get_key, ...): those are not compared. */
void d_reload_mn(const struct d_conf_mn *run, const struct d_conf_mn *file, struct d_reload *r);
void d_reload_ha(const struct d_conf_ha *run, const struct d_conf_ha *file, struct d_reload *r);

/* Moves the live keys of `file` into `run`; the keys that need a restart
 * keep their running values, so the next reload reports them again. With
 * take_policy false (the engine refused the new table) the [policy] rules
 * stay too. `file` keeps what was not moved; free it with d_conf_*_free. */
void d_reload_mn_take(struct d_conf_mn *run, struct d_conf_mn *file, bool take_policy);
void d_reload_ha_take(struct d_conf_ha *run, struct d_conf_ha *file);

/* The keys this file knows, for the documentation's test: the i-th key of
 * mn.conf (ha false) or ha.conf (ha true), whether a change applies live, and
 * NULL past the last. Covers the main section, the key files, and for the MN
 * the uplinks' keys; not the HA's add_routes (live only when turned on). */
const char *d_reload_key(bool ha, size_t i, bool *live);

/* One line per change: "reload: KEY applied" (info) or "reload: KEY needs a
 * restart" (warning); "reload: no change" when there is none. */
void d_reload_log(const struct d_reload *r);

#endif
