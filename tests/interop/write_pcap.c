/* Writes a pcap (Ethernet, real IPv4/UDP headers with correct checksums) of
 * what um3n puts on the wire, for strangers' decoders to read (tshark, scapy):
 *   1. RRQ  MN -> HA: UDP Tunnel Request, link-info + policy-chunk NVSEs,
 *                     MN-HA authentication signed with a test key
 *   2. RRP  HA -> MN: UDP Tunnel Reply, link-info + policy-ack NVSEs, MN-HA auth
 *   3. tunnel data, next header 4: inner IPv4 ICMP echo request (a link probe)
 *   4. tunnel data, next header 4: the ICMP echo reply
 *   5. tunnel data, next header 47: GRE with sequence number, inner IPv4 UDP
 * Every message is decoded again with our own decoder (and the authenticators
 * verified) before it is written, so a wrong encoder fails here too.
 * Usage: wire_interop_writer OUT.pcap   (field values: see check_scapy.py) */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "wire.h"

#define MN_IP 0xc6336407u   /* 198.51.100.7: care-of address (uplink) */
#define HA_IP 0xc0000201u   /* 192.0.2.1 */
#define HOME_IP 0x0a630002u /* 10.99.0.2 */
#define PEER_IP 0xcb007105u /* 203.0.113.5: a correspondent behind the HA */
#define MN_PORT 40001
#define IDENT 0xe8a1b2c300000001ULL
#define ETH_HDR_LEN 14
#define IP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define FRAME_MAX 1600

static const uint8_t test_key[32] = "um3n-interop-test-key-0123456789";
static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x02};
/* Policy chunk bytes: opaque to the wire codec (policy.h serialises them). */
static const uint8_t policy_bytes[] = {1, 0, 0, 0, 1, 4, 24, 203, 0, 113, 2, 0};

struct writer {
	pcap_dumper_t *dump;
	unsigned count;
};

/* IPv4 header with checksum; `payload_len` bytes follow it. */
static void put_ipv4(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, size_t payload_len,
		     uint16_t id)
{
	memset(ip, 0, IP_HDR_LEN);
	ip[0] = 0x45;
	um3n_put16(ip + 2, (uint16_t)(IP_HDR_LEN + payload_len));
	um3n_put16(ip + 4, id);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = proto;
	um3n_put32(ip + 12, src);
	um3n_put32(ip + 16, dst);
	um3n_put16(ip + 10, um3n_wire_inet_csum(ip, IP_HDR_LEN));
}

/* UDP header + checksum over the RFC 768 pseudo-header; payload already at udp+8. */
static void put_udp(uint8_t *udp, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    size_t payload_len)
{
	uint8_t tmp[12 + FRAME_MAX];
	size_t ulen = UDP_HDR_LEN + payload_len;
	uint16_t csum;

	um3n_put16(udp, sport);
	um3n_put16(udp + 2, dport);
	um3n_put16(udp + 4, (uint16_t)ulen);
	um3n_put16(udp + 6, 0);
	um3n_put32(tmp, src);
	um3n_put32(tmp + 4, dst);
	tmp[8] = 0;
	tmp[9] = 17;
	um3n_put16(tmp + 10, (uint16_t)ulen);
	memcpy(tmp + 12, udp, ulen);
	csum = um3n_wire_inet_csum(tmp, 12 + ulen);
	um3n_put16(udp + 6, csum ? csum : 0xffff); /* 0 means "no checksum" */
}

/* Frames `payload` as Ethernet/IPv4/UDP and appends it to the pcap. */
static int emit_udp(struct writer *w, bool from_mn, uint16_t sport, uint16_t dport,
		    const uint8_t *payload, size_t len)
{
	uint8_t frame[FRAME_MAX];
	uint8_t *ip = frame + ETH_HDR_LEN, *udp = ip + IP_HDR_LEN;
	uint32_t src = from_mn ? MN_IP : HA_IP, dst = from_mn ? HA_IP : MN_IP;
	struct pcap_pkthdr h;
	size_t total = ETH_HDR_LEN + IP_HDR_LEN + UDP_HDR_LEN + len;

	if (total > sizeof(frame))
		return -1;
	memcpy(frame, from_mn ? mac_ha : mac_mn, 6);
	memcpy(frame + 6, from_mn ? mac_mn : mac_ha, 6);
	um3n_put16(frame + 12, 0x0800);
	memcpy(udp + UDP_HDR_LEN, payload, len);
	put_udp(udp, src, dst, sport, dport, len);
	put_ipv4(ip, 17, src, dst, UDP_HDR_LEN + len, (uint16_t)(0x100 + w->count));
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = 1700000000 + w->count / 10;
	h.ts.tv_usec = (suseconds_t)(w->count % 10) * 100000;
	h.caplen = h.len = (bpf_u_int32)total;
	pcap_dump((u_char *)w->dump, &h, frame);
	w->count++;
	return 0;
}

static int write_rrq(struct writer *w)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrq m = {
		.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T,
		.lifetime_s = 300,
		.home_addr = HOME_IP,
		.ha_addr = HA_IP,
		.coa = MN_IP,
		.ident = IDENT,
		.has_udp_tun_req = true,
		.udp_tun_flags = UM3N_UDP_TUN_FLAG_F,
		.encap = UM3N_ENCAP_IPIP,
		.has_link_info = true,
		.link = {.link_id = 1, .link_class = 2, .priority = 1},
		.has_policy_chunk = true,
		.chunk = {.version = 7,
			  .index = 0,
			  .count = 1,
			  .data = policy_bytes,
			  .len = sizeof(policy_bytes)},
		.spi = 256,
	};
	struct um3n_rrq d;
	size_t len, auth_off;

	if (um3n_wire_rrq_encode(&m, buf, sizeof(buf), &len, &auth_off) ||
	    um3n_auth_sign(test_key, sizeof(test_key), buf, auth_off, buf + auth_off))
		return -1;
	if (um3n_wire_rrq_decode(buf, len, &d) || !d.has_udp_tun_req || !d.has_policy_chunk ||
	    um3n_auth_verify(test_key, sizeof(test_key), buf, d.auth_covered_len, d.auth,
			     d.auth_len))
		return -1;
	return emit_udp(w, true, MN_PORT, UM3N_PORT_DEFAULT, buf, len);
}

static int write_rrp(struct writer *w)
{
	uint8_t buf[UM3N_REG_MSG_MAX];
	struct um3n_rrp m = {
		.code = UM3N_CODE_ACCEPTED,
		.lifetime_s = 300,
		.home_addr = HOME_IP,
		.ha_addr = HA_IP,
		.ident = IDENT,
		.has_udp_tun_reply = true,
		.udp_tun_code = UM3N_UDP_TUN_REPLY_ACCEPT,
		.keepalive_s = 20,
		.has_link_info = true,
		.link = {.link_id = 1, .link_class = 2, .priority = 1},
		.has_policy_ack = true,
		.policy_ack = {.version = 7, .chunks_held = 1, .count = 1},
		.spi = 256,
	};
	struct um3n_rrp d;
	size_t len, auth_off;

	if (um3n_wire_rrp_encode(&m, buf, sizeof(buf), &len, &auth_off) ||
	    um3n_auth_sign(test_key, sizeof(test_key), buf, auth_off, buf + auth_off))
		return -1;
	if (um3n_wire_rrp_decode(buf, len, &d) || !d.has_udp_tun_reply || !d.has_policy_ack ||
	    um3n_auth_verify(test_key, sizeof(test_key), buf, d.auth_covered_len, d.auth,
			     d.auth_len))
		return -1;
	return emit_udp(w, false, UM3N_PORT_DEFAULT, MN_PORT, buf, len);
}

/* Inner IPv4 ICMP echo request (type 8) or reply (type 0) with 8 data bytes. */
static size_t inner_icmp(uint8_t *p, bool reply)
{
	uint8_t *icmp = p + IP_HDR_LEN;
	size_t icmp_len = 16;

	memset(icmp, 0, icmp_len);
	icmp[0] = reply ? 0 : 8;
	um3n_put16(icmp + 4, 0x4d33); /* identifier */
	um3n_put16(icmp + 6, 1);      /* sequence */
	memcpy(icmp + 8, "um3nprob", 8);
	um3n_put16(icmp + 2, um3n_wire_inet_csum(icmp, icmp_len));
	put_ipv4(p, 1, reply ? HA_IP : HOME_IP, reply ? HOME_IP : HA_IP, icmp_len, 0x200);
	return IP_HDR_LEN + icmp_len;
}

/* Inner IPv4 UDP datagram home address -> correspondent, port 5000 -> 9. */
static size_t inner_udp(uint8_t *p)
{
	uint8_t *udp = p + IP_HDR_LEN;
	static const char data[] = "um3n gre payload";
	size_t dlen = sizeof(data) - 1;

	memcpy(udp + UDP_HDR_LEN, data, dlen);
	put_udp(udp, HOME_IP, PEER_IP, 5000, 9, dlen);
	put_ipv4(p, 17, HOME_IP, PEER_IP, UDP_HDR_LEN + dlen, 0x300);
	return IP_HDR_LEN + UDP_HDR_LEN + dlen;
}

/* Tunnel data with next header nh; for GRE with key != 0 also the RFC 2890
 * key of aggregate rules (flow and counter, ARCHITECTURE.md §4). */
static int write_tunnel(struct writer *w, uint8_t nh, bool from_mn, bool icmp_reply, uint32_t key)
{
	uint8_t buf[256];
	struct um3n_tunnel_data d;
	size_t hlen = key ? um3n_wire_tunnel_hdr_keyed(buf, false, key, 5)
			  : um3n_wire_tunnel_hdr(buf, nh, false, 5);
	size_t ilen = nh == UM3N_NH_GRE ? inner_udp(buf + hlen)
					: inner_icmp(buf + hlen, icmp_reply);

	if (um3n_wire_tunnel_decode(buf, hlen + ilen, &d) || d.inner_len != ilen ||
	    d.has_key != (key != 0) || d.key != key)
		return -1;
	return from_mn ? emit_udp(w, true, MN_PORT, UM3N_PORT_DEFAULT, buf, hlen + ilen)
		       : emit_udp(w, false, UM3N_PORT_DEFAULT, MN_PORT, buf, hlen + ilen);
}

int main(int argc, char **argv)
{
	struct writer w = {0};
	pcap_t *dead;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
		return 2;
	}
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	w.dump = dead ? pcap_dump_open(dead, argv[1]) : NULL;
	if (!w.dump) {
		fprintf(stderr, "%s: %s\n", argv[1], dead ? pcap_geterr(dead) : "pcap_open_dead");
		return 1;
	}
	rc = write_rrq(&w) || write_rrp(&w) || write_tunnel(&w, UM3N_NH_IPV4, true, false, 0) ||
	     write_tunnel(&w, UM3N_NH_IPV4, false, true, 0) ||
	     write_tunnel(&w, UM3N_NH_GRE, true, false, 0) ||
	     write_tunnel(&w, UM3N_NH_GRE, false, false, 0x50000007);
	pcap_dump_close(w.dump);
	pcap_close(dead);
	if (rc) {
		fprintf(stderr, "%s: encoding or self-check failed\n", argv[0]);
		return 1;
	}
	printf("wrote %u packets to %s\n", w.count, argv[1]);
	return 0;
}
