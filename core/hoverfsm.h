/* The handover manager of `[mn] uplinks = one` (the paper's Fig. 6): one
 * uplink carries the traffic, the others stand by, hot (registered and
 * probed) or cold (nothing sent until needed). A table-driven machine like
 * regfsm.c: it is stepped with a view of the uplinks and the time, derives
 * at most one event from them, and answers with effects that the MN engine
 * carries out (mn_hover.c): bring uplink X up, move the traffic to X,
 * release uplink Y. It sends nothing, knows no engine and takes no callbacks.
 *
 * Make-before-break: the new uplink is registered and answering (the HA
 * accepted it, so the HA's downlink prefers it over a degraded one) before
 * the traffic moves, and the old one is released only after what the HA sent
 * on it before it switched had time to arrive (the view's drain_us). Signal
 * hysteresis is the link monitor's (weak below signal_degraded_dbm until
 * signal_recovered_dbm); the hold time keeps a flapping signal from causing
 * more than one handover per hold_us. Losing the active uplink skips both:
 * the traffic moves at once to a usable standby (hot), or waits for the best
 * cold one to come up. */
#ifndef UM3N_HOVERFSM_H
#define UM3N_HOVERFSM_H

#include "engine.h"

#define UM3N_HOVER_NONE (-1)

enum um3n_hover_state {
	UM3N_HOVER_IDLE = 0,  /* no uplink carries traffic */
	UM3N_HOVER_ACTIVE,    /* one does; the others stand by */
	UM3N_HOVER_PREPARING, /* bringing the target up; traffic stays where it is */
	UM3N_HOVER_MOVED,     /* traffic on the new uplink; the old one drains */
	UM3N_HOVER_COUNT
};

enum um3n_hoverfsm_ev {
	UM3N_HOVERFSM_EV_READY = 0,     /* idle: an uplink is usable */
	UM3N_HOVERFSM_EV_NEED,          /* idle: the best uplink is cold: bring it up */
	UM3N_HOVERFSM_EV_LOST,          /* the active uplink stopped being usable */
	UM3N_HOVERFSM_EV_LEAVE,         /* another uplink is better (weak signal, or back) */
	UM3N_HOVERFSM_EV_HOLD,          /* ... but the last handover is too recent */
	UM3N_HOVERFSM_EV_TARGET_READY,  /* the target is registered and answering */
	UM3N_HOVERFSM_EV_TARGET_FAILED, /* ... lost its carrier or missed the bring-up time */
	UM3N_HOVERFSM_EV_CANCEL,        /* the reason to leave went away before the move */
	UM3N_HOVERFSM_EV_DRAINED,       /* the old uplink's last packets had time to arrive */
	UM3N_HOVERFSM_EV_STRAY,         /* a cold uplink is up that no one needs */
	UM3N_HOVERFSM_EV_COUNT
};

/* Why the last handover began. */
enum um3n_hover_reason {
	UM3N_HOVER_R_NONE = 0,
	UM3N_HOVER_R_START,  /* the first uplink to carry traffic */
	UM3N_HOVER_R_SIGNAL, /* the active uplink's signal went weak */
	UM3N_HOVER_R_BETTER, /* a better-ranked uplink came back */
	UM3N_HOVER_R_LOST,   /* the active uplink was lost (no warning) */
	UM3N_HOVER_R_COUNT
};

/* One uplink as the engine sees it at a step. */
struct um3n_hover_link {
	bool carrier;      /* carrier and an address: it can be brought up */
	bool registered;   /* its registration machine is not idle (it sends) */
	bool usable;       /* registered and answering: UP or DEGRADED with a binding */
	bool weak;         /* signal below signal_degraded_dbm (with the monitor's hysteresis) */
	bool cold;         /* standby = cold: released when not needed */
	uint8_t rank;      /* the uplink's priority: lower is preferred */
	uint64_t drain_us; /* downlink packets sent before the HA switched arrive within this */
};

struct um3n_hover_view {
	size_t n;
	struct um3n_hover_link l[UM3N_MAX_LINKS];
};

struct um3n_hoverfsm_conf {
	uint64_t hold_us;       /* handovers by signal or rank at least this far apart */
	uint64_t bringup_us;    /* a target not usable this long after bring-up has failed */
	uint64_t idle_grace_us; /* idle: a cold uplink is brought up only after this long,
				 * so that hot ones reported a moment later come first */
};

/* Effects, carried out in this order: MOVE, RELEASE, UP; ARM joins the wake-up. */
enum {
	UM3N_HOVERFSM_FX_MOVE = 1 << 0,    /* traffic now on move_to (from move_from or none) */
	UM3N_HOVERFSM_FX_RELEASE = 1 << 1, /* release `release` (cold: deregister, no socket) */
	UM3N_HOVERFSM_FX_UP = 1 << 2,      /* bring `up` up (register it) */
	UM3N_HOVERFSM_FX_ARM = 1 << 3,     /* step again at timer_us */
	UM3N_HOVERFSM_FX_UNEXPECTED = 1 << 4,
};

struct um3n_hoverfsm_fx {
	uint32_t flags;
	int ev;       /* the event stepped, -1 if none */
	int from, to; /* states */
	int move_to, move_from, up;
	uint32_t release; /* RELEASE: bit i for uplink i */
	bool emergency;   /* MOVE: the old uplink was lost, re-send what it carried */
	uint64_t timer_us;
};

struct um3n_hoverfsm {
	int state;              /* enum um3n_hover_state */
	int active;             /* the uplink carrying traffic, or UM3N_HOVER_NONE */
	int target;             /* PREPARING: the uplink being brought up */
	int old;                /* PREPARING, MOVED: released once the traffic moved and drained */
	int reason;             /* of the handover under way or the last one */
	uint64_t timer_us;      /* PREPARING: bring-up deadline; MOVED: drained; ACTIVE: hold */
	uint64_t hold_until_us; /* no LEAVE before this */
	uint64_t need_after_us; /* idle: NEED not before (0: not idle yet, 1: passed) */
	uint64_t backoff_until_us[UM3N_MAX_LINKS]; /* a failed bring-up waits ... */
	uint8_t fails[UM3N_MAX_LINKS];             /* ... 1 s doubled per failure, up to 64 s */
	/* the last handover, for the operator */
	int last_from, last_to;
	uint64_t started_us, moved_us, released_us; /* UM3N_TIME_NONE: not yet */
	uint64_t handovers, lost, cancelled, failed, unexpected;
	/* over the run: the shortest time between two starts of a handover by
	 * signal or rank (the hold bounds it), the longest from a start to the
	 * traffic on the new uplink; UM3N_TIME_NONE: none yet */
	uint64_t leave_us, min_between_us, max_move_us;
};

void um3n_hoverfsm_init(struct um3n_hoverfsm *fsm);
/* Derives the event the view and the time call for (none: fx.ev = -1, no
 * flags), runs its row and returns the effects. An event with no row changes
 * nothing but the unexpected counter (UM3N_HOVERFSM_FX_UNEXPECTED). */
struct um3n_hoverfsm_fx um3n_hoverfsm_step(struct um3n_hoverfsm *fsm,
					   const struct um3n_hoverfsm_conf *conf,
					   const struct um3n_hover_view *v, uint64_t now_us);
/* Runs `ev` itself (tests walk the table with it); the view still decides
 * which uplinks the action picks. */
struct um3n_hoverfsm_fx um3n_hoverfsm_run(struct um3n_hoverfsm *fsm,
					  const struct um3n_hoverfsm_conf *conf,
					  const struct um3n_hover_view *v, uint64_t now_us,
					  enum um3n_hoverfsm_ev ev);
/* When the machine next wants a step without any other event (a bring-up
 * deadline, the drain, the hold's end, a backoff's end; each is forgotten by
 * the first step at or after it); UM3N_TIME_NONE if never. */
uint64_t um3n_hoverfsm_next_us(const struct um3n_hoverfsm *fsm);
/* Whether the machine wants `link` up: the active uplink, the target, the
 * old one draining. A cold uplink registers only then. */
bool um3n_hoverfsm_wants(const struct um3n_hoverfsm *fsm, int link);
const char *um3n_hoverfsm_state_name(int state);
const char *um3n_hoverfsm_event_name(int ev);
const char *um3n_hoverfsm_reason_name(int reason);

#endif
