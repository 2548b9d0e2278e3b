/* Invariants checked during a simulated run (invariants.h). */
#include "invariants.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkmon.h"
#include "regfsm.h"
#include "world.h"

int sim_inv_break_parse(const char *s)
{
	static const char *const names[] = {"", "carrier", "binding", "dup"};

	if (!s)
		return SIM_INV_BREAK_NONE;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

void sim_inv_init(struct sim_inv *v, bool on)
{
	int brk = on ? sim_inv_break_parse(getenv("UM3N_SIM_BREAK")) : SIM_INV_BREAK_NONE;

	memset(v, 0, sizeof(*v));
	v->on = on;
	v->brk = brk < 0 ? SIM_INV_BREAK_NONE : (enum sim_inv_break)brk; /* main.c refused it */
}

static void fail(struct sim_world *w, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (w->inv.failed)
		return; /* the first one is the one that matters */
	w->inv.failed = true;
	fprintf(stderr, "um3n-sim: invariant '%s' broken at %.6f s: ", what,
		(double)w->now_us / 1e6);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The binding check: the MN's registered links against the HA's bindings. */
static void check_bindings(struct sim_world *w)
{
	struct um3n_mn_status ms;
	struct um3n_ha_mn_status hs;
	bool ha_has = um3n_ha_mn_status(w->ha, w->now_us, 0, &hs) == UM3N_OK;

	w->inv.binding_checks++;
	um3n_mn_status(w->mn, w->now_us, &ms);
	for (size_t l = 0; l < w->sc->n_links; l++) {
		bool bound = false;

		for (size_t k = 0; ha_has && k < hs.n_bindings; k++)
			bound |= hs.bindings[k].link_id == l &&
				 um3n_addr_eq(&hs.bindings[k].coa.ip, &w->coa[l].ip);
		if (ms.links[l].reg_state == UM3N_REG_REGISTERED && !bound)
			return fail(w, "binding",
				    "MN link %s is registered, the HA holds no binding for it at "
				    "its care-of address",
				    w->sc->links[l].name);
	}
	for (size_t k = 0; ha_has && k < hs.n_bindings; k++) {
		uint8_t l = hs.bindings[k].link_id;

		if (l >= w->sc->n_links || !um3n_addr_eq(&hs.bindings[k].coa.ip, &w->coa[l].ip))
			return fail(w, "binding",
				    "the HA binds MN link %u at an address that is not the link's",
				    l);
	}
}

bool sim_inv_carrier(struct sim_world *w, size_t link, bool up)
{
	struct sim_inv *v = &w->inv;

	assert(link < SIM_MAX_LINKS);
	if (!v->on)
		return true;
	v->carrier[link] = up;
	/* The broken world: at the first carrier loss the HA's clock leaps
	 * eleven days ahead for one call, and every binding expires there. */
	if (!up && v->carrier_losses++ == 0 && v->brk == SIM_INV_BREAK_BINDING)
		um3n_ha_timeout(w->ha, w->now_us + 1000000000000ull);
	return up || v->brk != SIM_INV_BREAK_CARRIER;
}

void sim_inv_mn_sent(struct sim_world *w, int link, const uint8_t *data, size_t len)
{
	struct um3n_tunnel_data d;
	struct um3n_mn_status ms;

	if (!w->inv.on || len == 0 || data[0] != UM3N_MSG_TUNNEL_DATA ||
	    um3n_wire_tunnel_decode(data, len, &d) || !d.has_seq)
		return; /* only data: probes and registrations go on any link */
	assert(link >= 0 && (size_t)link < w->sc->n_links);
	w->inv.data_checked++;
	if (!w->inv.carrier[link])
		return fail(w, "usable", "MN sent data on link %s, whose carrier is down",
			    w->sc->links[link].name);
	um3n_mn_status(w->mn, w->now_us, &ms);
	if (ms.links[link].state != UM3N_LS_UP && ms.links[link].state != UM3N_LS_DEGRADED)
		fail(w, "usable", "MN sent data on link %s in state %s", w->sc->links[link].name,
		     um3n_linkmon_state_name(ms.links[link].state));
}

int sim_inv_delivered(struct sim_world *w, size_t flow, uint32_t seq)
{
	struct sim_inv *v = &w->inv;
	uint64_t bit;

	if (!v->on)
		return 1;
	assert(flow < SIM_MAX_FLOWS);
	if (!v->any[flow] || seq > v->max_seq[flow]) {
		/* Slide the window: forget what falls out of it. */
		uint32_t from = v->any[flow] ? v->max_seq[flow] + 1 : seq;

		if (seq - from >= SIM_INV_DUP_WINDOW)
			from = seq - SIM_INV_DUP_WINDOW + 1;
		for (uint32_t s = from; s != seq + 1; s++)
			v->seen[flow][(s % SIM_INV_DUP_WINDOW) / 64] &= ~(1ull << (s % 64));
		v->max_seq[flow] = seq;
		v->any[flow] = true;
	} else if (v->max_seq[flow] - seq >= SIM_INV_DUP_WINDOW) {
		return 1; /* older than the window: not checked */
	}
	bit = 1ull << (seq % 64);
	if (v->seen[flow][(seq % SIM_INV_DUP_WINDOW) / 64] & bit) {
		fail(w, "dup", "flow %s: packet %u delivered twice", w->sc->flows[flow].name, seq);
		return 1;
	}
	v->seen[flow][(seq % SIM_INV_DUP_WINDOW) / 64] |= bit;
	return ++v->delivered == 100 && v->brk == SIM_INV_BREAK_DUP ? 2 : 1;
}

void sim_inv_after_event(struct sim_world *w)
{
	if (!w->inv.on || w->now_us < w->inv.next_check_us)
		return;
	w->inv.next_check_us = w->now_us + SIM_INV_CHECK_US;
	check_bindings(w);
}

void sim_inv_summary(const struct sim_inv *v)
{
	if (v->on)
		printf("invariants: %s; %llu data packets checked on usable links, %llu binding "
		       "checks, %llu deliveries without a duplicate, %llu carrier losses\n",
		       v->failed ? "BROKEN" : "held", (unsigned long long)v->data_checked,
		       (unsigned long long)v->binding_checks, (unsigned long long)v->delivered,
		       (unsigned long long)v->carrier_losses);
}
