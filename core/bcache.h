/* HA binding cache: per home address an MN record holding one binding per MN
 * uplink (care-of ip:port as seen on the wire, so NAT works), its lifetime and
 * last identification, the MN's synced policy table, and the downlink data
 * state. Two fixed-size hash indexes (home address; care-of ip:port), built at
 * creation: lookups on the data path never allocate.
 *
 * Functions carry the file's prefix (um3n_bcache_*). The struct tags keep the
 * names of what they hold (an MN's record, a binding, a hash map): the data
 * path and the status code use them everywhere, and they name no file. */
#ifndef UM3N_BCACHE_H
#define UM3N_BCACHE_H

#include "auth.h"
#include "ha_bindfsm.h"
#include "datapath.h"
#include "linkmon.h"
#include "policy.h"
#include "tunnel.h"

struct um3n_binding {
	bool active;                /* indexed at coa; == (fsm.state == BOUND) between events */
	struct um3n_ha_bindfsm fsm; /* its registration state (ha_bindfsm.h) */
	struct um3n_link_info info; /* link id, class, priority, flags from the MN */
	struct um3n_sockaddr coa;   /* source of the registration as seen (NAT) */
	uint64_t expires_us;
	uint64_t last_ident;        /* replay protection, RFC 5944 §5.7 */
	struct um3n_linkmon lm;     /* the HA's view: heard from lately or not */
	uint64_t peer_probe_us;     /* the MN's probe interval on it, as its last probe said */
	uint64_t rx_pkts, rx_bytes; /* tx: the record's data path */
};

struct um3n_mn_rec {
	bool used;
	uint32_t home_v4;
	/* Inner sources it may use besides home_v4 (ha.h get_prefixes), as of
	 * its last accepted request. */
	uint8_t n_prefixes;
	struct um3n_prefix prefixes[UM3N_HA_MN_PREFIXES];
	uint8_t prefix_indexed;                /* bit i: prefixes[i] is in the cache's by_prefix */
	struct um3n_binding b[UM3N_MAX_LINKS]; /* indexed by the MN's link id */
	struct um3n_policy *policy;            /* NULL until the first sync completes */
	uint16_t policy_chunks;                /* chunks the complete table came in */
	/* Sync in progress: chunks arrive in order into stage_buf. */
	uint32_t stage_version;
	uint16_t stage_count, stage_held;
	uint8_t *stage_buf;
	size_t stage_len;
	/* Downlink data state. */
	struct um3n_datapath dp;
	struct um3n_auth_key auth; /* the MN's key, HMAC set up (ha_reg.c) */
	/* When the HA's timer scan must look at this record (a lower bound;
	 * UM3N_TIME_NONE: never), and its place in the cache's wake heap
	 * (index + 1; 0: not in it). Written through um3n_bcache_wake_*. */
	uint64_t wake_us;
	uint32_t heap_pos;
};

/* Care-of addresses whose binding the MN itself gave up (deregistration, a
 * request releasing its siblings), each for a grace period: what the MN sent
 * before its request arrives late (data in flight, the last probes) and is
 * counted as such, not as traffic from an unknown peer. A ring: the oldest
 * entry is overwritten, memory stays bounded. */
#define UM3N_BCACHE_GONE 32
#define UM3N_BCACHE_GONE_GRACE_US 10000000ull

struct um3n_bcache_gone {
	uint64_t key;      /* the care-of's index key; 0: empty */
	uint64_t until_us; /* end of the grace period */
};

/* Open addressing, linear probing, backward-shift deletion; key 0 = empty. */
struct um3n_hmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;
};

struct um3n_bcache {
	struct um3n_mn_rec *recs;
	size_t cap, n_used;
	size_t resend_slots;
	struct um3n_resend_entry *resend_pool; /* resend_slots per record, record i's at i */
	struct um3n_reorder_pool *rpool;       /* the engine's, for every record's data path */
	const struct um3n_aqm_conf *aqm;       /* the engine's, likewise */
	const struct um3n_pacer_conf *pace;    /* likewise (pacer.h) */
	bool measure_rate;                     /* um3n_datapath.measure_rate of every record */
	uint32_t arq_self_v4;     /* repair requests (arq.h) from this address; 0: off */
	struct um3n_hmap by_home; /* home v4 -> rec index */
	struct um3n_hmap by_coa;  /* ip << 16 | port -> rec index << 3 | link id */
	/* The MNs' prefixes (the downlink to an IPv6 home address or a network
	 * behind an MN): a hash of family, length and masked address -> rec
	 * index, one table for all lengths; lookups try only the lengths in use,
	 * longest first. */
	struct um3n_hmap by_prefix;
	uint32_t plen_used[2][129]; /* prefixes indexed per family (v4, v6) and length */
	struct um3n_bcache_gone gone[UM3N_BCACHE_GONE];
	size_t gone_next; /* the ring's next slot */
	size_t free_hint; /* no record below this index is free */
	/* Binary min-heap of record indexes by wake_us: the timer scan visits
	 * only the records with something due, whatever the table's size. */
	uint32_t *heap;
	size_t heap_n;
};

/* Errors: UM3N_EINVAL, UM3N_ENOMEM. */
int um3n_bcache_init(struct um3n_bcache *c, const struct um3n_env *env, size_t max_mns,
		     size_t resend_slots);
void um3n_bcache_fini(struct um3n_bcache *c, const struct um3n_env *env);

struct um3n_mn_rec *um3n_bcache_find(const struct um3n_bcache *c, uint32_t home_v4);
/* The record whose prefixes hold a, the longest match; NULL if none. */
struct um3n_mn_rec *um3n_bcache_find_prefix(const struct um3n_bcache *c, const struct um3n_addr *a);
/* Rec's prefixes become p[0..n) (n <= UM3N_HA_MN_PREFIXES), indexed for
 * um3n_bcache_find_prefix. A prefix another MN holds already stays that
 * MN's: returns how many were left out of the index that way. */
size_t um3n_bcache_set_prefixes(struct um3n_bcache *c, struct um3n_mn_rec *rec,
				const struct um3n_prefix *p, size_t n);
/* Finds or creates the record. Errors via NULL: cache full or no memory. */
struct um3n_mn_rec *um3n_bcache_get(struct um3n_bcache *c, const struct um3n_env *env,
				    uint32_t home_v4, uint64_t seed);
/* The MN record and link id for a care-of ip:port, or NULL. */
struct um3n_mn_rec *um3n_bcache_find_coa(const struct um3n_bcache *c,
					 const struct um3n_sockaddr *coa, int *link);
/* Whether binding `link` of rec may be installed at coa: an IPv4 ip:port that
 * no other binding holds. */
bool um3n_bcache_bind_ok(const struct um3n_bcache *c, const struct um3n_mn_rec *rec, int link,
			 const struct um3n_sockaddr *coa);
/* Install/refresh binding `link` of rec at coa (re-indexing if it moved).
 * Errors: UM3N_EINVAL (not um3n_bcache_bind_ok). */
int um3n_bcache_bind(struct um3n_bcache *c, struct um3n_mn_rec *rec, int link,
		     const struct um3n_sockaddr *coa);
/* Remove one binding; when none is left the record is freed: returns true then. */
bool um3n_bcache_unbind(struct um3n_bcache *c, const struct um3n_env *env, struct um3n_mn_rec *rec,
			int link);
/* Remember binding `link` of rec's care-of address as given up by the MN at
 * now_us (call before um3n_bcache_unbind). */
void um3n_bcache_note_gone(struct um3n_bcache *c, const struct um3n_mn_rec *rec, int link,
			   uint64_t now_us);
/* Whether coa's binding was given up within the grace period before now_us. */
bool um3n_bcache_recently_gone(const struct um3n_bcache *c, const struct um3n_sockaddr *coa,
			       uint64_t now_us);
size_t um3n_bcache_index(const struct um3n_bcache *c, const struct um3n_mn_rec *rec);
/* The record that holds binding b (b points into a record of c). */
struct um3n_mn_rec *um3n_bcache_rec_of(const struct um3n_bcache *c, const struct um3n_binding *b);

/* The timer scan's schedule (ha_timers.c): lowers rec's wake-up to at_us (a
 * later one is ignored: wake_us stays the earliest asked for). */
void um3n_bcache_wake_at(struct um3n_bcache *c, struct um3n_mn_rec *rec, uint64_t at_us);
/* The earliest wake-up of any record, UM3N_TIME_NONE if none. */
static inline uint64_t um3n_bcache_wake_next(const struct um3n_bcache *c)
{
	return c->heap_n ? c->recs[c->heap[0]].wake_us : UM3N_TIME_NONE;
}
/* A record whose wake-up is at or before now_us, taken off the schedule
 * (wake_us cleared), or NULL. O(log n). */
struct um3n_mn_rec *um3n_bcache_wake_pop(struct um3n_bcache *c, uint64_t now_us);
size_t um3n_bcache_rec_bindings(const struct um3n_mn_rec *rec);

#endif
