/* Private to the MN engine (mn.c data path and probes, mn_reg.c registration). */
#ifndef UM3N_MN_INT_H
#define UM3N_MN_INT_H

#include "datapath.h"
#include "linkmon.h"
#include "mn.h"
#include "queue.h"
#include "tunnel.h"

enum mn_reg_event {
	MN_REG_EV_LINK_UP = 0,
	MN_REG_EV_LINK_DOWN,
	MN_REG_EV_CHANGED,
	MN_REG_EV_TIMER,
	MN_REG_EV_ACCEPTED,
	MN_REG_EV_DENIED,
	MN_REG_EV_IDENT_MISMATCH,
	MN_REG_EV_SYNC_NEEDED,
	MN_REG_EV_SHUTDOWN,
	MN_REG_EV_COUNT
};

struct mn_link {
	struct um3n_mn_link_conf conf;
	bool carrier;
	struct um3n_linkmon lm;
	/* registration */
	int reg_state;
	uint64_t reg_ident;    /* identification of the request in flight */
	uint64_t reg_sent_us;  /* when it went out (RTT sample on the reply) */
	uint64_t reg_timer_us; /* retransmission / refresh / retry time; UINT64_MAX none */
	uint32_t reg_rto_us;
	uint64_t reg_expires_us;
	int last_code;
	uint32_t retries;
	/* probes and failure detection */
	uint64_t next_probe_us;
	uint64_t dead_floor_us; /* silence that means failure; grows after false alarms */
	uint64_t failed_at_us;  /* last transition to FAILED */
	bool silence_noted;     /* the last usable link fell silent: re-registered, kept */
	/* counters */
	uint64_t rx_pkts, rx_bytes; /* tx: the data path's */
	int signal_dbm;
};

struct um3n_mn {
	struct um3n_env env;
	struct um3n_mn_conf conf;
	struct um3n_prng prng;
	struct um3n_outq outq;
	struct um3n_datapath dp; /* the uplinks to the HA */
	struct mn_link links[UM3N_MAX_LINKS];
	uint32_t home_v4, ha_v4;
	uint64_t last_ident;
	bool shutting_down;
	bool ha_csum_partial; /* the HA completes inner checksums (its last accepted reply) */
	/* policy and its sync to the HA */
	struct um3n_policy *policy;
	uint8_t *policy_blob; /* serialised table, cut into chunks */
	size_t policy_blob_len;
	uint16_t policy_chunks;
	uint32_t acked_version; /* version the HA holds complete */
	uint16_t acked_chunks;  /* chunks of our version the HA holds */
	/* counters */
	uint64_t tun_in_pkts, tun_out_pkts;
	struct um3n_drop_counters drops;
};

/* mn_reg.c */
void mn_reg_event(struct um3n_mn *mn, uint64_t now_us, int link, enum mn_reg_event ev);
int mn_reg_handle_reply(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *buf,
			size_t len);
void mn_reg_timeout(struct um3n_mn *mn, uint64_t now_us);
int mn_policy_install(struct um3n_mn *mn, const struct um3n_policy *src);
bool mn_policy_synced(const struct um3n_mn *mn);
void mn_reg_policy_changed(struct um3n_mn *mn, uint64_t now_us);

/* mn.c */
void mn_link_lm_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_lm_event ev);

#endif
