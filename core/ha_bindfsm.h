/* The HA's registration state machine for one binding (one uplink of one MN),
 * as a table of {state, event, action, next} in the manner of OpenBSD ospfd's
 * neighbor FSM, and a step function that returns *effects* for the HA engine to
 * carry out, as ngtcp2's path validation returns answers to its connection.
 *
 * This object knows no engine: it takes no callbacks, sends nothing, touches
 * neither the binding cache nor timers. ha_reg.c feeds it the outcome of a
 * request (or the timer scan an expiry) and does what the effects say, in the
 * order their bits are listed below.
 *
 * The binding's life: NONE --request--> BOUND (refreshed by each later request,
 * possibly from a new care-of after a NAT rebinding, possibly with the
 * degraded flag changed) --deregistration, expiry, or release by a request
 * without S on a sibling--> NONE. Silence is not a registration state: the
 * link monitor (linkmon.c) judges it (UP/DEGRADED/FAILED) for bound bindings. */
#ifndef UM3N_HA_BINDFSM_H
#define UM3N_HA_BINDFSM_H

#include <stdbool.h>
#include <stdint.h>

enum um3n_ha_bindfsm_state {
	UM3N_HA_BINDFSM_NONE = 0, /* no binding (zeroed memory is this state) */
	UM3N_HA_BINDFSM_BOUND,    /* registered: indexed at its care-of, lifetime running */
	UM3N_HA_BINDFSM_STATE_COUNT
};

enum um3n_ha_bindfsm_event {
	/* A valid request (lifetime > 0) for this binding, with the S flag
	 * (simultaneous bindings: the MN's other bindings stay) or without
	 * (RFC 5944 §3.6.1.2: this binding replaces the others). */
	UM3N_HA_BINDFSM_EV_REQ_SIMUL = 0,
	UM3N_HA_BINDFSM_EV_REQ_SOLE,
	/* A valid deregistration (lifetime 0) from this binding's link: with S it
	 * removes this binding only, without S every binding of the MN. */
	UM3N_HA_BINDFSM_EV_DEREG_ONE,
	UM3N_HA_BINDFSM_EV_DEREG_ALL,
	/* A request for this binding failed a check (authentication, home agent
	 * address, UDP tunnelling, resources, care-of taken): the code says which. */
	UM3N_HA_BINDFSM_EV_DENIED,
	/* The request's identification is not fresh (RFC 5944 §5.7): code 133
	 * with an identification the MN can resynchronise from. */
	UM3N_HA_BINDFSM_EV_STALE,
	UM3N_HA_BINDFSM_EV_EXPIRED,  /* the binding's lifetime ran out */
	UM3N_HA_BINDFSM_EV_RELEASED, /* a request on a sibling binding released this one */
	UM3N_HA_BINDFSM_EV_COUNT
};

/* Effects, carried out by the engine in this order. */
enum {
	UM3N_HA_BINDFSM_DO_INDEX = 1 << 0,   /* index the binding at the request's source
					      * (new binding, or a moved care-of) */
	UM3N_HA_BINDFSM_DO_RELEASE = 1 << 1, /* step each other bound binding of the MN with
					      * EV_RELEASED */
	UM3N_HA_BINDFSM_DO_ARM = 1 << 2,     /* take the request's link info, identification
					      * and lifetime; tell the link monitor it was
					      * confirmed, with fx.weak as its signal */
	UM3N_HA_BINDFSM_DO_POLICY = 1 << 3,  /* take the request's policy chunk, if any */
	UM3N_HA_BINDFSM_DO_UNBIND = 1 << 4,  /* remove this binding (its MN record goes with
					      * its last binding) */
	UM3N_HA_BINDFSM_DO_SCHED = 1 << 5,   /* the MN's bindings changed: refresh its
					      * downlink scheduler (if the record remains) */
	UM3N_HA_BINDFSM_DO_REPLY = 1 << 6,   /* reply fx.code with fx.lifetime_s */
	UM3N_HA_BINDFSM_DO_RESYNC = 1 << 7,  /* ... whose identification is the one to
					      * resynchronise from, not the request's */
};

struct um3n_ha_bindfsm {
	uint8_t state; /* enum um3n_ha_bindfsm_state */
};

/* What happened, with what the actions need to decide the effects' arguments. */
struct um3n_ha_bindfsm_in {
	enum um3n_ha_bindfsm_event ev;
	uint8_t code;        /* EV_DENIED: the denial code (>= 128) */
	uint16_t lifetime_s; /* EV_REQ_*: the lifetime granted (> 0) */
	bool moved;          /* EV_REQ_* in BOUND: the request came from another care-of */
	bool degraded;       /* EV_REQ_*: the request's UM3N_LINK_F_DEGRADED */
};

struct um3n_ha_bindfsm_fx {
	unsigned mask;       /* UM3N_HA_BINDFSM_DO_* */
	bool unexpected;     /* no row for (state, event): nothing done, state kept */
	uint8_t code;        /* DO_REPLY */
	uint16_t lifetime_s; /* DO_REPLY and DO_ARM */
	bool weak;           /* DO_ARM */
};

void um3n_ha_bindfsm_init(struct um3n_ha_bindfsm *f);
/* Applies in->ev to f: moves f to the row's next state and returns the effects.
 * An event with no row for the state returns fx.unexpected and changes
 * nothing; the engine logs and counts it. */
struct um3n_ha_bindfsm_fx um3n_ha_bindfsm_step(struct um3n_ha_bindfsm *f,
					       const struct um3n_ha_bindfsm_in *in);
const char *um3n_ha_bindfsm_state_name(int state);
const char *um3n_ha_bindfsm_event_name(int ev);

#endif
