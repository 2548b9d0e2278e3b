/* Measurements of a simulator run: what the receivers saw, per flow and per
 * link, turned into metrics.json, timeseries.csv and a summary line.
 *
 * Definitions (also in sim/README.md):
 *  - goodput: bytes of inner IP packets delivered to the receiving TUN side,
 *    unique packets only, over the flow's active window (start_s .. stop_s);
 *    a link's goodput is the same bytes attributed to the link that carried
 *    them, over [measure_from_s, duration_s];
 *  - loss / lost_packets: packets sent before the end minus SIM_SETTLE_US
 *    that never arrived (in-flight packets at the end are not "lost");
 *  - one-way delay: receive time minus the send time the sender wrote;
 *  - reordered: packets arriving with a sequence number below one already seen;
 *    reorder extent: the largest gap between the highest sequence seen and
 *    such a packet's (written for flows of aggregate rules, with the hold
 *    delay percentiles of the receiving engine's reorder queue);
 *  - handover gap ("longest silence"): the longest interval without a
 *    delivery, per flow active at the handover, clipped to [at - before_s,
 *    at + after_s]; the maximum over flows. Handover lost packets: packets
 *    sent in that window never delivered;
 *  - handover added gap and extra delay: hometric.h's figures over the same
 *    window, per direction of each flow active at the handover (two-way pcap
 *    flows have two), the maximum over them;
 *  - late video frame: a frame not complete by send time + playout_ms + 33 ms. */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hometric.h"
#include "link.h"
#include "quant.h"
#include "ring.h"
#include "scenario.h"
#include "series.h"

#define SIM_SETTLE_US 500000ULL
#define SIM_FRAME_SLACK_US 33000ULL

struct sim_frame {
	uint64_t send_us, done_us;
	uint16_t need, got;
};

/* What is known of one packet until its fate is settled (then it is judged
 * and dropped: memory follows the packets in flight, not the run's length). */
struct sim_pktrec {
	uint64_t send_us, recv_us; /* recv_us: first delivery, when seen */
	bool sent, up, seen;
};

struct sim_flow_metrics {
	char name[SIM_NAME_MAX];
	bool video, up;
	uint64_t start_us, stop_us;
	uint32_t playout_us;
	uint64_t sent_pkts, sent_bytes, recv_pkts, recv_bytes, dup_pkts, reordered;
	uint64_t stale_pkts; /* arrivals of packets already judged (see horizon_us) */
	uint32_t max_seq[2]; /* per direction (two-way pcap flows share a sequence) */
	bool any_rx, any_dir[2];
	struct sim_ring pkts;   /* struct sim_pktrec by sequence number, not yet judged */
	struct sim_ring frames; /* struct sim_frame by frame number, not yet judged */
	struct sim_quant owd;   /* one-way delay, µs */
	uint64_t last_rx_us, gap_us, judged;
	bool aggregate;                  /* its rule aggregates: reorder figures written */
	uint32_t reorder_extent;         /* max over reordered packets of max_seq - seq */
	double hold_p50_ms, hold_p99_ms; /* the receiving engine's reorder queue */
	/* Flows active at the handover, per direction: the delays of the packets
	 * sent before it and of all (hometric.h's base), and the packets that can
	 * matter in its window (sent from horizon_us before it up to its end). */
	bool ho_active, ho_dir_any[2];
	struct sim_quant ho_base_pre[2], ho_base_all[2];
	struct sim_hometric_pkt *ho_pkts[2];
	size_t ho_n[2], ho_cap[2];
	/* results */
	uint64_t lost, late_frames, frames_judged, ho_lost, ho_lost_first_us, ho_lost_last_us;
	uint64_t ho_added_gap_us;
	int64_t ho_extra_us[3]; /* p50, p99, max over the flow's directions */
	double goodput_mbps, loss, owd_p50_ms, owd_p99_ms;
};

struct sim_link_metrics {
	char name[SIM_NAME_MAX];
	uint64_t down_bytes, up_bytes;
	struct sim_link_stats down, up; /* copied from the links at the end */
	double goodput_mbps;
};

/* A packet is judged (lost or not) once its send time is this far behind the
 * clock; a delivery later than that counts as stale, not as delivered. */
#define SIM_HORIZON_US 60000000ULL

struct sim_metrics {
	uint64_t seed, duration_us, measure_from_us, end_us;
	size_t n_secs, n_flows, n_links;
	struct sim_flow_metrics flows[SIM_MAX_FLOWS];
	struct sim_link_metrics links[SIM_MAX_LINKS];
	bool core_limited; /* core_rate_mbps: its links' figures, copied at the end */
	struct sim_link_stats core_down, core_up;
	struct sim_series series; /* columns: the links, then the flows */
	bool exact;               /* sim_metrics_set_exact */
	uint64_t horizon_us;      /* SIM_HORIZON_US, UINT64_MAX when exact */
	bool handover;
	uint64_t ho_at_us, ho_from_us, ho_to_us;
	/* results */
	double goodput_mbps, ho_gap_ms, ho_loss_window_ms, ho_added_gap_ms, ho_extra_ms[3];
	uint64_t ho_lost, late_frames;
	bool any_video;
};

/* Errors: UM3N_ENOMEM, UM3N_ENOENT (no temporary file for the time series). */
int sim_metrics_init(struct sim_metrics *m, const struct sim_scenario *sc, uint64_t seed);
/* Before any sample: keep every sample and record to the end (memory grows
 * with the run) so that percentiles are exact whatever the run's length and
 * no delivery is ever stale. The default keeps SIM_QUANT_EXACT_MAX samples per
 * set exactly, then a histogram (quant.h), and judges packets after
 * SIM_HORIZON_US. */
void sim_metrics_set_exact(struct sim_metrics *m);
/* Before any sample: percentiles from the histogram alone, however few the
 * samples (to measure it against the exact ones). */
void sim_metrics_set_histogram(struct sim_metrics *m);
void sim_metrics_free(struct sim_metrics *m);

/* The sender handed packet `seq` of flow `flow` to the network at send_us,
 * in the uplink (MN -> server) direction or not; send_us and seq do not go
 * back within a flow. Errors: UM3N_ENOMEM (growing the per-sequence tables). */
int sim_metrics_sent(struct sim_metrics *m, size_t flow, uint32_t seq, uint64_t send_us,
		     uint32_t bytes, bool up, uint32_t frame_id, uint16_t frame_pkts);
/* The receiver got it at now_us, carried by link (or -1 if unknown) in the
 * uplink (MN -> server) or downlink direction; now_us does not go back by
 * SIM_SERIES_WINDOW seconds or more between calls. */
void sim_metrics_received(struct sim_metrics *m, size_t flow, int link, bool up, uint64_t now_us,
			  uint32_t seq, uint64_t send_us, uint32_t bytes, uint32_t frame_id);
/* The send time of packet seq of a flow while it is held, else fallback. */
uint64_t sim_metrics_send_time(const struct sim_metrics *m, size_t flow, uint32_t seq,
			       uint64_t fallback);
/* Everything is known at end_us: compute the results.
 * Errors: UM3N_ENOMEM (the handover figures' scratch tables). */
int sim_metrics_finish(struct sim_metrics *m, uint64_t end_us);

/* Errors: UM3N_ENOENT (cannot write). */
int sim_metrics_write_json(const struct sim_metrics *m, const char *path);
int sim_metrics_write_csv(struct sim_metrics *m, const char *path); /* after finish */
/* Extra figures not in metrics.json (loss window, link drop counters). */
int sim_metrics_write_extra(const struct sim_metrics *m, const char *path);
void sim_metrics_summary(const struct sim_metrics *m, FILE *out);

#endif
