/* Private to the HA engine: ha.c (entry points, data path, the timer scan),
 * ha_reg.c (registration, carrying out the binding FSM's effects), ha_timers.c
 * (every deadline). Calls go one way: ha.c -> ha_reg.c -> ha_timers.c. */
#ifndef UM3N_HA_INT_H
#define UM3N_HA_INT_H

#include "bcache.h"
#include "ha.h"
#include "outq.h"

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
};

/* ha_reg.c */
/* How logs name binding `link` of an MN: "1 of 10.200.0.2". */
#define HA_LINK_NAME_MAX 24
void ha_reg_link_name(char name[HA_LINK_NAME_MAX], uint32_t home_v4, int link);
int ha_reg_handle_request(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
			  const uint8_t *buf, size_t len);
/* Binding `link` of rec (bound) reached its expiry: feeds the binding FSM.
 * Returns false when the record went with it (its last binding). */
bool ha_reg_expire(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link);

#endif
