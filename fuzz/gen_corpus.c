/* Writes the seed corpus: valid messages from the encoder, one file per seed,
 * into DIR/<target>/. Usage: fuzz_gen_corpus DIR (the committed fuzz/corpus
 * came from `fuzz_gen_corpus fuzz/corpus`). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy.h"
#include "wire.h"

static const char *out_dir;

static int write_seed(const char *target, const char *name, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int gen_registration(void)
{
	static const uint8_t rules[] = {4, 24, 198, 51, 100, 1, 2};
	uint8_t buf[UM3N_REG_MSG_MAX];
	size_t len, auth_off;
	char name[32];

	for (unsigned mask = 0; mask < 8; mask++) {
		struct um3n_rrq q = {
			.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T,
			.lifetime_s = 300,
			.home_addr = 0x0a630002,
			.ha_addr = 0xc0000201,
			.coa = 0xc6336407,
			.ident = 0xe8a1b2c300000001ULL,
			.has_udp_tun_req = mask & 1,
			.udp_tun_flags = UM3N_UDP_TUN_FLAG_F,
			.encap = UM3N_ENCAP_IPIP,
			.has_link_info = mask & 2,
			.link = {.link_id = 1, .link_class = 2},
			.has_policy_chunk = mask & 4,
			.chunk = {.version = 3, .count = 1, .data = rules, .len = sizeof(rules)},
			.spi = 256,
		};
		struct um3n_rrp p = {
			.code = 0,
			.lifetime_s = 300,
			.home_addr = 0x0a630002,
			.ha_addr = 0xc0000201,
			.ident = q.ident,
			.has_udp_tun_reply = mask & 1,
			.keepalive_s = 20,
			.has_link_info = mask & 2,
			.link = q.link,
			.has_policy_ack = mask & 4,
			.policy_ack = {.version = 3, .chunks_held = 1, .count = 1},
			.spi = 256,
		};

		snprintf(name, sizeof(name), "seed-%u", mask);
		if (um3n_wire_rrq_encode(&q, buf, sizeof(buf), &len, &auth_off) ||
		    write_seed("rrq_decode", name, buf, len))
			return -1;
		if (um3n_wire_rrp_encode(&p, buf, sizeof(buf), &len, &auth_off) ||
		    write_seed("rrp_decode", name, buf, len))
			return -1;
	}
	return 0;
}

/* Minimal inner packets: IPv4 ICMP echo (8 bytes), IPv6 with no next header. */
static size_t inner_packet(uint8_t *p, bool v6)
{
	if (v6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		p[6] = 59;
		p[7] = 64;
		return 40;
	}
	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = 1;
	um3n_put32(p + 12, 0x0a630002);
	um3n_put32(p + 16, 0xc0000201);
	um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
	p[20] = 8;
	um3n_put16(p + 22, um3n_wire_inet_csum(p + 20, 8));
	return 28;
}

static int gen_data(void)
{
	static const struct {
		uint8_t nh;
		bool v6;
		uint32_t key; /* GRE key of aggregate rules, 0: none */
		const char *name;
	} seeds[] = {
		{UM3N_NH_IPV4, false, 0, "ipip-v4"},
		{UM3N_NH_IPV6, true, 0, "ipip-v6"},
		{UM3N_NH_GRE, false, 0, "gre-v4"},
		{UM3N_NH_GRE, true, 0, "gre-v6"},
		{UM3N_NH_GRE, false, 0x50000007, "gre-key-v4"},
	};
	uint8_t buf[128];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t hlen = seeds[i].key ? um3n_wire_tunnel_hdr_keyed(buf, seeds[i].v6,
									seeds[i].key, 7)
					   : um3n_wire_tunnel_hdr(buf, seeds[i].nh, seeds[i].v6, 7);
		size_t ilen = inner_packet(buf + hlen, seeds[i].v6);

		if (write_seed("tunnel_decode", seeds[i].name, buf, hlen + ilen))
			return -1;
		if (seeds[i].nh != UM3N_NH_GRE &&
		    write_seed("ip_parse", seeds[i].name, buf + hlen, ilen))
			return -1;
	}
	return 0;
}

/* fuzz_gso: virtio-net header (flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset; host order), a mode byte, a TCP/IPv4 packet. */
static size_t tcp_packet(uint8_t *p, size_t payload, uint8_t flags)
{
	memset(p, 0, 40 + payload);
	p[0] = 0x45;
	um3n_put16(p + 2, (uint16_t)(40 + payload));
	p[8] = 64;
	p[9] = 6;
	um3n_put32(p + 12, 0x0ac80002);
	um3n_put32(p + 16, 0x0a090101);
	um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
	um3n_put32(p + 24, 1000);
	p[32] = 5 << 4;
	p[33] = flags;
	for (size_t i = 0; i < payload; i++)
		p[40 + i] = (uint8_t)(i * 7);
	return 40 + payload;
}

static int gen_gso(void)
{
	static const struct {
		uint8_t vflags, gso_type;
		uint16_t gso_size;
		uint8_t mode, tcp_flags;
		size_t payload;
		const char *name;
	} seeds[] = {
		{1, 1, 500, 0, 0x18, 1800, "tso-4-segs"},
		{1, 1, 500, 3, 0x19, 1501, "tso-partial-fin"},
		{1, 0, 0, 1, 0x18, 300, "csum-only"},
		{0, 0, 0, 2, 0x10, 0, "pure-ack"},
	};
	uint8_t buf[12 + 2048];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		uint16_t v[5] = {40, seeds[i].gso_size, 20, 16, 0};
		size_t len;

		buf[0] = seeds[i].vflags;
		buf[1] = seeds[i].gso_type;
		memcpy(buf + 2, v, 8); /* hdr_len gso_size csum_start csum_offset */
		buf[10] = seeds[i].mode;
		len = tcp_packet(buf + 11, seeds[i].payload, seeds[i].tcp_flags);
		if (write_seed("gso", seeds[i].name, buf, 11 + len))
			return -1;
	}
	return 0;
}

static void *seed_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void seed_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

/* Policy tables from the encoder: a format-1 one (prefer / aggregate /
 * redundant only) and a format-2 one (the steering modes and thresholds). */
static int gen_policy(void)
{
	static const struct {
		const char *name, *rules[4][2];
	} seeds[] = {
		{"format1",
		 {{"10.0.0.0/8", "cell"},
		  {"2001:db8::/32", "wifi aggregate"},
		  {"192.168.1.128/25", "wired redundant"}}},
		{"format2",
		 {{"10.9.1.0/24", "wifi load-balance 70"},
		  {"0.0.0.0/0", "wifi smallest-delay rtt_ms=150 loss_pct=5"},
		  {"2001:db8::/32", "cell priority loss_pct=10"},
		  {"10.9.2.0/24", "cell active-standby rtt_ms=80"}}},
	};
	struct um3n_env env = {.alloc = seed_alloc, .free = seed_free};
	uint8_t buf[512];
	int rc = 0;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]) && !rc; i++) {
		struct um3n_policy *p = um3n_policy_new(&env, 8);
		size_t len;

		if (!p)
			return -1;
		for (size_t k = 0; k < 4 && seeds[i].rules[k][0] && !rc; k++) {
			struct um3n_policy_rule r = {0};

			rc = um3n_policy_prefix_parse(seeds[i].rules[k][0], &r.prefix, &r.plen) ||
			     um3n_policy_action_parse(seeds[i].rules[k][1], &r, NULL) ||
			     um3n_policy_add(p, &r);
		}
		um3n_policy_set_version(p, (uint32_t)i + 1);
		rc = rc || um3n_policy_serialize(p, buf, sizeof(buf), &len) ||
		     write_seed("policy_deserialize", seeds[i].name, buf, len);
		um3n_policy_free(p);
	}
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	if (gen_registration() || gen_data() || gen_gso() || gen_policy()) {
		fprintf(stderr, "%s: writing seeds failed\n", argv[0]);
		return 1;
	}
	return 0;
}
