/* Path-compressed binary trie for the policy table's longest prefix match
 * (see policy_trie.h for the shape). Keys are 128-bit host-order numbers held
 * as two uint64_t so that insertion is one code path for both families with
 * no byte-at-a-time work: an IPv4 address sits in the top 32 bits of key[0]
 * and key[1] stays zero. Lookup has a loop per family, the IPv4 one touching
 * a single word. Measured (callgrind, 10,000 random rules): about 50-65
 * instructions per IPv4 lookup, 65-85 per IPv6 lookup, 117/147 for the
 * deepest leaf. */
#include "policy_trie.h"

#include <assert.h>
#include <string.h>

static inline unsigned family_slot(uint8_t family) { return family == UM3N_AF_INET6; }

/* Address bytes -> key. False for an unknown family. */
static inline bool addr_to_key(const struct um3n_addr *a, uint64_t key[2])
{
	if (a->family == UM3N_AF_INET) {
		key[0] = (uint64_t)um3n_get32(a->bytes) << 32;
		key[1] = 0;
		return true;
	}
	if (a->family == UM3N_AF_INET6) {
		key[0] = um3n_get64(a->bytes);
		key[1] = um3n_get64(a->bytes + 8);
		return true;
	}
	return false;
}

/* Number of leading bits a and b share, 0..128. */
static inline unsigned common_bits(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x = a[0] ^ b[0];

	if (x)
		return (unsigned)__builtin_clzll(x);
	x = a[1] ^ b[1];
	return x ? 64 + (unsigned)__builtin_clzll(x) : 128;
}

/* The address bit right after a pos-bit prefix, i.e. bit number pos counted
 * from the most significant end. pos == 128 (a full IPv6 host route) wraps to
 * bit 0: harmless, because a /128 node can never have children. */
static inline unsigned bit_at(const uint64_t key[2], unsigned pos)
{
	return (unsigned)(key[(pos >> 6) & 1] >> (63 - (pos & 63))) & 1;
}

/* Mask with the top `bits` bits set, bits in 0..64. */
static inline uint64_t top_mask(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : ~(UINT64_MAX >> bits);
}

static void truncate_key(const uint64_t in[2], unsigned plen, uint64_t out[2])
{
	out[0] = in[0] & top_mask(plen);
	out[1] = plen > 64 ? in[1] & top_mask(plen - 64) : 0;
}

static size_t nodes_for(size_t max_rules) { return 2 * max_rules + 1; }

/* floor(log2(max_rules)) within [1, UM3N_TRIE_STRIDE_MAX]: with n random
 * prefixes the top ~log2(n) levels of the trie are nearly complete, so the root
 * table replaces them; it costs 2 * 8 bytes * 2^stride, under the node pool. */
static unsigned stride_for(size_t max_rules)
{
	unsigned s = 1;

	while (s < UM3N_TRIE_STRIDE_MAX && ((size_t)2 << s) <= max_rules)
		s++;
	return s;
}

static size_t slots_bytes(unsigned stride_bits)
{
	return ((size_t)1 << stride_bits) * sizeof(struct um3n_policy_trie_slot);
}

size_t um3n_policy_trie_mem_size(size_t max_rules)
{
	size_t n = nodes_for(max_rules);

	return n * sizeof(struct um3n_policy_trie_node) + 2 * slots_bytes(stride_for(max_rules)) +
	       n * sizeof(uint32_t);
}

void um3n_policy_trie_init(struct um3n_trie *t, void *mem, size_t max_rules)
{
	uint8_t *m = mem;
	size_t n = nodes_for(max_rules);

	t->stride_bits = (uint8_t)stride_for(max_rules);
	t->cap = (uint32_t)n;
	t->nodes = (struct um3n_policy_trie_node *)m;
	m += n * sizeof(struct um3n_policy_trie_node);
	t->roots[0] = (struct um3n_policy_trie_slot *)m;
	m += slots_bytes(t->stride_bits);
	t->roots[1] = (struct um3n_policy_trie_slot *)m;
	m += slots_bytes(t->stride_bits);
	t->own = (uint32_t *)m;
	m += n * sizeof(uint32_t);
	assert(m == (uint8_t *)mem + um3n_policy_trie_mem_size(max_rules)); /* the layout fits */
	assert(t->stride_bits >= 1 && t->stride_bits <= UM3N_TRIE_STRIDE_MAX);
	memset(&t->nodes[UM3N_TRIE_NIL], 0, sizeof(t->nodes[0]));
	um3n_policy_trie_reset(t);
}

void um3n_policy_trie_reset(struct um3n_trie *t)
{
	/* The sentinel stays zeroed; other nodes are fully rewritten on reuse. */
	t->used = 1;
	t->root[0] = UM3N_TRIE_NIL;
	t->root[1] = UM3N_TRIE_NIL;
	memset(t->roots[0], 0, slots_bytes(t->stride_bits));
	memset(t->roots[1], 0, slots_bytes(t->stride_bits));
}

/* Caller has checked there is room. */
static uint32_t new_node(struct um3n_trie *t, const uint64_t key[2], unsigned plen,
			 uint32_t own_rule, uint32_t best)
{
	uint32_t i;
	struct um3n_policy_trie_node *n;

	assert(t->used < t->cap && plen <= 128); /* the caller checked have_room */
	i = t->used++;
	n = &t->nodes[i];
	truncate_key(key, plen, n->key);
	n->child[0] = UM3N_TRIE_NIL;
	n->child[1] = UM3N_TRIE_NIL;
	n->best = best;
	n->plen = (uint8_t)plen;
	/* /128 gives word 0, shift 63: never used to pick a child (a /128 has
	 * none), and v6_mismatch tests /128 without it. */
	n->word = (uint8_t)((plen >> 6) & 1);
	n->shift = (uint8_t)(63 - (plen & 63));
	n->unused = 0;
	t->own[i] = own_rule;
	return i;
}

static bool have_room(const struct um3n_trie *t, uint32_t nodes)
{
	return t->cap - t->used >= nodes;
}

static inline unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

/* Node i's best changed: descendants without a rule of their own inherit it.
 * Recursion depth is bounded by the address length. */
static void push_best_down(struct um3n_trie *t, uint32_t i)
{
	assert(i != UM3N_TRIE_NIL && i < t->used);
	for (int b = 0; b < 2; b++) {
		uint32_t c = t->nodes[i].child[b];

		/* A child extends its parent's prefix: the depth is bounded. */
		assert(c == UM3N_TRIE_NIL || t->nodes[c].plen > t->nodes[i].plen);
		if (c != UM3N_TRIE_NIL && !t->own[c]) {
			t->nodes[c].best = t->nodes[i].best;
			push_best_down(t, c);
		}
	}
}

struct slot_fill {
	struct um3n_policy_trie_slot *slots;
	unsigned stride_bits;
	uint32_t lo, hi; /* only slots in [lo, hi) are rewritten */
};

static void set_slots(const struct slot_fill *f, uint32_t lo, uint32_t hi, uint32_t start,
		      uint32_t best)
{
	lo = lo > f->lo ? lo : f->lo;
	hi = hi < f->hi ? hi : f->hi;
	for (uint32_t j = lo; j < hi; j++) {
		f->slots[j].start = start;
		f->slots[j].best = best;
	}
}

/* Slots [lo, hi) are the addresses whose walk reaches node i having matched
 * `best`: work out where each of them goes next. Recursion depth <= stride. */
static void fill_slots(const struct um3n_trie *t, const struct slot_fill *f, uint32_t i,
		       uint32_t lo, uint32_t hi, uint32_t best)
{
	const struct um3n_policy_trie_node *n = &t->nodes[i];
	uint32_t plo, phi, mid;

	assert(lo < hi && hi <= (uint32_t)1 << f->stride_bits);
	if (hi <= f->lo || lo >= f->hi)
		return;
	if (i == UM3N_TRIE_NIL || n->plen >= f->stride_bits) {
		set_slots(f, lo, hi, i, best); /* the walk resumes at i (or has ended) */
		return;
	}
	/* n's prefix is decided by the top bits alone: outside it the walk stops. */
	plo = (uint32_t)(n->key[0] >> (64 - f->stride_bits));
	phi = plo + ((uint32_t)1 << (f->stride_bits - n->plen));
	assert(lo <= plo && phi <= hi); /* n's prefix lies within its parent's */
	set_slots(f, lo, plo, UM3N_TRIE_NIL, best);
	set_slots(f, phi, hi, UM3N_TRIE_NIL, best);
	mid = plo + (phi - plo) / 2;
	fill_slots(t, f, n->child[0], plo, mid, n->best);
	fill_slots(t, f, n->child[1], mid, phi, n->best);
}

/* Everything that changed is inside node top's subtree: rewrite the root
 * slots covering top's prefix. */
static void refresh_root_slots(struct um3n_trie *t, unsigned fam, uint32_t top)
{
	const struct um3n_policy_trie_node *n = &t->nodes[top];
	struct slot_fill f = {.slots = t->roots[fam], .stride_bits = t->stride_bits};

	f.lo = (uint32_t)(n->key[0] >> (64 - f.stride_bits));
	f.hi = f.lo + (n->plen >= f.stride_bits ? 1 : (uint32_t)1 << (f.stride_bits - n->plen));
	fill_slots(t, &f, t->root[fam], 0, (uint32_t)1 << f.stride_bits, 0);
}

/* Walk down while the node's prefix is a proper prefix of the new one; then
 * the new prefix either is that node (a glue node gets the rule), sits above
 * it (it is a prefix of the node), or forks from it (a glue node at the first
 * differing bit gets both as children). Nothing is written before that last
 * step, so a duplicate or a full pool leaves the trie untouched. Returns the
 * topmost node that changed, or 0 with *err set. */
static uint32_t insert_node(struct um3n_trie *t, unsigned fam, const uint64_t key[2], unsigned plen,
			    uint32_t rule_id, int *err)
{
	uint32_t *slot = &t->root[fam], inherited = 0, top, leaf;

	*err = UM3N_ENOMEM;
	while (*slot != UM3N_TRIE_NIL) {
		struct um3n_policy_trie_node *n = &t->nodes[*slot];
		unsigned c = min_u(min_u(common_bits(key, n->key), plen), n->plen);

		if (c == n->plen && c == plen) {
			if (t->own[*slot]) {
				*err = UM3N_EINVAL;
				return 0;
			}
			t->own[*slot] = rule_id;
			n->best = rule_id;
			push_best_down(t, *slot);
			return *slot;
		}
		if (c == n->plen) {
			assert(n->plen < plen);
			inherited = n->best;
			slot = &n->child[bit_at(key, n->plen)];
			continue;
		}
		if (c == plen) { /* the new prefix contains n: insert above it */
			if (!have_room(t, 1))
				return 0;
			top = new_node(t, key, plen, rule_id, rule_id);
			t->nodes[top].child[bit_at(n->key, plen)] = *slot;
			*slot = top;
			push_best_down(t, top);
			return top;
		}
		/* They differ at bit c, before either ends: fork there. */
		assert(c < plen && c < n->plen);
		if (!have_room(t, 2))
			return 0;
		top = new_node(t, key, c, 0, inherited);
		leaf = new_node(t, key, plen, rule_id, rule_id);
		t->nodes[top].child[bit_at(key, c)] = leaf;
		t->nodes[top].child[bit_at(n->key, c)] = *slot;
		*slot = top;
		return top;
	}
	if (!have_room(t, 1))
		return 0;
	*slot = new_node(t, key, plen, rule_id, rule_id);
	return *slot;
}

int um3n_policy_trie_insert(struct um3n_trie *t, const struct um3n_addr *prefix, uint8_t plen,
			    uint32_t rule_id)
{
	unsigned fam = family_slot(prefix->family);
	uint64_t key[2];
	uint32_t top;
	int err;

	assert(rule_id != 0); /* 0 means "no rule" in best and own */
	if (!addr_to_key(prefix, key))
		return UM3N_EINVAL;
	assert(plen <= (fam ? 128 : 32));
	top = insert_node(t, fam, key, plen, rule_id, &err);
	if (top == UM3N_TRIE_NIL)
		return err;
	assert(top < t->used && t->used <= t->cap);
	refresh_root_slots(t, fam, top);
	return UM3N_OK;
}

/* The per-packet paths. Every node below a node extends its prefix, so once a
 * node's prefix stops matching nothing deeper can match either: stop there.
 * The best match so far is always the last matching node's cached `best`. */
static uint32_t lookup_v4(const struct um3n_trie *t, uint64_t key)
{
	const struct um3n_policy_trie_node *nodes = t->nodes;
	const struct um3n_policy_trie_slot *s = &t->roots[0][key >> (64 - t->stride_bits)];
	uint32_t i = s->start, best = s->best;

	while (i != UM3N_TRIE_NIL) {
		const struct um3n_policy_trie_node *n = &nodes[i];
		unsigned shift = n->shift; /* 63 - plen, plen <= 32 */

		/* Top plen bits equal <=> xor >> (64 - plen) == 0; two shifts
		 * so that plen 0 needs no special case. */
		if (((key ^ n->key[0]) >> 1) >> shift)
			break;
		best = n->best;
		i = n->child[(key >> shift) & 1];
	}
	return best;
}

/* Whether the address differs from n's prefix within its first plen bits,
 * with the same two-shift test per word as lookup_v4. */
static inline bool v6_mismatch(const uint64_t key[2], const struct um3n_policy_trie_node *n)
{
	uint64_t x0 = key[0] ^ n->key[0], x1;

	if (n->plen < 64)
		return ((x0 >> 1) >> n->shift) != 0;
	x1 = key[1] ^ n->key[1];
	if (n->plen == 128) /* shift cannot express all 64 bits of the second word */
		return (x0 | x1) != 0;
	return (x0 | ((x1 >> 1) >> n->shift)) != 0;
}

static uint32_t lookup_v6(const struct um3n_trie *t, const uint64_t key[2])
{
	const struct um3n_policy_trie_node *nodes = t->nodes;
	const struct um3n_policy_trie_slot *s = &t->roots[1][key[0] >> (64 - t->stride_bits)];
	uint32_t i = s->start, best = s->best;

	while (i != UM3N_TRIE_NIL) {
		const struct um3n_policy_trie_node *n = &nodes[i];

		if (v6_mismatch(key, n))
			break;
		best = n->best;
		i = n->child[(key[n->word] >> n->shift) & 1];
	}
	return best;
}

uint32_t um3n_policy_trie_lookup(const struct um3n_trie *t, const struct um3n_addr *addr)
{
	uint64_t key[2];

	/* The root-table index shifts by 64 - stride_bits: 0 would be undefined. */
	assert(t->stride_bits >= 1 && t->stride_bits <= UM3N_TRIE_STRIDE_MAX);
	if (addr->family == UM3N_AF_INET)
		return lookup_v4(t, (uint64_t)um3n_get32(addr->bytes) << 32);
	if (addr->family == UM3N_AF_INET6) {
		key[0] = um3n_get64(addr->bytes);
		key[1] = um3n_get64(addr->bytes + 8);
		return lookup_v6(t, key);
	}
	return 0;
}
