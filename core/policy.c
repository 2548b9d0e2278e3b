/* Policy table: rules in insertion order plus a longest-prefix-match index
 * (policy_trie.c), a default rule per family, a version, the serialisation
 * used for the MN -> HA sync, and the config-text parsers.
 *
 * Memory: one block from env->alloc at create time holds the table, the trie
 * (node pool, per-family root slots) and the rule array; add, clear,
 * deserialize and lookup never allocate. About 109 bytes per rule of capacity
 * (7.1 MB at UM3N_POLICY_MAX_RULES).
 *
 * um3n_policy_default returns the IPv4 default; the IPv6 one (what lookup
 * returns for an unmatched IPv6 address) has the same class and mode.
 *
 * Decisions worth knowing:
 * - um3n_policy_add clears host bits (as policy.h says), but the text parser
 *   and the deserialiser reject them: a config line "10.1.2.3/16" is almost
 *   always a typo, and a peer that sends host bits is not following the format.
 * - A plen-0 rule may be added explicitly; it matches every address of its
 *   family and so takes precedence over that family's default rule.
 * - A failed deserialisation leaves the table empty *and* resets the default
 *   and the version to their initial values (any/prefer, 0), so a version
 *   number never describes contents the table does not have. */
#include "policy.h"

#include <assert.h>
#include <string.h>

#include "policy_trie.h"

#define SER_HEADER_LEN 12
#define SER_RULE_HEADER_LEN 4    /* format 1 */
#define SER_RULE_HEADER_LEN_V2 8 /* format 2: pct, loss_pct, rtt_ms added */
#define CACHE_LINE 64

struct um3n_policy {
	struct um3n_trie trie; /* first: the lookup reads it on every packet */
	struct um3n_policy_rule *rules;
	struct um3n_policy_rule defaults[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t count;
	uint32_t cap;
	uint32_t version;
	struct um3n_env env; /* copied: the caller's env may be a temporary */
	void *block;         /* what env.alloc returned (the nodes are aligned within it) */
};

/* What holds between calls: rules within capacity, the two defaults of their
 * families sharing one class and mode. O(1): cheap enough for every lookup. */
#ifndef NDEBUG /* only the asserts use it: um3n_fast builds without them */
static inline bool policy_ok(const struct um3n_policy *p)
{
	return p->count <= p->cap && p->cap <= UM3N_POLICY_MAX_RULES &&
	       p->defaults[0].prefix.family == UM3N_AF_INET &&
	       p->defaults[1].prefix.family == UM3N_AF_INET6 &&
	       p->defaults[0].link_class == p->defaults[1].link_class &&
	       p->defaults[0].mode == p->defaults[1].mode &&
	       p->defaults[0].link_class <= UM3N_CLASS_MAX && p->defaults[0].mode <= UM3N_MODE_MAX;
}
#endif

static unsigned family_bits(uint8_t family)
{
	return family == UM3N_AF_INET ? 32 : family == UM3N_AF_INET6 ? 128 : 0;
}

static size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

static void reset_defaults(struct um3n_policy *p)
{
	memset(p->defaults, 0, sizeof(p->defaults));
	p->defaults[0].prefix.family = UM3N_AF_INET;
	p->defaults[1].prefix.family = UM3N_AF_INET6;
}

/* Layout of the single block: [struct um3n_policy][pad to a cache line]
 * [trie: nodes, root slots, cold per-node data][rules]. The block from
 * env->alloc may be only 16-byte aligned, so CACHE_LINE spare bytes let the
 * node pool start on a cache line, which keeps each 32-byte node inside one. */
struct um3n_policy *um3n_policy_new(const struct um3n_env *env, size_t max_rules)
{
	size_t head = round_up(sizeof(struct um3n_policy), CACHE_LINE);
	size_t trie_bytes, total;
	struct um3n_policy *p;
	uintptr_t base;
	void *block;

	if (!env || !env->alloc || !env->free || max_rules > UM3N_POLICY_MAX_RULES)
		return NULL;
	trie_bytes = round_up(um3n_policy_trie_mem_size(max_rules), CACHE_LINE);
	total = CACHE_LINE + head + trie_bytes + max_rules * sizeof(struct um3n_policy_rule);
	block = env->alloc(env->ctx, total);
	if (!block)
		return NULL;
	base = round_up((uintptr_t)block, CACHE_LINE);
	p = (struct um3n_policy *)base;
	memset(p, 0, sizeof(*p));
	p->block = block;
	p->env = *env;
	p->cap = (uint32_t)max_rules;
	um3n_policy_trie_init(&p->trie, (void *)(base + head), max_rules);
	p->rules = (struct um3n_policy_rule *)(base + head + trie_bytes);
	reset_defaults(p);
	/* The node pool starts on a cache line and the rules end inside the block. */
	assert((base + head) % CACHE_LINE == 0);
	assert((uintptr_t)(p->rules + max_rules) <= (uintptr_t)block + total);
	assert(policy_ok(p));
	return p;
}

void um3n_policy_free(struct um3n_policy *p)
{
	if (p)
		p->env.free(p->env.ctx, p->block);
}

static bool rule_fields_ok(const struct um3n_policy_rule *r)
{
	unsigned bits = family_bits(r->prefix.family);

	return bits && r->plen <= bits && r->link_class <= UM3N_CLASS_MAX &&
	       r->mode <= UM3N_MODE_MAX && r->pct <= 100 && r->loss_pct <= 100 &&
	       (r->mode == UM3N_MODE_LOAD_BALANCE || r->pct == 0);
}

/* Zero every bit of a beyond plen (and the unused bytes of an IPv4 address). */
static void clear_host_bits(struct um3n_addr *a, unsigned plen)
{
	size_t whole = plen / 8;

	assert(plen <= 8 * sizeof(a->bytes));
	if (plen % 8)
		a->bytes[whole++] &= (uint8_t)(0xff << (8 - plen % 8));
	memset(a->bytes + whole, 0, sizeof(a->bytes) - whole);
}

static bool host_bits_zero(const struct um3n_addr *a, unsigned plen)
{
	struct um3n_addr masked = *a;

	clear_host_bits(&masked, plen);
	return memcmp(masked.bytes, a->bytes, sizeof(a->bytes)) == 0;
}

int um3n_policy_add(struct um3n_policy *p, const struct um3n_policy_rule *r)
{
	struct um3n_policy_rule rule;
	int rc;

	if (!p || !r || !rule_fields_ok(r))
		return UM3N_EINVAL;
	if (p->count >= p->cap)
		return UM3N_ENOMEM;
	rule = *r;
	clear_host_bits(&rule.prefix, rule.plen);
	rc = um3n_policy_trie_insert(&p->trie, &rule.prefix, rule.plen, p->count + 1);
	if (rc)
		return rc;
	p->rules[p->count++] = rule;
	assert(policy_ok(p));
	return UM3N_OK;
}

void um3n_policy_clear(struct um3n_policy *p)
{
	if (!p)
		return;
	p->count = 0;
	um3n_policy_trie_reset(&p->trie);
}

/* The default has no parameters (the header has no room for them), so not
 * load-balance, whose split would be 0%: a plen-0 rule does that. */
int um3n_policy_set_default(struct um3n_policy *p, uint8_t link_class, uint8_t mode)
{
	if (!p || link_class > UM3N_CLASS_MAX || mode > UM3N_MODE_MAX ||
	    mode == UM3N_MODE_LOAD_BALANCE)
		return UM3N_EINVAL;
	for (int i = 0; i < 2; i++) {
		p->defaults[i].link_class = link_class;
		p->defaults[i].mode = mode;
	}
	return UM3N_OK;
}

const struct um3n_policy_rule *um3n_policy_lookup(const struct um3n_policy *p,
						  const struct um3n_addr *addr)
{
	uint32_t id = um3n_policy_trie_lookup(&p->trie, addr);

	assert(id <= p->count && p->count <= p->cap); /* ids are 1-based indices into rules */
	if (id)
		return &p->rules[id - 1];
	/* Unknown families get the IPv4 default rather than NULL (never NULL). */
	return &p->defaults[addr->family == UM3N_AF_INET6];
}

size_t um3n_policy_count(const struct um3n_policy *p) { return p->count; }
size_t um3n_policy_capacity(const struct um3n_policy *p) { return p->cap; }

const struct um3n_policy_rule *um3n_policy_rule_at(const struct um3n_policy *p, size_t i)
{
	return i < p->count ? &p->rules[i] : NULL;
}

/* Both families share the default's class and mode; this is the IPv4 one. */
const struct um3n_policy_rule *um3n_policy_default(const struct um3n_policy *p)
{
	return &p->defaults[0];
}

uint32_t um3n_policy_version(const struct um3n_policy *p) { return p->version; }
void um3n_policy_set_version(struct um3n_policy *p, uint32_t version) { p->version = version; }

/* ---- serialisation (format in policy.h) ---- */

static size_t rule_header_len(uint8_t format)
{
	return format == UM3N_POLICY_FORMAT_V1 ? SER_RULE_HEADER_LEN : SER_RULE_HEADER_LEN_V2;
}

/* The oldest format that carries the table: an older HA reads format 1, and
 * a table with no new mode or parameter syncs byte for byte as before. */
static uint8_t wire_format(const struct um3n_policy *p)
{
	if (p->defaults[0].mode > UM3N_MODE_REDUNDANT)
		return UM3N_POLICY_FORMAT;
	for (uint32_t i = 0; i < p->count; i++)
		if (um3n_policy_rule_v2(&p->rules[i]))
			return UM3N_POLICY_FORMAT;
	return UM3N_POLICY_FORMAT_V1;
}

size_t um3n_policy_serialized_size(const struct um3n_policy *p)
{
	size_t n = SER_HEADER_LEN, rh = rule_header_len(wire_format(p));

	for (uint32_t i = 0; i < p->count; i++)
		n += rh + (p->rules[i].plen + 7u) / 8u;
	return n;
}

int um3n_policy_serialize(const struct um3n_policy *p, uint8_t *buf, size_t cap, size_t *len)
{
	size_t need = um3n_policy_serialized_size(p);
	uint8_t format = wire_format(p), *w = buf;
	size_t rh = rule_header_len(format);

	if (!buf || cap < need)
		return UM3N_ETOOBIG;
	w[0] = format;
	w[1] = p->defaults[0].link_class;
	w[2] = p->defaults[0].mode;
	w[3] = 0;
	um3n_put32(w + 4, p->version);
	um3n_put32(w + 8, p->count);
	w += SER_HEADER_LEN;
	for (uint32_t i = 0; i < p->count; i++) {
		const struct um3n_policy_rule *r = &p->rules[i];
		size_t nbytes = (r->plen + 7u) / 8u;

		w[0] = r->prefix.family;
		w[1] = r->plen;
		w[2] = r->link_class;
		w[3] = r->mode;
		if (format != UM3N_POLICY_FORMAT_V1) {
			w[4] = r->pct;
			w[5] = r->loss_pct;
			um3n_put16(w + 6, r->rtt_ms);
		}
		memcpy(w + rh, r->prefix.bytes, nbytes);
		w += rh + nbytes;
	}
	assert((size_t)(w - buf) == need);
	if (len)
		*len = need;
	return UM3N_OK;
}

/* Decodes one rule of the given format at buf[*off]; advances *off. */
static int read_rule(const uint8_t *buf, size_t len, size_t *off, uint8_t format,
		     struct um3n_policy_rule *r)
{
	const uint8_t *q = buf + *off;
	size_t nbytes, rh = rule_header_len(format);

	assert(*off >= SER_HEADER_LEN && *off <= len);
	if (len - *off < rh)
		return UM3N_ETRUNC;
	memset(r, 0, sizeof(*r));
	r->prefix.family = q[0];
	r->plen = q[1];
	r->link_class = q[2];
	r->mode = q[3];
	if (format != UM3N_POLICY_FORMAT_V1) {
		r->pct = q[4];
		r->loss_pct = q[5];
		r->rtt_ms = um3n_get16(q + 6);
	}
	/* Format 1 predates the new modes: a peer writing them there is broken. */
	if (!rule_fields_ok(r) || (format == UM3N_POLICY_FORMAT_V1 && um3n_policy_rule_v2(r)))
		return UM3N_EINVAL;
	nbytes = (r->plen + 7u) / 8u;
	if (len - *off - rh < nbytes)
		return UM3N_ETRUNC;
	memcpy(r->prefix.bytes, q + rh, nbytes);
	if (!host_bits_zero(&r->prefix, r->plen))
		return UM3N_EINVAL;
	*off += rh + nbytes;
	return UM3N_OK;
}

static int read_header(struct um3n_policy *p, const uint8_t *buf, size_t len, uint32_t *count)
{
	if (len < SER_HEADER_LEN)
		return UM3N_ETRUNC;
	/* Reserved must be zero: the format byte, not lenience, handles evolution. */
	if ((buf[0] != UM3N_POLICY_FORMAT && buf[0] != UM3N_POLICY_FORMAT_V1) || buf[3] != 0 ||
	    (buf[0] == UM3N_POLICY_FORMAT_V1 && buf[2] > UM3N_MODE_REDUNDANT))
		return UM3N_EINVAL;
	if (um3n_policy_set_default(p, buf[1], buf[2]))
		return UM3N_EINVAL;
	p->version = um3n_get32(buf + 4);
	*count = um3n_get32(buf + 8);
	/* Checked before the rules so a huge count costs nothing to refuse. */
	return *count > p->cap ? UM3N_ENOMEM : UM3N_OK;
}

static int deserialize_into(struct um3n_policy *p, const uint8_t *buf, size_t len)
{
	struct um3n_policy_rule r;
	size_t off = SER_HEADER_LEN;
	uint32_t count;
	int rc;

	rc = read_header(p, buf, len, &count);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < count; i++) {
		rc = read_rule(buf, len, &off, buf[0], &r);
		if (!rc)
			rc = um3n_policy_add(p, &r); /* EINVAL here = duplicate */
		if (rc) {
			um3n_log(&p->env, UM3N_LOG_DEBUG, "policy: rule %u of %u at byte %zu: %s",
				 i, count, off, um3n_strerror(rc));
			return rc;
		}
	}
	assert(p->count == count && off <= len);
	/* One encoding per table (the oldest format that carries it): format 2
	 * for a table format 1 carries is as wrong as trailing bytes. */
	if (buf[0] != wire_format(p))
		return UM3N_EINVAL;
	return off == len ? UM3N_OK : UM3N_EINVAL; /* trailing bytes */
}

int um3n_policy_deserialize(struct um3n_policy *p, const uint8_t *buf, size_t len)
{
	int rc;

	if (!p)
		return UM3N_EINVAL;
	um3n_policy_clear(p);
	rc = buf ? deserialize_into(p, buf, len) : UM3N_ETRUNC;
	if (rc) {
		um3n_policy_clear(p);
		reset_defaults(p);
		p->version = 0;
		um3n_log(&p->env, UM3N_LOG_DEBUG, "policy: deserialize of %zu bytes failed: %s",
			 len, um3n_strerror(rc));
	}
	/* Failed: empty, initial default and version 0; never a mix. */
	assert(policy_ok(p) && (rc == UM3N_OK || (p->count == 0 && p->version == 0)));
	return rc;
}

/* ---- names and text ---- */

static const char *const class_names[UM3N_CLASS_MAX + 1] = {
	"any",    "cell",   "wifi",    "wired",   "class4",  "class5",  "class6",  "class7",
	"class8", "class9", "class10", "class11", "class12", "class13", "class14", "class15",
};
static const char *const mode_names[UM3N_MODE_MAX + 1] = {
	"active-standby", "aggregate", "redundant", "smallest-delay", "load-balance", "priority",
};

/* Strict decimal: 1-3 digits, no sign, space or leading zero. -1 if not. */
static int parse_small_uint(const char *s)
{
	size_t n = strspn(s, "0123456789");
	int v = 0;

	if (n == 0 || n > 3 || s[n] != '\0' || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int um3n_policy_class_parse(const char *name, uint8_t *link_class)
{
	int v;

	if (!name || !link_class)
		return UM3N_EINVAL;
	for (int i = 0; i <= UM3N_CLASS_MAX; i++) {
		if (strcmp(name, class_names[i]) == 0) {
			*link_class = (uint8_t)i;
			return UM3N_OK;
		}
	}
	/* "class0".."class3" are accepted too, as aliases of the named ones. */
	if (strncmp(name, "class", 5) != 0)
		return UM3N_EINVAL;
	v = parse_small_uint(name + 5);
	if (v < 0 || v > UM3N_CLASS_MAX)
		return UM3N_EINVAL;
	*link_class = (uint8_t)v;
	return UM3N_OK;
}

const char *um3n_policy_class_name(uint8_t link_class)
{
	return link_class <= UM3N_CLASS_MAX ? class_names[link_class] : "invalid";
}

int um3n_policy_mode_parse(const char *name, uint8_t *mode)
{
	if (!name || !mode)
		return UM3N_EINVAL;
	for (int i = 0; i <= UM3N_MODE_MAX; i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (uint8_t)i;
			return UM3N_OK;
		}
	}
	/* The mode's name before ATSSS's vocabulary: configs keep working. */
	if (strcmp(name, "prefer") == 0) {
		*mode = UM3N_MODE_PREFER;
		return UM3N_OK;
	}
	return UM3N_EINVAL;
}

const char *um3n_policy_mode_name(uint8_t mode)
{
	return mode <= UM3N_MODE_MAX ? mode_names[mode] : "invalid";
}

/* Longest valid text: a full IPv6 address with an embedded IPv4 tail is 45
 * characters; anything longer before the '/' cannot be an address. */
#define ADDR_TEXT_MAX 46

static int prefix_parse(const char *text, struct um3n_addr *prefix, uint8_t *plen)
{
	char addr_text[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int bits, v;

	if (alen == 0 || alen >= sizeof(addr_text))
		return UM3N_EINVAL;
	memcpy(addr_text, text, alen);
	addr_text[alen] = '\0';
	if (um3n_addr_parse(addr_text, prefix)) /* inet_pton: rejects junk too */
		return UM3N_EINVAL;
	bits = (int)family_bits(prefix->family);
	v = slash ? parse_small_uint(slash + 1) : bits;
	if (v < 0 || v > bits || !host_bits_zero(prefix, (unsigned)v))
		return UM3N_EINVAL;
	assert(bits > 0); /* um3n_addr_parse gives IPv4 or IPv6 only */
	*plen = (uint8_t)v;
	return UM3N_OK;
}

int um3n_policy_prefix_parse(const char *text, struct um3n_addr *prefix, uint8_t *plen)
{
	int rc;

	if (!text || !prefix || !plen)
		return UM3N_EINVAL;
	rc = prefix_parse(text, prefix, plen);
	if (rc) {
		memset(prefix, 0, sizeof(*prefix));
		*plen = 0;
	}
	return rc;
}
