/* um3n wire codec, data half: RFC 3519 tunnel data (type 4), RFC 2890 GRE
 * with sequence numbers inside it, and the inner-IP helpers the engines share
 * (registration messages are in wire_reg.c). Layouts and limits live in wire.h. */
#include "wire.h"

#include <assert.h>
#include <string.h>

size_t um3n_wire_tunnel_hdr(uint8_t *hdr, uint8_t next_header, bool inner_is_v6, uint32_t seq)
{
	assert(hdr);
	/* RFC 3519 §3.3: type 4, next header, 16 reserved bits. */
	hdr[0] = UM3N_MSG_TUNNEL_DATA;
	hdr[1] = next_header;
	hdr[2] = 0;
	hdr[3] = 0;
	if (next_header != UM3N_NH_GRE)
		return UM3N_TUN_HDR_LEN;
	/* RFC 2890 §2: C=0 K=0 S=1, version 0, protocol type, sequence number. */
	um3n_put16(hdr + 4, UM3N_GRE_FLAG_S);
	um3n_put16(hdr + 6, inner_is_v6 ? UM3N_ETHERTYPE_IPV6 : UM3N_ETHERTYPE_IPV4);
	um3n_put32(hdr + 8, seq);
	return UM3N_DATA_OVERHEAD;
}

size_t um3n_wire_tunnel_hdr_keyed(uint8_t *hdr, bool inner_is_v6, uint32_t key, uint32_t seq)
{
	um3n_wire_tunnel_hdr(hdr, UM3N_NH_GRE, inner_is_v6, 0);
	/* RFC 2890 §2: C=0 K=1 S=1; the key comes before the sequence number. */
	um3n_put16(hdr + 4, UM3N_GRE_FLAG_K | UM3N_GRE_FLAG_S);
	um3n_put32(hdr + 8, key);
	um3n_put32(hdr + 12, seq);
	return UM3N_DATA_KEYED_OVERHEAD;
}

static int gre_proto(const uint8_t *p, uint8_t *ip_version)
{
	uint16_t proto = um3n_get16(p + 2);

	if (proto == UM3N_ETHERTYPE_IPV4)
		*ip_version = 4;
	else if (proto == UM3N_ETHERTYPE_IPV6)
		*ip_version = 6;
	else
		return UM3N_EUNKNOWN;
	return UM3N_OK;
}

/* RFC 2890 with only S set: C, K, reserved0 and version must be 0 -- anything
 * else (checksums, routing, other versions) is not what we send. K and S
 * (aggregate rules) return 1: decode_keyed() takes the packet, off the
 * common path. */
static int gre_parse(const uint8_t *p, size_t len, struct um3n_tunnel_data *d, uint8_t *ip_version)
{
	int rc;

	if (len < UM3N_GRE_HDR_LEN)
		return UM3N_ETRUNC;
	if (um3n_get16(p) != UM3N_GRE_FLAG_S)
		return um3n_get16(p) == (UM3N_GRE_FLAG_K | UM3N_GRE_FLAG_S) ? 1 : UM3N_EINVAL;
	rc = gre_proto(p, ip_version);
	if (rc)
		return rc;
	d->has_seq = true;
	d->seq = um3n_get32(p + 4);
	return UM3N_OK;
}

/* Tunnel data with GRE K and S: the key, then the sequence number. */
static int __attribute__((noinline))
decode_keyed(const uint8_t *buf, size_t len, struct um3n_tunnel_data *d)
{
	const size_t hdr = UM3N_DATA_KEYED_OVERHEAD;
	const uint8_t *p = buf + UM3N_TUN_HDR_LEN;
	uint8_t ip_version;
	int rc;

	assert(d->next_header == UM3N_NH_GRE && um3n_get16(p) == 0x3000);
	if (len < hdr)
		return UM3N_ETRUNC;
	rc = gre_proto(p, &ip_version);
	if (rc)
		return rc;
	if (len == hdr)
		return UM3N_ETRUNC; /* no inner packet at all */
	if (buf[hdr] >> 4 != ip_version)
		return UM3N_EINVAL;
	d->has_seq = d->has_key = true;
	d->key = um3n_get32(p + 4);
	d->seq = um3n_get32(p + 8);
	d->inner = buf + hdr;
	d->inner_len = len - hdr;
	assert(d->inner_len > 0 && d->inner + d->inner_len == buf + len);
	return UM3N_OK;
}

int um3n_wire_tunnel_decode(const uint8_t *buf, size_t len, struct um3n_tunnel_data *d)
{
	size_t hdr = UM3N_TUN_HDR_LEN;
	uint8_t ip_version;
	int rc;

	if (!buf || !d)
		return UM3N_EINVAL;
	memset(d, 0, sizeof(*d));
	if (len < UM3N_TUN_HDR_LEN)
		return UM3N_ETRUNC;
	if (buf[0] != UM3N_MSG_TUNNEL_DATA)
		return UM3N_EINVAL;
	d->next_header = buf[1];
	switch (buf[1]) {
	case UM3N_NH_IPV4: ip_version = 4; break;
	case UM3N_NH_IPV6: ip_version = 6; break;
	case UM3N_NH_GRE:
		rc = gre_parse(buf + hdr, len - hdr, d, &ip_version);
		if (rc)
			return rc > 0 ? decode_keyed(buf, len, d) : rc;
		hdr += UM3N_GRE_HDR_LEN;
		break;
	default: return UM3N_EUNKNOWN;
	}
	if (len == hdr)
		return UM3N_ETRUNC; /* no inner packet at all */
	if (buf[hdr] >> 4 != ip_version)
		return UM3N_EINVAL;
	d->inner = buf + hdr;
	d->inner_len = len - hdr;
	assert(hdr == (d->has_seq ? UM3N_DATA_OVERHEAD : UM3N_TUN_HDR_LEN)); /* no key here */
	assert(d->inner_len > 0 && d->inner + d->inner_len == buf + len);
	return UM3N_OK;
}

/* ---------- inner IP ---------- */

#define IPV4_MIN_HDR 20
#define IPV6_HDR 40

static int ipv4_parse(const uint8_t *pkt, size_t len, struct um3n_ip_info *ip)
{
	size_t ihl_bytes, total;

	if (len < IPV4_MIN_HDR)
		return UM3N_ETRUNC;
	ihl_bytes = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl_bytes < IPV4_MIN_HDR)
		return UM3N_EINVAL;
	total = um3n_get16(pkt + 2);
	if (total < ihl_bytes)
		return UM3N_EINVAL;
	if (total > len || ihl_bytes > len)
		return UM3N_ETRUNC;
	ip->version = 4;
	ip->proto = pkt[9];
	ip->src.family = UM3N_AF_INET;
	memcpy(ip->src.bytes, pkt + 12, 4);
	ip->dst.family = UM3N_AF_INET;
	memcpy(ip->dst.bytes, pkt + 16, 4);
	ip->header_len = ihl_bytes;
	ip->total_len = total;
	assert(IPV4_MIN_HDR <= ihl_bytes && ihl_bytes <= total && total <= len);
	return UM3N_OK;
}

static int ipv6_parse(const uint8_t *pkt, size_t len, struct um3n_ip_info *ip)
{
	size_t total;

	if (len < IPV6_HDR)
		return UM3N_ETRUNC;
	total = IPV6_HDR + (size_t)um3n_get16(pkt + 4);
	if (total > len)
		return UM3N_ETRUNC;
	ip->version = 6;
	ip->proto = pkt[6];
	ip->src.family = UM3N_AF_INET6;
	memcpy(ip->src.bytes, pkt + 8, 16);
	ip->dst.family = UM3N_AF_INET6;
	memcpy(ip->dst.bytes, pkt + 24, 16);
	ip->header_len = IPV6_HDR;
	ip->total_len = total;
	assert(IPV6_HDR <= total && total <= len);
	return UM3N_OK;
}

int um3n_wire_ip_parse(const uint8_t *pkt, size_t len, struct um3n_ip_info *ip)
{
	if (!pkt || !ip)
		return UM3N_EINVAL;
	memset(ip, 0, sizeof(*ip));
	if (len < 1)
		return UM3N_ETRUNC;
	switch (pkt[0] >> 4) {
	case 4: return ipv4_parse(pkt, len, ip);
	case 6: return ipv6_parse(pkt, len, ip);
	default: return UM3N_EINVAL;
	}
}

uint16_t um3n_wire_inet_csum(const uint8_t *buf, size_t len)
{
	/* RFC 1071 §4.1: one's-complement sum of 16-bit words, odd byte padded
	 * with zero, carries folded back in, then complemented. */
	uint64_t sum = 0; /* no overflow for any buffer that fits in memory */
	size_t i;

	assert(buf || len == 0);
	for (i = 0; i + 1 < len; i += 2)
		sum += um3n_get16(buf + i);
	if (len & 1)
		sum += (uint64_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
