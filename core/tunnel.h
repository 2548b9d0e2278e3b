/* Tunnel data as both engines build it: encapsulation (RFC 3519 tunnel data with
 * an RFC 2890 GRE sequence number, seqwin.h) and the ICMP echo link probes
 * carried as plain tunnel data (readable in Wireshark, ARCHITECTURE.md §4). */
#ifndef UM3N_TUNNEL_H
#define UM3N_TUNNEL_H

#include "um3n.h"
#include "seqwin.h"
#include "wire.h"

/* Writes tunnel header + GRE(seq) + inner into buf. Returns bytes, or
 * UM3N_ETOOBIG when it does not fit in cap. */
int um3n_tunnel_encap(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len,
		      bool inner_is_v6, uint32_t seq);

/* A 20-byte IPv4 header of an ICMP packet (TTL 64, no options, its checksum
 * set) at ip. */
void um3n_tunnel_ipv4_icmp_header(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t total_len);

#define UM3N_PROBE_ICMP_ID_BASE 0x5500 /* ICMP identifier = base | link id */
/* ICMP: 8 bytes of header, the prober's clock, the answerer's clock (0 in a
 * request; a peer that only echoes leaves it 0), then two delivery reports
 * (rateest.h): the prober's of this link's traffic towards it, and the
 * answerer's (0 in a request). A report is the bytes its writer received on
 * the link (modulo 2^32) and the link's queueing delay in µs as it sees it.
 * Last, the prober's probe interval in ms: its next probe on this link comes
 * within that (idle probing: the HA judges silence by it).
 * Older probes end after the reports (40 bytes of ICMP), the clocks (24) or
 * the first (16). */
#define UM3N_PROBE_ICMP_LEN (8 + 8 + 8 + 8 + 8 + 4)
#define UM3N_PROBE_LEN (UM3N_TUN_HDR_LEN + 20 + UM3N_PROBE_ICMP_LEN)

struct um3n_probe_report {
	bool valid; /* the echo was long enough to carry it */
	uint32_t rx_bytes, qdelay_us;
};

struct um3n_probe {
	bool is_reply;
	uint16_t icmp_id, icmp_seq;
	uint64_t sent_us;   /* the prober's clock, echoed back unchanged */
	uint64_t answer_us; /* the answerer's clock when it answered; 0: none */
	struct um3n_probe_report prober, answerer;
	uint32_t interval_ms; /* the prober's probe interval; 0: not said (older prober) */
};

/* An echo request (src -> dst, both IPv4) inside tunnel data (next header 4).
 * Returns bytes, or UM3N_ETOOBIG. */
int um3n_tunnel_probe_build(uint8_t *buf, size_t cap, uint32_t src_v4, uint32_t dst_v4,
			    const struct um3n_probe *p);
/* Is this decoded inner IPv4 packet an ICMP echo request/reply for `self_v4`
 * (its destination)? Fills p. Errors: UM3N_EINVAL (not a probe). */
int um3n_tunnel_probe_parse(const uint8_t *inner, size_t len, uint32_t self_v4,
			    struct um3n_probe *p);
/* Turns the echo request `inner` into the reply, written as tunnel data into
 * buf, with now_us in the answerer's slot and `report` in the answerer's
 * report when the request has room for them (an older prober's does not).
 * Returns bytes, or UM3N_EINVAL (not IPv4, or shorter than an ICMP echo
 * header) / UM3N_ETOOBIG. */
int um3n_tunnel_probe_answer(uint8_t *buf, size_t cap, const uint8_t *inner, size_t len,
			     uint64_t now_us, const struct um3n_probe_report *report);

#endif
