/* MN engine: what enters the tunnel from the TUN device (um3n_mn_tun_input):
 * whether it is an app's data (which ends idle probing) or the host's own
 * upkeep, and the inner path MTU (pmtu.h): SYNs clamped to it, IPv4 packets
 * with DF set that exceed it answered with ICMP "fragmentation needed". Then
 * the shared data path (datapath.c) takes it. */
#include <string.h>

#include "mn_int.h"
#include "pmtu.h"

/* Not an app's traffic but the host's own upkeep on the TUN device: link-local
 * or multicast IPv6 (router solicitations, MLD reports: Linux repeats them
 * for an hour with backoff) and IPv4 multicast or broadcast. It is tunnelled
 * like any packet, but does not end idle probing (mn_timers.c). */
static bool host_chatter(const struct um3n_ip_info *ip)
{
	const uint8_t *d = ip->dst.bytes, *s = ip->src.bytes;

	if (ip->version == 6)
		return d[0] == 0xff || (s[0] == 0xfe && (s[1] & 0xc0) == 0x80);
	return (d[0] & 0xf0) == 0xe0 || um3n_addr_v4(&ip->dst) == 0xffffffffu;
}

/* An IPv4 packet with DF set above the path MTU: the ICMP answer goes back
 * into the TUN, from the HA's address (the kernel takes no ICMP error from
 * its own address on another device). True if the packet ends here. */
static bool too_big(struct um3n_mn *mn, const struct um3n_ip_info *ip, const uint8_t *pkt)
{
	uint8_t *buf;
	int n;

	if (ip->version != 4 || ip->total_len <= mn->conf.path_mtu || !um3n_pmtu_df(pkt, ip))
		return false;
	buf = um3n_outq_reserve(&mn->outq);
	if (!buf) {
		mn->drops.queue_full++;
		return true;
	}
	n = um3n_pmtu_frag_needed(buf, mn->outq.slot, pkt, ip, mn->ha_v4, mn->conf.path_mtu);
	if (n < 0) {
		mn->drops.too_big++; /* an ICMP error itself: dropped, not answered */
		return true;
	}
	um3n_outq_commit(&mn->outq, UM3N_OUT_TUN, -1, NULL, (size_t)n);
	mn->frag_needed++;
	return true;
}

/* A SYN announcing more than the path carries: its copy in scratch with the
 * MSS lowered; else pkt itself. */
static const uint8_t *clamp(struct um3n_mn *mn, const struct um3n_ip_info *ip, const uint8_t *pkt,
			    size_t len, uint8_t *scratch, size_t cap)
{
	size_t th = ip->header_len;

	if (ip->proto != 6 || ip->total_len < th + 20 || !(pkt[th + 13] & 0x02) || len > cap)
		return pkt;
	memcpy(scratch, pkt, len);
	if (!um3n_pmtu_clamp_mss(scratch, len, ip, um3n_pmtu_mss(mn->conf.path_mtu, ip->version)))
		return pkt;
	mn->mss_clamped++;
	return scratch;
}

int um3n_mn_tun_input(struct um3n_mn *mn, uint64_t now_us, const uint8_t *pkt, size_t len)
{
	uint8_t scratch[UM3N_PKT_MAX];
	struct um3n_ip_info ip;
	int rc = um3n_wire_ip_parse(pkt, len, &ip);

	if (rc) {
		mn->drops.malformed++;
		return rc;
	}
	if (mn->conf.path_mtu) {
		if (too_big(mn, &ip, pkt))
			return UM3N_OK;
		pkt = clamp(mn, &ip, pkt, len, scratch, sizeof(scratch));
	}
	if (!um3n_datapath_fits(&mn->dp, &mn->outq, &mn->drops, len))
		return UM3N_ETOOBIG;
	if (!host_chatter(&ip))
		mn_timers_active(mn, now_us);
	mn->tun_in_pkts++;
	return um3n_datapath_send(&mn->dp, &mn->outq, &mn->drops, now_us, mn->policy, &ip, pkt,
				  len);
}
