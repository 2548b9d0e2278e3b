/* um3n policy table: ordered prefix rules (IPv4 and IPv6) -> link class + mode,
 * looked up by longest prefix match (the paper's pre-configured IP table,
 * generalised). The MN matches the destination of an uplink packet, the HA the
 * source of a downlink packet. The table is synced MN -> HA inside registration
 * (NVSE chunks, wire.h) using the versioned serialisation below. */
#ifndef UM3N_POLICY_H
#define UM3N_POLICY_H

#include "um3n.h"

/* Link classes: small integers; names map to them in config ("cell", "wifi"). */
#define UM3N_CLASS_ANY 0
#define UM3N_CLASS_CELL 1
#define UM3N_CLASS_WIFI 2
#define UM3N_CLASS_WIRED 3
#define UM3N_CLASS_MAX 15 /* classes are 0..UM3N_CLASS_MAX */

/* Steering modes, named as in 3GPP ATSSS (TS 24.193 §5.32.8 of TS 23.501) where
 * one exists. The numbers are on the wire (format 1 knows 0..2 only). */
enum um3n_policy_mode {
	UM3N_MODE_PREFER = 0,         /* active-standby: the class's links, any up one if none */
	UM3N_MODE_AGGREGATE = 1,      /* per-packet spread over all up links by rate weight */
	UM3N_MODE_REDUNDANT = 2,      /* a copy on every up link; receiver drops duplicates */
	UM3N_MODE_SMALLEST_DELAY = 3, /* the usable link with the smallest measured delay */
	UM3N_MODE_LOAD_BALANCE = 4,   /* pct % of the flows to the class's link, rest to others */
	UM3N_MODE_PRIORITY = 5,       /* the class's link until its backlog overflows */
	UM3N_MODE_MAX = 5,
};
#define UM3N_MODE_ACTIVE_STANDBY UM3N_MODE_PREFER

#define UM3N_POLICY_MAX_RULES 65536 /* hard ceiling per table (HA memory bound) */
#define UM3N_POLICY_FORMAT 2        /* serialisation format version byte (newest) */
#define UM3N_POLICY_FORMAT_V1 \
	1 /* no steering parameters; still read, and written
				     * when a table needs none (older HAs read it) */

struct um3n_policy_rule {
	struct um3n_addr prefix; /* host bits beyond plen are zero */
	uint8_t plen;            /* 0..32 (IPv4) or 0..128 (IPv6) */
	uint8_t link_class;
	uint8_t mode; /* enum um3n_policy_mode */
	/* Steering parameters (format 2). pct: load-balance only (0..100), the
	 * share of flows for the class's link; 0 in every other mode. Thresholds,
	 * 0 = none: a link whose smoothed RTT exceeds rtt_ms, or whose probe loss
	 * exceeds loss_pct percent, is left out, unless that leaves no link. */
	uint8_t pct;
	uint8_t loss_pct; /* 0..100 */
	uint16_t rtt_ms;
};

/* Modes whose packets carry the reorder key (reorder.h): those that send one
 * flow's packets over several links at once. */
static inline bool um3n_policy_mode_keyed(uint8_t mode)
{
	return mode == UM3N_MODE_AGGREGATE || mode == UM3N_MODE_PRIORITY;
}

/* Does the rule need format 2 (a mode or a parameter format 1 cannot carry)? */
static inline bool um3n_policy_rule_v2(const struct um3n_policy_rule *r)
{
	return r->mode > UM3N_MODE_REDUNDANT || r->pct || r->loss_pct || r->rtt_ms;
}

struct um3n_policy;

/* A table able to hold max_rules rules (<= UM3N_POLICY_MAX_RULES); all memory is
 * taken here from env->alloc. Returns NULL on bad size or allocation failure. */
struct um3n_policy *um3n_policy_new(const struct um3n_env *env, size_t max_rules);
void um3n_policy_free(struct um3n_policy *p);

/* Append a rule (host bits are cleared). Errors: UM3N_EINVAL (bad family/plen/
 * class/mode, or the same prefix already present), UM3N_ENOMEM (table full). */
int um3n_policy_add(struct um3n_policy *p, const struct um3n_policy_rule *r);
void um3n_policy_clear(struct um3n_policy *p);
/* The class/mode used when no rule matches (no parameters: not load-balance,
 * no thresholds; a plen-0 rule takes them). Errors: UM3N_EINVAL. */
int um3n_policy_set_default(struct um3n_policy *p, uint8_t link_class, uint8_t mode);

/* Longest-prefix match of addr; the default rule (plen 0, family of addr) when
 * nothing matches. Never NULL. Cost: O(address bits) worst case, no allocation. */
const struct um3n_policy_rule *um3n_policy_lookup(const struct um3n_policy *p,
						  const struct um3n_addr *addr);

size_t um3n_policy_count(const struct um3n_policy *p);
size_t um3n_policy_capacity(const struct um3n_policy *p);
/* Rules in insertion order, i < count. */
const struct um3n_policy_rule *um3n_policy_rule_at(const struct um3n_policy *p, size_t i);
const struct um3n_policy_rule *um3n_policy_default(const struct um3n_policy *p);

uint32_t um3n_policy_version(const struct um3n_policy *p);
void um3n_policy_set_version(struct um3n_policy *p, uint32_t version);

/* Serialisation (for the MN->HA sync): header {format(1) default_class(1)
 * default_mode(1) reserved(1) version(4) rule_count(4)} then per rule
 * format 1: {family(1) plen(1) class(1) mode(1) prefix bytes ceil(plen/8)};
 * format 2: {family(1) plen(1) class(1) mode(1) pct(1) loss_pct(1) rtt_ms(2)
 * prefix bytes}. Format 1 is written when no rule needs format 2 (so an older
 * HA still reads the table); both are read.
 * Engines cut the byte stream into UM3N_POLICY_CHUNK_MAX chunks. */
size_t um3n_policy_serialized_size(const struct um3n_policy *p);
/* Errors: UM3N_ETOOBIG (cap too small). */
int um3n_policy_serialize(const struct um3n_policy *p, uint8_t *buf, size_t cap, size_t *len);
/* Replaces p's contents (rules, default, version) with the decoded table; on
 * error p is left empty. Errors: UM3N_ETRUNC, UM3N_EINVAL (bad format byte,
 * family, plen, class, mode, non-zero host bits, duplicate, trailing bytes),
 * UM3N_ENOMEM (more rules than capacity). */
int um3n_policy_deserialize(struct um3n_policy *p, const uint8_t *buf, size_t len);

/* Class names used in configs and logs: "any", "cell", "wifi", "wired" or "classN". */
int um3n_policy_class_parse(const char *name, uint8_t *link_class);
const char *um3n_policy_class_name(uint8_t link_class);
/* active-standby (alias prefer)|aggregate|redundant|smallest-delay|load-balance|priority */
int um3n_policy_mode_parse(const char *name, uint8_t *mode);
const char *um3n_policy_mode_name(uint8_t mode);
/* Rule text after the prefix: "CLASS [MODE [PCT]] [rtt_ms=N] [loss_pct=N]"
 * (PCT after load-balance only, and required there), words separated by
 * blanks. Sets r's class, mode and parameters, nothing else. Errors:
 * UM3N_EINVAL, with a short reason in *why (a static string) when why != NULL. */
int um3n_policy_action_parse(const char *text, struct um3n_policy_rule *r, const char **why);
/* The same text for r's class, mode and parameters (parse of it gives them
 * back); returns snprintf's count. */
int um3n_policy_action_format(const struct um3n_policy_rule *r, char *buf, size_t cap);
/* "10.0.0.0/8" or "2001:db8::/32" (a bare address means a host route). */
int um3n_policy_prefix_parse(const char *text, struct um3n_addr *prefix, uint8_t *plen);

#endif
