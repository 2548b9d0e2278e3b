#include "linkmon.h"

#include <assert.h>
#include <string.h>

struct lm_transition {
	int state;
	enum um3n_lm_event ev;
	int next; /* -1: "UP, or DEGRADED if the signal is weak" */
};

#define UP_OR_DEGRADED -1

/* The whole state machine. The rows whose next state is their own state are
 * events that legitimately change nothing there; a (state, event) pair with no
 * row is unexpected: logged and counted. Unexpected are: carrier-up on a link
 * whose carrier is up (probing, up, degraded, failed), and a confirmation or a
 * packet heard on a link that is down, and silence on one not yet confirmed. */
static const struct lm_transition lm_table[] = {
	{UM3N_LS_DOWN, UM3N_LM_EV_CARRIER_UP, UM3N_LS_PROBING},
	/* a link without an address loses its carrier too */
	{UM3N_LS_DOWN, UM3N_LM_EV_CARRIER_DOWN, UM3N_LS_DOWN},
	/* a binding that outlived its link (deregistration gave up) runs out */
	{UM3N_LS_DOWN, UM3N_LM_EV_SILENT, UM3N_LS_DOWN},
	{UM3N_LS_DOWN, UM3N_LM_EV_WEAK, UM3N_LS_DOWN},
	{UM3N_LS_DOWN, UM3N_LM_EV_STRONG, UM3N_LS_DOWN},

	{UM3N_LS_PROBING, UM3N_LM_EV_CARRIER_DOWN, UM3N_LS_DOWN},
	{UM3N_LS_PROBING, UM3N_LM_EV_CONFIRMED, UP_OR_DEGRADED},
	/* only the peer's confirmation makes a probing link usable */
	{UM3N_LS_PROBING, UM3N_LM_EV_HEARD, UM3N_LS_PROBING},
	{UM3N_LS_PROBING, UM3N_LM_EV_WEAK, UM3N_LS_PROBING},
	{UM3N_LS_PROBING, UM3N_LM_EV_STRONG, UM3N_LS_PROBING},

	{UM3N_LS_UP, UM3N_LM_EV_CARRIER_DOWN, UM3N_LS_DOWN},
	{UM3N_LS_UP, UM3N_LM_EV_CONFIRMED, UM3N_LS_UP}, /* a refresh accepted */
	{UM3N_LS_UP, UM3N_LM_EV_HEARD, UM3N_LS_UP},
	{UM3N_LS_UP, UM3N_LM_EV_SILENT, UM3N_LS_FAILED},
	{UM3N_LS_UP, UM3N_LM_EV_WEAK, UM3N_LS_DEGRADED},
	{UM3N_LS_UP, UM3N_LM_EV_STRONG, UM3N_LS_UP},

	{UM3N_LS_DEGRADED, UM3N_LM_EV_CARRIER_DOWN, UM3N_LS_DOWN},
	{UM3N_LS_DEGRADED, UM3N_LM_EV_CONFIRMED, UM3N_LS_DEGRADED},
	{UM3N_LS_DEGRADED, UM3N_LM_EV_HEARD, UM3N_LS_DEGRADED},
	{UM3N_LS_DEGRADED, UM3N_LM_EV_SILENT, UM3N_LS_FAILED},
	{UM3N_LS_DEGRADED, UM3N_LM_EV_WEAK, UM3N_LS_DEGRADED},
	{UM3N_LS_DEGRADED, UM3N_LM_EV_STRONG, UM3N_LS_UP},

	{UM3N_LS_FAILED, UM3N_LM_EV_CARRIER_DOWN, UM3N_LS_DOWN},
	{UM3N_LS_FAILED, UM3N_LM_EV_CONFIRMED, UP_OR_DEGRADED},
	{UM3N_LS_FAILED, UM3N_LM_EV_HEARD, UP_OR_DEGRADED},
	/* a failed link's binding runs out as well */
	{UM3N_LS_FAILED, UM3N_LM_EV_SILENT, UM3N_LS_FAILED},
	/* the flag is remembered: the link comes back DEGRADED or UP */
	{UM3N_LS_FAILED, UM3N_LM_EV_WEAK, UM3N_LS_FAILED},
	{UM3N_LS_FAILED, UM3N_LM_EV_STRONG, UM3N_LS_FAILED},
};

static const char *const lm_event_names[UM3N_LM_EV_COUNT] = {
	"carrier-up", "carrier-down", "confirmed", "heard", "silent", "weak", "strong",
};

const char *um3n_linkmon_event_name(int ev)
{
	return ev >= 0 && ev < UM3N_LM_EV_COUNT ? lm_event_names[ev] : "?";
}

const char *um3n_linkmon_state_name(int state)
{
	static const char *const names[UM3N_LS_COUNT] = {
		"down", "probing", "up", "degraded", "failed",
	};

	return state >= 0 && state < UM3N_LS_COUNT ? names[state] : "?";
}

void um3n_linkmon_init(struct um3n_linkmon *lm)
{
	memset(lm, 0, sizeof(*lm));
	lm->state = UM3N_LS_DOWN;
}

int um3n_linkmon_event(struct um3n_linkmon *lm, const struct um3n_env *env, const char *name,
		       enum um3n_lm_event ev)
{
	int old = lm->state;
	bool found = false;

	assert(old >= 0 && old < UM3N_LS_COUNT);
	assert(ev >= 0 && ev < UM3N_LM_EV_COUNT);
	/* The weak flag is remembered in every state, so a link that comes up
	 * (or back) while its signal is weak goes straight to DEGRADED. */
	if (ev == UM3N_LM_EV_WEAK)
		lm->weak = true;
	else if (ev == UM3N_LM_EV_STRONG)
		lm->weak = false;
	for (size_t i = 0; i < sizeof(lm_table) / sizeof(lm_table[0]); i++) {
		const struct lm_transition *t = &lm_table[i];

		if (t->state != old || t->ev != ev)
			continue;
		lm->state = t->next == UP_OR_DEGRADED ? (lm->weak ? UM3N_LS_DEGRADED : UM3N_LS_UP)
						      : t->next;
		found = true;
		break;
	}
	if (!found) {
		lm->unexpected++;
		um3n_log(env, UM3N_LOG_WARN, "link %s: event %s not expected in state %s", name,
			 um3n_linkmon_event_name(ev), um3n_linkmon_state_name(old));
	}
	if (lm->state == UM3N_LS_FAILED && old != UM3N_LS_FAILED)
		lm->failures++;
	if (lm->state != old)
		um3n_log(env, UM3N_LOG_INFO, "link %s: %s --%s--> %s", name,
			 um3n_linkmon_state_name(old), um3n_linkmon_event_name(ev),
			 um3n_linkmon_state_name(lm->state));
	return lm->state;
}

void um3n_linkmon_rtt_sample(struct um3n_linkmon *lm, uint64_t rtt_us)
{
	if (!lm->have_rtt) {
		lm->srtt_us = rtt_us;
		lm->rttvar_us = rtt_us / 2;
		lm->have_rtt = true;
		return;
	}
	/* RFC 6298 §2.3 with alpha = 1/8, beta = 1/4. */
	uint64_t diff = lm->srtt_us > rtt_us ? lm->srtt_us - rtt_us : rtt_us - lm->srtt_us;

	lm->rttvar_us = (3 * lm->rttvar_us + diff) / 4;
	lm->srtt_us = (7 * lm->srtt_us + rtt_us) / 8;
}

uint16_t um3n_linkmon_probe_sent(struct um3n_linkmon *lm)
{
	lm->answered <<= 1;
	if (lm->probes_in_window < UM3N_LM_PROBE_WINDOW)
		lm->probes_in_window++;
	lm->probes_sent++;
	return lm->next_seq++;
}

void um3n_linkmon_probe_answered(struct um3n_linkmon *lm, uint16_t seq)
{
	uint16_t age = (uint16_t)(lm->next_seq - 1 - seq);

	if (age >= UM3N_LM_PROBE_WINDOW || age >= lm->probes_in_window)
		return; /* too old to account, or never sent */
	if (lm->answered >> age & 1)
		return; /* duplicate answer */
	lm->answered |= 1ull << age;
	lm->probes_answered++;
}

uint32_t um3n_linkmon_loss_permille(const struct um3n_linkmon *lm)
{
	uint32_t settled = 0, lost = 0;

	/* Probes younger than the grace count may still be in flight. */
	for (uint32_t age = UM3N_LM_PROBE_GRACE; age < lm->probes_in_window; age++) {
		settled++;
		if (!(lm->answered >> age & 1))
			lost++;
	}
	return settled ? lost * 1000 / settled : 0;
}
