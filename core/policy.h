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

enum um3n_policy_mode {
	UM3N_MODE_PREFER = 0,    /* the class's links; any up link if none is up */
	UM3N_MODE_AGGREGATE = 1, /* per-packet spread over all up links by rate weight */
	UM3N_MODE_REDUNDANT = 2, /* a copy on every up link; receiver drops duplicates */
	UM3N_MODE_MAX = 2,
};

#define UM3N_POLICY_MAX_RULES 65536 /* hard ceiling per table (HA memory bound) */
#define UM3N_POLICY_FORMAT 1        /* serialisation format version byte */

struct um3n_policy_rule {
	struct um3n_addr prefix; /* host bits beyond plen are zero */
	uint8_t plen;            /* 0..32 (IPv4) or 0..128 (IPv6) */
	uint8_t link_class;
	uint8_t mode; /* enum um3n_policy_mode */
};

struct um3n_policy;

/* A table able to hold max_rules rules (<= UM3N_POLICY_MAX_RULES); all memory is
 * taken here from env->alloc. Returns NULL on bad size or allocation failure. */
struct um3n_policy *um3n_policy_new(const struct um3n_env *env, size_t max_rules);
void um3n_policy_free(struct um3n_policy *p);

/* Append a rule (host bits are cleared). Errors: UM3N_EINVAL (bad family/plen/
 * class/mode, or the same prefix already present), UM3N_ENOMEM (table full). */
int um3n_policy_add(struct um3n_policy *p, const struct um3n_policy_rule *r);
void um3n_policy_clear(struct um3n_policy *p);
/* The class/mode used when no rule matches. Errors: UM3N_EINVAL. */
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
 * {family(1) plen(1) class(1) mode(1) prefix bytes ceil(plen/8)}.
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
int um3n_policy_mode_parse(const char *name, uint8_t *mode); /* prefer|aggregate|redundant */
const char *um3n_policy_mode_name(uint8_t mode);
/* "10.0.0.0/8" or "2001:db8::/32" (a bare address means a host route). */
int um3n_policy_prefix_parse(const char *text, struct um3n_addr *prefix, uint8_t *plen);

#endif
