/* Traffic generators and pcap replay input: sizes, pacing, frames, real
 * captures (including one that ends mid-packet), address rewriting. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcapin.h"
#include "testutil.h"
#include "traffic.h"

#ifndef UM3N_SIM_TRACES
#define UM3N_SIM_TRACES "traces"
#endif

struct capture {
	size_t pkts, bytes, max_len, frames_seen;
	uint32_t last_frame;
	uint64_t first_us, last_us;
	bool bad_csum, bad_addr, up_seen, down_seen;
	uint32_t server, home;
};

static uint16_t fold(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A valid IPv4 header and UDP/TCP checksum sum to 0xffff. */
static bool csum_ok(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4 = len - ihl;
	uint32_t pseudo = 0;

	if (fold(ip, ihl, 0) != 0xffff)
		return false;
	if (ip[9] == 17 && um3n_get16(ip + ihl + 6) == 0)
		return true; /* no UDP checksum */
	if (ip[9] != 17 && ip[9] != 6)
		return true;
	for (int i = 12; i < 20; i += 2)
		pseudo += um3n_get16(ip + i);
	pseudo += ip[9] + (uint32_t)l4;
	return fold(ip + ihl, l4, pseudo) == 0xffff;
}

static int record(void *ctx, size_t flow, uint64_t now_us, const struct sim_gen_pkt *p)
{
	struct capture *c = ctx;
	uint32_t src = um3n_get32(p->data + 12), dst = um3n_get32(p->data + 16);

	(void)flow;
	if (!c->pkts)
		c->first_us = now_us;
	c->last_us = now_us;
	c->pkts++;
	c->bytes += p->len;
	c->max_len = p->len > c->max_len ? p->len : c->max_len;
	if (!c->frames_seen || p->frame_id != c->last_frame)
		c->frames_seen++;
	c->last_frame = p->frame_id;
	c->bad_csum |= !csum_ok(p->data, p->len) || um3n_get16(p->data + 2) != p->len;
	if (p->up)
		c->bad_addr |= src != c->home || dst != c->server;
	else
		c->bad_addr |= src != c->server || dst != c->home;
	c->up_seen |= p->up;
	c->down_seen |= !p->up;
	return 0;
}

static void run_flow(struct sim_flow_spec *fs, struct capture *c)
{
	static struct sim_gen g;
	struct um3n_addr home;
	char err[300];

	um3n_addr_parse("10.200.0.2", &home);
	memset(c, 0, sizeof(*c));
	c->home = um3n_addr_v4(&home);
	c->server = um3n_addr_v4(&fs->server);
	CU_ASSERT_EQUAL_FATAL(sim_gen_init(&g, fs, 0, &home, err, sizeof(err)), 0);
	while (sim_gen_next_us(&g) != UINT64_MAX)
		CU_ASSERT_EQUAL_FATAL(sim_gen_run(&g, sim_gen_next_us(&g), record, c), 0);
	sim_gen_free(&g);
}

static struct sim_flow_spec flow(enum sim_flow_type type, double mbps, uint64_t start_us,
				 uint64_t stop_us)
{
	struct sim_flow_spec fs;

	memset(&fs, 0, sizeof(fs));
	fs.type = type;
	fs.dir = SIM_DIR_DOWN;
	um3n_addr_parse("10.9.2.10", &fs.server);
	fs.server_port = 5004;
	fs.client_port = 40000;
	fs.rate_bps = (uint64_t)(mbps * 1e6);
	fs.packet_bytes = 1400;
	fs.start_us = start_us;
	fs.stop_us = stop_us;
	fs.rate_scale = 1.0;
	return fs;
}

/* 1: bulk pacing is exact over 10 s; every packet is a valid IPv4/UDP packet. */
static void test_traffic_bulk(void)
{
	struct sim_flow_spec fs = flow(SIM_FLOW_BULK, 5, 1000000, 11000000);
	struct capture c;

	run_flow(&fs, &c);
	CU_ASSERT_TRUE(c.bytes >= 6250000 - 1400 && c.bytes <= 6250000 + 1400);
	CU_ASSERT_EQUAL(c.max_len, 1400);
	CU_ASSERT_EQUAL(c.first_us, 1000000);
	CU_ASSERT_TRUE(c.last_us < 11000000);
	CU_ASSERT_FALSE(c.bad_csum);
	CU_ASSERT_FALSE(c.bad_addr);
}

/* 2: 720p30 at 2.5 Mbit/s: 30 frames a second carrying the rate, an I-frame
 * three times a P-frame, packets of at most 1400 bytes. */
static void test_traffic_video(void)
{
	struct sim_flow_spec fs = flow(SIM_FLOW_VIDEO, 2.5, 0, 10000000);
	struct capture c;
	uint32_t i_frame = sim_video_frame_bytes(2500000, 0),
		 p_frame = sim_video_frame_bytes(2500000, 1);
	uint64_t gop = 0;

	for (uint32_t k = 0; k < SIM_VIDEO_GOP; k++)
		gop += sim_video_frame_bytes(2500000, k);
	CU_ASSERT_EQUAL(i_frame, 3 * p_frame);
	CU_ASSERT_TRUE(gop * 8 > 2500000 * 0.99 && gop * 8 <= 2500000);
	run_flow(&fs, &c);
	CU_ASSERT_EQUAL(c.frames_seen, 300);
	CU_ASSERT_TRUE(c.max_len <= 1400);
	CU_ASSERT_TRUE(c.bytes * 8 / 10 > 2500000 &&
		       c.bytes * 8 / 10 < 2500000 * 1.05); /* + headers */
	CU_ASSERT_EQUAL(c.last_us, 299ULL * 1000000 / 30);
	CU_ASSERT_FALSE(c.bad_csum);
}

static bool have(const char *path)
{
	if (access(path, R_OK) == 0)
		return true;
	fprintf(stderr, "  (skipped: %s absent)\n", path);
	return false;
}

/* 3: real captures: the RTP stream's 407 packets over 11.9 s; the FTP session
 * replayed both ways onto the scenario's hosts; a capture cut mid-packet
 * keeps what came before and says so; a bad filter is an error. */
static void test_traffic_pcap(void)
{
	char rtp[512], ftp[512], mip[512], err[300];
	struct sim_pcapin in;
	struct capture c;
	struct sim_flow_spec fs;

	snprintf(rtp, sizeof(rtp), "%s/pcap/tau_wilson.pcap", UM3N_SIM_TRACES);
	snprintf(ftp, sizeof(ftp), "%s/pcap/zeek_ftp_retr.pcap", UM3N_SIM_TRACES);
	snprintf(mip, sizeof(mip), "%s/pcap/uantwerp_mip4_ref_public.pcap", UM3N_SIM_TRACES);
	if (have(rtp)) {
		CU_ASSERT_EQUAL_FATAL(sim_pcapin_load(rtp, "udp", &in, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(in.n, 407);
		CU_ASSERT_TRUE(in.span_us > 11800000 && in.span_us < 12000000);
		CU_ASSERT_STRING_EQUAL(in.warning, "");
		sim_pcapin_free(&in);
		fs = flow(SIM_FLOW_PCAP, 0, 1000000, 60000000);
		snprintf(fs.pcap, sizeof(fs.pcap), "%s", rtp);
		strcpy(fs.pcap_filter, "udp");
		fs.rate_scale = 2.0; /* twice as fast: 407 packets in ~6 s */
		run_flow(&fs, &c);
		CU_ASSERT_EQUAL(c.pkts, 407);
		CU_ASSERT_TRUE(c.last_us - c.first_us > 5900000 &&
			       c.last_us - c.first_us < 6000000);
		CU_ASSERT_FALSE(c.bad_csum);
		CU_ASSERT_FALSE(c.bad_addr);
	}
	if (have(ftp)) {
		fs = flow(SIM_FLOW_PCAP, 0, 0, 60000000);
		snprintf(fs.pcap, sizeof(fs.pcap), "%s", ftp);
		strcpy(fs.pcap_filter, "tcp");
		um3n_addr_parse("141.142.192.162", &fs.pcap_server);
		run_flow(&fs, &c);
		CU_ASSERT_TRUE(c.pkts > 30);
		CU_ASSERT_TRUE(c.up_seen && c.down_seen);
		CU_ASSERT_FALSE(c.bad_csum); /* TCP checksums recomputed after the rewrite */
		CU_ASSERT_FALSE(c.bad_addr);
	}
	if (have(mip)) {
		CU_ASSERT_EQUAL(sim_pcapin_load(mip, NULL, &in, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(in.n > 0);
		CU_ASSERT_NOT_EQUAL(in.warning[0], '\0');
		sim_pcapin_free(&in);
		CU_ASSERT_EQUAL(sim_pcapin_load(mip, "udp and (", &in, err, sizeof(err)),
				UM3N_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, mip));
	}
	CU_ASSERT_EQUAL(sim_pcapin_load("/nonexistent.pcap", NULL, &in, err, sizeof(err)),
			UM3N_ENOENT);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 bulk pacing and packet format", test_traffic_bulk},
		{"2 720p30 video frames", test_traffic_video},
		{"3 pcap replay of real captures", test_traffic_pcap},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_traffic", tests}, {NULL, NULL}};

	return test_main(suites);
}
