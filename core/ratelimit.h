/* Token buckets per source ip:port in a fixed table (sans-IO): the HA's cheap
 * check on registration requests before it computes an authenticator
 * (ha_reg.c). Each bucket is kept as GCRA's theoretical arrival instant
 * (one 64-bit instant per source): a request at `now` passes while the bucket's time
 * is at most (burst - 1) intervals ahead of now, and moves it one interval on.
 * The table is set-associative (4 ways); a new source takes the way of its
 * set that has been idle longest, so the table never allocates after init and
 * an evicted source just starts again with a full bucket. */
#ifndef UM3N_RATELIMIT_H
#define UM3N_RATELIMIT_H

#include "um3n.h"

#define UM3N_RATELIMIT_WAYS 4
#define UM3N_RATELIMIT_MIN_SLOTS 1024
#define UM3N_RATELIMIT_MAX_SLOTS 65536

struct um3n_ratelimit_slot {
	uint64_t key; /* 0: empty */
	uint64_t tat_us;
};

struct um3n_ratelimit {
	struct um3n_ratelimit_slot *slots;
	size_t mask;           /* sets - 1 */
	uint64_t interval_us;  /* 1 s / rate */
	uint64_t tolerance_us; /* (burst - 1) * interval */
	uint64_t seed;         /* hash key: sources cannot aim at one set */
};

/* One GCRA bucket: true (and one interval charged) if *tat_us is at most
 * tolerance_us ahead of now_us. The table below keeps one per source; the HA
 * also keeps one for all sources it has no binding for. */
static inline bool um3n_ratelimit_gcra(uint64_t *tat_us, uint64_t now_us, uint64_t interval_us,
				       uint64_t tolerance_us)
{
	if (*tat_us < now_us)
		*tat_us = now_us; /* a full bucket holds burst tokens, no more */
	if (*tat_us - now_us > tolerance_us)
		return false;
	*tat_us += interval_us;
	return true;
}

/* At least `sources` slots (power of two, clamped to MIN..MAX_SLOTS); rate
 * per second > 0, burst >= 1. Errors: UM3N_EINVAL, UM3N_ENOMEM. */
int um3n_ratelimit_init(struct um3n_ratelimit *rl, const struct um3n_env *env, size_t sources,
			uint32_t rate_per_s, uint32_t burst, uint64_t seed);
void um3n_ratelimit_fini(struct um3n_ratelimit *rl, const struct um3n_env *env);
/* True if a request from `from` at now_us is within its bucket (and takes a
 * token); false if it is over the rate. */
bool um3n_ratelimit_allow(struct um3n_ratelimit *rl, const struct um3n_sockaddr *from,
			  uint64_t now_us);

#endif
