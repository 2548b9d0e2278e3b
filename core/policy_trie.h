/* Private to policy.c and policy_trie.c: the longest-prefix-match index behind
 * the policy table. Not part of the public API.
 *
 * A path-compressed binary (Patricia) trie per address family, in the spirit of
 * WireGuard's allowedips: every node holds a whole prefix (key + plen), so a
 * chain of single-child bits costs one node instead of one node per bit. A
 * node either carries a rule or is a "glue" node created where two prefixes
 * diverge. Two additions keep a lookup within the per-packet budget:
 * - every node caches `best`, the longest rule on the path from the root to it
 *   (itself included), so the walk just copies it instead of testing for a rule;
 * - a root table indexed by the address's top `stride_bits` bits (about
 *   log2(max_rules)) says where the walk continues and what it has matched so
 *   far, which skips the densest top levels (level compression at the root).
 * Nodes live in a fixed pool, refer to each other by 32-bit index (0 is the NIL
 * sentinel) and are 32 bytes, two per cache line. There is no deletion, only
 * reset, so allocation is a bump. */
#ifndef UM3N_POLICY_TRIE_H
#define UM3N_POLICY_TRIE_H

#include "um3n.h"

#define UM3N_TRIE_NIL 0u
#define UM3N_TRIE_STRIDE_MAX 16 /* root table of at most 2^16 entries per family */

/* What the lookup reads, in one 32-byte block. */
struct um3n_policy_trie_node {
	uint64_t key[2];   /* prefix as a 128-bit host-order number; IPv4 in key[0]'s top 32 bits */
	uint32_t child[2]; /* by the address bit at position plen; UM3N_TRIE_NIL = none */
	uint32_t best;     /* rule id of the longest rule on the path here; 0 = none */
	uint8_t plen;
	uint8_t word;  /* which key word holds the bit at position plen */
	uint8_t shift; /* 63 - plen % 64: that bit's shift within the word */
	uint8_t unused;
};

/* A root table slot: walks for every address with these top bits continue at
 * `start` (the first node on their path with plen >= stride_bits) having
 * matched `best` so far. */
struct um3n_policy_trie_slot {
	uint32_t start;
	uint32_t best;
};

struct um3n_trie {
	struct um3n_policy_trie_node *nodes;    /* nodes[0] is the NIL sentinel */
	uint32_t *own;                          /* per node: its own rule id, 0 = glue (cold) */
	struct um3n_policy_trie_slot *roots[2]; /* [0] IPv4, [1] IPv6: 2^stride_bits each */
	uint32_t root[2];                       /* top node per family */
	uint32_t used;                          /* nodes handed out, sentinel included */
	uint32_t cap;
	uint8_t stride_bits;
};

/* Bytes of memory um3n_policy_trie_init needs for max_rules rules; it can never run
 * out of nodes: leaves all carry rules and every glue node has two children,
 * so a family with n rules uses at most 2n - 1 nodes. */
size_t um3n_policy_trie_mem_size(size_t max_rules);

/* mem: um3n_policy_trie_mem_size(max_rules) zeroed bytes, 64-byte aligned. */
void um3n_policy_trie_init(struct um3n_trie *t, void *mem, size_t max_rules);
void um3n_policy_trie_reset(struct um3n_trie *t);

/* Index prefix/plen (family-checked, plen in range, host bits zero: the
 * caller's job) as rule_id (>= 1). Nothing changes on error.
 * Errors: UM3N_EINVAL (the prefix is already present), UM3N_ENOMEM (pool full). */
int um3n_policy_trie_insert(struct um3n_trie *t, const struct um3n_addr *prefix, uint8_t plen,
			    uint32_t rule_id);

/* rule_id of the longest prefix containing addr, or 0 when none does (or the
 * family is neither IPv4 nor IPv6). Never allocates. */
uint32_t um3n_policy_trie_lookup(const struct um3n_trie *t, const struct um3n_addr *addr);

#endif
