/* The event loop that drives the engines: the event kinds and the heap, the
 * links' FIFOs, feeding each engine its inputs and draining its outputs onto
 * the links or to the apps and servers, where the metrics attribute every
 * packet to its flow. The topology it runs on is built by world.c. */
#include "world.h"

#include <assert.h>
#include <string.h>

#include "world_int.h"

enum ev_kind {
	EV_LINK_ARRIVE = 1, /* ptr = packet arriving at the far end of a reordering link */
	EV_LINK_HEAD,       /* idx = 2 * link + up: the head of that link's FIFO arrives */
	EV_CORE_TO_HA,      /* ptr = inner packet from a server reaching the HA */
	EV_CORE_TO_SERVER,  /* ptr = inner packet from the HA reaching a server */
	EV_MN_WAKE,         /* arg = generation */
	EV_HA_WAKE,
	EV_GEN,     /* idx = flow */
	EV_CARRIER, /* idx = link, arg = 1 up / 0 down */
	EV_SIGNAL,  /* idx = link, arg = signal index */
	EV_END,
};

enum pkt_node { NODE_MN = 1, NODE_HA = 2 };

/* ---- scheduling helpers ------------------------------------------------ */

static void push(struct sim_world *w, uint64_t t_us, uint32_t kind, uint32_t idx, uint64_t arg,
		 void *ptr)
{
	assert(kind >= EV_LINK_ARRIVE && kind <= EV_END);
	if (sim_heap_push(&w->heap, t_us < w->now_us ? w->now_us : t_us, kind, idx, arg, ptr))
		w->errs.pool_exhausted++;
}

/* Arms the engine timer only when it moved earlier: a later wake is handled
 * when the earlier event fires and finds nothing due. */
static void arm_mn(struct sim_world *w)
{
	uint64_t t = um3n_mn_next_wake_us(w->mn);

	if (t == UINT64_MAX || t >= w->mn_wake_us)
		return;
	w->mn_wake_us = t;
	push(w, t, EV_MN_WAKE, 0, ++w->mn_gen, NULL);
}

static void arm_ha(struct sim_world *w)
{
	uint64_t t = um3n_ha_next_wake_us(w->ha);

	if (t == UINT64_MAX || t >= w->ha_wake_us)
		return;
	w->ha_wake_us = t;
	push(w, t, EV_HA_WAKE, 0, ++w->ha_gen, NULL);
}

static struct sim_pkt *pkt_copy(struct sim_world *w, const uint8_t *data, size_t len)
{
	struct sim_pkt *p;

	if (len > SIM_PKT_BUF || !(p = sim_pool_get(&w->pool))) {
		w->errs.pool_exhausted++;
		return NULL;
	}
	memcpy(p->data, data, len);
	p->len = (uint32_t)len;
	p->born_us = w->now_us;
	return p;
}

/* ---- receivers: identify the flow, feed the metrics -------------------- */

static long pcap_flow_of(struct sim_world *w, uint32_t server)
{
	for (size_t i = 0; i < w->sc->n_flows; i++)
		if (w->sc->flows[i].type == SIM_FLOW_PCAP &&
		    um3n_addr_v4(&w->sc->flows[i].server) == server)
			return (long)i;
	return -1;
}

/* link: the one the packet arrived on (the engine's TUN output says), or -1. */
static void app_receive(struct sim_world *w, const uint8_t *pkt, size_t len, int link, bool at_mn)
{
	struct um3n_ip_info ip;
	struct sim_probe pr;
	size_t hl;
	long flow;

	if (um3n_wire_ip_parse(pkt, len, &ip) != 0 || ip.version != 4)
		return;
	hl = ip.header_len;
	if (ip.proto == SIM_PROTO_UDP && len >= hl + SIM_UDP_HDR &&
	    sim_probe_read(pkt + hl + SIM_UDP_HDR, len - hl - SIM_UDP_HDR, &pr)) {
		if (pr.flow_id >= w->sc->n_flows ||
		    (w->sc->flows[pr.flow_id].dir == SIM_DIR_DOWN) != at_mn)
			return;
		for (int n = sim_inv_delivered(w, pr.flow_id, pr.seq); n > 0; n--)
			sim_metrics_received(&w->metrics, pr.flow_id, link, !at_mn, w->now_us,
					     pr.seq, pr.send_us, (uint32_t)ip.total_len,
					     pr.frame_id);
		if (w->inv.brk == SIM_INV_BREAK_DUP) /* the second copy, for the checker */
			sim_inv_delivered(w, pr.flow_id, pr.seq);
		return;
	}
	flow = pcap_flow_of(w, um3n_addr_v4(at_mn ? &ip.src : &ip.dst));
	if (flow >= 0) {
		uint32_t seq = sim_gen_seq_from_id(&w->pcap_last_seq[flow], &w->pcap_any_rx[flow],
						   um3n_get16(pkt + 4));
		uint64_t sent = sim_metrics_send_time(&w->metrics, (size_t)flow, seq, w->now_us);

		sim_metrics_received(&w->metrics, (size_t)flow, link, !at_mn, w->now_us, seq, sent,
				     (uint32_t)ip.total_len, 0);
	}
}

/* ---- links -------------------------------------------------------------- */

/* A FIFO link's arrival times never decrease, so one event for the head is
 * enough; the next is armed when the head has been handled. */
static void fifo_append(struct sim_world *w, size_t link, bool up, struct sim_pkt *p)
{
	assert(link < w->sc->n_links);
	assert(!w->fifo_tail[link][up] || w->fifo_tail[link][up]->arrive_us <= p->arrive_us);
	p->next_free = NULL;
	if (w->fifo_tail[link][up]) {
		w->fifo_tail[link][up]->next_free = p;
	} else {
		w->fifo_head[link][up] = p;
		push(w, p->arrive_us, EV_LINK_HEAD, (uint32_t)(2 * link + up), 0, NULL);
	}
	w->fifo_tail[link][up] = p;
}

static struct sim_pkt *fifo_pop(struct sim_world *w, size_t link, bool up)
{
	struct sim_pkt *p = w->fifo_head[link][up];

	/* Only the head has an event, and it fires no earlier than its arrival. */
	assert(p && p->arrive_us <= w->now_us);
	w->fifo_head[link][up] = p->next_free;
	if (!p->next_free)
		w->fifo_tail[link][up] = NULL;
	else
		push(w, p->next_free->arrive_us, EV_LINK_HEAD, (uint32_t)(2 * link + up), 0, NULL);
	p->next_free = NULL;
	return p;
}

static void link_send(struct sim_world *w, bool downlink, size_t link,
		      const struct um3n_sockaddr *from, const struct um3n_sockaddr *to,
		      const uint8_t *data, size_t len)
{
	struct sim_link *l = downlink ? &w->down[link] : &w->up[link];
	enum sim_link_verdict v;
	uint64_t arrive;
	struct sim_pkt *p;

	assert(link < w->sc->n_links);
	/* The link carries the outer IPv4/UDP packet. */
	sim_link_submit(l, w->now_us, (uint32_t)(len + SIM_IP4_HDR + SIM_UDP_HDR), &v, &arrive);
	/* Captured as it goes on the air: lost later (radio, outage) but not
	 * refused by a full queue. */
	if (w->opts.pcaps && v != SIM_LINK_DROP_QUEUE)
		sim_pcapout_link(&w->pcap, link, w->now_us, from, to, data, len);
	if (v != SIM_LINK_DELIVER || !(p = pkt_copy(w, data, len)))
		return;
	p->node = downlink ? NODE_MN : NODE_HA;
	p->link = (uint16_t)link;
	p->from = *from;
	p->arrive_us = arrive;
	if (l->conf.allow_reorder) {
		push(w, arrive, EV_LINK_ARRIVE, (uint32_t)link, 0, p);
		return;
	}
	fifo_append(w, link, !downlink, p);
}

static long link_of_coa(struct sim_world *w, const struct um3n_sockaddr *to)
{
	for (size_t i = 0; i < w->sc->n_links; i++)
		if (um3n_addr_eq(&w->coa[i].ip, &to->ip))
			return (long)i;
	return -1;
}

/* ---- draining engine outputs ------------------------------------------ */

static void drain_mn(struct sim_world *w)
{
	struct um3n_out out;

	while (um3n_mn_poll_output(w->mn, &out)) {
		if (out.kind == UM3N_OUT_UDP && out.link >= 0 &&
		    (size_t)out.link < w->sc->n_links) {
			sim_inv_mn_sent(w, out.link, out.data, out.len);
			link_send(w, false, (size_t)out.link, &w->coa[out.link], &out.to, out.data,
				  out.len);
		} else if (out.kind == UM3N_OUT_TUN) {
			if (w->opts.pcaps)
				sim_pcapout_mn_tun(&w->pcap, w->now_us, out.data, out.len);
			app_receive(w, out.data, out.len, out.link, true);
		}
	}
	arm_mn(w);
}

static void server_receive(struct sim_world *w, const uint8_t *data, size_t len, int link)
{
	app_receive(w, data, len, link, false);
}

/* An inner packet onto the core, toward the HA or the servers: after
 * core_delay_ms, or with core_rate_mbps through that direction's link
 * (serialised, dropped when its queue is full). */
static void core_send(struct sim_world *w, bool to_ha, uint64_t now_us, const uint8_t *data,
		      size_t len)
{
	uint64_t at = now_us + w->sc->core_delay_us;
	enum sim_link_verdict v = SIM_LINK_DELIVER;
	struct sim_pkt *p;

	if (w->sc->core_rate_bps)
		sim_link_submit(to_ha ? &w->core_down : &w->core_up, now_us, (uint32_t)len, &v,
				&at);
	if (v == SIM_LINK_DELIVER && (p = pkt_copy(w, data, len)) != NULL)
		push(w, at, to_ha ? EV_CORE_TO_HA : EV_CORE_TO_SERVER, 0, 0, p);
}

static void drain_ha(struct sim_world *w)
{
	struct um3n_out out;
	long link;

	while (um3n_ha_poll_output(w->ha, &out)) {
		if (out.kind == UM3N_OUT_UDP) {
			link = link_of_coa(w, &out.to);
			if (link < 0)
				w->errs.ha_unroutable++;
			else
				link_send(w, true, (size_t)link, &w->ha_addr, &out.to, out.data,
					  out.len);
			continue;
		}
		if (w->opts.pcaps)
			sim_pcapout_ha_tun(&w->pcap, w->now_us, out.data, out.len);
		if (w->sc->core_delay_us == 0 && !w->sc->core_rate_bps)
			server_receive(w, out.data, out.len, out.link);
		else
			core_send(w, false, w->now_us, out.data, out.len);
	}
	arm_ha(w);
}

static void ha_tun_in(struct sim_world *w, const uint8_t *data, size_t len)
{
	int rc;

	if (w->opts.pcaps)
		sim_pcapout_ha_tun(&w->pcap, w->now_us, data, len);
	rc = um3n_ha_tun_input(w->ha, w->now_us, data, len);
	if (rc) {
		w->errs.ha_tun++;
		w->errs.last_ha_tun = rc;
	}
	drain_ha(w);
}

/* ---- traffic ------------------------------------------------------------ */

static int on_generated(void *ctx, size_t flow, uint64_t now_us, const struct sim_gen_pkt *g)
{
	struct sim_world *w = ctx;
	int rc;

	if (sim_metrics_sent(&w->metrics, flow, g->seq, now_us, g->len, g->up, g->frame_id,
			     g->frame_pkts))
		return UM3N_ENOMEM;
	if (!g->up) {
		if (w->sc->core_delay_us == 0 && !w->sc->core_rate_bps)
			ha_tun_in(w, g->data, g->len);
		else
			core_send(w, true, now_us, g->data, g->len);
		return 0;
	}
	if (w->opts.pcaps)
		sim_pcapout_mn_tun(&w->pcap, now_us, g->data, g->len);
	rc = um3n_mn_tun_input(w->mn, now_us, g->data, g->len);
	if (rc) {
		w->errs.mn_tun++;
		w->errs.last_mn_tun = rc;
	}
	drain_mn(w);
	return 0;
}

/* ---- event dispatch ---------------------------------------------------- */

static void on_link_arrive(struct sim_world *w, struct sim_pkt *p)
{
	int rc;

	if (p->node == NODE_MN) {
		rc = um3n_mn_udp_input(w->mn, w->now_us, p->link, &p->from, p->data, p->len);
		if (rc) {
			w->errs.mn_udp++;
			w->errs.last_mn_udp = rc;
		}
		drain_mn(w);
	} else {
		rc = um3n_ha_udp_input(w->ha, w->now_us, &p->from, p->data, p->len);
		if (rc) {
			w->errs.ha_udp++;
			w->errs.last_ha_udp = rc;
		}
		drain_ha(w);
	}
	sim_pool_put(&w->pool, p);
}

static void on_link_event(struct sim_world *w, size_t link, enum um3n_link_ev ev, int arg)
{
	if (ev != UM3N_LINK_EV_SIGNAL && !sim_inv_carrier(w, link, ev == UM3N_LINK_EV_UP))
		return; /* UM3N_SIM_BREAK=carrier: the MN is not told */
	if (um3n_mn_link_event(w->mn, w->now_us, (int)link, ev, arg))
		w->errs.mn_link_ev++;
	drain_mn(w);
}

static int dispatch(struct sim_world *w, const struct sim_event *ev)
{
	struct sim_pkt *p = ev->ptr;

	switch (ev->kind) {
	case EV_LINK_ARRIVE: on_link_arrive(w, p); break;
	case EV_LINK_HEAD: on_link_arrive(w, fifo_pop(w, ev->idx / 2, ev->idx % 2)); break;
	case EV_CORE_TO_HA:
		ha_tun_in(w, p->data, p->len);
		sim_pool_put(&w->pool, p);
		break;
	case EV_CORE_TO_SERVER:
		server_receive(w, p->data, p->len, -1); /* the link is not kept across the core */
		sim_pool_put(&w->pool, p);
		break;
	case EV_MN_WAKE:
		if (ev->arg != w->mn_gen)
			break; /* superseded by an earlier wake */
		w->mn_wake_us = UINT64_MAX;
		if (um3n_mn_next_wake_us(w->mn) <= w->now_us)
			um3n_mn_timeout(w->mn, w->now_us);
		drain_mn(w);
		break;
	case EV_HA_WAKE:
		if (ev->arg != w->ha_gen)
			break;
		w->ha_wake_us = UINT64_MAX;
		if (um3n_ha_next_wake_us(w->ha) <= w->now_us)
			um3n_ha_timeout(w->ha, w->now_us);
		drain_ha(w);
		break;
	case EV_GEN:
		assert(ev->idx < w->sc->n_flows);
		if (sim_gen_run(&w->gens[ev->idx], w->now_us, on_generated, w))
			return UM3N_ENOMEM;
		if (sim_gen_next_us(&w->gens[ev->idx]) != UINT64_MAX)
			push(w, sim_gen_next_us(&w->gens[ev->idx]), EV_GEN, ev->idx, 0, NULL);
		break;
	case EV_CARRIER:
		on_link_event(w, ev->idx, ev->arg ? UM3N_LINK_EV_UP : UM3N_LINK_EV_DOWN, 0);
		break;
	case EV_SIGNAL:
		assert(ev->idx < w->sc->n_links && ev->arg < w->sc->links[ev->idx].n_signals);
		on_link_event(w, ev->idx, UM3N_LINK_EV_SIGNAL,
			      w->sc->links[ev->idx].signals[ev->arg].dbm);
		break;
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

void world_run_schedule(struct sim_world *w)
{
	const struct sim_scenario *sc = w->sc;

	/* Once, on a fresh world: nothing queued, the clock at 0. */
	assert(w->heap.len == 0 && w->now_us == 0 && w->events == 0);
	sim_inv_init(&w->inv, w->opts.invariants);
	for (size_t i = 0; i < sc->n_links; i++) {
		const struct sim_link_spec *ls = &sc->links[i];

		push(w, 0, EV_CARRIER, (uint32_t)i, 1, NULL);
		for (size_t j = 0; j < ls->n_outages; j++) {
			if (!ls->outages[j].carrier)
				continue;
			push(w, ls->outages[j].start_us, EV_CARRIER, (uint32_t)i, 0, NULL);
			if (ls->outages[j].end_us != UINT64_MAX)
				push(w, ls->outages[j].end_us, EV_CARRIER, (uint32_t)i, 1, NULL);
		}
		for (size_t j = 0; j < ls->n_signals; j++)
			push(w, ls->signals[j].t_us, EV_SIGNAL, (uint32_t)i, j, NULL);
	}
	for (size_t i = 0; i < sc->n_flows; i++)
		push(w, sc->flows[i].start_us, EV_GEN, (uint32_t)i, 0, NULL);
	push(w, sc->duration_us, EV_END, 0, 0, NULL);
}

/* The hold delay of the engine that reorders each aggregated flow: the HA
 * for uplink flows, the MN for downlink ones. */
static void note_reorder(struct sim_world *w)
{
	struct um3n_mn_status ms;
	struct um3n_ha_status hs;

	um3n_mn_status(w->mn, w->now_us, &ms);
	um3n_ha_status(w->ha, w->now_us, &hs);
	for (size_t i = 0; i < w->sc->n_flows; i++) {
		struct sim_flow_metrics *f = &w->metrics.flows[i];
		const struct um3n_reorder_status *r = w->sc->flows[i].dir == SIM_DIR_UP
							      ? &hs.reorder
							      : &ms.reorder;

		f->hold_p50_ms = (double)r->p50_us / 1000;
		f->hold_p99_ms = (double)r->p99_us / 1000;
	}
}

int sim_world_run(struct sim_world *w)
{
	struct sim_event ev;
	int rc = 0;

	assert(w->mn && w->ha); /* sim_world_init succeeded */
	while (rc == 0 && sim_heap_pop(&w->heap, &ev)) {
		if (ev.t_us > w->sc->duration_us || ev.kind == EV_END) {
			if (ev.ptr)
				sim_pool_put(&w->pool, ev.ptr);
			break;
		}
		w->now_us = ev.t_us;
		w->events++;
		rc = dispatch(w, &ev);
		sim_inv_after_event(w);
		if (w->inv.failed)
			return UM3N_EINVAL; /* said on stderr: no outputs from a broken run */
	}
	w->now_us = w->sc->duration_us;
	for (size_t i = 0; i < w->sc->n_links; i++) {
		w->metrics.links[i].down = w->down[i].stats;
		w->metrics.links[i].up = w->up[i].stats;
	}
	w->metrics.core_limited = w->sc->core_rate_bps != 0;
	w->metrics.core_down = w->core_down.stats;
	w->metrics.core_up = w->core_up.stats;
	note_reorder(w);
	if (rc == 0)
		rc = sim_metrics_finish(&w->metrics, w->sc->duration_us);
	return rc;
}
