/* Packet pool, header synthesis and the probe header. */
#include "pkt.h"

#include <stdlib.h>
#include <string.h>

#define POOL_CHUNK 256

void sim_pool_init(struct sim_pool *p) { memset(p, 0, sizeof(*p)); }

void sim_pool_free(struct sim_pool *p)
{
	for (size_t i = 0; i < p->n_chunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}

static int pool_grow(struct sim_pool *p)
{
	struct sim_pkt **chunks = realloc(p->chunks, (p->n_chunks + 1) * sizeof(*chunks));
	struct sim_pkt *c;

	if (!chunks)
		return -1;
	p->chunks = chunks;
	c = malloc(POOL_CHUNK * sizeof(*c));
	if (!c)
		return -1;
	p->chunks[p->n_chunks++] = c;
	for (size_t i = 0; i < POOL_CHUNK; i++) {
		c[i].next_free = p->free_list;
		p->free_list = &c[i];
	}
	return 0;
}

struct sim_pkt *sim_pool_get(struct sim_pool *p)
{
	struct sim_pkt *pkt;

	if (!p->free_list && pool_grow(p) != 0)
		return NULL;
	pkt = p->free_list;
	p->free_list = pkt->next_free;
	pkt->next_free = NULL;
	pkt->len = 0;
	pkt->flow = 0;
	p->live++;
	if (p->live > p->peak)
		p->peak = p->live;
	return pkt;
}

void sim_pool_put(struct sim_pool *p, struct sim_pkt *pkt)
{
	pkt->next_free = p->free_list;
	p->free_list = pkt;
	p->live--;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (i < len)
		sum += (uint32_t)(b[i] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void sim_ip4_fix_csum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	ip[10] = ip[11] = 0;
	um3n_put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
}

/* RFC 768 / 793 pseudo-header checksum over an IPv4 transport segment. */
static uint16_t l4_csum(const uint8_t *ip, const uint8_t *l4, size_t l4_len, uint8_t proto)
{
	uint32_t sum = csum_add(0, ip + 12, 8);

	sum += proto;
	sum += (uint32_t)l4_len;
	return csum_fold(csum_add(sum, l4, l4_len));
}

void sim_l4_fix_csum(uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, tot;
	uint8_t *l4 = ip + ihl;
	uint16_t c;

	if (len < 20 || ihl < 20 || len < ihl)
		return;
	tot = um3n_get16(ip + 2);
	if (tot > len || tot < ihl)
		return;
	if ((um3n_get16(ip + 6) & 0x3fff) != 0)
		return; /* fragments: the checksum covers the whole datagram, leave it */
	if (ip[9] == SIM_PROTO_UDP && tot - ihl >= SIM_UDP_HDR) {
		if (um3n_get16(l4 + 6) == 0)
			return; /* sender chose no checksum: keep it that way */
		l4[6] = l4[7] = 0;
		c = l4_csum(ip, l4, tot - ihl, SIM_PROTO_UDP);
		um3n_put16(l4 + 6, c ? c : 0xffff);
	} else if (ip[9] == SIM_PROTO_TCP && tot - ihl >= 20) {
		l4[16] = l4[17] = 0;
		um3n_put16(l4 + 16, l4_csum(ip, l4, tot - ihl, SIM_PROTO_TCP));
	}
}

size_t sim_build_udp4(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		      size_t payload_len, uint16_t ip_id, bool udp_csum)
{
	size_t total = SIM_IP4_HDR + SIM_UDP_HDR + payload_len;
	uint8_t *udp = buf + SIM_IP4_HDR;

	buf[0] = 0x45;
	buf[1] = 0;
	um3n_put16(buf + 2, (uint16_t)total);
	um3n_put16(buf + 4, ip_id);
	um3n_put16(buf + 6, 0x4000); /* DF: the tunnel must not fragment */
	buf[8] = 64;
	buf[9] = SIM_PROTO_UDP;
	um3n_put32(buf + 12, src);
	um3n_put32(buf + 16, dst);
	sim_ip4_fix_csum(buf);
	um3n_put16(udp, sport);
	um3n_put16(udp + 2, dport);
	um3n_put16(udp + 4, (uint16_t)(SIM_UDP_HDR + payload_len));
	udp[6] = udp[7] = 0;
	if (udp_csum) {
		uint16_t c = l4_csum(buf, udp, SIM_UDP_HDR + payload_len, SIM_PROTO_UDP);

		um3n_put16(udp + 6, c ? c : 0xffff);
	}
	return total;
}

void sim_probe_write(uint8_t *p, const struct sim_probe *pr)
{
	um3n_put32(p, SIM_PROBE_MAGIC);
	um3n_put16(p + 4, pr->flow_id);
	um3n_put16(p + 6, pr->frame_pkts);
	um3n_put32(p + 8, pr->seq);
	um3n_put32(p + 12, pr->frame_id);
	um3n_put64(p + 16, pr->send_us);
	um3n_put32(p + 24, 0);
}

bool sim_probe_read(const uint8_t *p, size_t len, struct sim_probe *pr)
{
	if (len < SIM_PROBE_LEN || um3n_get32(p) != SIM_PROBE_MAGIC)
		return false;
	pr->flow_id = um3n_get16(p + 4);
	pr->frame_pkts = um3n_get16(p + 6);
	pr->seq = um3n_get32(p + 8);
	pr->frame_id = um3n_get32(p + 12);
	pr->send_us = um3n_get64(p + 16);
	return true;
}
