/* The tunnel's inner path MTU at the MN (issue 17, "MTU"): the largest inner
 * packet its smallest uplink carries without fragmenting the outer datagram.
 * The TUN's own MTU may be larger (IPv6 needs 1280 on the TUN, a cellular
 * uplink may carry only 1280 outside): then the MN does what a router on the
 * path would, so that TCP never meets a black hole:
 *  - it lowers the MSS option of every TCP SYN entering the tunnel to fit
 *    (what the far end sends towards the MN then fits; iptables' TCPMSS
 *    --clamp-mss-to-pmtu), and
 *  - it answers an IPv4 packet with DF set that does not fit with ICMP
 *    "fragmentation needed" (RFC 1191) carrying the path MTU;
 *  - IPv6 packets up to the TUN's MTU go on, and the kernel fragments the
 *    outer datagram (IPv6 hosts may not go below 1280: RFC 8200 §5).
 * Pure functions on packet bytes; the MN engine calls them (mn_tun.c). */
#ifndef UM3N_PMTU_H
#define UM3N_PMTU_H

#include "um3n.h"
#include "wire.h"

#define UM3N_PMTU_IPV6_MIN 1280 /* RFC 8200 §5 */

/* The largest MSS a SYN of this family may announce through a path MTU. */
static inline unsigned um3n_pmtu_mss(unsigned path_mtu, uint8_t version)
{
	unsigned hdrs = version == 6 ? 60 : 40; /* IP + TCP headers without options */

	return path_mtu > hdrs ? path_mtu - hdrs : 0;
}

/* If pkt (parsed as ip) is a TCP segment with SYN set whose MSS option is
 * above max_mss, lowers it in place and updates the TCP checksum (RFC 1624;
 * a partial checksum stays what it was relative to the bytes: the peer
 * completes those from scratch). Returns true if it changed the packet.
 * Never reads outside len; options it cannot walk are left alone. */
bool um3n_pmtu_clamp_mss(uint8_t *pkt, size_t len, const struct um3n_ip_info *ip, unsigned max_mss);

/* Does this IPv4 packet have DF set (so a router must not fragment it)? */
bool um3n_pmtu_df(const uint8_t *pkt, const struct um3n_ip_info *ip);

/* Writes into out the ICMP "fragmentation needed" (type 3 code 4) a router
 * at src_v4 sends for the IPv4 packet pkt, with next-hop MTU mtu: an IPv4
 * header to pkt's source, and as much of pkt as keeps the answer within 576
 * bytes (RFC 1812 §4.3.2.3). Returns its length, or UM3N_ETOOBIG (cap) /
 * UM3N_EINVAL (pkt is no IPv4 packet, or an ICMP error itself, which gets
 * no answer: RFC 1122 §3.2.2). */
int um3n_pmtu_frag_needed(uint8_t *out, size_t cap, const uint8_t *pkt,
			  const struct um3n_ip_info *ip, uint32_t src_v4, unsigned mtu);

#endif
