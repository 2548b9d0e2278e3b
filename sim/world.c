/* The simulated topology: builds the world from a scenario (per-link model
 * and traces, traffic generators, the MN and HA engines with their
 * environment and keys, the pcap writers) and frees it. The event loop that
 * drives it is world_run.c. */
#include "world.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "confkeys.h"
#include "world_int.h"

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

/* ---- setup ---------------------------------------------------------------- */

static int setup_link(struct sim_world *w, size_t i, char *err, size_t errcap)
{
	const struct sim_link_spec *ls = &w->sc->links[i];
	struct sim_link_conf c = {0};
	const struct sim_trace *down_tr = NULL, *up_tr = NULL;
	int rc;

	assert(i < w->sc->n_links && i < SIM_MAX_LINKS);
	if (ls->trace[0]) {
		rc = sim_trace_load(ls->trace, ls->trace_fmt, ls->trace_scale, &w->traces[i][0],
				    err, errcap);
		if (rc)
			return rc;
		down_tr = up_tr = &w->traces[i][0];
	}
	if (ls->up_trace[0]) {
		rc = sim_trace_load(ls->up_trace, ls->up_trace_fmt, ls->trace_scale,
				    &w->traces[i][1], err, errcap);
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
	c.outages = ls->outages;
	c.trace = down_tr;
	c.rate_bps = ls->rate_bps;
	c.seed = mix_seed(w->opts.seed, 16 + 2 * i);
	rc = sim_link_init(&w->down[i], &c);
	/* up_rate_mbps beside a (downlink) trace: a constant uplink (never with up_trace). */
	assert(!(ls->up_trace[0] && ls->up_rate_bps));
	c.trace = ls->up_rate_bps ? NULL : up_tr;
	c.rate_bps = ls->up_rate_bps ? ls->up_rate_bps : ls->rate_bps;
	c.seed = mix_seed(w->opts.seed, 17 + 2 * i);
	if (rc == 0)
		rc = sim_link_init(&w->up[i], &c);
	if (rc)
		snprintf(err, errcap, "%s:%d: [link %s]: bad link parameters", w->sc->path,
			 ls->line, ls->name);
	um3n_addr_from_v4(&w->coa[i].ip, um3n_addr_v4(&ls->coa));
	w->coa[i].port = (uint16_t)(SIM_MN_PORT_BASE + i);
	return rc;
}

/* A core with a rate (core_rate_mbps) is a link of its own each way: the
 * same serialiser and drop-tail queue as the radio links', no loss. */
static int setup_core(struct sim_world *w, char *err, size_t errcap)
{
	struct sim_link_conf c = {.rate_bps = w->sc->core_rate_bps,
				  .delay_us = w->sc->core_delay_us,
				  .queue_bytes = w->sc->core_queue_bytes};
	int rc;

	if (!c.rate_bps)
		return 0;
	c.seed = mix_seed(w->opts.seed, 30);
	rc = sim_link_init(&w->core_down, &c);
	c.seed = mix_seed(w->opts.seed, 31);
	if (rc == 0)
		rc = sim_link_init(&w->core_up, &c);
	if (rc)
		snprintf(err, errcap, "%s:0: [sim]: bad core parameters", w->sc->path);
	return rc;
}

static int setup_policy(struct sim_world *w)
{
	const struct sim_scenario *sc = w->sc;

	w->policy = um3n_policy_new(&w->mn_env, sc->n_rules + 1);
	if (!w->policy)
		return UM3N_ENOMEM;
	for (size_t i = 0; i < sc->n_rules; i++) {
		struct um3n_policy_rule r = {.prefix = sc->rules[i].prefix,
					     .plen = sc->rules[i].plen,
					     .link_class = sc->rules[i].link_class,
					     .mode = sc->rules[i].mode,
					     .pct = sc->rules[i].pct,
					     .loss_pct = sc->rules[i].loss_pct,
					     .rtt_ms = sc->rules[i].rtt_ms};

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
		snprintf(err, errcap, "%s:0: the policy rules were refused by the engine",
			 sc->path);
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
		snprintf(err, errcap,
			 "%s:0: the %s engine refused its configuration (run with "
			 "--log 3 to see why)",
			 sc->path, !w->mn ? "MN" : "HA");
		return UM3N_EINVAL;
	}
	return 0;
}

int sim_world_init(struct sim_world *w, const struct sim_scenario *sc,
		   const struct sim_world_opts *opts, char *err, size_t errcap)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->sc = sc;
	w->opts = *opts;
	w->mn_wake_us = w->ha_wake_us = UINT64_MAX;
	w->mn_env = (struct um3n_env){.ctx = w,
				      .log = opts->log_level >= 0 ? sim_log : NULL,
				      .log_level = opts->log_level,
				      .alloc = sim_alloc,
				      .free = sim_free,
				      .seed = mix_seed(opts->seed, 1)};
	w->ha_env = w->mn_env;
	w->ha_env.seed = mix_seed(opts->seed, 2);
	um3n_addr_parse(SIM_MN_HOME, &w->home);
	um3n_addr_parse(SIM_HA_ADDR, &w->ha_addr.ip);
	w->ha_addr.port = UM3N_PORT_DEFAULT;
	sim_pool_init(&w->pool);
	snprintf(err, errcap, "%s:0: out of memory", sc->path);
	if (sim_heap_init(&w->heap, 4096) || sim_metrics_init(&w->metrics, sc, opts->seed))
		return UM3N_ENOMEM;
	if (opts->exact_metrics)
		sim_metrics_set_exact(&w->metrics);
	else if (opts->histogram_metrics)
		sim_metrics_set_histogram(&w->metrics);
	w->gens = calloc(sc->n_flows ? sc->n_flows : 1, sizeof(*w->gens));
	if (!w->gens)
		return UM3N_ENOMEM;
	for (size_t i = 0; i < sc->n_links; i++)
		if ((rc = setup_link(w, i, err, errcap)) != 0)
			return rc;
	if ((rc = setup_core(w, err, errcap)) != 0)
		return rc;
	for (size_t i = 0; i < sc->n_flows; i++)
		if ((rc = sim_gen_init(&w->gens[i], &sc->flows[i], i, &w->home, err, errcap)) != 0)
			return rc;
	if ((rc = setup_engines(w, err, errcap)) != 0)
		return rc;
	for (size_t i = 0; i < sc->n_flows; i++) /* ARCHITECTURE.md §4: reordered at the receiver */
		w->metrics.flows[i].aggregate = um3n_policy_mode_keyed(
			um3n_policy_lookup(w->policy, &sc->flows[i].server)->mode);
	if (opts->pcaps &&
	    (rc = sim_pcapout_open(&w->pcap, opts->out_dir, sc, opts->snaplen, err, errcap)) != 0)
		return rc;
	err[0] = '\0';
	world_run_schedule(w);
	return 0;
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
		sim_link_free(&w->down[i]);
		sim_link_free(&w->up[i]);
	}
	sim_link_free(&w->core_down);
	sim_link_free(&w->core_up);
	sim_metrics_free(&w->metrics);
	sim_heap_free(&w->heap);
	sim_pool_free(&w->pool);
	memset(w, 0, sizeof(*w));
}
