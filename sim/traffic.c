/* Traffic generators: bulk, CBR, 720p30 video, pcap replay. */
#include "traffic.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define HDRS (SIM_IP4_HDR + SIM_UDP_HDR)

int sim_gen_init(struct sim_gen *g, const struct sim_flow_spec *fs, size_t index,
		 const struct um3n_addr *mn_home, char *err, size_t errcap)
{
	int rc;

	assert(fs->type != SIM_FLOW_TCP); /* um3n-sim's main.c refused the scenario */
	memset(g, 0, sizeof(*g));
	g->spec = fs;
	g->index = index;
	g->mn_home = um3n_addr_v4(mn_home);
	g->server = um3n_addr_v4(&fs->server);
	g->next_us = fs->start_us;
	if (fs->type == SIM_FLOW_PCAP) {
		rc = sim_pcapin_load(fs->pcap, fs->pcap_filter, &g->pcap, err, errcap);
		if (rc)
			return rc;
		g->pcap_base_us = fs->start_us;
		g->next_us = fs->start_us;
	}
	return 0;
}

void sim_gen_free(struct sim_gen *g) { sim_pcapin_free(&g->pcap); }

uint32_t sim_video_frame_bytes(uint64_t rate_bps, uint32_t k)
{
	/* One GOP per second: (GOP - 1) P-frames and one I-frame of I_TO_P P-frames
	 * must carry rate/8 bytes. */
	uint64_t gop_bytes = rate_bps / 8 * SIM_VIDEO_GOP / SIM_VIDEO_FPS;
	uint64_t p = gop_bytes / (SIM_VIDEO_GOP - 1 + SIM_VIDEO_I_TO_P);

	if (p < 1)
		p = 1;
	return (uint32_t)(k % SIM_VIDEO_GOP == 0 ? p * SIM_VIDEO_I_TO_P : p);
}

/* Writes IPv4/UDP/probe headers for one packet of `payload` bytes into g->buf. */
static uint32_t build(struct sim_gen *g, uint64_t now_us, uint32_t payload, uint32_t frame_id,
		      uint16_t frame_pkts)
{
	const struct sim_flow_spec *fs = g->spec;
	struct sim_probe pr = {.flow_id = (uint16_t)g->index,
			       .seq = g->seq,
			       .frame_id = frame_id,
			       .frame_pkts = frame_pkts,
			       .send_us = now_us};
	bool down = fs->dir == SIM_DIR_DOWN;

	if (payload < SIM_PROBE_LEN)
		payload = SIM_PROBE_LEN;
	sim_probe_write(g->buf + HDRS, &pr);
	/* No UDP checksum on generated traffic (legal in IPv4): summing every
	 * payload would dominate the simulator's run time. */
	return (uint32_t)sim_build_udp4(g->buf, down ? g->server : g->mn_home,
					down ? fs->server_port : fs->client_port,
					down ? g->mn_home : g->server,
					down ? fs->client_port : fs->server_port, payload,
					(uint16_t)g->seq, false);
}

static int emit_one(struct sim_gen *g, uint64_t now_us, uint32_t len, uint32_t frame_id,
		    uint16_t frame_pkts, sim_gen_emit_fn emit, void *ctx)
{
	struct sim_gen_pkt p = {.data = g->buf,
				.len = len,
				.seq = g->seq,
				.frame_id = frame_id,
				.frame_pkts = frame_pkts,
				.up = g->spec->dir == SIM_DIR_UP};

	g->seq++;
	return emit(ctx, g->index, now_us, &p);
}

static int run_paced(struct sim_gen *g, uint64_t now_us, sim_gen_emit_fn emit, void *ctx)
{
	const struct sim_flow_spec *fs = g->spec;
	uint32_t len = build(g, now_us, fs->packet_bytes - HDRS, 0, 0);
	int rc = emit_one(g, now_us, len, 0, 0, emit, ctx);

	g->sent_bytes += len;
	/* Exact pacing from the start: no accumulated rounding drift. */
	g->next_us = fs->start_us + (g->sent_bytes * 8000000 + fs->rate_bps - 1) / fs->rate_bps;
	return rc;
}

static int run_video(struct sim_gen *g, uint64_t now_us, sim_gen_emit_fn emit, void *ctx)
{
	const struct sim_flow_spec *fs = g->spec;
	uint32_t frame = sim_video_frame_bytes(fs->rate_bps, g->frame_id);
	uint32_t per_pkt = fs->packet_bytes - HDRS;
	uint32_t n = (frame + per_pkt - 1) / per_pkt, left = frame;
	int rc = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++) {
		uint32_t chunk = left < per_pkt ? left : per_pkt;
		uint32_t len = build(g, now_us, chunk, g->frame_id, (uint16_t)n);

		left -= chunk;
		rc = emit_one(g, now_us, len, g->frame_id, (uint16_t)n, emit, ctx);
	}
	g->frame_id++;
	g->next_us = fs->start_us + (uint64_t)g->frame_id * 1000000 / SIM_VIDEO_FPS;
	return rc;
}

/* Next replay time: capture offsets scaled by rate_scale, looping if asked. */
static void pcap_advance(struct sim_gen *g)
{
	const struct sim_flow_spec *fs = g->spec;
	const struct sim_pcapin *in = &g->pcap;

	if (++g->pcap_pos == in->n) {
		uint64_t gap = in->n > 1 ? in->span_us / (in->n - 1) : 1000000;

		if (!fs->loop) {
			g->next_us = UINT64_MAX;
			return;
		}
		g->pcap_pos = 0;
		g->pcap_base_us += (uint64_t)((double)(in->span_us + gap) / fs->rate_scale);
	}
	g->next_us = g->pcap_base_us + (uint64_t)((double)in->t_us[g->pcap_pos] / fs->rate_scale);
}

/* Rewrites a captured packet onto the scenario: server <-> MN home address,
 * the sequence number in the IPv4 ID, checksums fixed. */
static int run_pcap(struct sim_gen *g, uint64_t now_us, sim_gen_emit_fn emit, void *ctx)
{
	const struct sim_flow_spec *fs = g->spec;
	const struct sim_pcapin *in = &g->pcap;
	uint32_t len = in->len[g->pcap_pos];
	bool down = fs->dir == SIM_DIR_DOWN;
	struct sim_gen_pkt p = {.data = g->buf, .len = len, .seq = g->seq};
	int rc;

	memcpy(g->buf, in->data + in->off[g->pcap_pos], len);
	/* With pcap_server, a two-way capture keeps its directions. */
	if (fs->pcap_server.family)
		down = um3n_get32(g->buf + 12) == um3n_addr_v4(&fs->pcap_server);
	p.up = !down;
	um3n_put32(g->buf + 12, down ? g->server : g->mn_home);
	um3n_put32(g->buf + 16, down ? g->mn_home : g->server);
	um3n_put16(g->buf + 4, (uint16_t)g->seq);
	sim_ip4_fix_csum(g->buf);
	sim_l4_fix_csum(g->buf, len);
	g->seq++;
	rc = emit(ctx, g->index, now_us, &p);
	pcap_advance(g);
	return rc;
}

int sim_gen_run(struct sim_gen *g, uint64_t now_us, sim_gen_emit_fn emit, void *ctx)
{
	int rc = 0;

	while (rc == 0 && g->next_us <= now_us) {
		if (g->next_us >= g->spec->stop_us) {
			g->next_us = UINT64_MAX;
			break;
		}
		switch (g->spec->type) {
		case SIM_FLOW_VIDEO: rc = run_video(g, now_us, emit, ctx); break;
		case SIM_FLOW_PCAP: rc = run_pcap(g, now_us, emit, ctx); break;
		default: rc = run_paced(g, now_us, emit, ctx); break;
		}
	}
	if (g->next_us >= g->spec->stop_us)
		g->next_us = UINT64_MAX;
	return rc;
}

uint32_t sim_gen_seq_from_id(uint32_t *last, bool *any, uint16_t id16)
{
	uint32_t cand = (*last & ~0xffffu) | id16;

	if (!*any)
		cand = id16;
	else if (cand + 0x8000u < *last)
		cand += 0x10000u;
	else if (cand > *last + 0x8000u && cand >= 0x10000u)
		cand -= 0x10000u;
	if (!*any || cand > *last)
		*last = cand;
	*any = true;
	return cand;
}
