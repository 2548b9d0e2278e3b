/* One direction of a simulated link (after picoquic's sim_link.c, own code).
 *
 * A FIFO serialiser at a constant rate or at the rate of a bandwidth trace,
 * then a propagation delay plus seeded jitter. Packets never overtake each
 * other on one link unless allow_reorder is set. Losses:
 *  - drop-tail: the bytes still waiting to be serialised would exceed
 *    queue_bytes;
 *  - random loss and Gilbert-Elliott bursts: the packet uses the air time
 *    (it is serialised) and then does not arrive;
 *  - outages ("cut"): nothing that is on the link during [start, end)
 *    arrives; the engine is not told (carrier "down" events are the driver's
 *    business, see world_run.c). Any number, in any order, overlapping or
 *    not: the link keeps their union sorted and checks a packet against it
 *    in O(1) amortised.
 * All decisions are made when the packet is submitted, so the link needs no
 * events of its own: the driver schedules one arrival per delivered packet. */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "um3n.h"

#define SIM_LINK_RING 8192  /* packets waiting for the serialiser (bounded queue) */
#define SIM_PPB 1000000000U /* probabilities are integers in parts per billion */

struct sim_outage {
	uint64_t start_us, end_us;
	bool carrier; /* also a carrier-down event for the MN (world_run.c) */
};

struct sim_link_conf {
	uint64_t rate_bps;             /* constant rate when trace is NULL */
	const struct sim_trace *trace; /* rate follows this curve (not owned) */
	uint32_t delay_us;             /* one-way propagation */
	uint32_t jitter_us;            /* uniform extra delay in [0, jitter_us] */
	bool allow_reorder;            /* jitter may reorder packets */
	uint32_t queue_bytes;          /* drop-tail limit; 0 = unlimited */
	uint32_t loss_ppb;             /* independent random loss */
	/* Gilbert-Elliott: per-packet transition probabilities and loss in each state. */
	uint32_t ge_p_gb_ppb, ge_p_bg_ppb, ge_loss_good_ppb, ge_loss_bad_ppb;
	size_t n_outages;
	const struct sim_outage *outages; /* n_outages of them (copied by sim_link_init) */
	uint64_t seed;
};

enum sim_link_verdict {
	SIM_LINK_DELIVER = 0,
	SIM_LINK_DROP_QUEUE = 1,
	SIM_LINK_DROP_LOSS = 2,
	SIM_LINK_DROP_OUTAGE = 3,
};

struct sim_link_stats {
	uint64_t sent_pkts, sent_bytes;       /* submitted */
	uint64_t deliver_pkts, deliver_bytes; /* will arrive */
	uint64_t drop_queue, drop_loss, drop_outage;
};

struct sim_link {
	struct sim_link_conf conf;
	uint64_t cursor_ubits; /* capacity position the serialiser has used up to */
	uint64_t last_arrive_us;
	struct um3n_prng loss_rng, jitter_rng;
	bool ge_bad;
	/* serialiser backlog: (tx_end, len) of packets not yet fully sent */
	uint64_t ring_end_us[SIM_LINK_RING];
	uint32_t ring_len[SIM_LINK_RING];
	size_t ring_head, ring_count;
	uint64_t backlog_bytes;
	struct sim_link_stats stats;
	/* the union of the outages: sorted, disjoint, not touching */
	struct sim_outage *span;
	size_t n_span, span_cur; /* spans before span_cur ended before the last submit */
};

/* Copies conf (the outages into a table of its own). Errors: UM3N_EINVAL (no
 * rate and no trace, bad probability, outage end before start), UM3N_ENOMEM.
 * sim_link_free releases what init allocated (also after a failed init). */
int sim_link_init(struct sim_link *l, const struct sim_link_conf *conf);
void sim_link_free(struct sim_link *l);

/* Submit a len-byte packet at now_us (non-decreasing between calls). Sets
 * *verdict and, for SIM_LINK_DELIVER, *arrive_us. Returns 0. */
int sim_link_submit(struct sim_link *l, uint64_t now_us, uint32_t len,
		    enum sim_link_verdict *verdict, uint64_t *arrive_us);

/* Bytes waiting for the serialiser at now_us. */
uint64_t sim_link_backlog(struct sim_link *l, uint64_t now_us);
/* Is the link inside a scheduled outage at t_us? */
bool sim_link_in_outage(const struct sim_link *l, uint64_t t_us);
/* Serialisation time of len bytes starting on an idle link at t_us. */
uint64_t sim_link_tx_time_us(const struct sim_link *l, uint64_t t_us, uint32_t len);
const char *sim_link_verdict_name(enum sim_link_verdict v);

#endif
