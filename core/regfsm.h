/* The MN's per-uplink registration state machine (RFC 5944 §3.6: request,
 * retransmission with exponential backoff, refresh before the lifetime ends,
 * deregistration), on its own in the manner of ngtcp2's path validation: it
 * holds its state, is stepped with an event and the time, and answers with
 * effects (send a request, arm the timer, a binding is held ...) that the MN
 * engine carries out. It sends nothing, knows no engine and takes no callbacks.
 * The transitions are one table of {state, event, action, next} (regfsm.c). */
#ifndef UM3N_REGFSM_H
#define UM3N_REGFSM_H

#include "um3n.h"

enum um3n_reg_state {
	UM3N_REG_IDLE = 0,   /* link down: nothing to do */
	UM3N_REG_REQUESTING, /* request sent, waiting for the reply (backoff) */
	UM3N_REG_REGISTERED, /* accepted; refresh before the lifetime ends */
	UM3N_REG_DENIED,     /* denied; retry later (backoff) */
	UM3N_REG_DEREGISTERING,
	UM3N_REG_COUNT
};

enum um3n_regfsm_ev {
	UM3N_REGFSM_EV_LINK_UP = 0,    /* carrier and a care-of address */
	UM3N_REGFSM_EV_LINK_DOWN,      /* carrier or address lost */
	UM3N_REGFSM_EV_CHANGED,        /* care-of address, signal flag or liveness changed */
	UM3N_REGFSM_EV_TIMER,          /* the armed timer came due */
	UM3N_REGFSM_EV_ACCEPTED,       /* reply to the request in flight: accepted */
	UM3N_REGFSM_EV_DENIED,         /* ... denied */
	UM3N_REGFSM_EV_DENIED_AUTH,    /* ... denied: the HA failed our authenticator */
	UM3N_REGFSM_EV_IDENT_MISMATCH, /* ... denied: identification out of sync */
	UM3N_REGFSM_EV_SYNC_NEEDED,    /* the policy table needs its next chunk sent */
	UM3N_REGFSM_EV_SHUTDOWN,       /* deregister and stay idle */
	UM3N_REGFSM_EV_COUNT
};

struct um3n_regfsm_event {
	enum um3n_regfsm_ev type;
	uint64_t ident;      /* identification a request sent now carries (RFC 5944 §5.7) */
	uint16_t lifetime_s; /* ACCEPTED: the lifetime the HA granted */
	int code;            /* reply events: the HA's code */
};

/* Engine parameters the machine needs (from um3n_mn_conf). */
struct um3n_regfsm_conf {
	uint16_t lifetime_s;       /* requested lifetime */
	uint32_t retry_initial_us; /* first retransmission timeout; doubles ... */
	uint32_t retry_max_us;     /* ... up to this */
};

/* Effects of one step, carried out by the engine in this order: SEND, ARM or
 * DISARM, RTT, UNBOUND, BOUND. */
enum {
	UM3N_REGFSM_FX_SEND = 1 << 0,    /* send a request: ident, lifetime_s (0: deregister) */
	UM3N_REGFSM_FX_ARM = 1 << 1,     /* deliver TIMER at timer_us */
	UM3N_REGFSM_FX_DISARM = 1 << 2,  /* no TIMER until armed again */
	UM3N_REGFSM_FX_RTT = 1 << 3,     /* rtt_us is a sample (Karn: first transmissions only) */
	UM3N_REGFSM_FX_UNBOUND = 1 << 4, /* the HA holds no binding for this link any more */
	UM3N_REGFSM_FX_BOUND = 1 << 5,   /* the HA holds a binding until expires_us */
	UM3N_REGFSM_FX_UNEXPECTED = 1 << 6, /* no row for (from, event): nothing done */
};

struct um3n_regfsm_fx {
	uint32_t flags; /* UM3N_REGFSM_FX_* */
	int from, to;   /* state before and after the step */
	uint16_t lifetime_s;
	uint64_t timer_us;
	uint64_t rtt_us;
	uint64_t expires_us;
};

struct um3n_regfsm {
	int state;           /* enum um3n_reg_state */
	uint64_t ident;      /* identification of the request in flight */
	uint64_t sent_us;    /* when it went out (RTT sample on the reply) */
	uint32_t rto_us;     /* current retransmission timeout */
	uint32_t retries;    /* retransmissions of this exchange (deregistration: tries) */
	int last_code;       /* last reply code, -1 if none */
	uint64_t unexpected; /* events the table has no row for */
};

/* Deregistration requests sent before the machine gives up and goes idle. */
#define UM3N_REGFSM_DEREGISTER_TRIES 3

void um3n_regfsm_init(struct um3n_regfsm *fsm);
/* Applies ev at now_us: runs the table's action, sets the next state and
 * returns what the engine has to do. An event with no row changes nothing
 * but the unexpected counter and returns UM3N_REGFSM_FX_UNEXPECTED. */
struct um3n_regfsm_fx um3n_regfsm_step(struct um3n_regfsm *fsm, const struct um3n_regfsm_conf *conf,
				       uint64_t now_us, const struct um3n_regfsm_event *ev);
/* Whether a reply with this identification answers the request in flight
 * (RFC 5944 §5.7.1: the low-order 32 bits must match). */
bool um3n_regfsm_awaits(const struct um3n_regfsm *fsm, uint64_t ident);
const char *um3n_regfsm_state_name(int state);
const char *um3n_regfsm_event_name(int ev);

#endif
