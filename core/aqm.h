/* Sender-side queue management per link (ARCHITECTURE.md §2, "Failover
 * under load"). The data path knows each link's delivery rate (its
 * weight_kbps) but not its queue: it keeps a virtual one, the time the link
 * will have sent everything we gave it at that rate, and judges each packet
 * by the sojourn it would see there. A link's own traffic (the packets whose
 * rule chose it) is only charged; traffic that moved onto it (a failover's
 * re-sends, packets whose rule names another link class) is admitted by
 * CoDel's rule (RFC 8289: above target for a whole interval, drop at a rate
 * growing with the square root of the drops) and never above a hard limit:
 * limit_us while the link carries traffic of its own (sent in the last
 * interval), the looser alone_us while it carries none (a moved video's key
 * frames, the re-sends of a window a silent link lost then delay nobody
 * else). Both judge the moved traffic's part of the sojourn: the virtual
 * queue less a second one of the own traffic alone, which is the delay the
 * moved traffic adds to the own traffic's packets. The whole sojourn would
 * punish the moved traffic for the own traffic's bursts: behind a video's
 * key frames (30 ms at 3.61 Mbit/s) a moved TCP flow with a short round trip
 * lost a packet at nearly every frame and took 0.3-1.5 of the 2.3 Mbit/s
 * the video left in the Mininet testbed (1.8-2.1 since). The whole queue
 * is bounded too, by one interval (or alone_us). So the moved traffic is dropped first and at the sender,
 * where TCP sees the loss at once, instead of filling a deep radio queue in
 * front of the traffic the link was chosen for. */
#ifndef UM3N_AQM_H
#define UM3N_AQM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a datagram costs on the link beyond its own bytes: outer IPv4 (20),
 * UDP (8) and a link header (14, Ethernet's). */
#define UM3N_AQM_LINK_EXTRA 42

/* The defaults: CoDel's interval (RFC 8289) with a target of 20 ms rather
 * than its 5: at 3G rates a full-size packet takes 3.3 ms and one frame of a
 * 2.5 Mbit/s video 23 ms, and a video moved alone onto a 3.61 Mbit/s link
 * lost 52 packets (19 late frames) to CoDel at 5 ms, 6 (3) at 20, in
 * um3n-sim; a limit of 20 ms, a few full-size packets, far below a radio
 * link's queue, and of one interval on a link with no traffic of its own
 * (that video lost 44 packets at 60 ms, 6 at 100; without the AQM 5, with
 * 47 ms more added gap). */
#define UM3N_AQM_TARGET_US 20000
#define UM3N_AQM_INTERVAL_US 100000
#define UM3N_AQM_LIMIT_US 20000
#define UM3N_AQM_ALONE_US 100000

struct um3n_aqm_conf {
	uint32_t target_us;   /* moved traffic: CoDel's target sojourn */
	uint32_t interval_us; /* ... and its interval (also the cap of the virtual queue) */
	uint32_t limit_us;    /* moved traffic never enters above this; 0: no AQM at all */
	uint32_t alone_us;    /* ... nor above this on a link without traffic of its own */
};

/* Moved traffic is tracked per flow in this many buckets (a hash of the inner
 * 5-tuple): CoDel drops only from a flow that sends more than the average of
 * the moved flows on the link, as FQ-CoDel spares its sparse flows, so a
 * moved video beside a moved bulk download is not punished for the
 * download's queue. */
#define UM3N_AQM_FLOWS 16

struct um3n_aqm_link {
	uint64_t vfinish_ns;     /* the virtual queue: when the link will have sent it all */
	uint64_t vown_ns;        /* ... the own traffic alone (never after vfinish_ns) */
	uint64_t own_us;         /* when it last carried traffic of its own (+1: 0 = never) */
	uint64_t above_until_us; /* CoDel's first_above_time; 0: below target */
	uint64_t drop_next_us;   /* dropping: when the next moved packet is dropped */
	uint32_t count;          /* drops in this dropping state */
	uint32_t last_count;
	bool dropping;
	uint32_t flow_bytes[UM3N_AQM_FLOWS]; /* moved bytes per flow bucket, halved each interval */
	uint64_t moved_bytes;                /* their sum */
	uint64_t decay_us;                   /* the next halving */
};

/* The sojourn a packet queued now would see, in µs. */
static inline uint64_t um3n_aqm_backlog_us(const struct um3n_aqm_link *a, uint64_t now_us)
{
	uint64_t now_ns = now_us * 1000;

	return a->vfinish_ns > now_ns ? (a->vfinish_ns - now_ns) / 1000 : 0;
}

/* The moved traffic's part of it: what it adds to an own packet's sojourn. */
static inline uint64_t um3n_aqm_moved_backlog_us(const struct um3n_aqm_link *a, uint64_t now_us)
{
	uint64_t now_ns = now_us * 1000, own = a->vown_ns > now_ns ? a->vown_ns : now_ns;

	return a->vfinish_ns > own ? (a->vfinish_ns - own) / 1000 : 0;
}

/* A datagram of len bytes went on the link (rate kbps, 0: unknown, nothing
 * kept). A link's own traffic beyond conf's interval of backlog is not
 * charged: the link's own queue drops such an excess, and a virtual queue
 * that kept it would shut moved traffic out long after the link drained. */
void um3n_aqm_charge(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint32_t kbps,
		     size_t len, uint64_t now_us);

/* May a moved datagram of len bytes of flow (a 5-tuple hash) go on the link
 * now? Charged when yes; no: the caller drops it and counts drops.aqm. Always
 * yes when the AQM is off (conf NULL or limit 0) or the link's rate unknown
 * (kbps 0). CoDel's drops fall only on flows above the moved flows' average. */
bool um3n_aqm_admit_moved(struct um3n_aqm_link *a, const struct um3n_aqm_conf *c, uint32_t kbps,
			  size_t len, uint64_t now_us, uint32_t flow);

/* The part of the sojourn moved traffic may not reach on the link now
 * (limit or alone). */
static inline uint64_t um3n_aqm_limit_us(const struct um3n_aqm_link *a,
					 const struct um3n_aqm_conf *c, uint64_t now_us)
{
	bool own = a->own_us && now_us < a->own_us - 1 + c->interval_us;

	return own || c->alone_us < c->limit_us ? c->limit_us : c->alone_us;
}

/* How much more moved traffic may enter the link now, in µs at its rate:
 * below its limit, in a whole queue of at most one interval (or the limit). */
static inline uint64_t um3n_aqm_room_us(const struct um3n_aqm_link *a,
					const struct um3n_aqm_conf *c, uint64_t now_us)
{
	uint64_t limit = um3n_aqm_limit_us(a, c, now_us),
		 moved = um3n_aqm_moved_backlog_us(a, now_us);
	uint64_t cap = limit > c->interval_us ? limit : c->interval_us,
		 all = um3n_aqm_backlog_us(a, now_us);

	if (moved >= limit || all >= cap)
		return 0;
	return limit - moved < cap - all ? limit - moved : cap - all;
}

/* How many bytes fit in budget_us at kbps (a failover's re-send budget). */
static inline uint64_t um3n_aqm_bytes_in(uint32_t kbps, uint64_t budget_us)
{
	return (uint64_t)kbps * budget_us / 8000;
}

#endif
