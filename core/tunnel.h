/* The data plane shared by both engines: encapsulation (RFC 3519 tunnel data with
 * an RFC 2890 GRE sequence number), the receive window that drops duplicates
 * (re-sends after a failover, redundant mode) and the ICMP echo link probes
 * carried as plain tunnel data (readable in Wireshark, DESIGN.md §2). */
#ifndef UM3N_TUNNEL_H
#define UM3N_TUNNEL_H

#include "um3n.h"
#include "wire.h"

/* Sequence numbers. The 32-bit GRE sequence carries the sending link in its top
 * 3 bits and a per-link 29-bit counter below: each link is (nearly) FIFO, so a
 * small window per link suffices however far one link lags another (a deep
 * cellular queue can hold seconds of packets while WiFi sends thousands). A
 * packet re-sent on another link, or copied in redundant mode, keeps the
 * number of its first link and is checked in that link's window. */
#define UM3N_SEQ_LINK_SHIFT 29
#define UM3N_SEQ_MASK 0x1fffffffu

static inline uint32_t um3n_seq_make(int link, uint32_t counter)
{
	return (uint32_t)link << UM3N_SEQ_LINK_SHIFT | (counter & UM3N_SEQ_MASK);
}

/* Receive window over one link's 29-bit serial counters (RFC 1982 arithmetic),
 * in the manner of the IPsec anti-replay bitmap (RFC 6479). */
#define UM3N_SEQWIN_BITS 4096
/* This many consecutive "too old" packets mean the peer restarted its
 * counter: the window resynchronises instead of dropping forever. */
#define UM3N_SEQWIN_RESYNC_AFTER 64
/* A counter this far behind the top cannot be a late or re-sent packet of
 * the same sender (re-sends are the last few hundred packets; no queue holds
 * a million): the peer restarted (a new random counter), and the window
 * restarts at once. Waiting for RESYNC_AFTER packets would deadlock TCP: its
 * ACKs are the packets being dropped, so the sender backs off and sends
 * fewer and fewer (seen with emu/csum.sh's HA restart under an upload). */
#define UM3N_SEQWIN_RESTART_BEHIND (1u << 20)

struct um3n_seqwin {
	bool started;
	uint32_t top; /* highest counter accepted */
	uint32_t too_old_run;
	uint64_t reordered; /* accepted although below top */
	uint64_t bits[UM3N_SEQWIN_BITS / 64];
};

/* Accepts and records a 29-bit counter. Returns 0 (new), UM3N_EDUP (seen),
 * UM3N_EREPLAY (older than the window). */
int um3n_seqwin_check(struct um3n_seqwin *w, uint32_t counter);

/* One window per sending link (3 bits of link id: 8 links, UM3N_MAX_LINKS). */
struct um3n_seqspace {
	struct um3n_seqwin link[1u << (32 - UM3N_SEQ_LINK_SHIFT)];
};
static inline int um3n_seqspace_check(struct um3n_seqspace *sp, uint32_t seq)
{
	return um3n_seqwin_check(&sp->link[seq >> UM3N_SEQ_LINK_SHIFT], seq & UM3N_SEQ_MASK);
}

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
