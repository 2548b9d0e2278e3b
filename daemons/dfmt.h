/* um3n daemons — status formatting for `um3nctl show` (text) and
 * `show -j` (JSON). Pure functions: unit-tested. */
#ifndef UM3N_DFMT_H
#define UM3N_DFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcommon.h"
#include "ha.h"
#include "mn.h"

/* What the daemon itself dropped or refused, beside the engine's counters. */
struct d_daemon_stats {
	bool offload;              /* TUN vnet header + UDP GSO/GRO in use */
	unsigned busy_poll_us;     /* configured spin before sleeping (d_loop_wait) */
	uint64_t udp_send_dropped; /* sendmmsg failures (buffer full, no route) */
	uint64_t tun_write_errors;
	uint64_t bad_gso;                 /* super-packets from the TUN that could not be cut */
	const struct um3n_policy *policy; /* the MN's rules, listed by show (NULL: not) */
};

/* show lists at most this many rules (a table may hold 65536). */
#define D_FMT_RULES_MAX 64

/* Status formatting (pure). ifnames and ds may be NULL. */
void d_fmt_mn_status(const struct um3n_mn_status *st, const char *const *ifnames,
		     const struct d_daemon_stats *ds, bool json, struct d_str *out);
void d_fmt_ha_status(const struct um3n_ha_status *st, const struct um3n_ha_mn_status *mns,
		     size_t n_mns, const struct d_daemon_stats *ds, bool json, struct d_str *out);
void d_fmt_drops(const struct um3n_drop_counters *d, bool json, struct d_str *out);
/* Per-flow reordering of aggregate rules (engine.h): a "reorder:" line, or
 * ,"reorder":{...} to follow another JSON member. */
void d_fmt_reorder(const struct um3n_reorder_status *r, bool json, struct d_str *out);
void d_fmt_arq(const struct um3n_arq_stats *a, bool json, const char *indent, struct d_str *out);
void d_fmt_pace(const struct um3n_pacer_stats *p, bool json, const char *indent, struct d_str *out);

#endif
