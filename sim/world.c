/* The simulated topology and the event loop that drives the engines. */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "confkeys.h"

enum ev_kind {
	EV_LINK_ARRIVE = 1, /* ptr = packet arriving at the far end of a reordering link */
	EV_LINK_HEAD,       /* idx = 2 * link + up: the head of that link's FIFO arrives */
	EV_CORE_TO_HA,      /* ptr = inner packet from a server reaching the HA */
	EV_CORE_TO_SERVER,  /* ptr = inner packet from the HA reaching a server */
	EV_MN_WAKE,         /* arg = generation */
	EV_HA_WAKE,
	EV_GEN,             /* idx = flow */
	EV_CARRIER,         /* idx = link, arg = 1 up / 0 down */
	EV_SIGNAL,          /* idx = link, arg = signal index */
	EV_END,
};

enum pkt_node { NODE_MN = 1, NODE_HA = 2 };

/* The MN-HA key: a fixed, documented test key (the simulator has no secrets). */
static const uint8_t sim_key[32] = "um3n-sim fixed MN-HA test key!!";
/* 2026-01-01T00:00:00Z in NTP seconds: a fixed identification base so runs repeat. */
#define SIM_NTP_BASE ((uint64_t)3976214400u << 32)

static uint64_t mix_seed(uint64_t seed, uint64_t salt)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (salt + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- environment: malloc lives here, not in core/ ---------------------- */

static void *sim_alloc(void *ctx, size_t size)
{
	struct sim_world *w = ctx;
	void *p = calloc(1, size);

	if (p)
		w->live_allocs++;
	return p;
}

static void sim_free(void *ctx, void *ptr)
{
	struct sim_world *w = ctx;

	if (ptr)
		w->live_allocs--;
	free(ptr);
}

static void sim_log(void *ctx, int level, const char *msg)
{
	struct sim_world *w = ctx;

	fprintf(stderr, "[%10.6f] %d %s\n", w->now_us / 1e6, level, msg);
}

static int ha_get_key(void *ctx, uint32_t home_addr, uint32_t spi, uint8_t *key, size_t *key_len)
{
	struct sim_world *w = ctx;

	if (home_addr != um3n_addr_v4(&w->home) || spi != UM3N_SPI_HMAC_SHA256_MIN ||
	    *key_len < sizeof(sim_key))
		return -1;
	memcpy(key, sim_key, sizeof(sim_key));
	*key_len = sizeof(sim_key);
	return 0;
}

/* ---- scheduling helpers ------------------------------------------------ */

static void push(struct sim_world *w, uint64_t t_us, uint32_t kind, uint32_t idx, uint64_t arg,
		 void *ptr)
{
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

/* Replayed packets carry a 16-bit sequence in the IPv4 ID: extend it to the
 * value closest to the last one seen. */
static uint32_t extend_seq(struct sim_world *w, size_t flow, uint16_t id16)
{
	uint32_t last = w->pcap_last_seq[flow];
	uint32_t cand = (last & ~0xffffu) | id16;

	if (!w->pcap_any_rx[flow])
		cand = id16;
	else if (cand + 0x8000u < last)
		cand += 0x10000u;
	else if (cand > last + 0x8000u && cand >= 0x10000u)
		cand -= 0x10000u;
	if (!w->pcap_any_rx[flow] || cand > last)
		w->pcap_last_seq[flow] = cand;
	w->pcap_any_rx[flow] = true;
	return cand;
}

static long pcap_flow_of(struct sim_world *w, uint32_t server)
{
	for (size_t i = 0; i < w->sc->n_flows; i++)
		if (w->sc->flows[i].type == SIM_FLOW_PCAP && um3n_addr_v4(&w->sc->flows[i].server) == server)
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
		sim_metrics_received(&w->metrics, pr.flow_id, link, !at_mn, w->now_us, pr.seq,
				     pr.send_us, (uint32_t)ip.total_len, pr.frame_id);
		return;
	}
	flow = pcap_flow_of(w, um3n_addr_v4(at_mn ? &ip.src : &ip.dst));
	if (flow >= 0) {
		const struct sim_flow_metrics *fm = &w->metrics.flows[flow];
		uint32_t seq = extend_seq(w, (size_t)flow, um3n_get16(pkt + 4));
		uint64_t sent = seq < fm->seq_cap ? fm->send_us[seq] : w->now_us;

		sim_metrics_received(&w->metrics, (size_t)flow, link, !at_mn, w->now_us, seq,
				     sent, (uint32_t)ip.total_len, 0);
	}
}

/* ---- links -------------------------------------------------------------- */

/* A FIFO link's arrival times never decrease, so one event for the head is
 * enough; the next is armed when the head has been handled. */
static void fifo_append(struct sim_world *w, size_t link, bool up, struct sim_pkt *p)
{
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
		if (out.kind == UM3N_OUT_UDP && out.link >= 0 && (size_t)out.link < w->sc->n_links) {
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

static void drain_ha(struct sim_world *w)
{
	struct um3n_out out;
	struct sim_pkt *p;
	long link;

	while (um3n_ha_poll_output(w->ha, &out)) {
		if (out.kind == UM3N_OUT_UDP) {
			link = link_of_coa(w, &out.to);
			if (link < 0)
				w->errs.ha_unroutable++;
			else
				link_send(w, true, (size_t)link, &w->ha_addr, &out.to, out.data, out.len);
			continue;
		}
		if (w->opts.pcaps)
			sim_pcapout_ha_tun(&w->pcap, w->now_us, out.data, out.len);
		if (w->sc->core_delay_us == 0)
			server_receive(w, out.data, out.len, out.link);
		else if ((p = pkt_copy(w, out.data, out.len)) != NULL)
			push(w, w->now_us + w->sc->core_delay_us, EV_CORE_TO_SERVER, 0, 0, p);
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
	struct sim_pkt *p;
	int rc;

	if (sim_metrics_sent(&w->metrics, flow, g->seq, now_us, g->len, g->frame_id, g->frame_pkts))
		return UM3N_ENOMEM;
	if (!g->up) {
		if (w->sc->core_delay_us == 0)
			ha_tun_in(w, g->data, g->len);
		else if ((p = pkt_copy(w, g->data, g->len)) != NULL)
			push(w, now_us + w->sc->core_delay_us, EV_CORE_TO_HA, 0, 0, p);
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
	if (um3n_mn_link_event(w->mn, w->now_us, (int)link, ev, arg))
		w->errs.mn_link_ev++;
	drain_mn(w);
}

static int dispatch(struct sim_world *w, const struct sim_event *ev)
{
	struct sim_pkt *p = ev->ptr;

	switch (ev->kind) {
	case EV_LINK_ARRIVE:
		on_link_arrive(w, p);
		break;
	case EV_LINK_HEAD:
		on_link_arrive(w, fifo_pop(w, ev->idx / 2, ev->idx % 2));
		break;
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
		if (sim_gen_run(&w->gens[ev->idx], w->now_us, on_generated, w))
			return UM3N_ENOMEM;
		if (sim_gen_next_us(&w->gens[ev->idx]) != UINT64_MAX)
			push(w, sim_gen_next_us(&w->gens[ev->idx]), EV_GEN, ev->idx, 0, NULL);
		break;
	case EV_CARRIER:
		on_link_event(w, ev->idx, ev->arg ? UM3N_LINK_EV_UP : UM3N_LINK_EV_DOWN, 0);
		break;
	case EV_SIGNAL:
		on_link_event(w, ev->idx, UM3N_LINK_EV_SIGNAL,
			      w->sc->links[ev->idx].signals[ev->arg].dbm);
		break;
	}
	return 0;
}

/* ---- setup ---------------------------------------------------------------- */

static int setup_link(struct sim_world *w, size_t i, char *err, size_t errcap)
{
	const struct sim_link_spec *ls = &w->sc->links[i];
	struct sim_link_conf c = {0};
	const struct sim_trace *down_tr = NULL, *up_tr = NULL;
	int rc;

	if (ls->trace[0]) {
		rc = sim_trace_load(ls->trace, ls->trace_fmt, ls->trace_scale, &w->traces[i][0], err,
				    errcap);
		if (rc)
			return rc;
		down_tr = up_tr = &w->traces[i][0];
	}
	if (ls->up_trace[0]) {
		rc = sim_trace_load(ls->up_trace, ls->up_trace_fmt, ls->trace_scale, &w->traces[i][1],
				    err, errcap);
		if (rc)
			return rc;
		up_tr = &w->traces[i][1];
	}
	c.delay_us = ls->delay_us;
	c.jitter_us = ls->jitter_us;
	c.allow_reorder = ls->reorder;
	c.queue_bytes = ls->queue_bytes;
	c.loss_ppb = ls->loss_ppb;
	c.ge_p_gb_ppb = ls->ge_p_gb_ppb;
	c.ge_p_bg_ppb = ls->ge_p_bg_ppb;
	c.ge_loss_good_ppb = ls->ge_loss_good_ppb;
	c.ge_loss_bad_ppb = ls->ge_loss_bad_ppb;
	c.n_outages = ls->n_outages;
	memcpy(c.outages, ls->outages, sizeof(c.outages));
	c.trace = down_tr;
	c.rate_bps = ls->rate_bps;
	c.seed = mix_seed(w->opts.seed, 16 + 2 * i);
	rc = sim_link_init(&w->down[i], &c);
	c.trace = up_tr;
	c.rate_bps = ls->up_rate_bps ? ls->up_rate_bps : ls->rate_bps;
	c.seed = mix_seed(w->opts.seed, 17 + 2 * i);
	if (rc == 0)
		rc = sim_link_init(&w->up[i], &c);
	if (rc)
		snprintf(err, errcap, "%s:%d: [link %s]: bad link parameters", w->sc->path, ls->line,
			 ls->name);
	um3n_addr_from_v4(&w->coa[i].ip, um3n_addr_v4(&ls->coa));
	w->coa[i].port = (uint16_t)(SIM_MN_PORT_BASE + i);
	return rc;
}

static int setup_policy(struct sim_world *w)
{
	const struct sim_scenario *sc = w->sc;

	w->policy = um3n_policy_new(&w->mn_env, sc->n_rules + 1);
	if (!w->policy)
		return UM3N_ENOMEM;
	for (size_t i = 0; i < sc->n_rules; i++) {
		struct um3n_policy_rule r = {.prefix = sc->rules[i].prefix, .plen = sc->rules[i].plen,
					     .link_class = sc->rules[i].link_class,
					     .mode = sc->rules[i].mode};

		if (um3n_policy_add(w->policy, &r))
			return UM3N_EINVAL;
	}
	return um3n_policy_set_default(w->policy, sc->default_class, sc->default_mode);
}

static int setup_engines(struct sim_world *w, char *err, size_t errcap)
{
	const struct sim_scenario *sc = w->sc;
	struct um3n_mn_conf mc;
	struct um3n_ha_conf hc;

	if (setup_policy(w)) {
		snprintf(err, errcap, "%s:0: the policy rules were refused by the engine", sc->path);
		return UM3N_EINVAL;
	}
	um3n_mn_conf_defaults(&mc);
	mc.home_addr = w->home;
	mc.ha = w->ha_addr;
	memcpy(mc.key, sim_key, sizeof(sim_key));
	mc.key_len = sizeof(sim_key);
	mc.ident_base = SIM_NTP_BASE;
	mc.n_links = sc->n_links;
	mc.policy = w->policy;
	for (size_t i = 0; i < sc->n_links; i++) {
		struct um3n_mn_link_conf *l = &mc.links[i];
		uint64_t rate = sc->links[i].rate_bps;

		snprintf(l->name, sizeof(l->name), "%s", sc->links[i].name);
		l->link_class = sc->links[i].engine.link_class;
		if (!rate && w->traces[i][0].period_us)
			rate = (uint64_t)sim_trace_mean_bps(&w->traces[i][0]);
		l->weight_kbps = (uint32_t)(rate / 1000);
		l->local = w->coa[i];
		/* priority, and weight_kbps over the rate's when the scenario gives it */
		um3n_confkeys_copy(UM3N_CONFKEYS_LINK, l, &sc->links[i].engine,
				   sc->links[i].engine_set);
	}
	um3n_confkeys_copy(UM3N_CONFKEYS_MN, &mc, &sc->mn, sc->mn_set);
	w->mn = um3n_mn_new(&mc, &w->mn_env);
	um3n_ha_conf_defaults(&hc);
	hc.addr = w->ha_addr;
	hc.get_key = ha_get_key;
	hc.key_ctx = w;
	um3n_confkeys_copy(UM3N_CONFKEYS_HA, &hc, &sc->ha, sc->ha_set);
	w->ha = um3n_ha_new(&hc, &w->ha_env);
	if (!w->mn || !w->ha) {
		snprintf(err, errcap, "%s:0: the %s engine refused its configuration (run with "
			 "--log 3 to see why)", sc->path, !w->mn ? "MN" : "HA");
		return UM3N_EINVAL;
	}
	return 0;
}

static void schedule_scenario(struct sim_world *w)
{
	const struct sim_scenario *sc = w->sc;

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

int sim_world_init(struct sim_world *w, const struct sim_scenario *sc,
		   const struct sim_world_opts *opts, char *err, size_t errcap)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->sc = sc;
	w->opts = *opts;
	w->mn_wake_us = w->ha_wake_us = UINT64_MAX;
	w->mn_env = (struct um3n_env){.ctx = w, .log = opts->log_level >= 0 ? sim_log : NULL,
				      .log_level = opts->log_level, .alloc = sim_alloc,
				      .free = sim_free, .seed = mix_seed(opts->seed, 1)};
	w->ha_env = w->mn_env;
	w->ha_env.seed = mix_seed(opts->seed, 2);
	um3n_addr_parse(SIM_MN_HOME, &w->home);
	um3n_addr_parse(SIM_HA_ADDR, &w->ha_addr.ip);
	w->ha_addr.port = UM3N_PORT_DEFAULT;
	sim_pool_init(&w->pool);
	snprintf(err, errcap, "%s:0: out of memory", sc->path);
	if (sim_heap_init(&w->heap, 4096) || sim_metrics_init(&w->metrics, sc, opts->seed))
		return UM3N_ENOMEM;
	w->gens = calloc(sc->n_flows ? sc->n_flows : 1, sizeof(*w->gens));
	if (!w->gens)
		return UM3N_ENOMEM;
	for (size_t i = 0; i < sc->n_links; i++)
		if ((rc = setup_link(w, i, err, errcap)) != 0)
			return rc;
	for (size_t i = 0; i < sc->n_flows; i++)
		if ((rc = sim_gen_init(&w->gens[i], &sc->flows[i], i, &w->home, err, errcap)) != 0)
			return rc;
	if ((rc = setup_engines(w, err, errcap)) != 0)
		return rc;
	if (opts->pcaps && (rc = sim_pcapout_open(&w->pcap, opts->out_dir, sc, opts->snaplen, err,
							  errcap)) != 0)
		return rc;
	err[0] = '\0';
	schedule_scenario(w);
	return 0;
}

int sim_world_run(struct sim_world *w)
{
	struct sim_event ev;
	int rc = 0;

	while (rc == 0 && sim_heap_pop(&w->heap, &ev)) {
		if (ev.t_us > w->sc->duration_us || ev.kind == EV_END) {
			if (ev.ptr)
				sim_pool_put(&w->pool, ev.ptr);
			break;
		}
		w->now_us = ev.t_us;
		w->events++;
		rc = dispatch(w, &ev);
	}
	w->now_us = w->sc->duration_us;
	for (size_t i = 0; i < w->sc->n_links; i++) {
		w->metrics.links[i].down = w->down[i].stats;
		w->metrics.links[i].up = w->up[i].stats;
	}
	sim_metrics_finish(&w->metrics, w->sc->duration_us);
	return rc;
}

void sim_world_free(struct sim_world *w)
{
	if (w->opts.pcaps)
		sim_pcapout_close(&w->pcap);
	um3n_mn_free(w->mn);
	um3n_ha_free(w->ha);
	if (w->policy)
		um3n_policy_free(w->policy);
	for (size_t i = 0; w->gens && i < w->sc->n_flows; i++)
		sim_gen_free(&w->gens[i]);
	free(w->gens);
	for (size_t i = 0; i < SIM_MAX_LINKS; i++) {
		sim_trace_free(&w->traces[i][0]);
		sim_trace_free(&w->traces[i][1]);
	}
	sim_metrics_free(&w->metrics);
	sim_heap_free(&w->heap);
	sim_pool_free(&w->pool);
	memset(w, 0, sizeof(*w));
}
