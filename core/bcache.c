#include "bcache.h"

#include <assert.h>
#include <string.h>

static inline uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static int hmap_init(struct um3n_hmap *m, const struct um3n_env *env, size_t entries)
{
	size_t size = 16;

	while (size < entries * 2) /* load factor <= 1/2 keeps probes short */
		size <<= 1;
	m->keys = env->alloc(env->ctx, size * sizeof(*m->keys));
	m->vals = env->alloc(env->ctx, size * sizeof(*m->vals));
	m->mask = size - 1;
	return m->keys && m->vals ? UM3N_OK : UM3N_ENOMEM;
}

static void hmap_fini(struct um3n_hmap *m, const struct um3n_env *env)
{
	if (m->keys)
		env->free(env->ctx, m->keys);
	if (m->vals)
		env->free(env->ctx, m->vals);
	memset(m, 0, sizeof(*m));
}

static inline bool hmap_get(const struct um3n_hmap *m, uint64_t key, uint32_t *val)
{
	for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
		if (m->keys[i] == 0)
			return false;
	}
}

/* The caller guarantees capacity (entries are bounded by the cache size). */
static void hmap_put(struct um3n_hmap *m, uint64_t key, uint32_t val)
{
	size_t i = mix64(key) & m->mask;

	assert(key != 0); /* 0 marks an empty slot */
	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & m->mask;
	m->keys[i] = key;
	m->vals[i] = val;
}

static void hmap_del(struct um3n_hmap *m, uint64_t key)
{
	size_t i = mix64(key) & m->mask, j;

	while (m->keys[i] != key) {
		if (m->keys[i] == 0)
			return;
		i = (i + 1) & m->mask;
	}
	/* Backward shift: pull later entries of the cluster into the hole when
	 * their home slot is not between the hole and them. */
	for (j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
		size_t home = mix64(m->keys[j]) & m->mask;

		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
}

/* The top bit keeps every key away from 0, which marks an empty slot:
 * 0.0.0.0:0 must be a key like any other (found only if bound). An IPv4
 * care-of is its own key; an IPv6 one (an uplink with only IPv6, or a NAT64
 * path) is an FNV-1a hash in a key space of its own (the second bit), so a
 * lookup compares the binding's own care-of before it answers. */
static uint64_t coa_key6(const struct um3n_sockaddr *coa)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < 16; i++)
		h = (h ^ coa->ip.bytes[i]) * 0x100000001b3ull;
	h = (h ^ coa->port) * 0x100000001b3ull;
	return 3ull << 62 | h >> 2;
}

static bool coa6_ok(const struct um3n_sockaddr *coa)
{
	static const uint8_t zero[16];

	return coa->ip.family == UM3N_AF_INET6 && memcmp(coa->ip.bytes, zero, 16) != 0;
}

/* Both are on every tunnelled datagram's path: IPv4 inline, IPv6 called
 * (out of line they cost the HA's decap 13 more instructions, 419). */
static inline uint64_t coa_key(const struct um3n_sockaddr *coa)
{
	if (coa->ip.family == UM3N_AF_INET)
		return 1ull << 63 | (uint64_t)um3n_addr_v4(&coa->ip) << 16 | coa->port;
	return coa_key6(coa);
}

/* No datagram comes from an unspecified address or port 0. */
static inline bool coa_ok(const struct um3n_sockaddr *coa)
{
	if (!coa->port)
		return false;
	if (coa->ip.family == UM3N_AF_INET)
		return um3n_addr_v4(&coa->ip) != 0;
	return coa6_ok(coa);
}

/* Every record's memory is allocated and touched at start (TigerBeetle's
 * static allocation): the HA's size is known then, and an MN's first
 * registration costs no allocation and no page faults (the kernel zeroing
 * fresh pages was 3/4 of it: bench/bench_scale.c). */
static void *alloc_zeroed(const struct um3n_env *env, size_t n, size_t size)
{
	void *p = n ? env->alloc(env->ctx, n * size) : NULL;

	if (p)
		memset(p, 0, n * size);
	return p;
}

int um3n_bcache_init(struct um3n_bcache *c, const struct um3n_env *env, size_t max_mns,
		     size_t resend_slots)
{
	memset(c, 0, sizeof(*c));
	if (max_mns == 0 || max_mns > (1u << 24) || resend_slots > (1u << 16))
		return UM3N_EINVAL;
	c->recs = alloc_zeroed(env, max_mns, sizeof(*c->recs));
	c->heap = alloc_zeroed(env, max_mns, sizeof(*c->heap));
	c->resend_pool = alloc_zeroed(env, max_mns * resend_slots, sizeof(*c->resend_pool));
	c->cap = max_mns;
	c->resend_slots = resend_slots;
	if (!c->recs || !c->heap || (resend_slots && !c->resend_pool) ||
	    hmap_init(&c->by_home, env, max_mns) ||
	    hmap_init(&c->by_coa, env, max_mns * UM3N_MAX_LINKS) ||
	    hmap_init(&c->by_prefix, env, max_mns * UM3N_HA_MN_PREFIXES)) {
		um3n_bcache_fini(c, env);
		return UM3N_ENOMEM;
	}
	return UM3N_OK;
}

/* The wake heap: heap[i] is a record index; recs[heap[i]].heap_pos == i + 1. */
static inline uint64_t heap_key(const struct um3n_bcache *c, size_t i)
{
	return c->recs[c->heap[i]].wake_us;
}

static void heap_set(struct um3n_bcache *c, size_t i, uint32_t idx)
{
	c->heap[i] = idx;
	c->recs[idx].heap_pos = (uint32_t)(i + 1);
}

static void heap_up(struct um3n_bcache *c, size_t i)
{
	uint32_t idx = c->heap[i];
	uint64_t key = c->recs[idx].wake_us;

	while (i > 0 && heap_key(c, (i - 1) / 2) > key) {
		heap_set(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(c, i, idx);
}

static void heap_down(struct um3n_bcache *c, size_t i)
{
	uint32_t idx = c->heap[i];
	uint64_t key = c->recs[idx].wake_us;

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= c->heap_n)
			break;
		if (k + 1 < c->heap_n && heap_key(c, k + 1) < heap_key(c, k))
			k++;
		if (heap_key(c, k) >= key)
			break;
		heap_set(c, i, c->heap[k]);
		i = k;
	}
	heap_set(c, i, idx);
}

static void heap_remove(struct um3n_bcache *c, struct um3n_mn_rec *rec)
{
	size_t i = rec->heap_pos - 1;
	uint32_t moved;

	assert(rec->heap_pos > 0 && i < c->heap_n && c->heap[i] == um3n_bcache_index(c, rec));
	rec->heap_pos = 0;
	rec->wake_us = UM3N_TIME_NONE;
	if (i == --c->heap_n)
		return;
	moved = c->heap[c->heap_n];
	heap_set(c, i, moved);
	heap_up(c, i);
	heap_down(c, c->recs[moved].heap_pos - 1);
}

void um3n_bcache_wake_at(struct um3n_bcache *c, struct um3n_mn_rec *rec, uint64_t at_us)
{
	assert(rec->used && at_us != UM3N_TIME_NONE);
	if (rec->heap_pos == 0) {
		assert(c->heap_n < c->cap);
		rec->wake_us = at_us;
		c->heap[c->heap_n++] = (uint32_t)um3n_bcache_index(c, rec);
		heap_up(c, c->heap_n - 1);
	} else if (at_us < rec->wake_us) {
		rec->wake_us = at_us;
		heap_up(c, rec->heap_pos - 1);
	}
	assert(c->heap[rec->heap_pos - 1] == um3n_bcache_index(c, rec));
}

struct um3n_mn_rec *um3n_bcache_wake_pop(struct um3n_bcache *c, uint64_t now_us)
{
	struct um3n_mn_rec *rec;

	if (!c->heap_n || heap_key(c, 0) > now_us)
		return NULL;
	rec = &c->recs[c->heap[0]];
	assert(rec->used && rec->heap_pos == 1);
	heap_remove(c, rec);
	return rec;
}

static void unindex_prefixes(struct um3n_bcache *c, struct um3n_mn_rec *rec);

static void rec_release(struct um3n_bcache *c, struct um3n_mn_rec *rec, const struct um3n_env *env)
{
	unindex_prefixes(c, rec);
	if (rec->heap_pos)
		heap_remove(c, rec);
	if (rec->policy)
		um3n_policy_free(rec->policy);
	if (rec->stage_buf)
		env->free(env->ctx, rec->stage_buf);
	um3n_datapath_fini(&rec->dp, env);
	memset(rec, 0, sizeof(*rec));
	if (um3n_bcache_index(c, rec) < c->free_hint)
		c->free_hint = um3n_bcache_index(c, rec);
}

void um3n_bcache_fini(struct um3n_bcache *c, const struct um3n_env *env)
{
	for (size_t i = 0; c->recs && i < c->cap; i++)
		if (c->recs[i].used)
			rec_release(c, &c->recs[i], env);
	if (c->recs)
		env->free(env->ctx, c->recs);
	if (c->heap)
		env->free(env->ctx, c->heap);
	if (c->resend_pool)
		env->free(env->ctx, c->resend_pool);
	hmap_fini(&c->by_home, env);
	hmap_fini(&c->by_coa, env);
	hmap_fini(&c->by_prefix, env);
	memset(c, 0, sizeof(*c));
}

struct um3n_mn_rec *um3n_bcache_find(const struct um3n_bcache *c, uint32_t home_v4)
{
	uint32_t idx;

	if (!home_v4 || !hmap_get(&c->by_home, home_v4, &idx))
		return NULL;
	assert(idx < c->cap && c->recs[idx].used && c->recs[idx].home_v4 == home_v4);
	return &c->recs[idx];
}

/* ---- prefixes: the downlink to what lies behind an MN ---- */

static int fam(uint8_t family) { return family == UM3N_AF_INET6; }

/* The key of a's first plen bits: FNV-1a over the masked bytes, the length
 * and the family, never 0 (an empty slot). */
static uint64_t prefix_key(const struct um3n_addr *a, uint8_t plen)
{
	size_t n = a->family == UM3N_AF_INET ? 4 : 16, full = plen / 8;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = i < full ? a->bytes[i]
			    : i == full && plen % 8
				    ? (uint8_t)(a->bytes[i] & (0xff00u >> (plen % 8)))
				    : 0;

		h = (h ^ b) * 0x100000001b3ull;
	}
	h = (h ^ plen ^ (uint64_t)a->family << 8) * 0x100000001b3ull;
	return h ? h : 1;
}

static void unindex_prefixes(struct um3n_bcache *c, struct um3n_mn_rec *rec)
{
	for (size_t i = 0; i < rec->n_prefixes; i++) {
		const struct um3n_prefix *p = &rec->prefixes[i];

		if (!(rec->prefix_indexed >> i & 1))
			continue;
		hmap_del(&c->by_prefix, prefix_key(&p->addr, p->plen));
		assert(c->plen_used[fam(p->addr.family)][p->plen] > 0);
		c->plen_used[fam(p->addr.family)][p->plen]--;
	}
	rec->prefix_indexed = 0;
}

size_t um3n_bcache_set_prefixes(struct um3n_bcache *c, struct um3n_mn_rec *rec,
				const struct um3n_prefix *p, size_t n)
{
	size_t left_out = 0;
	uint32_t idx;

	assert(rec->used && n <= UM3N_HA_MN_PREFIXES);
	unindex_prefixes(c, rec);
	rec->n_prefixes = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = prefix_key(&p[i].addr, p[i].plen);

		rec->prefixes[i] = p[i];
		if (hmap_get(&c->by_prefix, k, &idx)) { /* the same prefix, or this one twice */
			left_out++;
			continue;
		}
		hmap_put(&c->by_prefix, k, (uint32_t)um3n_bcache_index(c, rec));
		c->plen_used[fam(p[i].addr.family)][p[i].plen]++;
		rec->prefix_indexed |= (uint8_t)(1u << i);
	}
	return left_out;
}

struct um3n_mn_rec *um3n_bcache_find_prefix(const struct um3n_bcache *c, const struct um3n_addr *a)
{
	int f = fam(a->family);

	for (int plen = f ? 128 : 32; plen >= 0; plen--) {
		const struct um3n_mn_rec *rec;
		uint32_t idx;

		if (!c->plen_used[f][plen] ||
		    !hmap_get(&c->by_prefix, prefix_key(a, (uint8_t)plen), &idx))
			continue;
		assert(idx < c->cap && c->recs[idx].used);
		rec = &c->recs[idx];
		/* a 64-bit hash may collide: the record's own prefix decides */
		for (size_t i = 0; i < rec->n_prefixes; i++)
			if (rec->prefixes[i].plen == plen && um3n_prefix_has(&rec->prefixes[i], a))
				return &c->recs[idx];
	}
	return NULL;
}

struct um3n_mn_rec *um3n_bcache_get(struct um3n_bcache *c, const struct um3n_env *env,
				    uint32_t home_v4, uint64_t seed)
{
	struct um3n_mn_rec *rec = um3n_bcache_find(c, home_v4);
	struct um3n_prng prng;

	if (rec || !home_v4 || c->n_used == c->cap)
		return rec;
	/* The lowest free index, as a plain scan would find it, without
	 * walking the used ones below: O(1) while records only arrive. */
	for (size_t i = c->free_hint; i < c->cap; i++) {
		if (c->recs[i].used)
			continue;
		rec = &c->recs[i];
		um3n_prng_seed(&prng, seed ^ home_v4);
		if (um3n_datapath_init(&rec->dp, env, UM3N_MAX_LINKS, 0, &prng,
				       UM3N_DATAPATH_BY_SRC))
			return NULL;
		um3n_resend_lend(&rec->dp.resend, c->resend_pool + i * c->resend_slots,
				 c->resend_slots);
		um3n_datapath_reorder_attach(&rec->dp, c->rpool);
		rec->dp.aqm = c->aqm;
		um3n_pacer_init(&rec->dp.pacer, env, c->pace);
		rec->dp.measure_rate = c->measure_rate;
		if (c->arq_self_v4)
			um3n_arq_enable(&rec->dp, c->arq_self_v4, home_v4);
		c->free_hint = i + 1;
		rec->used = true;
		rec->home_v4 = home_v4;
		rec->wake_us = UM3N_TIME_NONE;
		for (int l = 0; l < UM3N_MAX_LINKS; l++)
			um3n_linkmon_init(&rec->b[l].lm);
		hmap_put(&c->by_home, home_v4, (uint32_t)i);
		c->n_used++;
		assert(c->n_used <= c->cap);
		return rec;
	}
	return NULL;
}

struct um3n_mn_rec *um3n_bcache_find_coa(const struct um3n_bcache *c,
					 const struct um3n_sockaddr *coa, int *link)
{
	uint32_t v;

	if (!coa_ok(coa) || !hmap_get(&c->by_coa, coa_key(coa), &v))
		return NULL;
	*link = (int)(v & 7);
	assert(v >> 3 < c->cap && c->recs[v >> 3].used && c->recs[v >> 3].b[*link].active);
	/* An IPv4 care-of is its own key: only a hash is checked (per datagram,
	 * the comparison cost the HA's decap 45 of its 464 instructions). */
	if (coa->ip.family == UM3N_AF_INET6 &&
	    !um3n_sockaddr_eq(&c->recs[v >> 3].b[*link].coa, coa))
		return NULL; /* an IPv6 care-of whose hash another one holds */
	return &c->recs[v >> 3];
}

size_t um3n_bcache_index(const struct um3n_bcache *c, const struct um3n_mn_rec *rec)
{
	assert(rec >= c->recs && rec < c->recs + c->cap);
	return (size_t)(rec - c->recs);
}

bool um3n_bcache_bind_ok(const struct um3n_bcache *c, const struct um3n_mn_rec *rec, int link,
			 const struct um3n_sockaddr *coa)
{
	uint32_t v;

	assert(rec->used && link >= 0 && link < UM3N_MAX_LINKS);
	if (!coa_ok(coa))
		return false;
	/* By the key, not the care-of: an IPv6 care-of whose hash another
	 * binding holds is refused (2^-62 by chance), never put over it. */
	return !hmap_get(&c->by_coa, coa_key(coa), &v) ||
	       v == (uint32_t)(um3n_bcache_index(c, rec) << 3 | (unsigned)link);
}

int um3n_bcache_bind(struct um3n_bcache *c, struct um3n_mn_rec *rec, int link,
		     const struct um3n_sockaddr *coa)
{
	struct um3n_binding *b = &rec->b[link];

	if (!um3n_bcache_bind_ok(c, rec, link, coa))
		return UM3N_EINVAL;
	if (b->active && !um3n_sockaddr_eq(&b->coa, coa))
		hmap_del(&c->by_coa, coa_key(&b->coa));
	b->coa = *coa;
	b->active = true;
	hmap_put(&c->by_coa, coa_key(coa),
		 (uint32_t)(um3n_bcache_index(c, rec) << 3 | (unsigned)link));
	return UM3N_OK;
}

void um3n_bcache_note_gone(struct um3n_bcache *c, const struct um3n_mn_rec *rec, int link,
			   uint64_t now_us)
{
	struct um3n_bcache_gone *g = &c->gone[c->gone_next];

	assert(rec->used && link >= 0 && link < UM3N_MAX_LINKS && rec->b[link].active);
	assert(c->gone_next < UM3N_BCACHE_GONE);
	g->key = coa_key(&rec->b[link].coa);
	g->until_us = now_us + UM3N_BCACHE_GONE_GRACE_US;
	c->gone_next = (c->gone_next + 1) % UM3N_BCACHE_GONE;
}

/* A scan of the ring: only datagrams no binding claims come here. */
bool um3n_bcache_recently_gone(const struct um3n_bcache *c, const struct um3n_sockaddr *coa,
			       uint64_t now_us)
{
	uint64_t key;

	if (!coa_ok(coa))
		return false;
	key = coa_key(coa);
	for (size_t i = 0; i < UM3N_BCACHE_GONE; i++)
		if (c->gone[i].key == key && now_us < c->gone[i].until_us)
			return true;
	return false;
}

struct um3n_mn_rec *um3n_bcache_rec_of(const struct um3n_bcache *c, const struct um3n_binding *b)
{
	size_t i = (size_t)((const char *)b - (const char *)c->recs) / sizeof(*c->recs);

	assert(i < c->cap && b >= c->recs[i].b && b < c->recs[i].b + UM3N_MAX_LINKS);
	return &c->recs[i];
}

size_t um3n_bcache_rec_bindings(const struct um3n_mn_rec *rec)
{
	size_t n = 0;

	for (int l = 0; l < UM3N_MAX_LINKS; l++)
		n += rec->b[l].active;
	return n;
}

bool um3n_bcache_unbind(struct um3n_bcache *c, const struct um3n_env *env, struct um3n_mn_rec *rec,
			int link)
{
	struct um3n_binding *b = &rec->b[link];

	assert(rec->used && link >= 0 && link < UM3N_MAX_LINKS);
	assert(um3n_bcache_index(c, rec) < c->cap && c->n_used > 0);
	if (b->active)
		hmap_del(&c->by_coa, coa_key(&b->coa));
	memset(b, 0, sizeof(*b));
	um3n_linkmon_init(&b->lm);
	um3n_datapath_link_reset(&rec->dp, link);
	if (um3n_bcache_rec_bindings(rec) == 0) {
		hmap_del(&c->by_home, rec->home_v4);
		rec_release(c, rec, env);
		c->n_used--;
		return true;
	}
	return false;
}
