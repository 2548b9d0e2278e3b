/* Private to the HA engine: ha.c (entry points, data path, the timer scan),
 * ha_reg.c (registration, carrying out the binding FSM's effects), ha_timers.c
 * (every deadline). Calls go one way: ha.c -> ha_reg.c -> ha_timers.c. */
#ifndef UM3N_HA_INT_H
#define UM3N_HA_INT_H

#include "bcache.h"
#include "ha.h"
#include "outq.h"
#include "ratelimit.h"

struct um3n_ha {
	struct um3n_env env;
	struct um3n_ha_conf conf;
	uint32_t ha_v4;
	struct um3n_outq outq;
	struct um3n_bcache cache;
	struct um3n_reorder_pool rpool; /* every MN's keyed uplink, in order (reorder.h) */
	uint64_t reg_accepted, reg_denied;
	uint64_t reg_unexpected; /* binding FSM events with no row for the state */
	uint64_t tun_in_pkts, tun_out_pkts;
	struct um3n_drop_counters drops;
	struct um3n_prng prng; /* the registrations' nonces (encrypt) */
	/* Registration requests per source ip:port (ha_reg.c); slots NULL: no limit. */
	struct um3n_ratelimit reg_rl;
	uint64_t new_tat_us;  /* the bucket of sources with no binding (GCRA, ratelimit.h) */
	uint64_t rl_log_us;   /* the next rate-limit log line is due then */
	uint64_t rl_unlogged; /* requests refused since the last one */
	uint64_t deny_log_us; /* likewise for denials (a forged flood from many sources) */
	uint64_t deny_unlogged;
};

/* ha_reg.c */
/* The registration rate limiter (conf reg_rate_per_s, reg_burst). Errors:
 * UM3N_ENOMEM. ha_reg_fini is safe on what ha_reg_init left. */
int ha_reg_init(struct um3n_ha *ha);
void ha_reg_fini(struct um3n_ha *ha);
/* How logs name binding `link` of an MN: "1 of 10.200.0.2". */
#define HA_LINK_NAME_MAX 24
void ha_reg_link_name(char name[HA_LINK_NAME_MAX], uint32_t home_v4, int link);
int ha_reg_handle_request(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
			  const uint8_t *buf, size_t len);
/* Binding `link` of rec (bound) reached its expiry: feeds the binding FSM.
 * Returns false when the record went with it (its last binding). */
bool ha_reg_expire(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link);

#endif
