/* The tunnel's inner path MTU at the MN (pmtu.h). */
#include "pmtu.h"

#include <assert.h>
#include <string.h>

#include "tunnel.h"

#define TCP_PROTO 6
#define ICMP_PROTO 1
#define TCP_SYN 0x02
#define TCPOPT_END 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define ICMP_ERR_MAX 576 /* RFC 1812 §4.3.2.3 */

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), one 16-bit word changed. */
static uint16_t csum_replace(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The offset of the MSS option's value in the TCP header at tcp, or 0. */
static size_t find_mss(const uint8_t *tcp, size_t hlen)
{
	size_t i = 20;

	while (i < hlen) {
		uint8_t kind = tcp[i];

		if (kind == TCPOPT_END)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || tcp[i + 1] < 2 || i + tcp[i + 1] > hlen)
			break; /* a length that runs off the header: leave it alone */
		if (kind == TCPOPT_MSS && tcp[i + 1] == 4)
			return i + 2;
		i += tcp[i + 1];
	}
	return 0;
}

bool um3n_pmtu_clamp_mss(uint8_t *pkt, size_t len, const struct um3n_ip_info *ip, unsigned max_mss)
{
	uint8_t *tcp;
	size_t hlen, at;
	uint16_t old;

	assert(pkt && ip);
	if (ip->total_len > len)
		return false; /* not what um3n_wire_ip_parse said of these bytes */
	/* Only an unfragmented segment's first bytes are a TCP header. */
	if (ip->proto != TCP_PROTO || max_mss == 0 ||
	    (ip->version == 4 && (um3n_get16(pkt + 6) & 0x1fff) != 0) ||
	    ip->total_len < ip->header_len + 20)
		return false;
	tcp = pkt + ip->header_len;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (!(tcp[13] & TCP_SYN) || hlen < 20 || ip->header_len + hlen > ip->total_len)
		return false;
	at = find_mss(tcp, hlen);
	if (!at)
		return false;
	old = um3n_get16(tcp + at);
	if (old <= max_mss)
		return false;
	um3n_put16(tcp + at, (uint16_t)max_mss);
	/* the option's 16-bit word is aligned with the checksum's words only
	 * when its offset is even */
	if (at % 2 == 0) {
		um3n_put16(tcp + 16, csum_replace(um3n_get16(tcp + 16), old, (uint16_t)max_mss));
	} else {
		uint16_t w0 = (uint16_t)(tcp[at - 1] << 8 | old >> 8),
			 w1 = (uint16_t)((old & 0xff) << 8 | tcp[at + 2]);
		uint16_t c = csum_replace(um3n_get16(tcp + 16), w0, um3n_get16(tcp + at - 1));

		um3n_put16(tcp + 16, csum_replace(c, w1, um3n_get16(tcp + at + 1)));
	}
	return true;
}

bool um3n_pmtu_df(const uint8_t *pkt, const struct um3n_ip_info *ip)
{
	return ip->version == 4 && (um3n_get16(pkt + 6) & 0x4000) != 0;
}

/* An ICMP error (not a query): answering it could loop between two routers. */
static bool is_icmp_error(const uint8_t *pkt, const struct um3n_ip_info *ip)
{
	uint8_t type;

	if (ip->proto != ICMP_PROTO || ip->total_len <= ip->header_len)
		return false;
	type = pkt[ip->header_len];
	return type != 0 && type != 8 && type != 13 && type != 14;
}

int um3n_pmtu_frag_needed(uint8_t *out, size_t cap, const uint8_t *pkt,
			  const struct um3n_ip_info *ip, uint32_t src_v4, unsigned mtu)
{
	size_t quote, total;
	uint8_t *icmp;

	assert(out && pkt && ip);
	if (ip->version != 4 || is_icmp_error(pkt, ip))
		return UM3N_EINVAL;
	quote = ip->total_len;
	if (quote > ICMP_ERR_MAX - 28)
		quote = ICMP_ERR_MAX - 28;
	total = 28 + quote;
	if (total > cap)
		return UM3N_ETOOBIG;
	um3n_tunnel_ipv4_icmp_header(out, src_v4, um3n_addr_v4(&ip->src), (uint16_t)total);
	icmp = out + 20;
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed and DF set */
	um3n_put16(icmp + 2, 0);
	um3n_put16(icmp + 4, 0);
	um3n_put16(icmp + 6, (uint16_t)mtu); /* RFC 1191 §4: the next-hop MTU */
	memcpy(icmp + 8, pkt, quote);
	um3n_put16(icmp + 2, um3n_wire_inet_csum(icmp, 8 + quote));
	return (int)total;
}
