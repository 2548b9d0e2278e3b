/* Tunnel encapsulation and the ICMP echo link probes (tunnel.h). */
#include "tunnel.h"

#include <assert.h>
#include <string.h>

int um3n_tunnel_encap(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len,
		      bool inner_is_v6, uint32_t seq)
{
	size_t hlen;

	assert(buf && (inner || inner_len == 0));
	if (inner_len + UM3N_DATA_OVERHEAD > cap)
		return UM3N_ETOOBIG;
	hlen = um3n_wire_tunnel_hdr(buf, UM3N_NH_GRE, inner_is_v6, seq);
	assert(hlen == UM3N_DATA_OVERHEAD);
	memcpy(buf + hlen, inner, inner_len);
	return (int)(hlen + inner_len);
}

void um3n_tunnel_ipv4_icmp_header(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t total_len)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	um3n_put16(ip + 2, total_len);
	ip[8] = 64; /* TTL */
	ip[9] = 1;  /* ICMP */
	um3n_put32(ip + 12, src);
	um3n_put32(ip + 16, dst);
	um3n_put16(ip + 10, um3n_wire_inet_csum(ip, 20));
}

static void put_report(uint8_t *at, const struct um3n_probe_report *r)
{
	um3n_put32(at, r->valid ? r->rx_bytes : 0);
	um3n_put32(at + 4, r->valid ? r->qdelay_us : 0);
}

/* A report at offset off of an echo of icmp_len bytes, if it reaches that far. */
static struct um3n_probe_report get_report(const uint8_t *icmp, size_t icmp_len, size_t off)
{
	struct um3n_probe_report r = {false, 0, 0};

	if (icmp_len >= off + 8) {
		r.valid = true;
		r.rx_bytes = um3n_get32(icmp + off);
		r.qdelay_us = um3n_get32(icmp + off + 4);
	}
	return r;
}

int um3n_tunnel_probe_build(uint8_t *buf, size_t cap, uint32_t src_v4, uint32_t dst_v4,
			    const struct um3n_probe *p)
{
	uint8_t *ip, *icmp;

	assert(buf && p);
	if (cap < UM3N_PROBE_LEN)
		return UM3N_ETOOBIG;
	um3n_wire_tunnel_hdr(buf, UM3N_NH_IPV4, false, 0);
	ip = buf + UM3N_TUN_HDR_LEN;
	um3n_tunnel_ipv4_icmp_header(ip, src_v4, dst_v4, 20 + UM3N_PROBE_ICMP_LEN);
	icmp = ip + 20;
	icmp[0] = p->is_reply ? 0 : 8;
	icmp[1] = 0;
	um3n_put16(icmp + 2, 0);
	um3n_put16(icmp + 4, p->icmp_id);
	um3n_put16(icmp + 6, p->icmp_seq);
	um3n_put64(icmp + 8, p->sent_us);
	um3n_put64(icmp + 16, p->answer_us);
	put_report(icmp + 24, &p->prober);
	put_report(icmp + 32, &p->answerer);
	um3n_put32(icmp + 40, p->interval_ms);
	um3n_put16(icmp + 2, um3n_wire_inet_csum(icmp, UM3N_PROBE_ICMP_LEN));
	return UM3N_PROBE_LEN;
}

int um3n_tunnel_probe_parse(const uint8_t *inner, size_t len, uint32_t self_v4,
			    struct um3n_probe *p)
{
	struct um3n_ip_info ip;
	const uint8_t *icmp;

	if (um3n_wire_ip_parse(inner, len, &ip) != UM3N_OK || ip.version != 4 || ip.proto != 1)
		return UM3N_EINVAL;
	assert(ip.header_len <= ip.total_len && ip.total_len <= len); /* um3n_wire_ip_parse */
	if (um3n_addr_v4(&ip.dst) != self_v4 || ip.total_len < ip.header_len + 16)
		return UM3N_EINVAL;
	icmp = inner + ip.header_len;
	if ((icmp[0] != 8 && icmp[0] != 0) || icmp[1] != 0)
		return UM3N_EINVAL;
	if (um3n_wire_inet_csum(icmp, ip.total_len - ip.header_len) != 0)
		return UM3N_EINVAL;
	p->is_reply = icmp[0] == 0;
	p->icmp_id = um3n_get16(icmp + 4);
	p->icmp_seq = um3n_get16(icmp + 6);
	p->sent_us = um3n_get64(icmp + 8);
	/* An older prober's 16-byte echo has no answerer's slot. */
	p->answer_us = ip.total_len >= ip.header_len + 24 ? um3n_get64(icmp + 16) : 0;
	p->prober = get_report(icmp, ip.total_len - ip.header_len, 24);
	p->answerer = get_report(icmp, ip.total_len - ip.header_len, 32);
	p->interval_ms = ip.total_len - ip.header_len >= 44 ? um3n_get32(icmp + 40) : 0;
	return UM3N_OK;
}

int um3n_tunnel_probe_answer(uint8_t *buf, size_t cap, const uint8_t *inner, size_t len,
			     uint64_t now_us, const struct um3n_probe_report *report)
{
	struct um3n_ip_info ip;
	uint8_t *out_ip, *icmp;
	size_t icmp_len;

	if (um3n_wire_ip_parse(inner, len, &ip) != UM3N_OK || ip.version != 4)
		return UM3N_EINVAL;
	assert(ip.header_len <= ip.total_len && ip.total_len <= len); /* um3n_wire_ip_parse */
	/* The reply's type and checksum are written into the echo header: a
	 * shorter packet has none (and the bytes would lie past cap). */
	if (ip.total_len - ip.header_len < 8)
		return UM3N_EINVAL;
	if (ip.total_len + UM3N_TUN_HDR_LEN > cap)
		return UM3N_ETOOBIG;
	icmp_len = ip.total_len - ip.header_len;
	um3n_wire_tunnel_hdr(buf, UM3N_NH_IPV4, false, 0);
	out_ip = buf + UM3N_TUN_HDR_LEN;
	um3n_tunnel_ipv4_icmp_header(out_ip, um3n_addr_v4(&ip.dst), um3n_addr_v4(&ip.src),
				     (uint16_t)(20 + icmp_len));
	icmp = out_ip + 20;
	memcpy(icmp, inner + ip.header_len, icmp_len);
	icmp[0] = 0; /* echo reply */
	if (icmp_len >= 24)
		um3n_put64(icmp + 16, now_us);
	if (icmp_len >= 40 && report)
		put_report(icmp + 32, report);
	um3n_put16(icmp + 2, 0);
	um3n_put16(icmp + 2, um3n_wire_inet_csum(icmp, icmp_len));
	return (int)(UM3N_TUN_HDR_LEN + 20 + icmp_len);
}
