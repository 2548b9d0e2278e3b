/* Simulator packets: a pool of fixed buffers (no malloc per packet), IPv4/UDP
 * header synthesis with real checksums, and the probe header the traffic
 * generators put at the start of every UDP payload so the receiver can
 * measure loss, one-way delay, reordering and frame completion. */
#ifndef SIM_PKT_H
#define SIM_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define SIM_PKT_BUF 2048 /* >= UM3N_PKT_MAX + outer headers */
#define SIM_IP4_HDR 20
#define SIM_UDP_HDR 8
#define SIM_PROTO_UDP 17
#define SIM_PROTO_TCP 6

struct sim_pkt {
	struct sim_pkt *next_free; /* free list, or the next packet in a link FIFO */
	uint64_t born_us;          /* when the driver created it */
	uint64_t arrive_us;        /* when it reaches the far end of its link */
	uint32_t len;
	uint16_t node;             /* where it is going (world_run.c's enum) */
	uint16_t link;             /* link index for link arrivals */
	uint32_t flow;             /* flow index + 1 for traffic, 0 otherwise */
	struct um3n_sockaddr from; /* UDP source for datagrams */
	uint8_t data[SIM_PKT_BUF];
};

struct sim_pool {
	struct sim_pkt **chunks;
	size_t n_chunks;
	struct sim_pkt *free_list;
	size_t live, peak;
};

void sim_pool_init(struct sim_pool *p);
void sim_pool_free(struct sim_pool *p);
/* NULL when memory is exhausted. Chunks of 256 packets are added as needed
 * and recycled: steady state never calls malloc. */
struct sim_pkt *sim_pool_get(struct sim_pool *p);
void sim_pool_put(struct sim_pool *p, struct sim_pkt *pkt);

/* Writes IPv4 + UDP headers at buf (payload must already be at buf + 28) with
 * valid IP and UDP checksums. Returns the total length. */
size_t sim_build_udp4(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		      size_t payload_len, uint16_t ip_id, bool udp_csum);
/* Fixes the IPv4 header checksum in place (after an address rewrite). */
void sim_ip4_fix_csum(uint8_t *ip);
/* Recomputes a UDP or TCP checksum of an IPv4 packet in place (rewrites). */
void sim_l4_fix_csum(uint8_t *ip, size_t len);

/* Probe header at the start of the UDP payload of generated traffic. */
#define SIM_PROBE_MAGIC 0x554d3353u /* "UM3S" */
#define SIM_PROBE_LEN 28
struct sim_probe {
	uint16_t flow_id;
	uint32_t seq;
	uint32_t frame_id;   /* video: frame number; else 0 */
	uint16_t frame_pkts; /* video: packets in this frame */
	uint64_t send_us;
};
void sim_probe_write(uint8_t *p, const struct sim_probe *pr);
/* false when p does not start with a probe header. */
bool sim_probe_read(const uint8_t *p, size_t len, struct sim_probe *pr);

#endif
