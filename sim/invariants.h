/* Invariants checked while the simulated world runs (`um3n-sim --invariants`,
 * issue 13's flaps): the first one broken stops the run with one line on
 * stderr naming the time, the invariant and what broke it, and um3n-sim exits
 * 1. Checked:
 *   usable   the MN sends tunnel data (GRE-sequenced: not probes, not
 *            registrations) only on a link whose carrier is up and that its
 *            own link monitor calls usable (UP or DEGRADED)
 *   binding  every MN link in state REGISTERED is bound at the HA, at that
 *            link's care-of address; the HA holds no binding at an address
 *            that is not the MN's link's (checked at every carrier change
 *            and every SIM_INV_CHECK_US of simulated time)
 *   dup      no flow's packet reaches the app or the server twice (within
 *            the last SIM_INV_DUP_WINDOW packets of the flow)
 * A test hook breaks the world on purpose to prove each check fires:
 * UM3N_SIM_BREAK=carrier (a carrier loss is not told to the MN), binding (at the
 * first carrier loss the HA is told a time 11 days on: its bindings expire),
 * dup (the 100th packet delivered is delivered twice). */
#ifndef SIM_INVARIANTS_H
#define SIM_INVARIANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#define SIM_INV_CHECK_US 10000u
#define SIM_INV_DUP_WINDOW 32768u

enum sim_inv_break {
	SIM_INV_BREAK_NONE,
	SIM_INV_BREAK_CARRIER,
	SIM_INV_BREAK_BINDING,
	SIM_INV_BREAK_DUP
};

struct sim_world;

struct sim_inv {
	bool on, failed;
	enum sim_inv_break brk;
	bool carrier[SIM_MAX_LINKS]; /* as the world last set it */
	uint64_t next_check_us;
	uint64_t data_checked, binding_checks, delivered, carrier_losses;
	uint32_t max_seq[SIM_MAX_FLOWS];
	bool any[SIM_MAX_FLOWS];
	uint64_t seen[SIM_MAX_FLOWS][SIM_INV_DUP_WINDOW / 64]; /* bit seq % window */
};

/* A UM3N_SIM_BREAK value (NULL or "": none): enum sim_inv_break, or -1. */
int sim_inv_break_parse(const char *s);
/* on: --invariants. Reads UM3N_SIM_BREAK (only with on; checked by
 * sim_inv_break_parse before). */
void sim_inv_init(struct sim_inv *v, bool on);
/* The world sets link's carrier. Returns whether to tell the MN (false only
 * under UM3N_SIM_BREAK=carrier). */
bool sim_inv_carrier(struct sim_world *w, size_t link, bool up);
/* The MN sent datagram data on link. */
void sim_inv_mn_sent(struct sim_world *w, int link, const uint8_t *data, size_t len);
/* A flow's packet seq reached its receiver. Returns how many times the world
 * delivers it (2 only under UM3N_SIM_BREAK=dup). */
int sim_inv_delivered(struct sim_world *w, size_t flow, uint32_t seq);
/* After each event: the binding check when due. */
void sim_inv_after_event(struct sim_world *w);
/* One line of what was checked (stdout, with --invariants). */
void sim_inv_summary(const struct sim_inv *v);

#endif
