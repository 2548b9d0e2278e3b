/* um3n home-agent engine (sans-IO): one UDP port serving many MNs, a binding
 * cache keyed by home address with one binding per MN uplink, downlink link
 * choice by the MN's synced policy table (matched on the packet's source). */
#ifndef UM3N_HA_H
#define UM3N_HA_H

#include "aqm.h"
#include "pacer.h"
#include "engine.h"
#include "policy.h"

/* Secret lookup: fill key (up to *key_len bytes; set *key_len) for this home
 * address and SPI. Return 0, or non-zero if unknown (-> code 131). */
typedef int (*um3n_ha_key_fn)(void *ctx, uint32_t home_addr, uint32_t spi, uint8_t *key,
			      size_t *key_len);

/* Inner source prefixes the MN with this home address may use besides the
 * home address itself (its IPv6 home address or prefix, extra IPv4 prefixes):
 * write up to cap into out, return how many. Asked at every accepted
 * registration (so a driver's reload applies from the MN's next request);
 * without the callback, or with none, only the IPv4 home address is
 * accepted and every IPv6 inner packet is refused (spoofed_src). */
typedef size_t (*um3n_ha_prefixes_fn)(void *ctx, uint32_t home_addr, struct um3n_prefix *out,
				      size_t cap);

struct um3n_ha_conf {
	struct um3n_sockaddr addr; /* the HA's address (RRQ "home agent" must match) and port */
	uint16_t max_lifetime_s;   /* longer requests are granted this */
	uint16_t keepalive_s;      /* RFC 3519 keepalive interval in replies */
	size_t max_mns;            /* binding cache capacity (MNs) */
	size_t max_rules_per_mn;   /* policy sync size limit */
	uint32_t dead_after_us;    /* binding silent this long (while another is heard) -> avoid */
	uint32_t resend_window_us; /* on failure re-send what went to that link this recently */
	size_t resend_slots;       /* per-MN downlink packets remembered for that (0 disables);
				     * the bytes live in the output ring, so its size bounds the depth */
	size_t out_queue_len;
	size_t out_slot_size;     /* as in um3n_mn_conf */
	bool rx_csum_partial;     /* we complete inner TCP checksums (UM3N_LINK_F_CSUM_PARTIAL) */
	uint32_t reorder_max_us;  /* aggregate rules: longest hold of an early packet (0: none) */
	struct um3n_aqm_conf aqm; /* traffic moved onto a binding by a failover (aqm.h) */
	struct um3n_pacer_conf pace; /* aggregate rules' packets held and paced (pacer.h) */
	uint8_t encrypt; /* 0 no, 1 yes: encrypted tunnel data (aead.h): MNs that do not ask for it are refused */
	uint8_t rate_estimate; /* 0 no, 1 yes: weigh aggregation by measured rates (rateest.h) */
	uint8_t arq; /* 0 no, 1 yes: repair requests for aggregate rules' losses (arq.h) */
	/* Identification freshness (RFC 5944 §5.7 timestamps): NTP-format wall time
	 * at now_us = 0, and how far a request's timestamp may be from it. With
	 * ident_base 0 only the "strictly increasing" check applies. */
	uint64_t ident_base;
	uint32_t ident_window_s;
	/* Registration requests per source ip:port (the token bucket checked
	 * before the authenticator): sustained rate and burst; rate 0: no limit. */
	uint32_t reg_rate_per_s;
	uint32_t reg_burst;
	/* ... and from all sources with no binding together (new MNs, NAT rebinding,
	 * forgers from many ports): a second's worth may come at once; 0: no limit.
	 * A bound care-of's refreshes never wait for it. */
	uint32_t reg_new_rate_per_s;
	um3n_ha_key_fn get_key;
	void *key_ctx;
	um3n_ha_prefixes_fn get_prefixes; /* optional; called with key_ctx */
};
/* Defaults: port 434, max lifetime 600 s, keepalive 110 s, 1024 MNs, 65536 rules,
 * dead after 75 ms, re-send window 150 ms, 512 re-send entries, identification
 * window 60 s, reorder hold at most 100 ms, registration requests 20/s with a
 * burst of 64 per source ip:port, 5000/s from sources with no binding. addr.ip unset. */
void um3n_ha_conf_defaults(struct um3n_ha_conf *conf);

struct um3n_ha;
struct um3n_ha *um3n_ha_new(const struct um3n_ha_conf *conf, const struct um3n_env *env);
void um3n_ha_free(struct um3n_ha *ha);
/* Takes from conf the parameters that may change while the engine runs (a
 * driver's reload): max_lifetime_s and keepalive_s (from the next reply),
 * resend_window_us (from the next failover). Every other field is ignored:
 * changing it takes a new engine (keys come through get_key at every request
 * anyway). Errors: UM3N_EINVAL (max_lifetime_s 0); then nothing changed. */
int um3n_ha_conf_apply(struct um3n_ha *ha, const struct um3n_ha_conf *conf);

/* A datagram on the HA's UDP port: registration requests, probes and tunnel
 * data. Bad input is counted and answered where the RFCs say (denial codes),
 * never changes a binding. Errors: UM3N_EINVAL, UM3N_ETRUNC, UM3N_EUNKNOWN,
 * UM3N_EAUTH, UM3N_EREPLAY, UM3N_ENOENT (unknown peer), UM3N_EDUP, UM3N_ENOBUFS. */
int um3n_ha_udp_input(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
		      const uint8_t *buf, size_t len);
/* A packet from the internet side (HA's TUN) for some MN's home address.
 * Errors: UM3N_EINVAL, UM3N_ETRUNC, UM3N_ENOENT (no binding), UM3N_ENOLINK,
 * UM3N_ETOOBIG, UM3N_ENOBUFS. */
int um3n_ha_tun_input(struct um3n_ha *ha, uint64_t now_us, const uint8_t *pkt, size_t len);

/* The timer contract (every deadline lives in ha_timers.c): call
 * um3n_ha_timeout() whenever you like, early, late or twice; it does only what
 * is due at now_us (expired bindings removed, silent bindings failed over) and
 * nothing otherwise. um3n_ha_next_wake_us() is the earliest time it may have
 * something to do, UM3N_TIME_NONE for "nothing pending"; it may be early (a
 * call then does nothing) but never late. Any input may move it earlier, so a
 * driver asks again after feeding the engine. Always returns 0. */
int um3n_ha_timeout(struct um3n_ha *ha, uint64_t now_us);
uint64_t um3n_ha_next_wake_us(const struct um3n_ha *ha);
bool um3n_ha_poll_output(struct um3n_ha *ha, struct um3n_out *out);
/* Whether the MN with this home address registered saying it completes inner
 * TCP/IPv4 checksums (UM3N_LINK_F_CSUM_PARTIAL): then packets for it may go
 * into the tunnel with partial ones. False for an unknown MN. */
bool um3n_ha_peer_csum_partial(const struct um3n_ha *ha, uint32_t home_v4);

struct um3n_ha_binding_status {
	uint8_t link_id, link_class, flags;
	int state;                /* enum um3n_link_state as the HA sees it */
	struct um3n_sockaddr coa; /* as seen on the wire (NAT) */
	uint32_t lifetime_left_s;
	uint64_t last_heard_us_ago;
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	struct um3n_rate_status rate; /* of the downlink on this binding */
};
struct um3n_ha_mn_status {
	uint32_t home_addr;
	uint32_t policy_version;
	size_t policy_rules;
	bool peer_csum_partial; /* um3n_ha_peer_csum_partial() */
	size_t n_bindings;
	struct um3n_ha_binding_status bindings[UM3N_MAX_LINKS];
	struct um3n_arq_stats arq;    /* repair requests to and from this MN */
	struct um3n_pacer_stats pace; /* its downlink of aggregate rules (pacer.h) */
};
struct um3n_ha_status {
	size_t n_mns;
	uint64_t reg_accepted, reg_denied;
	uint64_t reg_unexpected; /* binding FSM events not expected in their state (logged) */
	uint64_t tun_in_pkts, tun_out_pkts;
	struct um3n_drop_counters drops;
	struct um3n_reorder_status reorder; /* uplinks of aggregate rules, every MN */
};
void um3n_ha_status(const struct um3n_ha *ha, uint64_t now_us, struct um3n_ha_status *st);
/* The i-th MN in the cache (i < n_mns). Errors: UM3N_ENOENT. */
int um3n_ha_mn_status(const struct um3n_ha *ha, uint64_t now_us, size_t i,
		      struct um3n_ha_mn_status *st);

#endif
