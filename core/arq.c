/* Repair requests (arq.h): the NACK's wire form, the receiver's asking and
 * waiting, the sender's re-sending. */
#include "arq.h"

#include <assert.h>
#include <string.h>

#include "datapath.h"
#include "tunnel.h"

int um3n_arq_nack_build(uint8_t *buf, size_t cap, uint32_t src_v4, uint32_t dst_v4,
			const struct um3n_arq_nack *n)
{
	size_t icmp_len;
	uint8_t *icmp;

	assert(buf && n);
	if (n->n == 0 || n->n > UM3N_ARQ_MAX_SEQS)
		return UM3N_EINVAL;
	icmp_len = 8 + 4 * (size_t)n->n;
	if (cap < UM3N_TUN_HDR_LEN + 20 + icmp_len)
		return UM3N_ETOOBIG;
	um3n_wire_tunnel_hdr(buf, UM3N_NH_IPV4, false, 0);
	um3n_tunnel_ipv4_icmp_header(buf + UM3N_TUN_HDR_LEN, src_v4, dst_v4,
				     (uint16_t)(20 + icmp_len));
	icmp = buf + UM3N_TUN_HDR_LEN + 20;
	memset(icmp, 0, 8);
	icmp[0] = UM3N_ARQ_ICMP_TYPE;
	icmp[4] = n->n;
	for (size_t i = 0; i < n->n; i++)
		um3n_put32(icmp + 8 + 4 * i, n->seq[i]);
	um3n_put16(icmp + 2, um3n_wire_inet_csum(icmp, icmp_len));
	return (int)(UM3N_TUN_HDR_LEN + 20 + icmp_len);
}

bool um3n_arq_is_nack(const uint8_t *inner, size_t len)
{
	/* IPv4, protocol ICMP, type 253: the full check is um3n_arq_nack_parse's. */
	size_t ihl = len ? (size_t)(inner[0] & 0x0f) * 4 : 0;

	return len >= 28 && inner[0] >> 4 == 4 && inner[9] == 1 && ihl < len &&
	       inner[ihl] == UM3N_ARQ_ICMP_TYPE;
}

int um3n_arq_nack_parse(const uint8_t *inner, size_t len, uint32_t self_v4, struct um3n_arq_nack *n)
{
	struct um3n_ip_info ip;
	const uint8_t *icmp;
	size_t icmp_len;

	assert(n);
	memset(n, 0, sizeof(*n));
	if (um3n_wire_ip_parse(inner, len, &ip) || ip.version != 4 || ip.proto != 1 ||
	    um3n_addr_v4(&ip.dst) != self_v4)
		return UM3N_EINVAL;
	icmp = inner + ip.header_len;
	icmp_len = ip.total_len - ip.header_len;
	if (icmp_len < 8 + 4 || icmp[0] != UM3N_ARQ_ICMP_TYPE || icmp[1] != 0 ||
	    um3n_wire_inet_csum(icmp, icmp_len) != 0)
		return UM3N_EINVAL;
	if (icmp[4] == 0 || icmp[4] > UM3N_ARQ_MAX_SEQS || icmp_len != 8 + 4 * (size_t)icmp[4])
		return UM3N_EINVAL;
	n->n = icmp[4];
	for (size_t i = 0; i < n->n; i++)
		n->seq[i] = um3n_get32(icmp + 8 + 4 * i);
	return UM3N_OK;
}

void um3n_arq_enable(struct um3n_datapath *dp, uint32_t self_v4, uint32_t peer_v4)
{
	dp->arq.on = true;
	dp->arq.self_v4 = self_v4;
	dp->arq.peer_v4 = peer_v4;
	for (int l = 0; l < UM3N_MAX_LINKS; l++) /* each link starts with its burst */
		dp->arq.tokens[l] = UM3N_ARQ_BUDGET_PER * UM3N_ARQ_BURST;
}

/* How long the reorder queue waits for a repair: as RFC 6298 waits for an
 * acknowledgement, the smoothed time one took plus four deviations (the
 * repair queues behind the fast link's traffic, whose queue varies), and a
 * margin; before any was measured, no longer than it holds a gap anyway.
 * (Its holds stay within the pool's max_hold_us.) */
static uint64_t repair_wait_us(const struct um3n_datapath *dp)
{
	const struct um3n_arq *a = &dp->arq;

	if (!a->repair_us)
		return dp->rx_paths.hold_us;
	return a->repair_us + 4 * a->repair_var_us + UM3N_ARQ_MARGIN_US;
}

/* How long a repair usually takes: as measured; before that, the fastest
 * link's round trip (the MN measures it; the HA does not, and takes the
 * reorder margin). */
static uint64_t repair_typical_us(const struct um3n_datapath *dp)
{
	uint64_t rtt = UINT64_MAX;

	if (dp->arq.repair_us)
		return dp->arq.repair_us;
	for (size_t l = 0; l < dp->sched.n; l++)
		if (dp->sched.usable >> l & 1 && dp->sched.links[l].srtt_us &&
		    dp->sched.links[l].srtt_us < rtt)
			rtt = dp->sched.links[l].srtt_us;
	return rtt != UINT64_MAX ? rtt : UM3N_REORDER_MARGIN_US;
}

/* A pending request's datagram arrived (repaired, or the original late). */
static void note_answer(struct um3n_arq *a, uint32_t seq, uint64_t now_us)
{
	for (size_t i = 0; a->n_pend && i < UM3N_ARQ_PENDING; i++) {
		uint64_t sample;

		if (!a->pend[i].at_us || a->pend[i].seq != seq)
			continue;
		sample = now_us - a->pend[i].at_us;
		if (!a->repair_us) {
			a->repair_us = sample;
			a->repair_var_us = sample / 2;
		} else {
			uint64_t dev = sample > a->repair_us ? sample - a->repair_us
							     : a->repair_us - sample;

			a->repair_var_us = a->repair_var_us - a->repair_var_us / 4 + dev / 4;
			a->repair_us = a->repair_us - a->repair_us / 8 + sample / 8;
		}
		a->pend[i].at_us = 0;
		a->n_pend--;
		a->misses = 0;
		a->st.repaired++;
		return;
	}
}

/* Requests unanswered for as long as any hold may last; too many in a row
 * pause asking. (A repair later than the wait is still measured: the wait
 * learns from it.) */
static void expire(struct um3n_arq *a, const struct um3n_reorder_pool *p, uint64_t now_us)
{
	uint64_t wait = p->max_hold_us;

	for (size_t i = 0; a->n_pend && i < UM3N_ARQ_PENDING; i++) {
		if (!a->pend[i].at_us || a->pend[i].at_us + wait > now_us)
			continue;
		a->pend[i].at_us = 0;
		a->n_pend--;
		a->st.unanswered++;
		if (++a->misses >= UM3N_ARQ_GIVE_UP) {
			a->misses = 0;
			a->paused_until_us = now_us + UM3N_ARQ_PAUSE_US;
		}
	}
}

/* The link a NACK or a repair goes on: the fastest aggregated one (charged
 * for it), else the first usable one; -1: none. */
static int fastest_link(struct um3n_datapath *dp, size_t len, uint64_t now_us)
{
	uint8_t out[UM3N_MAX_LINKS];

	if (um3n_linksched_pick_fastest(&dp->sched, len, now_us, out))
		return out[0];
	for (size_t l = 0; l < dp->sched.n; l++)
		if (dp->sched.usable >> l & 1 && dp->to[l])
			return (int)l;
	return -1;
}

/* The link's budget earns one token per datagram it carried, counted by its
 * sequence numbers when a gap is looked at, not per packet. */
static void refill(struct um3n_arq *a, int link, uint32_t ctr)
{
	uint32_t earned = (ctr - a->tok_ctr[link]) & UM3N_SEQ_MASK;
	uint32_t room = UM3N_ARQ_BUDGET_PER * UM3N_ARQ_BURST - a->tokens[link];

	if (!(a->tok_set >> link & 1)) { /* its first: the burst it started with */
		a->tok_set |= (uint8_t)(1u << link);
		a->tok_ctr[link] = ctr;
		return;
	}
	if (earned > UM3N_SEQ_MASK / 2) /* an older datagram: nothing earned */
		return;
	a->tokens[link] += (uint16_t)(earned < room ? earned : room);
	a->tok_ctr[link] = ctr;
}

/* Asks for n (lost on `lossy`, shown by its next datagram, GRE key key)
 * on the fastest link, and makes the reorder queue wait for the answer. */
static void ask(struct um3n_datapath *dp, struct um3n_outq *q, struct um3n_drop_counters *drops,
		uint64_t now_us, const struct um3n_arq_nack *n, int lossy, uint32_t key)
{
	struct um3n_arq *a = &dp->arq;
	uint8_t buf[UM3N_ARQ_NACK_MAX];
	int len = um3n_arq_nack_build(buf, sizeof(buf), a->self_v4, a->peer_v4, n);
	int link = len > 0 ? fastest_link(dp, (size_t)len, now_us) : -1;

	if (link < 0 || um3n_datapath_queue(dp, q, drops, link, buf, (size_t)len))
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (a->pend[a->pend_next].at_us)
			a->st.unanswered++; /* the ring came round: given up */
		else
			a->n_pend++;
		a->pend[a->pend_next].seq = n->seq[i];
		a->pend[a->pend_next].at_us = now_us ? now_us : 1;
		a->pend_next = (a->pend_next + 1) % UM3N_ARQ_PENDING;
	}
	assert(a->n_pend <= UM3N_ARQ_PENDING);
	a->st.asked += n->n;
	um3n_reorder_wait_repair(&dp->rx_order, dp->rpool, now_us, now_us + repair_wait_us(dp),
				 lossy, key);
}

void um3n_arq_on_keyed(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us, int link, uint32_t seq,
		       uint32_t key)
{
	struct um3n_arq *a = &dp->arq;
	const struct um3n_seqwin *w = &dp->rx_seq.link[seq >> UM3N_SEQ_LINK_SHIFT];
	struct um3n_arq_nack n;
	uint64_t first;
	uint32_t gap;

	if (!a->on || !dp->rpool || !dp->rpool->max_hold_us)
		return;
	/* Requests left unanswered expire here too, not only at the next gap:
	 * while any is pending every keyed packet comes this way
	 * (um3n_arq_wanted), and a lost repair must not keep it so. */
	if (a->n_pend)
		expire(a, dp->rpool, now_us);
	note_answer(a, seq, now_us);
	/* Only a link's own datagrams show its losses: a repair or a redundant
	 * copy keeps its first link's number. */
	if ((int)(seq >> UM3N_SEQ_LINK_SHIFT) != link || !w->started)
		return;
	refill(a, link, seq & UM3N_SEQ_MASK);
	gap = ((seq & UM3N_SEQ_MASK) - w->top - 1) & UM3N_SEQ_MASK;
	if (gap == 0 || gap > UM3N_ARQ_MAX_GAP || !(dp->rx_paths.slower >> link & 1))
		return; /* in order, older, an outage, or the fastest link's */
	expire(a, dp->rpool, now_us);
	if (now_us < a->paused_until_us)
		return;
	if (a->tokens[link] < gap * UM3N_ARQ_BUDGET_PER) {
		a->st.over_budget += gap;
		return;
	}
	/* The flow that showed the loss already holds packets behind its gap:
	 * a repair that comes, as they usually do, after their bound would only
	 * hold the flow for nothing (a link whose queue keeps it that far
	 * behind: the gap times out, and TCP sees the loss and a late copy). */
	first = um3n_reorder_first_held_us(&dp->rx_order, dp->rpool,
					   key >> UM3N_REORDER_FLOW_SHIFT);
	if (first != UM3N_TIME_NONE &&
	    now_us + repair_typical_us(dp) > first + dp->rpool->max_hold_us) {
		a->st.too_late += gap;
		return;
	}
	a->tokens[link] -= (uint16_t)(gap * UM3N_ARQ_BUDGET_PER);
	n.n = (uint8_t)gap;
	for (uint32_t i = 0; i < gap; i++)
		n.seq[i] = um3n_seqwin_seq(link, w->top + 1 + i);
	ask(dp, q, drops, now_us, &n, link, key);
}

/* One requested datagram: its remembered copy, opened if sealed for the
 * link it went on, goes on the fastest link (sealed for that one). */
static bool repair_one(struct um3n_datapath *dp, struct um3n_outq *q,
		       struct um3n_drop_counters *drops, uint64_t now_us, uint32_t seq)
{
	uint8_t copy[UM3N_PKT_MAX];
	size_t len;
	int link, from;
	const uint8_t *dg = um3n_resend_take_keyed(&dp->resend, q, seq, &len, &from);

	if (!dg || len > sizeof(copy) || (size_t)from >= dp->sched.n)
		return false;
	if (dp->crypt) {
		int plen = um3n_aead_reopen(&dp->crypt[from], dg, len, copy, sizeof(copy));

		if (plen < 0)
			return false; /* under a key since replaced */
		len = (size_t)plen;
	} else {
		memcpy(copy, dg, len); /* queueing may reuse the slot it is in */
	}
	link = fastest_link(dp, len, now_us);
	return link >= 0 && um3n_datapath_queue(dp, q, drops, link, copy, len) == UM3N_OK;
}

void um3n_arq_on_nack(struct um3n_datapath *dp, struct um3n_outq *q,
		      struct um3n_drop_counters *drops, uint64_t now_us,
		      const struct um3n_arq_nack *n)
{
	struct um3n_arq *a = &dp->arq;

	uint64_t sent = 0;

	assert(n->n <= UM3N_ARQ_MAX_SEQS);
	for (size_t l = 0; l < dp->sched.n; l++)
		sent += dp->tx_pkts[l];
	for (size_t i = 0; i < n->n; i++) {
		a->st.requests_in++;
		/* Twice what an honest peer may ask (its budget): more is forged
		 * (plain tunnel data is, by whoever can spoof the care-of). */
		if (a->st.repairs_sent >= 2 * (sent / UM3N_ARQ_BUDGET_PER + UM3N_ARQ_BURST))
			a->st.refused++;
		else if (a->on && repair_one(dp, q, drops, now_us, n->seq[i]))
			a->st.repairs_sent++;
		else
			a->st.no_copy++;
	}
}
