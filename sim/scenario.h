/* Scenario files for um3n-sim: a strict INI format (parsed with inih).
 * sim/README.md is the reference for every section and key. Any error is one
 * line "FILE:LINE: what was expected"; the caller exits with status 2. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha.h"
#include "link.h"
#include "mn.h"
#include "trace.h"
#include "um3n.h"

#define SIM_MAX_LINKS 4
#define SIM_MAX_FLOWS 16
#define SIM_MAX_RULES 64
#define SIM_NAME_MAX 16
#define SIM_PATH_MAX 512
#define SIM_ERR_MAX 640

struct sim_signal {
	uint64_t t_us;
	int dbm;
};

/* SIM_QDISC_FQ_CODEL: ns-3's FqCoDel in front of a link's downlink
 * queue, as the ns-3 testbed's router has (emu/ns3); um3n-ns3sim only. */
enum sim_qdisc { SIM_QDISC_DROPTAIL = 0, SIM_QDISC_FQ_CODEL };

struct sim_link_spec {
	char name[SIM_NAME_MAX];
	int line; /* of the [link NAME] header, for late errors */
	/* class, priority, weight_kbps: the engine's keys for an uplink (core/confkeys.h),
	 * bit i of engine_set for table key i given (the class is always known after
	 * parsing: NAME's when not given) */
	struct um3n_mn_link_conf engine;
	uint64_t engine_set;
	uint64_t rate_bps, up_rate_bps;                   /* up_rate 0 = same as rate */
	char trace[SIM_PATH_MAX], up_trace[SIM_PATH_MAX]; /* resolved paths, "" = none */
	enum sim_trace_format trace_fmt, up_trace_fmt;
	double trace_scale;
	uint32_t delay_us, jitter_us, queue_bytes;
	bool reorder;
	enum sim_qdisc qdisc; /* before the downlink's queue_bytes (um3n-ns3sim only) */
	uint32_t loss_ppb, ge_p_gb_ppb, ge_p_bg_ppb, ge_loss_good_ppb, ge_loss_bad_ppb;
	/* outage keys, then outages_file lines, then (sim_schedule_expand) the
	 * generated ones; any number (schedule.h) */
	size_t n_outages, cap_outages;
	struct sim_outage *outages;
	uint64_t flap_period_us; /* flap = PERIOD_S DUTY: up for DUTY of each period */
	double flap_duty;
	uint64_t onoff_up_us, onoff_down_us; /* onoff = MEAN_UP_S MEAN_DOWN_S */
	bool flap_carrier, onoff_carrier, expanded;
	/* signal keys, then signals_file lines, times increasing; any number */
	size_t n_signals, cap_signals;
	struct sim_signal *signals;
	struct um3n_addr coa; /* care-of address (family 0 = default for the class) */
};

/* SIM_FLOW_TCP: closed-loop TCP, run by um3n-ns3sim only (sim/ns3/); um3n-sim refuses it. */
enum sim_flow_type { SIM_FLOW_BULK = 1, SIM_FLOW_CBR, SIM_FLOW_VIDEO, SIM_FLOW_PCAP, SIM_FLOW_TCP };
enum sim_flow_dir { SIM_DIR_DOWN = 1, SIM_DIR_UP };

struct sim_flow_spec {
	char name[SIM_NAME_MAX];
	int line;
	enum sim_flow_type type;
	enum sim_flow_dir dir;
	struct um3n_addr server;
	uint16_t server_port, client_port;
	uint64_t rate_bps;     /* 0 for pcap (timing from the capture) */
	uint32_t packet_bytes; /* inner IP packet size for bulk/cbr/video */
	uint64_t start_us, stop_us;
	uint32_t playout_us; /* video: receiver's playout delay */
	char pcap[SIM_PATH_MAX];
	char pcap_filter[128];        /* BPF expression selecting the replayed flows */
	struct um3n_addr pcap_server; /* set: packets from it go down, the rest up */
	bool loop;
	double rate_scale; /* pcap timing: 2.0 plays twice as fast */
	char cc[12];       /* tcp: newreno|linux-reno|cubic|linux-cubic|bbr ("" = cubic) */
	uint64_t bytes;    /* tcp: bytes to transfer, 0 = until stop_s */
};

struct sim_rule_spec {
	struct um3n_addr prefix;
	uint8_t plen, link_class, mode;
	uint8_t pct, loss_pct; /* steering parameters (policy.h) */
	uint16_t rtt_ms;
};

struct sim_scenario {
	char path[SIM_PATH_MAX];
	uint64_t duration_us;
	uint64_t seed;
	uint32_t core_delay_us; /* servers <-> HA */
	/* The core's rate each way (0: unlimited, the default: lossless) and its
	 * drop-tail queue (0: unlimited): a bottleneck on the servers' side of
	 * the HA, such as the HA's own uplink. */
	uint64_t core_rate_bps;
	uint32_t core_queue_bytes;
	uint32_t event_jitter_us; /* scheduled events move by one seeded offset in [0, this] */
	uint64_t measure_from_us; /* link goodput window start (default: first flow start) */
	bool measure_from_set;
	size_t n_links, n_flows, n_rules;
	struct sim_link_spec links[SIM_MAX_LINKS];
	struct sim_flow_spec flows[SIM_MAX_FLOWS];
	struct sim_rule_spec rules[SIM_MAX_RULES];
	uint8_t default_class, default_mode;
	/* [mn], [ha]: the engine keys (core/confkeys.h) the file gives, bit i of
	 * *_set for table key i; world.c lays them over the engines' defaults. */
	struct um3n_mn_conf mn;
	struct um3n_ha_conf ha;
	uint64_t mn_set, ha_set;
	bool handover_set; /* [handover] at_s given */
	uint64_t handover_at_us, handover_before_us, handover_after_us;
};

/* Parses a scenario file / buffer. `name` appears in errors; relative paths
 * inside are resolved against the directory of `name`. Errors (with err set
 * to "FILE:LINE: ..."): UM3N_EINVAL, UM3N_ENOENT (cannot open). */
int sim_scenario_load(const char *path, struct sim_scenario *sc, char *err, size_t errcap);
int sim_scenario_parse(const char *name, const char *buf, size_t len, struct sim_scenario *sc,
		       char *err, size_t errcap);

/* Releases the outage and signal tables: before parsing into a struct that holds a
 * scenario already (parsing overwrites it whole), and at the end. A failed
 * parse holds nothing. */
void sim_scenario_free(struct sim_scenario *sc);

/* --duration: flows that ran to the end still do; the others are clipped.
 * Errors: UM3N_EINVAL (a flow or the measurement window would be empty). */
int sim_scenario_set_duration(struct sim_scenario *sc, uint64_t duration_us);

/* [sim] event_jitter_ms: moves every scheduled event (outage starts and ends,
 * signal points, [handover] at_s) by one offset drawn from seed, uniform in
 * [0, event_jitter_us], so that seeds vary the instant of a cut against the
 * engines' timers. Nothing changes (and nothing is drawn) when it is 0. */
void sim_scenario_jitter_events(struct sim_scenario *sc, uint64_t seed);

/* The handover instant: [handover] at_s, else the first outage start of any
 * link; false when the scenario has none. */
bool sim_scenario_handover(const struct sim_scenario *sc, uint64_t *at_us);

#endif
