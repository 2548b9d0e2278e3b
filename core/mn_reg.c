/* MN registration: one RFC 5944 registration per uplink (S flag: simultaneous
 * bindings, D flag: co-located care-of address, T flag: reverse tunnelling),
 * retransmission with exponential backoff, refresh before the lifetime ends,
 * deregistration on shutdown, every denial code, and the policy-table sync that
 * rides on registration requests as NVSE chunks. The per-link state machine is
 * the table below: {state, event, action, next}. */
#include <string.h>

#include "auth.h"
#include "mn_int.h"

enum reg_action { ACT_NONE, ACT_SEND, ACT_RETRANSMIT, ACT_ACCEPTED, ACT_BACKOFF, ACT_STOP,
		  ACT_DEREGISTER };

struct reg_transition {
	int state;
	enum mn_reg_event ev;
	enum reg_action action;
	int next;
};

static const struct reg_transition reg_table[] = {
	{UM3N_REG_IDLE, MN_REG_EV_LINK_UP, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REQUESTING, MN_REG_EV_TIMER, ACT_RETRANSMIT, UM3N_REG_REQUESTING},
	{UM3N_REG_REQUESTING, MN_REG_EV_ACCEPTED, ACT_ACCEPTED, UM3N_REG_REGISTERED},
	{UM3N_REG_REQUESTING, MN_REG_EV_DENIED, ACT_BACKOFF, UM3N_REG_DENIED},
	{UM3N_REG_REQUESTING, MN_REG_EV_IDENT_MISMATCH, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REQUESTING, MN_REG_EV_CHANGED, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REQUESTING, MN_REG_EV_LINK_DOWN, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_REQUESTING, MN_REG_EV_SHUTDOWN, ACT_DEREGISTER, UM3N_REG_DEREGISTERING},
	{UM3N_REG_REGISTERED, MN_REG_EV_TIMER, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REGISTERED, MN_REG_EV_CHANGED, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REGISTERED, MN_REG_EV_SYNC_NEEDED, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_REGISTERED, MN_REG_EV_LINK_DOWN, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_REGISTERED, MN_REG_EV_SHUTDOWN, ACT_DEREGISTER, UM3N_REG_DEREGISTERING},
	{UM3N_REG_DENIED, MN_REG_EV_TIMER, ACT_RETRANSMIT, UM3N_REG_REQUESTING},
	{UM3N_REG_DENIED, MN_REG_EV_CHANGED, ACT_SEND, UM3N_REG_REQUESTING},
	{UM3N_REG_DENIED, MN_REG_EV_LINK_DOWN, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_DENIED, MN_REG_EV_SHUTDOWN, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_DEREGISTERING, MN_REG_EV_TIMER, ACT_DEREGISTER, UM3N_REG_DEREGISTERING},
	{UM3N_REG_DEREGISTERING, MN_REG_EV_ACCEPTED, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_DEREGISTERING, MN_REG_EV_DENIED, ACT_STOP, UM3N_REG_IDLE},
	{UM3N_REG_DEREGISTERING, MN_REG_EV_LINK_DOWN, ACT_STOP, UM3N_REG_IDLE},
};

#define DEREGISTER_TRIES 3

static const char *const reg_event_names[MN_REG_EV_COUNT] = {
	"link-up", "link-down", "changed", "timer", "accepted",
	"denied", "ident-mismatch", "sync-needed", "shutdown",
};

const char *um3n_reg_state_name(int state)
{
	static const char *const names[UM3N_REG_COUNT] = {
		"idle", "requesting", "registered", "denied", "deregistering",
	};

	return state >= 0 && state < UM3N_REG_COUNT ? names[state] : "?";
}

/* One link carries the policy chunks, so a large table is sent once, not once
 * per uplink: the registered (or registering) link with the shortest smoothed
 * RTT, since the sync is one chunk per round trip. Ties: lowest index. */
static int sync_link(const struct um3n_mn *mn)
{
	int best = -1;

	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];

		if (l->reg_state != UM3N_REG_REQUESTING && l->reg_state != UM3N_REG_REGISTERED)
			continue;
		if (best < 0 || (l->lm.have_rtt && (!mn->links[best].lm.have_rtt ||
						    l->lm.srtt_us < mn->links[best].lm.srtt_us)))
			best = (int)i;
	}
	return best;
}

bool mn_policy_synced(const struct um3n_mn *mn)
{
	return mn->acked_version == um3n_policy_version(mn->policy);
}

static void fill_policy_chunk(const struct um3n_mn *mn, struct um3n_rrq *rrq)
{
	uint16_t index = mn->acked_chunks;
	size_t off = (size_t)index * UM3N_POLICY_CHUNK_MAX;
	size_t len = mn->policy_blob_len - off;

	if (index >= mn->policy_chunks)
		return;
	if (len > UM3N_POLICY_CHUNK_MAX)
		len = UM3N_POLICY_CHUNK_MAX;
	rrq->has_policy_chunk = true;
	rrq->chunk.version = um3n_policy_version(mn->policy);
	rrq->chunk.index = index;
	rrq->chunk.count = mn->policy_chunks;
	rrq->chunk.data = mn->policy_blob + off;
	rrq->chunk.len = (uint16_t)len;
}

static void build_request(const struct um3n_mn *mn, int link, uint16_t lifetime_s,
			  struct um3n_rrq *rrq)
{
	const struct mn_link *l = &mn->links[link];

	memset(rrq, 0, sizeof(*rrq));
	rrq->flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T;
	rrq->lifetime_s = lifetime_s;
	rrq->home_addr = mn->home_v4;
	rrq->ha_addr = mn->ha_v4;
	rrq->coa = um3n_addr_v4(&l->conf.local.ip);
	rrq->ident = l->reg_ident;
	/* RFC 3519 §3.1: force UDP tunnelling, the co-located MN decapsulates. */
	rrq->has_udp_tun_req = true;
	rrq->udp_tun_flags = UM3N_UDP_TUN_FLAG_F;
	rrq->encap = UM3N_ENCAP_GRE;
	rrq->has_link_info = true;
	rrq->link.link_id = (uint8_t)link;
	rrq->link.link_class = l->conf.link_class;
	rrq->link.priority = l->conf.priority;
	rrq->link.flags = (uint8_t)((l->lm.weak ? UM3N_LINK_F_DEGRADED : 0) |
				    (mn->conf.rx_csum_partial ? UM3N_LINK_F_CSUM_PARTIAL : 0));
	rrq->link.weight_kbps = l->conf.weight_kbps;
	rrq->spi = mn->conf.spi;
	if (lifetime_s && !mn_policy_synced(mn) && (sync_link(mn) == link || sync_link(mn) < 0))
		fill_policy_chunk(mn, rrq);
}

static void send_request(struct um3n_mn *mn, uint64_t now_us, int link, uint16_t lifetime_s)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_rrq rrq;
	size_t len, auth_off;
	uint8_t *buf = um3n_outq_reserve(&mn->outq);

	l->reg_ident = um3n_auth_ident_next(mn->conf.ident_base, now_us, mn->last_ident);
	mn->last_ident = l->reg_ident;
	l->reg_sent_us = now_us;
	if (!buf) {
		mn->drops.queue_full++;
		return; /* the retransmission timer tries again */
	}
	build_request(mn, link, lifetime_s, &rrq);
	if (um3n_wire_rrq_encode(&rrq, buf, mn->outq.slot, &len, &auth_off) != UM3N_OK ||
	    um3n_auth_sign(mn->conf.key, mn->conf.key_len, buf, auth_off, buf + auth_off) != UM3N_OK) {
		um3n_log(&mn->env, UM3N_LOG_ERR, "link %s: cannot encode registration",
			 l->conf.name);
		return;
	}
	um3n_outq_commit(&mn->outq, UM3N_OUT_UDP, link, &mn->conf.ha, len);
	um3n_log(&mn->env, UM3N_LOG_DEBUG, "link %s: registration request lifetime %u%s",
		 l->conf.name, lifetime_s, rrq.has_policy_chunk ? " +policy chunk" : "");
}

static void run_action(struct um3n_mn *mn, uint64_t now_us, int link, enum reg_action a)
{
	struct mn_link *l = &mn->links[link];
	uint32_t max_rto = mn->conf.reg_retry_max_us;

	switch (a) {
	case ACT_SEND:
		l->retries = 0;
		l->reg_rto_us = mn->conf.reg_retry_initial_us;
		send_request(mn, now_us, link, mn->conf.lifetime_s);
		l->reg_timer_us = now_us + l->reg_rto_us;
		break;
	case ACT_RETRANSMIT:
		l->retries++;
		l->reg_rto_us = l->reg_rto_us * 2 > max_rto ? max_rto : l->reg_rto_us * 2;
		send_request(mn, now_us, link, mn->conf.lifetime_s);
		l->reg_timer_us = now_us + l->reg_rto_us;
		break;
	case ACT_BACKOFF:
		l->reg_rto_us = l->reg_rto_us * 2 > max_rto ? max_rto : l->reg_rto_us * 2;
		l->reg_timer_us = now_us + l->reg_rto_us;
		break;
	case ACT_DEREGISTER:
		if (l->reg_state == UM3N_REG_DEREGISTERING && ++l->retries >= DEREGISTER_TRIES) {
			l->reg_timer_us = UINT64_MAX;
			l->reg_state = UM3N_REG_IDLE;
			return;
		}
		if (l->reg_state != UM3N_REG_DEREGISTERING)
			l->retries = 0;
		l->reg_rto_us = mn->conf.reg_retry_initial_us;
		send_request(mn, now_us, link, 0);
		l->reg_timer_us = now_us + l->reg_rto_us;
		break;
	case ACT_STOP:
		l->reg_timer_us = UINT64_MAX;
		l->reg_expires_us = 0;
		break;
	case ACT_ACCEPTED: /* timers set by the reply handler, which knows the lifetime */
	case ACT_NONE:
		break;
	}
}

void mn_reg_event(struct um3n_mn *mn, uint64_t now_us, int link, enum mn_reg_event ev)
{
	struct mn_link *l = &mn->links[link];
	int old = l->reg_state;

	for (size_t i = 0; i < sizeof(reg_table) / sizeof(reg_table[0]); i++) {
		const struct reg_transition *t = &reg_table[i];

		if (t->state != old || t->ev != ev)
			continue;
		run_action(mn, now_us, link, t->action);
		if (l->reg_state == old) /* ACT_DEREGISTER may have given up */
			l->reg_state = t->next;
		if (l->reg_state != old)
			um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: registration %s --%s--> %s",
				 l->conf.name, um3n_reg_state_name(old), reg_event_names[ev],
				 um3n_reg_state_name(l->reg_state));
		return;
	}
}

void mn_reg_timeout(struct um3n_mn *mn, uint64_t now_us)
{
	for (size_t i = 0; i < mn->conf.n_links; i++)
		if (mn->links[i].reg_timer_us <= now_us)
			mn_reg_event(mn, now_us, (int)i, MN_REG_EV_TIMER);
}

static void note_policy_ack(struct um3n_mn *mn, const struct um3n_rrp *rrp)
{
	uint32_t ours = um3n_policy_version(mn->policy);

	if (!rrp->has_policy_ack || rrp->policy_ack.version != ours) {
		/* The HA holds no table, or another version: it restarted or lost
		 * us. Start the sync over (the caller sends the first chunk). */
		if (mn->acked_version == ours || mn->acked_chunks)
			um3n_log(&mn->env, UM3N_LOG_INFO,
				 "HA does not hold policy version %u: syncing again", ours);
		mn->acked_version = 0;
		mn->acked_chunks = 0;
		return;
	}
	if (rrp->policy_ack.chunks_held > mn->acked_chunks)
		mn->acked_chunks = rrp->policy_ack.chunks_held;
	if (rrp->policy_ack.chunks_held >= mn->policy_chunks &&
	    rrp->policy_ack.count == mn->policy_chunks && mn->acked_version != ours) {
		mn->acked_version = ours;
		um3n_log(&mn->env, UM3N_LOG_INFO, "policy version %u synced to the HA (%zu rules)",
			 ours, um3n_policy_count(mn->policy));
	}
}

static void on_accepted(struct um3n_mn *mn, uint64_t now_us, int link, const struct um3n_rrp *rrp)
{
	struct mn_link *l = &mn->links[link];
	uint64_t life_us = (uint64_t)rrp->lifetime_s * 1000000u;

	if (l->retries == 0) /* Karn: no RTT sample from a retransmitted exchange */
		um3n_linkmon_rtt_sample(&l->lm, now_us - l->reg_sent_us);
	mn_reg_event(mn, now_us, link, MN_REG_EV_ACCEPTED);
	if (l->reg_state != UM3N_REG_REGISTERED)
		return; /* it was a deregistration */
	l->reg_expires_us = now_us + life_us;
	/* Refresh at 3/4 of the granted lifetime (at least a second from now). */
	l->reg_timer_us = now_us + (life_us * 3 / 4 > 1000000 ? life_us * 3 / 4 : 1000000);
	mn_link_lm_event(mn, now_us, link, UM3N_LM_EV_CONFIRMED);
	if (!mn_policy_synced(mn)) /* next chunk; a link still waiting for its reply ignores this */
		mn_reg_event(mn, now_us, sync_link(mn), MN_REG_EV_SYNC_NEEDED);
}

int mn_reg_handle_reply(struct um3n_mn *mn, uint64_t now_us, int link, const uint8_t *buf,
			size_t len)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_rrp rrp;
	int rc = um3n_wire_rrp_decode(buf, len, &rrp);

	if (rc) {
		mn->drops.malformed++;
		return rc;
	}
	if (!rrp.has_auth || um3n_auth_verify(mn->conf.key, mn->conf.key_len, buf,
					      rrp.auth_covered_len, rrp.auth, rrp.auth_len)) {
		mn->drops.auth_failed++;
		return UM3N_EAUTH;
	}
	if (rrp.home_addr != mn->home_v4 ||
	    (l->reg_state != UM3N_REG_REQUESTING && l->reg_state != UM3N_REG_DEREGISTERING) ||
	    (uint32_t)rrp.ident != (uint32_t)l->reg_ident) {
		mn->drops.replayed++; /* not an answer to the request in flight */
		return UM3N_EREPLAY;
	}
	l->last_code = rrp.code;
	l->lm.last_heard_us = now_us;
	note_policy_ack(mn, &rrp);
	if (rrp.code == UM3N_CODE_ACCEPTED || rrp.code == UM3N_CODE_ACCEPTED_NO_SIMUL) {
		mn->ha_csum_partial =
			rrp.has_link_info && (rrp.link.flags & UM3N_LINK_F_CSUM_PARTIAL);
		on_accepted(mn, now_us, link, &rrp);
		return UM3N_OK;
	}
	um3n_log(&mn->env, UM3N_LOG_WARN, "link %s: registration denied, code %u", l->conf.name,
		 rrp.code);
	if (rrp.code == UM3N_CODE_IDENT_MISMATCH) {
		/* RFC 5944 §5.7: resynchronise from the HA's identification. */
		if (rrp.ident > mn->last_ident)
			mn->last_ident = rrp.ident;
		mn_reg_event(mn, now_us, link, MN_REG_EV_IDENT_MISMATCH);
		return UM3N_OK;
	}
	if (rrp.code == UM3N_CODE_MN_FAILED_AUTH)
		l->reg_rto_us = mn->conf.reg_retry_max_us; /* wrong key: retrying fast is futile */
	mn_reg_event(mn, now_us, link, MN_REG_EV_DENIED);
	return UM3N_OK;
}

/* Copies src (NULL: an empty table, default class "any") into a table the
 * engine owns, numbers it one above the current version and keeps its
 * serialisation for the sync. Errors: UM3N_ENOMEM, UM3N_EINVAL. */
int mn_policy_install(struct um3n_mn *mn, const struct um3n_policy *src)
{
	const struct um3n_env *env = &mn->env;
	uint32_t version = (mn->policy ? um3n_policy_version(mn->policy) : 0) + 1;
	size_t rules = src ? um3n_policy_count(src) : 0;
	struct um3n_policy *p = um3n_policy_new(env, rules ? rules : 1);
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc = UM3N_ENOMEM;

	if (!p)
		goto fail;
	if (src) {
		len = um3n_policy_serialized_size(src);
		blob = env->alloc(env->ctx, len);
		if (!blob)
			goto fail;
		rc = um3n_policy_serialize(src, blob, len, &len);
		if (!rc)
			rc = um3n_policy_deserialize(p, blob, len);
		if (rc)
			goto fail;
		env->free(env->ctx, blob);
	}
	um3n_policy_set_version(p, version);
	len = um3n_policy_serialized_size(p);
	blob = env->alloc(env->ctx, len);
	rc = blob ? um3n_policy_serialize(p, blob, len, &len) : UM3N_ENOMEM;
	if (rc)
		goto fail;
	if (mn->policy)
		um3n_policy_free(mn->policy);
	if (mn->policy_blob)
		env->free(env->ctx, mn->policy_blob);
	mn->policy = p;
	mn->policy_blob = blob;
	mn->policy_blob_len = len;
	mn->policy_chunks = (uint16_t)((len + UM3N_POLICY_CHUNK_MAX - 1) / UM3N_POLICY_CHUNK_MAX);
	mn->acked_chunks = 0;
	return UM3N_OK;
fail:
	if (blob)
		env->free(env->ctx, blob);
	if (p)
		um3n_policy_free(p);
	return rc;
}

/* After a policy change the sync link re-registers at once to carry it. */
void mn_reg_policy_changed(struct um3n_mn *mn, uint64_t now_us)
{
	int link = sync_link(mn);

	if (link >= 0)
		mn_reg_event(mn, now_us, link, MN_REG_EV_SYNC_NEEDED);
}
