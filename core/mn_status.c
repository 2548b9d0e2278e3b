/* The MN engine's status for the operator (um3nctl show, the simulator's
 * logs): a copy of what the engine, its uplinks, the data path and the
 * handover manager hold. Reads only; calls nothing in mn.c. */
#include <assert.h>
#include <string.h>

#include "mn_int.h"

void um3n_mn_status(const struct um3n_mn *mn, uint64_t now_us, struct um3n_mn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->n_links = mn->conf.n_links;
	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];
		struct um3n_mn_link_status *s = &st->links[i];

		memcpy(s->name, l->conf.name, sizeof(s->name));
		s->link_class = l->conf.link_class;
		s->state = l->lm.state;
		s->reg_state = l->reg.state;
		s->last_code = l->reg.last_code;
		s->local = l->conf.local;
		s->lifetime_left_s = l->tm.expires_us != UM3N_TIME_NONE && l->tm.expires_us > now_us
					     ? (uint32_t)((l->tm.expires_us - now_us) / 1000000)
					     : 0;
		s->srtt_us = l->lm.srtt_us;
		s->rttvar_us = l->lm.rttvar_us;
		s->loss_permille = um3n_linkmon_loss_permille(&l->lm);
		s->carrier = l->carrier;
		s->have_signal = l->have_signal;
		s->signal_dbm = l->signal_dbm;
		s->trying_s = l->watch.since_us != UM3N_TIME_NONE && now_us > l->watch.since_us
				      ? (uint32_t)((now_us - l->watch.since_us) / 1000000)
				      : 0;
		s->reg_retries = l->watch.since_us != UM3N_TIME_NONE ? l->watch.retries : 0;
		s->reg_wait = l->watch.since_us != UM3N_TIME_NONE ? (int)l->watch.wait
								  : UM3N_MN_REG_WAIT_NONE;
		s->tx_pkts = mn->dp.tx_pkts[i];
		s->tx_bytes = mn->dp.tx_bytes[i];
		s->rx_pkts = l->rx_pkts;
		s->rx_bytes = l->rx_bytes;
		s->probes_sent = l->lm.probes_sent;
		s->probes_answered = l->lm.probes_answered;
		um3n_datapath_rate_status(&mn->dp, (int)i, &s->rate);
		for (int c = 0; c < UM3N_FAILOVER_CAUSES; c++) {
			s->failovers_by[c] = l->failovers[c];
			s->failovers += l->failovers[c];
		}
		/* failing (silence) is a failover, always counted as one */
		assert(l->failovers[UM3N_FAILOVER_SILENCE] == l->lm.failures);
		s->resent_pkts = mn->dp.resent_pkts[i];
		s->unexpected_events = l->reg.unexpected + l->lm.unexpected;
	}
	st->policy_version = um3n_policy_version(mn->policy);
	st->policy_acked_version = mn->acked_version;
	st->policy_rules = um3n_policy_count(mn->policy);
	st->tun_in_pkts = mn->tun_in_pkts;
	st->path_mtu = mn->conf.path_mtu;
	st->mss_clamped = mn->mss_clamped;
	st->frag_needed = mn->frag_needed;
	st->tun_out_pkts = mn->tun_out_pkts;
	st->peer_csum_partial = mn->ha_csum_partial;
	st->drops = mn->drops;
	um3n_reorder_status(&mn->rpool, &st->reorder);
	st->arq = mn->dp.arq.st;
	st->pace = mn->dp.pacer.st;
	mn_hover_status(mn, now_us, st);
}
