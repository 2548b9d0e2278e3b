/* um3n mobile-node engine (sans-IO). Feed it TUN packets, UDP datagrams per
 * uplink, link events and timeouts; drain um3n_mn_poll_output(); arm a timer for
 * um3n_mn_next_wake_us(). All entry points take the monotonic time now_us. */
#ifndef UM3N_MN_H
#define UM3N_MN_H

#include "aqm.h"
#include "pacer.h"
#include "engine.h"
#include "policy.h"
#include "regfsm.h"

/* `[mn] uplinks`: every uplink carries traffic (multihoming, the default), or
 * one at a time, the others standing by (the handover manager, hoverfsm.h). */
enum { UM3N_MN_UPLINKS_ALL = 0, UM3N_MN_UPLINKS_ONE = 1 };
/* `standby` of an uplink, with uplinks = one: hot stays registered and probed
 * (a handover costs nothing), cold sends nothing while another uplink carries
 * the traffic (it registers only when the handover manager brings it up). */
enum { UM3N_STANDBY_HOT = 0, UM3N_STANDBY_COLD = 1 };

struct um3n_mn_link_conf {
	char name[UM3N_LINK_NAME_MAX];
	uint8_t link_class;   /* UM3N_CLASS_* */
	uint8_t standby;      /* UM3N_STANDBY_*; used with UM3N_MN_UPLINKS_ONE only */
	uint8_t priority;     /* lower = preferred when several links fit */
	bool on_demand;       /* cold standby the driver brings up itself (the daemon's up_command):
			 * a handover candidate even without carrier or address */
	uint32_t weight_kbps; /* expected rate for aggregation weights (0 = 1000 kbit/s);
			       * with rate_estimate, the measurement's start */
	struct um3n_sockaddr local; /* care-of address; may be unset until UP */
};

struct um3n_mn_conf {
	struct um3n_addr home_addr;  /* IPv4 home address (the TUN address) */
	struct um3n_addr home_addr6; /* optional IPv6 home address (family 0: none); the HA
				      * forwards IPv6 only from what it has configured */
	struct um3n_sockaddr ha;     /* HA address and UDP port */
	struct um3n_sockaddr ha6;    /* optional: the HA's IPv6 address and port, which
				      * uplinks with an IPv6 care-of address talk to
				      * (family 0: none; then such an address is refused) */
	uint32_t spi;                /* >= UM3N_SPI_HMAC_SHA256_MIN */
	uint8_t key[64];
	size_t key_len;                /* 16..64 bytes */
	uint16_t lifetime_s;           /* requested registration lifetime */
	uint64_t ident_base;           /* NTP-format wall time at now_us = 0 (RFC 5944 §5.7) */
	uint32_t reg_retry_initial_us; /* first retransmission timeout; doubles */
	uint32_t reg_retry_max_us;
	uint32_t probe_interval_us; /* ICMP echo probes per link (0 disables) */
	uint32_t dead_after_us;     /* nothing heard on a link for this long -> FAILED */
	int signal_degraded_dbm;    /* signal below -> DEGRADED (planned handover) */
	int signal_recovered_dbm;   /* signal at/above -> back to UP (hysteresis) */
	uint32_t resend_window_us;  /* on failure re-send what the link sent this recently */
	size_t resend_slots;        /* packets remembered for that (0 disables); the bytes live
				     * in the output ring, so out_queue_len bounds the depth */
	size_t out_queue_len;       /* 0 = UM3N_OUTQ_DEFAULT */
	size_t out_slot_size;       /* bytes per output: 0 = UM3N_PKT_MAX, else 1400..2048;
				     * the largest datagram (TUN MTU + UM3N_DATA_KEYED_OVERHEAD)
				     * is enough: outputs lie packed in the ring (outq.h) */
	bool rx_csum_partial;       /* we complete inner TCP checksums (UM3N_LINK_F_CSUM_PARTIAL) */
	uint32_t reorder_max_us;    /* aggregate rules: longest hold of an early packet (0: none) */
	struct um3n_aqm_conf aqm;   /* traffic moved onto a link by a failover (aqm.h) */
	struct um3n_pacer_conf pace; /* aggregate rules' packets held and paced (pacer.h) */
	uint8_t uplinks;             /* UM3N_MN_UPLINKS_* */
	uint32_t handover_hold_us; /* uplinks = one: handovers by signal at least this far apart */
	uint8_t encrypt; /* 0 no, 1 yes: encrypted tunnel data (aead.h); the HA must agree at registration */
	uint8_t rate_estimate; /* 0 no, 1 yes: weigh aggregation by measured rates (rateest.h) */
	uint8_t arq; /* 0 no, 1 yes: repair requests for aggregate rules' losses (arq.h) */
	/* Idle probing: with no tunnel data either way for idle_after_us (0:
	 * never), probes go every keepalive_s (or the HA's keepalive, RFC 3519,
	 * if shorter) instead of every probe_interval_us; data or a link event
	 * brings the fast probes back at once. */
	uint32_t idle_after_us;
	uint16_t keepalive_s;
	/* The largest inner packet the smallest uplink carries unfragmented (0:
	 * no check). When the TUN's MTU is larger, TCP SYNs entering the tunnel
	 * are clamped to it and IPv4 packets with DF above it are answered with
	 * ICMP "fragmentation needed" (pmtu.h). The daemon sets it. */
	unsigned path_mtu;
	size_t n_links;
	struct um3n_mn_link_conf links[UM3N_MAX_LINKS];
	const struct um3n_policy *policy; /* copied at create; NULL = default rule only */
};

/* Fills every field with its documented default (lifetime 300 s, retry 500 ms ..
 * 16 s, probes every 15 ms, dead after 75 ms (or srtt + 4 rttvar + one probe interval if longer), degraded below -75 dBm, recovered
 * at -68 dBm, re-send window 150 ms, reorder hold at most 100 ms). */
void um3n_mn_conf_defaults(struct um3n_mn_conf *conf);

struct um3n_mn;

/* Errors via NULL (the reason is logged): bad conf, allocation failure. */
struct um3n_mn *um3n_mn_new(const struct um3n_mn_conf *conf, const struct um3n_env *env);
void um3n_mn_free(struct um3n_mn *mn);

/* A packet the apps wrote to the TUN device: classify, encapsulate, queue.
 * Errors: UM3N_EINVAL/UM3N_ETRUNC (not an IP packet), UM3N_ETOOBIG,
 * UM3N_ENOLINK (no usable uplink), UM3N_ENOBUFS (queue full). Each is counted. */
int um3n_mn_tun_input(struct um3n_mn *mn, uint64_t now_us, const uint8_t *pkt, size_t len);

/* A datagram received on uplink `link` from `from`. Registration replies, probe
 * echoes and tunnelled data. Errors: UM3N_EINVAL, UM3N_ETRUNC, UM3N_EUNKNOWN,
 * UM3N_EAUTH, UM3N_ENOENT (from is not the HA), UM3N_EDUP. Each is counted; none
 * changes state. */
int um3n_mn_udp_input(struct um3n_mn *mn, uint64_t now_us, int link,
		      const struct um3n_sockaddr *from, const uint8_t *buf, size_t len);

/* DOWN's arg says who took the link down (UM3N_LINK_DOWN_*: the failover's
 * cause in the status), SIGNAL's is the level in dBm, UP's is ignored.
 * Errors: UM3N_EINVAL (bad link, event or DOWN arg). */
int um3n_mn_link_event(struct um3n_mn *mn, uint64_t now_us, int link, enum um3n_link_ev ev,
		       int arg);
/* The uplink's address changed (DHCP, roaming): re-register at once.
 * Errors: UM3N_EINVAL. */
int um3n_mn_link_addr(struct um3n_mn *mn, uint64_t now_us, int link,
		      const struct um3n_sockaddr *local);
/* Replace the policy table (SIGHUP); the new version is synced to the HA. */
int um3n_mn_set_policy(struct um3n_mn *mn, uint64_t now_us, const struct um3n_policy *policy);
/* Takes from conf the parameters that may change while the engine runs (a
 * driver's reload): lifetime_s and reg_retry_initial_us (from the next
 * registration step), key and key_len (from the next request signed or reply
 * checked), signal_degraded_dbm and signal_recovered_dbm (from the next signal
 * report), resend_window_us (from the next failover). Every other field is
 * ignored: changing it takes a new engine. Errors: UM3N_EINVAL (a zero lifetime
 * or retry, a retry above reg_retry_max_us, a key outside 16..64 bytes);
 * then nothing changed. */
int um3n_mn_conf_apply(struct um3n_mn *mn, const struct um3n_mn_conf *conf);

/* Does what is due at now_us and nothing else: registration retransmissions,
 * refreshes and retries, binding expiry, probes, failure detection. Call it
 * whenever: at um3n_mn_next_wake_us(), early (nothing due, nothing done),
 * late (what came due since is done once, at now_us: a missed probe tick is
 * not made up for) or repeatedly. As for every entry point, now_us never goes
 * back from one call to the next. Returns UM3N_OK. */
int um3n_mn_timeout(struct um3n_mn *mn, uint64_t now_us);
/* The earliest deadline um3n_mn_timeout has: the minimum over every deadline
 * the engine keeps (mn_timers.c); UM3N_TIME_NONE when nothing is pending. Ask
 * again after each call that feeds the engine: any of them may move it. */
uint64_t um3n_mn_next_wake_us(const struct um3n_mn *mn);
/* Pops one output; false when the queue is empty. */
bool um3n_mn_poll_output(struct um3n_mn *mn, struct um3n_out *out);

/* Deregister (lifetime 0) on every registered link; the engine then stays idle. */
int um3n_mn_shutdown(struct um3n_mn *mn, uint64_t now_us);

/* Why traffic moved off an uplink (a failover): each cause counted per link. */
enum um3n_mn_failover_cause {
	UM3N_FAILOVER_SILENCE = 0, /* nothing heard for dead_after (or the binding ran out) */
	UM3N_FAILOVER_CARRIER,     /* carrier or address lost (netlink, the scenario) */
	UM3N_FAILOVER_COMMAND,     /* the operator took it down (`um3nctl link NAME down`) */
	UM3N_FAILOVER_SIGNAL,      /* signal below signal_degraded_dbm: up -> degraded */
	UM3N_FAILOVER_CAUSES
};
const char *um3n_mn_failover_cause_name(int cause); /* "silence", "carrier", ... */

/* Why the last registration request of an uplink that is trying went unanswered. */
enum um3n_mn_reg_wait {
	UM3N_MN_REG_WAIT_NONE = 0, /* not trying, or no retry yet */
	UM3N_MN_REG_WAIT_NO_REPLY, /* the retransmission timer ran out */
	UM3N_MN_REG_WAIT_DENIED,   /* the HA denied it (last_code) */
};

struct um3n_mn_link_status {
	char name[UM3N_LINK_NAME_MAX];
	uint8_t link_class;
	int state;     /* enum um3n_link_state */
	int reg_state; /* enum um3n_reg_state (regfsm.h) */
	int last_code; /* last registration reply code, -1 if none */
	struct um3n_sockaddr local;
	uint32_t lifetime_left_s;
	uint64_t srtt_us, rttvar_us;
	uint32_t loss_permille; /* probe loss, EWMA */
	bool carrier;           /* the driver said UP (and not DOWN since) */
	bool have_signal;       /* a signal level was ever reported (else signal_dbm is 0) */
	int signal_dbm;
	/* Registering without a binding: since trying_s seconds (0 when the link
	 * is not trying), reg_retries requests sent after the first, the last
	 * one's fate (enum um3n_mn_reg_wait; DENIED: last_code). */
	uint32_t trying_s;
	uint32_t reg_retries;
	int reg_wait;
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	uint64_t probes_sent, probes_answered;
	struct um3n_rate_status rate;
	uint64_t failovers; /* traffic moved off this link: the sum of failovers_by */
	uint64_t failovers_by[UM3N_FAILOVER_CAUSES]; /* ... by enum um3n_mn_failover_cause */
	uint64_t resent_pkts;       /* packets re-sent on another link when this one failed */
	uint64_t unexpected_events; /* events the registration machine or the link
				     * monitor had no row for (each one logged) */
	uint8_t standby;            /* UM3N_STANDBY_* (meaningful with uplinks = one) */
};

/* The handover manager of uplinks = one (hoverfsm.h). Times are seconds ago
 * in milliseconds (-1: not yet). */
struct um3n_mn_hover_status {
	uint8_t uplinks;              /* UM3N_MN_UPLINKS_*: ALL leaves the rest zero */
	int state;                    /* enum um3n_hover_state */
	int active, target, draining; /* uplink indexes, -1 if none */
	int last_reason;              /* enum um3n_hover_reason of the last handover */
	int last_from, last_to;       /* its uplinks, -1 if none */
	int64_t started_ago_ms, moved_ago_ms, released_ago_ms;
	uint64_t handovers, lost, cancelled, failed_bringups, unexpected;
	int64_t min_between_ms; /* shortest time between two handovers by signal or rank */
	int64_t max_move_ms;    /* longest from a handover's start to the traffic moved */
};

struct um3n_mn_status {
	size_t n_links;
	struct um3n_mn_link_status links[UM3N_MAX_LINKS];
	uint32_t policy_version;       /* local table */
	uint32_t policy_acked_version; /* version the HA says it holds complete */
	size_t policy_rules;
	uint64_t tun_in_pkts, tun_out_pkts;
	unsigned path_mtu;                 /* conf.path_mtu */
	uint64_t mss_clamped, frag_needed; /* SYNs lowered, IPv4 DF packets answered */
	bool peer_csum_partial;            /* um3n_mn_peer_csum_partial() */
	struct um3n_drop_counters drops;
	struct um3n_reorder_status reorder; /* downlink of aggregate rules */
	struct um3n_arq_stats arq;          /* repair requests to and from the HA */
	struct um3n_pacer_stats pace;       /* uplink of aggregate rules (pacer.h) */
	struct um3n_mn_hover_status hover;  /* the handover manager (uplinks = one) */
};
void um3n_mn_status(const struct um3n_mn *mn, uint64_t now_us, struct um3n_mn_status *st);

/* Whether the HA said (in its last accepted reply) that it completes inner
 * TCP/IPv4 checksums: then packets may go into the tunnel with partial ones. */
bool um3n_mn_peer_csum_partial(const struct um3n_mn *mn);

/* Whether uplink `link` needs its socket: always with uplinks = all or a hot
 * standby; a cold one only while the handover manager wants it or its
 * registration (a deregistration) is still under way. A driver closes the
 * socket of a link that is not wanted and opens it again before it sends the
 * link's next datagram (the engine knows the care-of address, not the port). */
bool um3n_mn_link_wanted(const struct um3n_mn *mn, int link);

/* Scheduling control for tests and benchmarks. */
int um3n_mn_link_index(const struct um3n_mn *mn, const char *name); /* -1 if unknown */

#endif
