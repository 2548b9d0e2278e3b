/* The MN engine's configuration: every field's default, the checks a
 * configuration passes before um3n_mn_new accepts it (the reason a check
 * fails is logged), and the parameters that may change while it runs. */
#include <assert.h>
#include <string.h>

#include "auth.h"
#include "mn_int.h"

void um3n_mn_conf_defaults(struct um3n_mn_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ha.port = UM3N_PORT_DEFAULT;
	c->spi = UM3N_SPI_HMAC_SHA256_MIN;
	c->lifetime_s = 300;
	c->reg_retry_initial_us = 500000;
	c->reg_retry_max_us = 16000000;
	c->probe_interval_us = 15000;
	c->dead_after_us = 75000;
	c->signal_degraded_dbm = -75;
	c->signal_recovered_dbm = -68;
	c->resend_window_us = 150000;
	c->resend_slots = 512;
	c->reorder_max_us = UM3N_REORDER_MAX_MS_DEFAULT * 1000;
	c->out_queue_len = UM3N_OUTQ_DEFAULT;
	c->uplinks = UM3N_MN_UPLINKS_ALL;
	c->handover_hold_us = 4000000;
	c->rate_estimate = 1;
	c->arq = 1;
	c->idle_after_us = 5000000;
	c->keepalive_s = 25;
	c->aqm = (struct um3n_aqm_conf){UM3N_AQM_TARGET_US, UM3N_AQM_INTERVAL_US, UM3N_AQM_LIMIT_US,
					UM3N_AQM_ALONE_US};
	c->pace = (struct um3n_pacer_conf){UM3N_PACER_PCT, UM3N_PACER_QUEUE_BYTES};
}

int mn_conf_check(const struct um3n_mn_conf *c, const struct um3n_env *env)
{
	const char *why = NULL;

	if (c->home_addr.family != UM3N_AF_INET)
		why = "home address must be IPv4 (RFC 5944)";
	else if (c->home_addr6.family != 0 && c->home_addr6.family != UM3N_AF_INET6)
		why = "home_address6 must be IPv6";
	else if (c->ha.ip.family != UM3N_AF_INET || c->ha.port == 0)
		why = "home agent address must be IPv4 with a port";
	else if (c->ha6.ip.family && (c->ha6.ip.family != UM3N_AF_INET6 || c->ha6.port == 0))
		why = "the home agent's second address must be IPv6 with a port";
	else if (c->n_links == 0 || c->n_links > UM3N_MAX_LINKS)
		why = "need 1..8 uplinks";
	else if (c->key_len < UM3N_KEY_MIN || c->key_len > UM3N_KEY_MAX)
		why = "key must be 16..64 bytes";
	else if (c->spi < UM3N_SPI_HMAC_SHA256_MIN)
		why = "SPI must be >= 256 (HMAC-SHA256)";
	else if (c->lifetime_s == 0 || c->reg_retry_initial_us == 0 ||
		 c->reg_retry_max_us < c->reg_retry_initial_us)
		why = "lifetime and retry timers must be positive";
	else if (c->probe_interval_us && c->dead_after_us < c->probe_interval_us)
		why = "dead_after must be at least one probe interval";
	else if (!um3n_outq_slot_ok(c->out_slot_size))
		why = "out_slot_size must be 0 or 1400..2048";
	else if (c->uplinks > UM3N_MN_UPLINKS_ONE)
		why = "uplinks must be all or one";
	else if (c->path_mtu && (c->path_mtu < 576 || c->path_mtu > UM3N_PKT_MAX))
		why = "path_mtu must be 0 or 576..2048";
	else if (!um3n_pacer_conf_ok(&c->pace))
		why = "pace_pct must be 0..100 and pace_queue_bytes 2048..16777216";
	for (size_t i = 0; !why && i < c->n_links; i++) {
		if (!c->links[i].name[0] || c->links[i].link_class > UM3N_CLASS_MAX)
			why = "uplink needs a name and a valid class";
		else if (c->links[i].standby > UM3N_STANDBY_COLD)
			why = "standby must be hot or cold";
		for (size_t j = 0; !why && j < i; j++)
			if (!strncmp(c->links[i].name, c->links[j].name, UM3N_LINK_NAME_MAX))
				why = "uplink names must be unique";
	}
	if (why)
		um3n_log(env, UM3N_LOG_ERR, "mn: bad configuration: %s", why);
	return why ? UM3N_EINVAL : UM3N_OK;
}

/* Only fields read afresh at each use are taken: the registration machine
 * reads reg_conf at every step, the data path the window at each failover,
 * the link monitor the thresholds at each report. Probe and silence timers
 * and the pools sized at creation are not among them (their invariants,
 * mn_timers.c, hold for the values they were armed with). */
int um3n_mn_conf_apply(struct um3n_mn *mn, const struct um3n_mn_conf *c)
{
	assert(mn->reg_conf.retry_max_us >= mn->reg_conf.retry_initial_us);
	if (c->lifetime_s == 0 || c->reg_retry_initial_us == 0 ||
	    c->reg_retry_initial_us > mn->reg_conf.retry_max_us || c->key_len < UM3N_KEY_MIN ||
	    c->key_len > UM3N_KEY_MAX)
		return UM3N_EINVAL;
	mn->conf.lifetime_s = mn->reg_conf.lifetime_s = c->lifetime_s;
	mn->conf.reg_retry_initial_us = mn->reg_conf.retry_initial_us = c->reg_retry_initial_us;
	memcpy(mn->conf.key, c->key, c->key_len);
	mn->conf.key_len = c->key_len;
	mn->conf.signal_degraded_dbm = c->signal_degraded_dbm;
	mn->conf.signal_recovered_dbm = c->signal_recovered_dbm;
	mn->conf.resend_window_us = c->resend_window_us;
	return UM3N_OK;
}
