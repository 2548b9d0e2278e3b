/* um3n — common types, error codes and the environment every engine is given.
 *
 * core/ is sans-IO (docs/ARCHITECTURE.md, "Engines"): no sockets, clocks, stdio, libc
 * randomness or heap calls here.
 * Time arrives as `now_us` (monotonic microseconds), randomness from a PRNG seeded
 * by the caller, memory through the injected allocator, logs through a callback. */
#ifndef UM3N_H
#define UM3N_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Time: monotonic microseconds in a uint64_t everywhere (`now_us`, deadlines
 * `*_us`), and one "no deadline" value, as ngtcp2 has one for ngtcp2_tstamp:
 * a deadline of UM3N_TIME_NONE never comes due and is never the next wake-up. */
#define UM3N_TIME_NONE UINT64_MAX

/* Every function that "does" something returns 0 or one of these. */
enum um3n_err {
	UM3N_OK = 0,
	UM3N_EINVAL = -1,   /* bad argument, malformed field or configuration */
	UM3N_ETRUNC = -2,   /* input shorter than its own headers or lengths say */
	UM3N_ETOOBIG = -3,  /* input or output exceeds a named limit or the buffer */
	UM3N_EUNKNOWN = -4, /* unknown message type or non-skippable extension */
	UM3N_EAUTH = -5,    /* authenticator missing or wrong */
	UM3N_EREPLAY = -6,  /* identification / sequence number not fresh */
	UM3N_ENOMEM = -7,   /* allocator refused or a fixed pool is exhausted */
	UM3N_ENOBUFS = -8,  /* a bounded queue is full: the packet was dropped */
	UM3N_ENOENT = -9,   /* no such binding, link, rule … */
	UM3N_ENOLINK = -10, /* no usable uplink / binding to send on */
	UM3N_ESTATE = -11,  /* not valid in the current state */
	UM3N_EDUP = -12,    /* duplicate (already seen) packet: dropped on purpose */
};

/* Human-readable name of an error code ("EINVAL: …"); never NULL. */
const char *um3n_strerror(int err);

#define UM3N_AF_INET 4
#define UM3N_AF_INET6 6

/* An IPv4 or IPv6 address. IPv4 lives in bytes[0..3], network order. */
struct um3n_addr {
	uint8_t family; /* UM3N_AF_INET or UM3N_AF_INET6; 0 = unset */
	uint8_t bytes[16];
};

struct um3n_sockaddr {
	struct um3n_addr ip;
	uint16_t port; /* host order */
};

/* Aggregation's view of one link's rate, for status (rateest.h): the
 * configured weight, the measured rate (0: not measured, rate_estimate = no),
 * the last window's delivery and the queueing delay the far end reported. */
struct um3n_rate_status {
	uint32_t weight_kbps, rate_kbps, delivered_kbps, queue_us;
	uint64_t windows, probes; /* the estimate's windows closed and probes */
	/* windows that found the link full (a queue throughout): aggregation
	 * spills from a faster link while its last one did (linksched.h's
	 * bool full, which this counts) */
	uint64_t full_windows;
};

bool um3n_addr_eq(const struct um3n_addr *a, const struct um3n_addr *b);
bool um3n_sockaddr_eq(const struct um3n_sockaddr *a, const struct um3n_sockaddr *b);
/* IPv4 address from/to a host-order uint32_t. */
void um3n_addr_from_v4(struct um3n_addr *a, uint32_t v4_host);
static inline uint32_t um3n_addr_v4(const struct um3n_addr *a);
/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or UM3N_EINVAL. */
int um3n_addr_parse(const char *text, struct um3n_addr *out);
/* Format into buf (at least 46 bytes for IPv6). Returns 0 or UM3N_EINVAL. */
int um3n_addr_format(const struct um3n_addr *a, char *buf, size_t cap);

enum um3n_log_level {
	UM3N_LOG_ERR = 0,
	UM3N_LOG_WARN = 1,
	UM3N_LOG_INFO = 2,
	UM3N_LOG_DEBUG = 3,
};

/* What a driver gives an engine. `log` may be NULL (silent); `alloc`/`free` are
 * required and are only called at create/destroy time and on control-plane
 * events (a new MN binding, a policy table update), never per data packet. */
struct um3n_env {
	void *ctx;
	void (*log)(void *ctx, int level, const char *msg);
	int log_level; /* messages above this level are not formatted at all */
	void *(*alloc)(void *ctx, size_t size); /* zeroed memory or NULL */
	void (*free)(void *ctx, void *ptr);
	uint64_t
		seed; /* PRNG seed: the daemons draw it from the kernel, the simulator from --seed */
};

/* Formats and emits a log line through env->log when level <= env->log_level. */
void um3n_log(const struct um3n_env *env, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A small deterministic PRNG (xoshiro256**), seeded through splitmix64. */
struct um3n_prng {
	uint64_t s[4];
};
void um3n_prng_seed(struct um3n_prng *p, uint64_t seed);
uint64_t um3n_prng_next(struct um3n_prng *p);
/* Uniform in [0, bound), bound > 0. */
uint64_t um3n_prng_below(struct um3n_prng *p, uint64_t bound);

/* Big-endian loads/stores used by every codec. */
static inline uint16_t um3n_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t um3n_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t um3n_get64(const uint8_t *p)
{
	return (uint64_t)um3n_get32(p) << 32 | um3n_get32(p + 4);
}
static inline void um3n_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void um3n_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void um3n_put64(uint8_t *p, uint64_t v)
{
	um3n_put32(p, (uint32_t)(v >> 32));
	um3n_put32(p + 4, (uint32_t)v);
}

static inline uint32_t um3n_addr_v4(const struct um3n_addr *a)
{
	return a->family == UM3N_AF_INET ? um3n_get32(a->bytes) : 0;
}

#endif
