/* Handover figures that mean the same for every kind of traffic (issue 14):
 * what a handover *added* to one flow, computed from each packet's original
 * send time and first delivery time. One implementation for the simulator
 * (metrics.c) and the emulators (emu/lib/hometric.py runs um3n-hometric);
 * tests/hometric_vectors.txt holds the cases both test suites check.
 *
 * Definitions (docs/ARCHITECTURE.md §8, sim/README.md):
 *  - base: the median (nearest rank) one-way delay of the delivered packets
 *    sent before the event (at_us); of all delivered ones if none was, else 0;
 *  - a packet is due at send + base. It is *owed* from then until it arrives,
 *    or, lost, until the next packet of the schedule is due (the receiver has
 *    moved on to that one; the last packet: until the window ends);
 *  - added gap: the longest stretch inside [from_us, to_us] that some packet
 *    is owed throughout and in which nothing is delivered. A pause of the
 *    sender's own schedule owes nothing, so it is not counted;
 *  - silence: the longest stretch inside the window without a delivery (from
 *    the first packet's send time), whatever the schedule (today's gap_ms);
 *  - extra delay: one-way delay minus base, packets sent in the window and
 *    delivered, nearest-rank p50/p99 and max (negative when faster);
 *  - sent, lost: packets sent in the window; of them, never delivered;
 *  - stall (closed loop, e.g. TCP, packets given in stream order): the longest
 *    stretch inside the window without new in-order data, that is without the
 *    delivered prefix of the stream growing (from the first send time); a
 *    flow that ends inside the window stalls to the window's end. */
#ifndef SIM_HOMETRIC_H
#define SIM_HOMETRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_HOMETRIC_LOST UINT64_MAX /* recv_us of a packet never delivered */
/* Every time (and window edge) is at most this: delays and their differences fit int64. */
#define SIM_HOMETRIC_TIME_MAX (UINT64_C(1) << 62)
#define SIM_HOMETRIC_PKTS_MAX (1u << 22) /* packets of one case in the text format */
#define SIM_HOMETRIC_NAME_MAX 64
#define SIM_HOMETRIC_EXPECT_MAX 16

struct sim_hometric_pkt {
	uint64_t send_us; /* the original schedule: nondecreasing in the array (open loop) */
	uint64_t recv_us; /* first delivery, or SIM_HOMETRIC_LOST */
};                        /* both <= SIM_HOMETRIC_TIME_MAX (but a lost recv_us) */

struct sim_hometric_window {
	uint64_t from_us, at_us, to_us; /* from_us <= at_us <= to_us */
};

struct sim_hometric {
	uint64_t base_us, silence_us, added_gap_us, stall_us;
	int64_t extra_p50_us, extra_p99_us, extra_max_us;
	uint64_t sent, lost;
	bool closed; /* stall_us computed; added gap and extra delay are not */
};

/* Figures of one flow (one direction). Open loop (closed = false): p in send
 * order. Closed loop: p in stream order (send times still nondecreasing is
 * not required). Errors: UM3N_ENOMEM. */
int sim_hometric_compute(const struct sim_hometric_pkt *p, size_t n,
			 const struct sim_hometric_window *w, bool closed, struct sim_hometric *r);

/* Open loop with the base given: for a caller that keeps only the packets
 * that can matter in the window (sent from a horizon before from_us, up to
 * to_us) and knows the base from all of them (sim/metrics.c). */
int sim_hometric_compute_base(const struct sim_hometric_pkt *p, size_t n,
			      const struct sim_hometric_window *w, uint64_t base_us,
			      struct sim_hometric *r);

/* A figure by its name in the vector file (base_us, silence_us, added_gap_us,
 * stall_us, extra_p50_us, extra_p99_us, extra_max_us, sent, lost).
 * Errors: UM3N_ENOENT (no such name). */
int sim_hometric_get(const struct sim_hometric *r, const char *key, int64_t *value);

/* One case of the text format shared by tests/hometric_vectors.txt and
 * um3n-hometric's input (format in tests/hometric_vectors.txt). */
struct sim_hometric_case {
	char name[SIM_HOMETRIC_NAME_MAX];
	struct sim_hometric_window w;
	bool closed;
	struct sim_hometric_pkt *pkts;
	size_t n, cap;
	size_t n_expect;
	char expect_key[SIM_HOMETRIC_EXPECT_MAX][16];
	int64_t expect[SIM_HOMETRIC_EXPECT_MAX];
};

/* Reads the next case (up to its "end" line or the end of input) into c,
 * which it resets (c must be zeroed before the first call). Returns 1 when a
 * case was read, 0 at the end of input, UM3N_EINVAL on a bad line (*line its
 * number; *why what was expected) or UM3N_ENOMEM. */
int sim_hometric_read_case(FILE *f, struct sim_hometric_case *c, unsigned *line, const char **why);
void sim_hometric_case_free(struct sim_hometric_case *c);

#endif
