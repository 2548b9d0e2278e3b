/* Traffic generators for the simulator's flows.
 *
 *  - bulk: open-loop source with data always ready at rate_mbps (set it above
 *    the link rate to keep the link saturated, like an FTP transfer);
 *  - cbr: fixed-size packets at a constant rate (VoIP-like when small);
 *  - video: 720p30 frames every 33.3 ms sized for rate_mbps (an I-frame three
 *    times a P-frame once per second), each split into <= packet_bytes
 *    packets sent back to back;
 *  - pcap: packets of a capture replayed with their timing (rate_scale,
 *    loop), addresses rewritten onto the scenario's server and the MN.
 * Generated packets carry a probe header (pkt.h) in the UDP payload; replayed
 * packets keep their payload and carry the sequence number in the IPv4 ID. */
#ifndef SIM_TRAFFIC_H
#define SIM_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "pcapin.h"
#include "pkt.h"
#include "scenario.h"

#define SIM_VIDEO_FPS 30
#define SIM_VIDEO_GOP 30
#define SIM_VIDEO_I_TO_P 3

/* What the generator produced: an inner IPv4 packet and what metrics need. */
struct sim_gen_pkt {
	const uint8_t *data;
	uint32_t len;
	uint32_t seq, frame_id;
	uint16_t frame_pkts;
	bool up; /* MN -> server (else server -> MN) */
};

typedef int (*sim_gen_emit_fn)(void *ctx, size_t flow, uint64_t now_us,
			       const struct sim_gen_pkt *pkt);

struct sim_gen {
	const struct sim_flow_spec *spec;
	size_t index;
	uint32_t mn_home, server; /* host order */
	uint64_t next_us;         /* UINT64_MAX when finished */
	uint64_t sent_bytes;      /* bulk/cbr pacing: next = start + bytes*8/rate */
	uint32_t seq, frame_id;
	struct sim_pcapin pcap;
	size_t pcap_pos;
	uint64_t pcap_base_us;    /* start of the current loop iteration */
	uint8_t buf[SIM_PKT_BUF]; /* zeroed once: payload bytes are deterministic */
};

/* Errors (err = "FILE: ..." for pcap flows): UM3N_EINVAL, UM3N_ENOENT, UM3N_ENOMEM. */
int sim_gen_init(struct sim_gen *g, const struct sim_flow_spec *fs, size_t index,
		 const struct um3n_addr *mn_home, char *err, size_t errcap);
void sim_gen_free(struct sim_gen *g);
static inline uint64_t sim_gen_next_us(const struct sim_gen *g) { return g->next_us; }
/* Emits every packet due at now_us through emit, then advances next_us.
 * Returns the first error emit returned, else 0. */
int sim_gen_run(struct sim_gen *g, uint64_t now_us, sim_gen_emit_fn emit, void *ctx);

/* A replayed packet's sequence from the 16 bits in its IPv4 ID (run_pcap
 * puts them there): the value closest to *last, the highest seen so far;
 * *any is false until the first. Updates both. */
uint32_t sim_gen_seq_from_id(uint32_t *last, bool *any, uint16_t id16);

/* Video frame size in bytes for frame k of a flow at rate_bps. */
uint32_t sim_video_frame_bytes(uint64_t rate_bps, uint32_t k);

#endif
