/* Private to the HA engine (ha.c data path and timers, ha_reg.c registration). */
#ifndef UM3N_HA_INT_H
#define UM3N_HA_INT_H

#include "binding.h"
#include "ha.h"
#include "queue.h"

struct um3n_ha {
	struct um3n_env env;
	struct um3n_ha_conf conf;
	uint32_t ha_v4;
	struct um3n_outq outq;
	struct um3n_bcache cache;
	uint64_t next_scan_us; /* earliest expiry / silence deadline (a lower bound) */
	uint64_t reg_accepted, reg_denied;
	uint64_t tun_in_pkts, tun_out_pkts;
	struct um3n_drop_counters drops;
};

/* ha_reg.c */
int ha_reg_handle_request(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
			  const uint8_t *buf, size_t len);
/* ha.c */
void ha_want_scan(struct um3n_ha *ha, uint64_t at_us);

#endif
