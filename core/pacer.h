/* The sender's own queue for aggregate rules (ARCHITECTURE.md §4, "the cut
 * at the equalised round trip").
 *
 * One TCP flow spread over two links cuts its one window whenever either
 * link's queue drops a packet, and it cuts it at the round trip of the slower
 * link, which the receiver's delay equalisation imposes on every packet. In
 * front of each radio link there is typically a short queue (FqCoDel's 5 ms
 * target, a tenth of the equalised round trip), so after a cut to 70% of the
 * window the slower link idles until the window has grown back, seconds for
 * CUBIC. So the sender makes itself the bottleneck: it holds the packets of
 * aggregate rules here and releases them at pct% of the sum of its usable
 * links' measured rates (rateest.h), a little under what they carry. The
 * radios' queues then stay short and do not drop; the standing queue is this
 * one, where a cut drains held packets instead of idling a link, and where a
 * packet past queue_bytes is dropped (drop-tail: the sender's TCP sees it at
 * once). Measured with a perfectly paced bottleneck in front of the HA
 * (tools/sweeps/aggregate-core.ini): one CUBIC flow over the ns-3 testbed's
 * links got 16.59 Mbit/s at 99% of their capacity with 150 KB, 15.96 with
 * none; 3% under, 16.17; with 75 KB less than none at all. The cost: a
 * capacity that rises is used only once the estimate has followed it
 * (ARCHITECTURE.md §4, "The pacer").
 *
 * Sans-IO like the rest of the engine: the engine pushes a packet, releases
 * what is due at every input and timeout (um3n_pacer_next_us says when), and
 * sends each released packet by its rule as if it had just arrived. The
 * memory (queue_bytes and the entries) is allocated at the first push, so an
 * HA's MNs without aggregate traffic cost nothing. */
#ifndef UM3N_PACER_H
#define UM3N_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "um3n.h"
#include "wire.h"

/* The defaults: 99% of the links' rates (in um3n-ns3sim one CUBIC flow over
 * the testbed's pair got 16.62 Mbit/s at 99%, 16.44 at 97%, less than
 * without a pacer at 95%, 16.02 without; the ns-3 testbed agreed, 97.0% of
 * MPTCP's goodput at 99% and 96.5% at 97%, medians) and 150 KB (about a
 * round trip of that pair at its equalised 58 ms and more; 75 KB lost to
 * the tail drops' bursts). */
#define UM3N_PACER_PCT 99
#define UM3N_PACER_QUEUE_BYTES 150000
/* After an idle spell the next packets may go this much at once: a queue
 * that restarts must not wait a packet's time for each of its first few. */
#define UM3N_PACER_BURST_US 2000

struct um3n_pacer_conf {
	uint32_t pct;         /* of the links' rates; 0: no pacing (the packets go at once) */
	uint32_t queue_bytes; /* packet bytes held at most */
};

struct um3n_pacer_stats {               /* all uint64_t: `um3nctl show` prints them as one table */
	uint64_t queued, sent, dropped; /* packets */
	uint64_t bytes, max_bytes;      /* held now, and the most held */
	uint64_t rate_kbps;             /* the last release rate */
};

struct um3n_pacer_ent {
	uint32_t off, len;
};

struct um3n_pacer {
	const struct um3n_pacer_conf *conf; /* NULL or pct 0: off */
	const struct um3n_env *env;
	struct um3n_pacer_ent *ents; /* a ring of cap_ents */
	size_t cap_ents, head, n;
	uint8_t *buf; /* buf_bytes: each entry's bytes contiguous, in order */
	size_t buf_bytes, wpos;
	uint64_t next_us; /* the head may go at this time */
	struct um3n_pacer_stats st;
};

#define UM3N_PACER_QUEUE_MIN UM3N_PKT_MAX /* a packet must fit */
#define UM3N_PACER_QUEUE_MAX (16u << 20)
static inline bool um3n_pacer_conf_ok(const struct um3n_pacer_conf *c)
{
	return c->pct <= 100 && c->queue_bytes >= UM3N_PACER_QUEUE_MIN &&
	       c->queue_bytes <= UM3N_PACER_QUEUE_MAX;
}

/* env and conf must outlive p (the engine's own copies). */
void um3n_pacer_init(struct um3n_pacer *p, const struct um3n_env *env,
		     const struct um3n_pacer_conf *conf);
void um3n_pacer_fini(struct um3n_pacer *p);

static inline bool um3n_pacer_on(const struct um3n_pacer *p) { return p->conf && p->conf->pct; }

/* Holds a copy of pkt. UM3N_ENOBUFS: dropped (held bytes would pass
 * queue_bytes, or no memory), counted. */
int um3n_pacer_push(struct um3n_pacer *p, const uint8_t *pkt, size_t len, uint64_t now_us);

/* The head packet if it is due at now_us at rate_bps (0: nothing goes: no
 * usable link), else NULL. um3n_pacer_pop() then drops it from the queue
 * and charges its wire_bytes to the rate; the bytes stay valid until the
 * next push. */
const uint8_t *um3n_pacer_due(const struct um3n_pacer *p, uint64_t now_us, uint64_t rate_bps,
			      size_t *len);
void um3n_pacer_pop(struct um3n_pacer *p, uint64_t now_us, uint64_t rate_bps, size_t wire_bytes);

/* Drops everything held (counted); returns how many. */
size_t um3n_pacer_clear(struct um3n_pacer *p);

/* When the head packet is due; UM3N_TIME_NONE when nothing is held. */
static inline uint64_t um3n_pacer_next_us(const struct um3n_pacer *p)
{
	return p->n ? p->next_us : UM3N_TIME_NONE;
}

#endif
