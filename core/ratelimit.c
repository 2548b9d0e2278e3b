/* Per-source token buckets for registration requests (ratelimit.h). */
#include "ratelimit.h"

#include <assert.h>
#include <string.h>

/* SplitMix64's finaliser: a seeded mix, so the set a source lands in cannot be
 * chosen by whoever picks the source port. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Never 0 (the empty key). IPv4 keys are exact; an IPv6 source folds into 64 bits. */
static uint64_t source_key(const struct um3n_sockaddr *from)
{
	uint64_t k = (uint64_t)from->port << 32 | (uint64_t)from->ip.family << 48;

	if (from->ip.family == UM3N_AF_INET6) {
		uint64_t hi, lo;

		memcpy(&hi, from->ip.bytes, 8);
		memcpy(&lo, from->ip.bytes + 8, 8);
		return k ^ mix(hi ^ mix(lo)) ^ 1;
	}
	return k | um3n_addr_v4(&from->ip) | 1ull << 56;
}

int um3n_ratelimit_init(struct um3n_ratelimit *rl, const struct um3n_env *env, size_t sources,
			uint32_t rate_per_s, uint32_t burst, uint64_t seed)
{
	size_t n = UM3N_RATELIMIT_MIN_SLOTS;

	memset(rl, 0, sizeof(*rl));
	if (!env || rate_per_s == 0 || burst == 0)
		return UM3N_EINVAL;
	while (n < sources && n < UM3N_RATELIMIT_MAX_SLOTS)
		n *= 2;
	rl->slots = env->alloc(env->ctx, n * sizeof(*rl->slots));
	if (!rl->slots)
		return UM3N_ENOMEM;
	memset(rl->slots, 0, n * sizeof(*rl->slots));
	rl->mask = n / UM3N_RATELIMIT_WAYS - 1;
	rl->interval_us = 1000000u / rate_per_s;
	if (rl->interval_us == 0)
		rl->interval_us = 1;
	rl->tolerance_us = (uint64_t)(burst - 1) * rl->interval_us;
	rl->seed = seed;
	return UM3N_OK;
}

void um3n_ratelimit_fini(struct um3n_ratelimit *rl, const struct um3n_env *env)
{
	if (rl->slots)
		env->free(env->ctx, rl->slots);
	memset(rl, 0, sizeof(*rl));
}

bool um3n_ratelimit_allow(struct um3n_ratelimit *rl, const struct um3n_sockaddr *from,
			  uint64_t now_us)
{
	uint64_t key = source_key(from);
	struct um3n_ratelimit_slot *set, *s = NULL;

	assert(rl->slots && rl->interval_us > 0);
	set = rl->slots + (mix(key ^ rl->seed) & rl->mask) * UM3N_RATELIMIT_WAYS;
	for (int w = 0; w < UM3N_RATELIMIT_WAYS && !s; w++)
		if (set[w].key == key)
			s = &set[w];
	if (!s) {
		/* The way idle longest (its bucket the fullest) makes room. */
		s = &set[0];
		for (int w = 1; w < UM3N_RATELIMIT_WAYS; w++)
			if (set[w].tat_us < s->tat_us)
				s = &set[w];
		s->key = key;
		s->tat_us = now_us;
	}
	return um3n_ratelimit_gcra(&s->tat_us, now_us, rl->interval_us, rl->tolerance_us);
}
