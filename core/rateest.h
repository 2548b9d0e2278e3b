/* A link's delivery rate, as the sender learns it from the receiver's
 * reports. Aggregation (linksched.h) spreads a flow over the links in
 * proportion to their rates; a configured weight_kbps is right only on the
 * day it was measured, and cellular and WiFi capacity changes by the second
 * (the traces in traces/links/). So the receiver of each direction reports,
 * in the link probes (tunnel.h), what it got on the link (a byte counter, by
 * its own clock) and the link's queueing delay as it sees it (its one-way
 * delay above the path's windowed minimum). Once per window of its clock the
 * sender turns them into the link's rate:
 *
 *  - a window whose smallest queue report is above QBUSY found the link
 *    busy throughout, so what it delivered is what the link can carry now
 *    (whoever else uses it): the estimate moves a quarter of the way to it
 *    (a sample per window is noisy: ±1 packet of 30 at 3.6 Mbit/s);
 *  - a window without a queue that delivered more than the estimate: the
 *    link carries at least that (a max, as BBR's bottleneck filter);
 *  - a window without a queue that delivered about the estimate (7/8 of
 *    it or more) is followed by a probe, at 9/8 of the estimate; what it
 *    finds is one of the two cases above, and a probe that found more is
 *    followed by another. The link stays at the estimate between probes,
 *    so the scheduler's shares do not swing (a gain cycle per link moved
 *    every packet's choice and reordered an open-loop flow). Not 5/4, as
 *    BBR probes for one round trip: a whole window at 5/4 overfills a
 *    shallow radio queue (30 packets in the ns-3 testbed) and cost one
 *    CUBIC flow 3% in um3n-ns3sim (seeds 1-4), 9/8 none;
 *  - a probe that found no more left a queue (up to an eighth of a
 *    window) on a link the sender fills, which the estimate's own rate
 *    would never drain: the next window gives the link that queue less,
 *    as the receiver last reported it (at most 1/8 of the window; none
 *    under 1 ms), as BBR drains after its probe. Without it the ns-3
 *    testbed's FqCoDel dropped from those standing queues behind the
 *    pacer (pacer.h), and one CUBIC flow cut its window a second time
 *    0.5-1 s after each cut;
 *  - with no configured start, a startup doubles the rate each window until
 *    a queue forms or the delivery grows less than 1/4 three windows in a
 *    row (BBR's "full pipe").
 *
 * The configured weight is the estimate until reports come, and stays it
 * with an older peer that sends none. Sans-IO: the caller passes the
 * reports; nothing here reads a clock. */
#ifndef UM3N_RATEEST_H
#define UM3N_RATEEST_H

#include <stdbool.h>
#include <stdint.h>

#define UM3N_RATEEST_WINDOW_US 100000 /* per decision, by the receiver's clock */
#define UM3N_RATEEST_QBUSY_US 5000    /* a queue above this all window: the link is busy */
#define UM3N_RATEEST_MIN_KBPS 64
#define UM3N_RATEEST_MAX_KBPS 10000000u /* 10 Gbit/s: a larger delta is a reset peer */
/* A window longer than this (a silent link, lost reports) decides nothing. */
#define UM3N_RATEEST_STALE_US 1000000

struct um3n_rateest {
	uint32_t rate_kbps; /* what the scheduler uses: the estimate times the gain */
	uint32_t est_kbps;  /* the link's bottleneck rate */
	uint32_t hint_kbps; /* the configured start (0: none given) */
	/* Never below: 1/8 of the start (at least UM3N_RATEEST_MIN_KBPS), so
	 * that a link back from an outage gets traffic to measure at once. */
	uint32_t floor_kbps;
	bool startup;      /* no start given: doubling until the rate is found */
	bool probing;      /* this window gives the link 9/8 of the estimate */
	uint32_t drain_us; /* this window drains the queue a probe left: drain_us/WINDOW_US less */
	uint8_t flat;      /* startup: windows in a row that grew less than 1/4 */
	uint32_t startup_base_kbps; /* ... the delivery they are compared with */
	bool open;                  /* a window has its first report */
	uint32_t win_bytes;         /* the receiver's counter at the window's start */
	uint64_t win_us;            /* ... and its clock */
	uint32_t qmin_us;           /* the smallest queueing delay reported in the window */
	uint32_t delivered_kbps;    /* the last closed window's delivery rate */
	/* ... and whether its queue stayed above QBUSY throughout: the link
	 * carried all it could (linksched.h: a full faster link spills). */
	bool full;
	/* For um3nctl show: windows closed, that found the link full, probes,
	 * and reports that restarted the window (a clock that went back or
	 * stood, a reset counter). */
	uint64_t windows, full_windows, probes, restarts;
};

/* Starts at hint_kbps (the configured weight_kbps; 0: default_kbps). */
void um3n_rateest_init(struct um3n_rateest *e, uint32_t hint_kbps, uint32_t default_kbps);
/* One report from the receiver: its count of bytes received on the link
 * (modulo 2^32), its clock when it counted (µs), and the queueing delay it
 * measures on the link (µs). Returns true when rate_kbps changed. */
bool um3n_rateest_report(struct um3n_rateest *e, uint32_t rx_bytes, uint64_t peer_us,
			 uint32_t qdelay_us);

#endif
