/* Shared helpers: error names, addresses, logging, the deterministic PRNG. */
#include "um3n.h"

#include "engine.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h> /* vsnprintf only: formatting, not I/O */
#include <string.h>

const char *um3n_strerror(int err)
{
	switch (err) {
	case UM3N_OK: return "OK";
	case UM3N_EINVAL: return "EINVAL: invalid argument or malformed field";
	case UM3N_ETRUNC: return "ETRUNC: truncated input";
	case UM3N_ETOOBIG: return "ETOOBIG: exceeds a limit or the buffer";
	case UM3N_EUNKNOWN: return "EUNKNOWN: unknown type or non-skippable extension";
	case UM3N_EAUTH: return "EAUTH: authentication failed";
	case UM3N_EREPLAY: return "EREPLAY: identification not fresh";
	case UM3N_ENOMEM: return "ENOMEM: out of memory or pool exhausted";
	case UM3N_ENOBUFS: return "ENOBUFS: queue full";
	case UM3N_ENOENT: return "ENOENT: no such entry";
	case UM3N_ENOLINK: return "ENOLINK: no usable link";
	case UM3N_ESTATE: return "ESTATE: not valid in this state";
	case UM3N_EDUP: return "EDUP: duplicate";
	default: return "unknown error";
	}
}

bool um3n_addr_eq(const struct um3n_addr *a, const struct um3n_addr *b)
{
	size_t n = a->family == UM3N_AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

bool um3n_prefix_has(const struct um3n_prefix *p, const struct um3n_addr *a)
{
	size_t full = p->plen / 8, rest = p->plen % 8;

	assert(p->plen <= (p->addr.family == UM3N_AF_INET ? 32 : 128));
	if (p->addr.family != a->family || memcmp(p->addr.bytes, a->bytes, full))
		return false;
	return !rest || ((p->addr.bytes[full] ^ a->bytes[full]) & (0xff00u >> rest)) == 0;
}

bool um3n_sockaddr_eq(const struct um3n_sockaddr *a, const struct um3n_sockaddr *b)
{
	return a->port == b->port && um3n_addr_eq(&a->ip, &b->ip);
}

void um3n_addr_from_v4(struct um3n_addr *a, uint32_t v4_host)
{
	memset(a, 0, sizeof(*a));
	a->family = UM3N_AF_INET;
	um3n_put32(a->bytes, v4_host);
}

int um3n_addr_parse(const char *text, struct um3n_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return UM3N_EINVAL;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = UM3N_AF_INET;
		return UM3N_OK;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = UM3N_AF_INET6;
		return UM3N_OK;
	}
	memset(out, 0, sizeof(*out));
	return UM3N_EINVAL;
}

int um3n_addr_format(const struct um3n_addr *a, char *buf, size_t cap)
{
	int af = a->family == UM3N_AF_INET ? AF_INET : a->family == UM3N_AF_INET6 ? AF_INET6 : -1;

	assert(buf && cap > 0);
	if (af < 0 || !inet_ntop(af, a->bytes, buf, (socklen_t)cap))
		return UM3N_EINVAL;
	return UM3N_OK;
}

void um3n_log(const struct um3n_env *env, int level, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	assert(fmt);
	assert(level >= UM3N_LOG_ERR && level <= UM3N_LOG_DEBUG);
	if (!env || !env->log || level > env->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	env->log(env->ctx, level, line);
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void um3n_prng_seed(struct um3n_prng *p, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
	assert(p->s[0] | p->s[1] | p->s[2] | p->s[3]);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t um3n_prng_next(struct um3n_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	/* xoshiro256**: the all-zero state is a fixed point (an unseeded PRNG). */
	assert(s[0] | s[1] | s[2] | s[3]);
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t um3n_prng_below(struct um3n_prng *p, uint64_t bound)
{
	/* Rejection sampling keeps the distribution exact (no modulo bias). */
	uint64_t limit, x;

	assert(bound > 0);
	limit = UINT64_MAX - UINT64_MAX % bound;
	do
		x = um3n_prng_next(p);
	while (x >= limit);
	return x % bound;
}
