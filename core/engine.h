/* Shared engine output and link-state vocabulary for the MN and HA engines. */
#ifndef UM3N_ENGINE_H
#define UM3N_ENGINE_H

#include "um3n.h"

#define UM3N_MAX_LINKS 8       /* uplinks per MN */
#define UM3N_LINK_NAME_MAX 16  /* including the NUL, like IFNAMSIZ */
#define UM3N_OUTQ_DEFAULT 1024 /* output queue entries when conf says 0 */

enum um3n_out_kind {
	UM3N_OUT_UDP = 1, /* send data[0,len) as one UDP datagram on `link` to `to` */
	UM3N_OUT_TUN = 2, /* write data[0,len) (an inner IP packet) to the TUN device */
};

/* One output. `data` stays valid until the engine is next fed: any call
 * other than *_poll_output() and *_status(). A UM3N_OUT_TUN output made by
 * *_udp_input() points into the datagram passed in (decapsulation without a
 * copy), so the caller keeps that buffer unchanged until then as well. */
struct um3n_out {
	enum um3n_out_kind kind;
	int link;                /* UDP: MN uplink index, HA the MN's link id (informational);
				  * TUN: the link the packet arrived on, -1 for the
				  * engine's own answer (the MN's ICMP, pmtu.h) */
	struct um3n_sockaddr to; /* UDP destination */
	const uint8_t *data;
	size_t len;
};

/* Link events from the driver (netlink, the simulator's scenario, um3nctl). */
enum um3n_link_ev {
	UM3N_LINK_EV_UP = 1,     /* carrier up and an address present */
	UM3N_LINK_EV_DOWN = 2,   /* carrier lost / interface gone; arg: UM3N_LINK_DOWN_* */
	UM3N_LINK_EV_SIGNAL = 3, /* arg = signal level in dBm (e.g. -60 good, -85 fading) */
};

/* UM3N_LINK_EV_DOWN's arg: who took the link down (counted as the failover's cause). */
#define UM3N_LINK_DOWN_CARRIER 0 /* the interface (netlink, a scenario) */
#define UM3N_LINK_DOWN_COMMAND 1 /* the operator (um3nctl link NAME down) */

/* Link monitor states (linkmon.c holds the transition table; their names:
 * um3n_linkmon_state_name in linkmon.h). */
enum um3n_link_state {
	UM3N_LS_DOWN = 0,    /* no carrier or no address */
	UM3N_LS_PROBING = 1, /* carrier up, not yet confirmed by the HA */
	UM3N_LS_UP = 2,      /* registered and answering probes */
	UM3N_LS_DEGRADED =
		3,          /* usable but leaving: weak signal or heavy loss (make-before-break) */
	UM3N_LS_FAILED = 4, /* carrier up but nothing heard for dead_after_us */
	UM3N_LS_COUNT
};

/* Counters of dropped/rejected input, each kind separately (shown by um3nctl). */
struct um3n_drop_counters {
	uint64_t malformed;       /* decoder rejected it */
	uint64_t auth_failed;     /* bad authenticator */
	uint64_t replayed;        /* stale identification */
	uint64_t unknown_peer;    /* datagram from an address with no binding */
	uint64_t after_dereg;     /* HA: from a care-of address the MN deregistered moments
				* ago (UM3N_BCACHE_GONE_GRACE_US): its packets in flight */
	uint64_t no_binding;      /* downlink packet for an unknown home address */
	uint64_t no_link;         /* no usable uplink/binding */
	uint64_t duplicate;       /* GRE sequence already seen (redundancy, re-sends) */
	uint64_t queue_full;      /* output queue full */
	uint64_t too_big;         /* packet larger than UM3N_PKT_MAX - overhead */
	uint64_t aqm;             /* refused by the sender's queue management: moved onto a
				* link by a failover (aqm.h), or past the pacer's bound (pacer.h) */
	uint64_t bad_tag;         /* encrypted data that did not authenticate (aead.h) */
	uint64_t replayed_data;   /* encrypted data, authentic, counter seen before */
	uint64_t spoofed_src;     /* HA: tunnel data from a bound care-of whose inner source is
				* not the MN's (home address or a prefix configured for it) */
	uint64_t not_from_ha;     /* MN: a datagram from anyone but its HA's address:port */
	uint64_t reg_ratelimited; /* HA: registration request over its source ip:port's
				   * rate, dropped before the authenticator is checked */
};

/* A source prefix an HA lets one MN use as inner source besides its home
 * address (ha.h get_prefixes): an IPv6 home address (plen 128) or prefix, or
 * an extra IPv4 prefix. Host bits beyond plen are ignored. */
struct um3n_prefix {
	struct um3n_addr addr;
	uint8_t plen;
};
#define UM3N_HA_MN_PREFIXES 4 /* per MN */
/* Whether a lies inside p (same family, the first plen bits equal). */
bool um3n_prefix_has(const struct um3n_prefix *p, const struct um3n_addr *a);

/* Repair requests (arq.h), both roles toward one peer, for `um3nctl show`. */
struct um3n_arq_stats {
	uint64_t asked;        /* datagrams named in the requests we sent */
	uint64_t repaired;     /* of those, arrived (a repair or a late original) */
	uint64_t unanswered;   /* of those, not within the longest hold */
	uint64_t over_budget;  /* losses not asked for: their link's budget was spent */
	uint64_t too_late;     /* losses not asked for: the repair would come after the
				* held packets' bound (reorder_max_ms) */
	uint64_t requests_in;  /* datagrams the peer asked us for */
	uint64_t repairs_sent; /* of those, re-sent */
	uint64_t no_copy;      /* of those, no longer remembered (or not keyed, or given) */
	uint64_t refused;      /* of those, over twice an honest peer's budget */
};

/* Per-flow reordering of aggregate rules at the receiver (reorder.h), for
 * status and `um3nctl show`. */
struct um3n_reorder_status {
	uint64_t held;           /* early packets copied and held for a gap */
	uint64_t filled;         /* released in order once their gap filled */
	uint64_t proved;         /* released early: the links proved the gap lost */
	uint64_t timed_out;      /* released when their hold bound passed */
	uint64_t overflow;       /* no room to hold: delivered out of order at once */
	uint64_t late;           /* came after their flow moved on: delivered at once */
	uint64_t equalised;      /* in order, held for a slower link's delay (lag) */
	uint64_t p50_us, p99_us; /* added delay of held packets (1 ms bins, upper edge) */
};

#endif
