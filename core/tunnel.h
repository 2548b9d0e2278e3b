/* The data plane shared by both engines: encapsulation (RFC 3519 tunnel data with
 * an RFC 2890 GRE sequence number), the receive window that drops duplicates
 * (re-sends after a failover, redundant mode) and the ICMP echo link probes
 * carried as plain tunnel data (readable in Wireshark, DESIGN.md §2). */
#ifndef UM3N_TUNNEL_H
#define UM3N_TUNNEL_H

#include "um3n.h"
#include "wire.h"

/* Receive window over 32-bit serial sequence numbers (RFC 1982 arithmetic),
 * in the manner of the IPsec anti-replay bitmap (RFC 6479). */
#define UM3N_SEQWIN_BITS 4096
/* This many consecutive "too old" packets mean the peer restarted its
 * sequence: the window resynchronises instead of dropping forever. */
#define UM3N_SEQWIN_RESYNC_AFTER 64

struct um3n_seqwin {
	bool started;
	uint32_t top; /* highest sequence accepted */
	uint32_t too_old_run;
	uint64_t reordered; /* accepted although below top */
	uint64_t bits[UM3N_SEQWIN_BITS / 64];
};

/* Accepts and records seq. Returns 0 (new), UM3N_EDUP (seen), UM3N_EREPLAY
 * (older than the window). */
int um3n_seqwin_check(struct um3n_seqwin *w, uint32_t seq);

/* Writes tunnel header + GRE(seq) + inner into buf. Returns bytes, or
 * UM3N_ETOOBIG when it does not fit in cap. */
int um3n_tunnel_encap(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len,
		      bool inner_is_v6, uint32_t seq);

#define UM3N_PROBE_ICMP_ID_BASE 0x5500 /* ICMP identifier = base | link id */
#define UM3N_PROBE_LEN (UM3N_TUN_HDR_LEN + 20 + 8 + 8)

struct um3n_probe {
	bool is_reply;
	uint16_t icmp_id, icmp_seq;
	uint64_t sent_us; /* the prober's clock, echoed back unchanged */
};

/* An echo request (src -> dst, both IPv4) inside tunnel data (next header 4).
 * Returns bytes, or UM3N_ETOOBIG. */
int um3n_tunnel_probe_build(uint8_t *buf, size_t cap, uint32_t src_v4, uint32_t dst_v4,
			    const struct um3n_probe *p);
/* Is this decoded inner IPv4 packet an ICMP echo request/reply for `self_v4`
 * (its destination)? Fills p. Errors: UM3N_EINVAL (not a probe). */
int um3n_tunnel_probe_parse(const uint8_t *inner, size_t len, uint32_t self_v4,
			    struct um3n_probe *p);
/* Turns the echo request `inner` into the reply, written as tunnel data into buf.
 * Returns bytes, or UM3N_EINVAL / UM3N_ETOOBIG. */
int um3n_tunnel_probe_answer(uint8_t *buf, size_t cap, const uint8_t *inner, size_t len);

#endif
