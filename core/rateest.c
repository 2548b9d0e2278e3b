#include "rateest.h"

#include <assert.h>

/* A queue under this after a probe is noise (a packet or two at 14 Mbit/s): no drain. */
#define DRAIN_MIN_US 1000

static uint32_t clamp(uint64_t kbps, uint32_t floor)
{
	if (kbps < floor)
		return floor;
	return kbps > UM3N_RATEEST_MAX_KBPS ? UM3N_RATEEST_MAX_KBPS : (uint32_t)kbps;
}

static uint32_t clamp_kbps(const struct um3n_rateest *e, uint64_t kbps)
{
	return clamp(kbps, e->floor_kbps);
}

static void set_rate(struct um3n_rateest *e)
{
	uint64_t r = e->est_kbps;

	if (e->startup)
		r *= 2;
	else if (e->probing)
		r = r * 9 / 8;
	else if (e->drain_us)
		r = r * (UM3N_RATEEST_WINDOW_US - e->drain_us) / UM3N_RATEEST_WINDOW_US;
	e->rate_kbps = clamp_kbps(e, r);
}

void um3n_rateest_init(struct um3n_rateest *e, uint32_t hint_kbps, uint32_t default_kbps)
{
	*e = (struct um3n_rateest){0};
	e->hint_kbps = hint_kbps;
	e->floor_kbps = clamp(hint_kbps / 8, UM3N_RATEEST_MIN_KBPS);
	e->est_kbps = clamp_kbps(e, hint_kbps ? hint_kbps : default_kbps);
	e->startup = hint_kbps == 0; /* a start given is trusted */
	e->startup_base_kbps = e->est_kbps;
	set_rate(e);
}

static void open_window(struct um3n_rateest *e, uint32_t rx_bytes, uint64_t peer_us,
			uint32_t qdelay_us)
{
	e->open = true;
	e->win_bytes = rx_bytes;
	e->win_us = peer_us;
	e->qmin_us = qdelay_us;
}

/* Startup ends when a queue forms or the delivery grew less than 1/4 for
 * three windows in a row. */
static void startup_step(struct um3n_rateest *e, uint32_t delivered, bool busy)
{
	if (delivered * 4ull >= e->startup_base_kbps * 5ull) {
		e->startup_base_kbps = delivered;
		e->flat = 0;
	} else {
		e->flat++;
	}
	if (busy || e->flat >= 3)
		e->startup = false;
}

/* A closed window delivered `delivered` with its smallest queue qmin_us,
 * and the queue was qend_us at its end (rateest.h explains the cases). */
static void decide(struct um3n_rateest *e, uint32_t delivered, uint32_t qmin_us, uint32_t qend_us)
{
	bool busy = qmin_us >= UM3N_RATEEST_QBUSY_US, was_probe = e->probing, grew = false;
	int64_t d = (int64_t)delivered - (int64_t)e->est_kbps;

	e->windows++;
	e->delivered_kbps = delivered;
	e->full = busy;
	e->probing = false;
	if (busy) {
		e->full_windows++;
		e->est_kbps = clamp_kbps(e, (uint64_t)((int64_t)e->est_kbps + d / 4));
	} else if (d > 0) {
		grew = d * 16 > (int64_t)e->est_kbps; /* by more than the noise */
		e->est_kbps = clamp_kbps(e, delivered);
	}
	/* Probe after a window without a queue that delivered about the rate
	 * the link was given (it may carry more), and again at once after a
	 * probe that found more (a capacity that rose fast is found at 9/8 per
	 * window). A link the flow does not fill is not probed: it would find
	 * nothing, and each probe moves the shares. */
	if (e->startup) {
		startup_step(e, delivered, busy);
	} else if (!busy && (was_probe ? grew : delivered * 8ull >= e->est_kbps * 7ull)) {
		e->probing = true;
		e->probes++;
	}
	/* A probe that found no more: the queue it left goes in the next window. */
	e->drain_us = 0;
	if (was_probe && !e->probing && qend_us > DRAIN_MIN_US)
		e->drain_us = qend_us < UM3N_RATEEST_WINDOW_US / 8 ? qend_us
								   : UM3N_RATEEST_WINDOW_US / 8;
	set_rate(e);
}

bool um3n_rateest_report(struct um3n_rateest *e, uint32_t rx_bytes, uint64_t peer_us,
			 uint32_t qdelay_us)
{
	uint64_t dt, delivered;
	uint32_t before = e->rate_kbps, qmin;

	if (!e->open) {
		open_window(e, rx_bytes, peer_us, qdelay_us);
		return false;
	}
	/* A clock that went back or stood still for long: a restarted peer or
	 * a silent link; the counts of this window mean nothing. */
	if (peer_us < e->win_us || peer_us - e->win_us > UM3N_RATEEST_STALE_US) {
		e->restarts++;
		e->full = false;
		open_window(e, rx_bytes, peer_us, qdelay_us);
		return false;
	}
	if (qdelay_us < e->qmin_us)
		e->qmin_us = qdelay_us;
	dt = peer_us - e->win_us;
	if (dt < UM3N_RATEEST_WINDOW_US)
		return false;
	delivered = (uint64_t)(uint32_t)(rx_bytes - e->win_bytes) * 8 * 1000 / dt;
	qmin = e->qmin_us;
	open_window(e, rx_bytes, peer_us, qdelay_us);
	if (delivered > UM3N_RATEEST_MAX_KBPS) { /* the peer's counter started again */
		e->restarts++;
		e->full = false;
		return false;
	}
	decide(e, (uint32_t)delivered, qmin, qdelay_us);
	assert(e->rate_kbps >= UM3N_RATEEST_MIN_KBPS);
	return e->rate_kbps != before;
}
