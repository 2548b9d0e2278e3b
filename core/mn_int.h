/* Private to the MN engine: mn.c (entry points, data path, probes, carrying out
 * the registration machine's effects), mn_reg.c (registration messages, policy
 * sync), mn_timers.c (every deadline), regfsm.c (the registration machine). */
#ifndef UM3N_MN_INT_H
#define UM3N_MN_INT_H

#include "datapath.h"
#include "hoverfsm.h"
#include "linkmon.h"
#include "mn.h"
#include "outq.h"
#include "regfsm.h"
#include "tunnel.h"

/* Every deadline of one uplink; mn_timers.c is the only writer. A deadline
 * that is not set is UM3N_TIME_NONE. The silence deadline is derived:
 * lm.last_heard_us (written only by mn_timers.c too) + mn_timers_dead_after(). */
struct mn_timers {
	uint64_t reg_us;        /* the registration machine's next TIMER event */
	uint64_t expires_us;    /* the HA's binding of this link ends; NONE: no binding */
	uint64_t probe_us;      /* next probe */
	uint64_t dead_floor_us; /* silence that means failure; grows after false alarms */
	uint64_t interval_us;   /* the interval the last probe announced (fast or idle) */
	uint64_t woke_us;       /* idle probing ended: silence is judged from here */
	uint64_t failed_at_us;  /* last transition to FAILED */
	bool silence_noted;     /* the last usable link fell silent: re-registered, kept */
};

/* An uplink registering without a binding, for the operator (status, log):
 * written by mn_reg.c only; no behaviour depends on it. */
struct mn_reg_watch {
	uint64_t since_us;          /* first request of the attempt; UM3N_TIME_NONE: not trying */
	uint64_t logged_us;         /* last retry logged (rate limit) */
	uint32_t retries;           /* requests sent after the first */
	enum um3n_mn_reg_wait wait; /* the last request's fate */
};

struct mn_link {
	struct um3n_mn_link_conf conf;
	bool carrier;
	bool have_signal;
	struct mn_reg_watch watch;
	uint64_t failovers[UM3N_FAILOVER_CAUSES];
	struct um3n_linkmon lm;
	int64_t down_delay_us; /* the HA-to-MN one-way delay, up to an offset (mn.c) */
	uint8_t crypt_nonce[UM3N_CRYPTO_NONCE_LEN]; /* of the request in flight (encrypt) */
	struct um3n_regfsm reg;
	struct mn_timers tm;
	/* counters */
	uint64_t rx_pkts, rx_bytes; /* tx: the data path's */
	int signal_dbm;
};

struct um3n_mn {
	struct um3n_env env;
	struct um3n_mn_conf conf;
	struct um3n_regfsm_conf reg_conf; /* from conf, for every registration step */
	struct um3n_prng prng;
	struct um3n_outq outq;
	struct um3n_datapath dp;        /* the uplinks to the HA */
	struct um3n_reorder_pool rpool; /* the HA's keyed downlink, in order (reorder.h) */
	struct mn_link links[UM3N_MAX_LINKS];
	struct um3n_hoverfsm hover; /* uplinks = one (mn_hover.c) */
	uint32_t home_v4, ha_v4;
	uint64_t last_ident;
	bool shutting_down;
	bool ha_csum_partial;    /* the HA completes inner checksums (its last accepted reply) */
	uint16_t ha_keepalive_s; /* RFC 3519 keepalive of the HA's last reply (0: none) */
	uint64_t active_us;      /* tunnel data either way, or a link event (idle probing) */
	bool probing_idle;       /* some link's last probe announced the keepalive (logged) */
	/* policy and its sync to the HA */
	struct um3n_policy *policy;
	uint8_t *policy_blob; /* serialised table, cut into chunks */
	size_t policy_blob_len;
	uint16_t policy_chunks;
	uint32_t acked_version; /* version the HA holds complete */
	uint16_t acked_chunks;  /* chunks of our version the HA holds */
	/* counters */
	uint64_t tun_in_pkts, tun_out_pkts;
	uint64_t mss_clamped, frag_needed; /* mn_tun.c */
	struct um3n_drop_counters drops;
};

/* Does the link have a care-of address it can reach the HA from (IPv4, or
 * IPv6 when the HA has an IPv6 address)? */
static inline bool mn_link_has_addr(const struct um3n_mn *mn, const struct mn_link *l)
{
	return l->conf.local.ip.family == UM3N_AF_INET ||
	       (l->conf.local.ip.family == UM3N_AF_INET6 && mn->conf.ha6.ip.family);
}

/* Where the link's datagrams go: the HA's address of the care-of's family. */
static inline const struct um3n_sockaddr *mn_link_ha(const struct um3n_mn *mn, int link)
{
	return mn->links[link].conf.local.ip.family == UM3N_AF_INET6 ? &mn->conf.ha6 : &mn->conf.ha;
}

/* mn_conf.c: 0 or UM3N_EINVAL (the reason logged). */
int mn_conf_check(const struct um3n_mn_conf *c, const struct um3n_env *env);

/* mn_reg.c: registration and the policy sync. Calls nothing in mn.c. */
bool mn_reg_step(struct um3n_mn *mn, uint64_t now_us, int link, struct um3n_regfsm_event *ev);
int mn_reg_sync_link(const struct um3n_mn *mn);
int mn_reg_reply(struct um3n_mn *mn, int link, const uint8_t *buf, size_t len,
		 struct um3n_regfsm_event *ev);
int mn_reg_policy_install(struct um3n_mn *mn, const struct um3n_policy *src);
bool mn_reg_policy_synced(const struct um3n_mn *mn);
void mn_reg_watch_init(struct um3n_mn *mn, int link);

/* mn_hover.c: the handover manager of uplinks = one (hoverfsm.c) as the
 * engine sees it. Calls nothing in mn.c; mn.c carries out the effects. */
void mn_hover_init(struct um3n_mn *mn);
bool mn_hover_may_register(const struct um3n_mn *mn, int link);
bool mn_hover_carries(const struct um3n_mn *mn, int link);
bool mn_hover_standby_usable(const struct um3n_mn *mn, int link);
bool mn_hover_step(struct um3n_mn *mn, uint64_t now_us, struct um3n_hoverfsm_fx *fx);
void mn_hover_status(const struct um3n_mn *mn, uint64_t now_us, struct um3n_mn_status *st);

/* mn_timers.c: the named hooks, the only writers of struct mn_timers and of
 * lm.last_heard_us. Calls nothing in mn.c. */
void mn_timers_init(struct um3n_mn *mn, int link);
void mn_timers_reg_arm(struct um3n_mn *mn, int link, uint64_t at_us);
void mn_timers_reg_disarm(struct um3n_mn *mn, int link);
void mn_timers_bound(struct um3n_mn *mn, int link, uint64_t expires_us);
void mn_timers_unbound(struct um3n_mn *mn, int link);
void mn_timers_reply_heard(struct um3n_mn *mn, int link, uint64_t now_us);
void mn_timers_heard(struct um3n_mn *mn, int link, uint64_t now_us);
void mn_timers_probe_sent(struct um3n_mn *mn, int link, uint64_t now_us);
void mn_timers_active(struct um3n_mn *mn, uint64_t now_us);
uint32_t mn_timers_probe_interval_ms(const struct um3n_mn *mn, int link);
void mn_timers_probe_start(struct um3n_mn *mn, int link, uint64_t now_us);
void mn_timers_link_down(struct um3n_mn *mn, int link);
void mn_timers_became_usable(struct um3n_mn *mn);
void mn_timers_failed(struct um3n_mn *mn, int link, uint64_t now_us);
void mn_timers_silence_kept(struct um3n_mn *mn, int link);
/* What is due at now_us, asked in this order by um3n_mn_timeout. */
bool mn_timers_reg_due(const struct um3n_mn *mn, int link, uint64_t now_us);
bool mn_timers_binding_expired(struct um3n_mn *mn, int link, uint64_t now_us);
bool mn_timers_probe_due(struct um3n_mn *mn, int link, uint64_t now_us);
bool mn_timers_silence_due(struct um3n_mn *mn, int link, uint64_t now_us);
uint64_t mn_timers_next_wake_us(const struct um3n_mn *mn);

#endif
