/* Per-link monitor: the state machine (a table of {state, event, next}, every
 * transition logged, in the manner of OpenBSD ospfd), the RFC 6298 RTT
 * estimator fed by probes and registrations, probe loss, and "last heard"
 * failure detection. Used for the MN's uplinks and for the HA's bindings. */
#ifndef UM3N_LINKMON_H
#define UM3N_LINKMON_H

#include "engine.h"

enum um3n_lm_event {
	UM3N_LM_EV_CARRIER_UP = 0, /* link has carrier and an address */
	UM3N_LM_EV_CARRIER_DOWN,   /* link lost */
	UM3N_LM_EV_CONFIRMED,      /* the peer answered (registration accepted) */
	UM3N_LM_EV_HEARD,          /* a packet arrived on it */
	UM3N_LM_EV_SILENT,         /* nothing heard for dead_after_us */
	UM3N_LM_EV_WEAK,           /* signal fell below the degraded threshold / peer flag */
	UM3N_LM_EV_STRONG,         /* signal recovered */
	UM3N_LM_EV_COUNT
};

#define UM3N_LM_PROBE_WINDOW 64 /* probes remembered for the loss estimate */
#define UM3N_LM_PROBE_GRACE 8   /* a probe is lost once this many newer ones went out */

struct um3n_linkmon {
	int state; /* enum um3n_link_state */
	bool weak; /* signal below threshold: UP becomes DEGRADED */
	uint64_t last_heard_us;
	uint64_t srtt_us, rttvar_us;
	bool have_rtt;
	/* Probe bookkeeping: bit i of answered = probe (next_seq-1-i) answered. */
	uint16_t next_seq;
	uint64_t answered;
	uint32_t probes_in_window;
	uint64_t probes_sent, probes_answered;
	uint64_t failures;
	uint64_t unexpected; /* events with no row in the table (each one logged) */
};

void um3n_linkmon_init(struct um3n_linkmon *lm);
/* Applies ev; returns the new state (== old when the table has no entry).
 * Logs "<name>: OLD --event--> NEW" through env for every change, and
 * "<name>: event X not expected in state Y" (counted in `unexpected`) for an
 * event the table has no row for. */
int um3n_linkmon_event(struct um3n_linkmon *lm, const struct um3n_env *env, const char *name,
		       enum um3n_lm_event ev);
/* Records an RTT sample (RFC 6298 §2). */
void um3n_linkmon_rtt_sample(struct um3n_linkmon *lm, uint64_t rtt_us);
/* Probe bookkeeping: a new probe goes out (returns its sequence number) / an
 * answer to probe seq came back. */
uint16_t um3n_linkmon_probe_sent(struct um3n_linkmon *lm);
void um3n_linkmon_probe_answered(struct um3n_linkmon *lm, uint16_t seq);
/* Loss over the settled probes in the window, per mille. */
uint32_t um3n_linkmon_loss_permille(const struct um3n_linkmon *lm);
/* Carries traffic (UP or DEGRADED). */
static inline bool um3n_linkmon_usable(const struct um3n_linkmon *lm)
{
	return lm->state == UM3N_LS_UP || lm->state == UM3N_LS_DEGRADED;
}
const char *um3n_linkmon_event_name(int ev);
const char *um3n_linkmon_state_name(int state); /* enum um3n_link_state */

#endif
