/* The simulated world: servers <-> HA engine <-> per-link two-direction links
 * <-> MN engine <-> MN apps, all on one virtual clock.
 *
 *   ftp 10.9.1.10 ┐                 ┌ link cell (198.51.100.2) ┐
 *   video 10.9.2.10 ┼─ HA 192.0.2.1:434 ┤                      ├ MN (home 10.200.0.2) ─ apps
 *   (core, its delay/rate)┘           └ link wifi (203.0.113.2) ┘
 *
 * Outputs of the engines are drained after every call into them: UDP
 * datagrams go onto the link they name (MN: its link index; HA: the link
 * whose care-of address they are sent to), TUN packets to the apps / servers.
 * Timers follow um3n_*_next_wake_us. Nothing reads the wall clock. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "ha.h"
#include "heap.h"
#include "invariants.h"
#include "link.h"
#include "metrics.h"
#include "mn.h"
#include "pcapout.h"
#include "pkt.h"
#include "scenario.h"
#include "trace.h"
#include "traffic.h"

#define SIM_MN_HOME "10.200.0.2"
#define SIM_HA_ADDR "192.0.2.1"
#define SIM_MN_PORT_BASE 49200 /* MN's UDP source port on link i: base + i */

struct sim_world_opts {
	uint64_t seed;
	const char *out_dir; /* pcaps go here when pcaps is true */
	bool pcaps;
	uint32_t snaplen;       /* pcap bytes per packet, 0 = whole packets */
	int log_level;          /* engine logs to stderr up to this level; -1 = none */
	bool exact_metrics;     /* sim_metrics_set_exact: exact percentiles, memory grows */
	bool histogram_metrics; /* sim_metrics_set_histogram: the histogram's percentiles */
	bool invariants;        /* check invariants.h during the run */
};

struct sim_engine_errors {
	uint64_t mn_tun, mn_udp, ha_tun, ha_udp, mn_link_ev;
	int last_mn_tun, last_ha_tun, last_mn_udp, last_ha_udp; /* last error code seen */
	uint64_t ha_unroutable; /* HA datagram to an address no link has */
	uint64_t pool_exhausted;
};

struct sim_world {
	const struct sim_scenario *sc;
	struct sim_world_opts opts;
	struct sim_heap heap;
	struct sim_pool pool;
	struct sim_link down[SIM_MAX_LINKS], up[SIM_MAX_LINKS];
	/* core_rate_mbps: server -> HA and HA -> server; else unused (a delay). */
	struct sim_link core_down, core_up;
	struct sim_trace traces[SIM_MAX_LINKS][2];
	struct sim_gen *gens; /* n_flows */
	struct sim_metrics metrics;
	struct sim_pcapout pcap;
	struct um3n_env mn_env, ha_env;
	struct um3n_policy *policy;
	struct um3n_mn *mn;
	struct um3n_ha *ha;
	struct um3n_addr home;
	struct um3n_sockaddr ha_addr, coa[SIM_MAX_LINKS];
	uint64_t now_us;
	uint64_t mn_wake_us, ha_wake_us, mn_gen, ha_gen;
	/* Packets in flight per link direction ([link][0] down, [1] up) in arrival
	 * order: only the head has a heap event, which keeps the heap small. */
	struct sim_pkt *fifo_head[SIM_MAX_LINKS][2], *fifo_tail[SIM_MAX_LINKS][2];
	uint32_t pcap_last_seq[SIM_MAX_FLOWS];
	bool pcap_any_rx[SIM_MAX_FLOWS];
	uint64_t events;
	long live_allocs;
	struct sim_engine_errors errs;
	struct sim_inv inv; /* opts.invariants */
};

/* Builds everything (loads traces and captures, creates the engines). On
 * error err gets one line. Errors: UM3N_EINVAL, UM3N_ENOENT, UM3N_ENOMEM. */
int sim_world_init(struct sim_world *w, const struct sim_scenario *sc,
		   const struct sim_world_opts *opts, char *err, size_t errcap);
/* Runs until the scenario's duration and computes the metrics.
 * Errors: UM3N_ENOMEM. */
int sim_world_run(struct sim_world *w);
void sim_world_free(struct sim_world *w);

#endif
