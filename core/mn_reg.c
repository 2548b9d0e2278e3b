/* MN registration: the RFC 5944 request of each uplink (S flag: simultaneous
 * bindings, D flag: co-located care-of address, T flag: reverse tunnelling)
 * with the identification of RFC 5944 §5.7; stepping the uplink's registration
 * machine (regfsm.c) and carrying out its effects but the link monitor's; the
 * checks a reply passes before it becomes an event for the machine; and the
 * policy-table sync that rides on requests as NVSE chunks. Nothing here calls
 * into mn.c: what the link monitor has to hear is returned to it. */
#include <assert.h>
#include <string.h>

#include "aead.h"
#include "auth.h"
#include "mn_int.h"

/* One link carries the policy chunks, so a large table is sent once, not once
 * per uplink: the registered (or registering) link with the shortest smoothed
 * RTT, since the sync is one chunk per round trip. Ties: lowest index. */
int mn_reg_sync_link(const struct um3n_mn *mn)
{
	int best = -1;

	for (size_t i = 0; i < mn->conf.n_links; i++) {
		const struct mn_link *l = &mn->links[i];

		if (l->reg.state != UM3N_REG_REQUESTING && l->reg.state != UM3N_REG_REGISTERED)
			continue;
		if (best < 0 || (l->lm.have_rtt && (!mn->links[best].lm.have_rtt ||
						    l->lm.srtt_us < mn->links[best].lm.srtt_us)))
			best = (int)i;
	}
	return best;
}

bool mn_reg_policy_synced(const struct um3n_mn *mn)
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
	assert(off < mn->policy_blob_len);
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
			  bool may_carry_chunk, struct um3n_rrq *rrq)
{
	const struct mn_link *l = &mn->links[link];

	memset(rrq, 0, sizeof(*rrq));
	rrq->flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T;
	rrq->lifetime_s = lifetime_s;
	rrq->home_addr = mn->home_v4;
	rrq->ha_addr = mn->ha_v4;
	/* RFC 5944's field is IPv4: 0 for an IPv6 care-of, which the HA takes
	 * from the datagram's source as it does behind a NAT (RFC 3519 §3.1). */
	rrq->coa = l->conf.local.ip.family == UM3N_AF_INET ? um3n_addr_v4(&l->conf.local.ip) : 0;
	rrq->ident = l->reg.ident;
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
	/* Authenticated, so a path attacker cannot strip it (no downgrade). */
	rrq->has_crypto = mn->conf.encrypt && lifetime_s;
	rrq->crypto.suite = UM3N_CRYPTO_SUITE_CHACHA20POLY1305;
	memcpy(rrq->crypto.nonce, l->crypt_nonce, UM3N_CRYPTO_NONCE_LEN);
	if (lifetime_s && !mn_reg_policy_synced(mn) && may_carry_chunk)
		fill_policy_chunk(mn, rrq);
}

/* Queues the request the link's machine decided on (it holds the
 * identification). may_carry_chunk: the link was the sync link (or there was
 * none) when the event came. */
static void send_request(struct um3n_mn *mn, int link, uint16_t lifetime_s, bool may_carry_chunk)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_rrq rrq;
	size_t len, auth_off;
	uint8_t *buf = um3n_outq_reserve(&mn->outq);

	assert(l->reg.state == UM3N_REG_REQUESTING || l->reg.state == UM3N_REG_DEREGISTERING);
	assert(l->reg.ident > mn->last_ident);
	mn->last_ident = l->reg.ident;
	if (!buf) {
		mn->drops.queue_full++;
		return; /* the retransmission timer tries again */
	}
	if (mn->conf.encrypt) /* fresh for every request: only its reply is awaited */
		for (int i = 0; i < UM3N_CRYPTO_NONCE_LEN; i += 8)
			um3n_put64(l->crypt_nonce + i, um3n_prng_next(&mn->prng));
	build_request(mn, link, lifetime_s, may_carry_chunk, &rrq);
	if (um3n_wire_rrq_encode(&rrq, buf, mn->outq.slot, &len, &auth_off) != UM3N_OK ||
	    um3n_auth_sign(mn->conf.key, mn->conf.key_len, buf, auth_off, buf + auth_off) !=
		    UM3N_OK) {
		um3n_log(&mn->env, UM3N_LOG_ERR, "link %s: cannot encode registration",
			 l->conf.name);
		return;
	}
	um3n_outq_commit(&mn->outq, UM3N_OUT_UDP, link, mn_link_ha(mn, link), len);
	um3n_log(&mn->env, UM3N_LOG_DEBUG, "link %s: registration request lifetime %u%s",
		 l->conf.name, lifetime_s, rrq.has_policy_chunk ? " +policy chunk" : "");
}

/* Retries are logged at the first one, then at most once a minute. */
#define RETRY_LOG_EVERY_US 60000000ull

void mn_reg_watch_init(struct um3n_mn *mn, int link)
{
	struct mn_reg_watch *w = &mn->links[link].watch;

	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	w->since_us = UM3N_TIME_NONE;
	w->logged_us = 0;
	w->retries = 0;
	w->wait = UM3N_MN_REG_WAIT_NONE;
}

static bool is_denial(enum um3n_regfsm_ev ev)
{
	return ev == UM3N_REGFSM_EV_DENIED || ev == UM3N_REGFSM_EV_DENIED_AUTH ||
	       ev == UM3N_REGFSM_EV_IDENT_MISMATCH;
}

static void log_retry(struct um3n_mn *mn, uint64_t now_us, int link)
{
	const struct mn_link *l = &mn->links[link];
	const struct mn_reg_watch *w = &l->watch;
	unsigned long long s = (now_us - w->since_us) / 1000000;

	if (w->wait == UM3N_MN_REG_WAIT_DENIED)
		um3n_log(&mn->env, UM3N_LOG_INFO,
			 "link %s: registration retry %u, requesting for %llu s, last: denied, "
			 "code %d",
			 l->conf.name, w->retries, s, l->reg.last_code);
	else
		um3n_log(&mn->env, UM3N_LOG_INFO,
			 "link %s: registration retry %u, requesting for %llu s, last: no reply",
			 l->conf.name, w->retries, s);
}

/* Bookkeeping for the operator (um3n_mn_status, the log) of a link trying to
 * register: when it started, how many requests went out since the first, why
 * the last one got nowhere. Nothing the engine does depends on it. */
static void watch_step(struct um3n_mn *mn, uint64_t now_us, int link,
		       const struct um3n_regfsm_event *ev, const struct um3n_regfsm_fx *fx)
{
	struct mn_link *l = &mn->links[link];
	struct mn_reg_watch *w = &l->watch;
	bool trying = w->since_us != UM3N_TIME_NONE;

	assert(!trying || w->since_us <= now_us);
	if ((fx->flags & UM3N_REGFSM_FX_BOUND) || fx->to == UM3N_REG_IDLE ||
	    fx->to == UM3N_REG_DEREGISTERING) {
		if ((fx->flags & UM3N_REGFSM_FX_BOUND) && trying && w->retries)
			um3n_log(&mn->env, UM3N_LOG_INFO,
				 "link %s: registered after %u retries in %llu s", l->conf.name,
				 w->retries,
				 (unsigned long long)((now_us - w->since_us) / 1000000));
		mn_reg_watch_init(mn, link);
		return;
	}
	if (fx->to != UM3N_REG_REQUESTING && fx->to != UM3N_REG_DENIED)
		return;
	if (!trying) {
		w->since_us = now_us;
		w->retries = 0;
		w->wait = UM3N_MN_REG_WAIT_NONE;
	}
	if (is_denial(ev->type))
		w->wait = UM3N_MN_REG_WAIT_DENIED;
	else if (ev->type == UM3N_REGFSM_EV_TIMER && fx->from == UM3N_REG_REQUESTING)
		w->wait = UM3N_MN_REG_WAIT_NO_REPLY;
	if (!(fx->flags & UM3N_REGFSM_FX_SEND) || !trying)
		return;
	w->retries++;
	if (w->retries == 1 || now_us - w->logged_us >= RETRY_LOG_EVERY_US) {
		w->logged_us = now_us;
		log_retry(mn, now_us, link);
	}
}

/* Steps the link's registration machine with ev and carries out its effects
 * in the order regfsm.h gives, all but the link monitor's: the request, the
 * timer, the RTT sample, the binding's deadline. Returns true when the HA now
 * holds a binding, which the caller confirms to the link monitor. The sync
 * link is chosen among the links as they were when the event came: a link only
 * now starting to register does not take the sync from one that is registered.
 * An event the table has no row for is logged here (the machine counts it). */
bool mn_reg_step(struct um3n_mn *mn, uint64_t now_us, int link, struct um3n_regfsm_event *ev)
{
	struct mn_link *l = &mn->links[link];
	int sync = mn_reg_sync_link(mn);
	struct um3n_regfsm_fx fx;

	assert(link >= 0 && (size_t)link < mn->conf.n_links);
	ev->ident = um3n_auth_ident_next(mn->conf.ident_base, now_us, mn->last_ident);
	fx = um3n_regfsm_step(&l->reg, &mn->reg_conf, now_us, ev);
	if (fx.flags & UM3N_REGFSM_FX_UNEXPECTED) {
		um3n_log(&mn->env, UM3N_LOG_WARN,
			 "link %s: registration: event %s not expected in state %s", l->conf.name,
			 um3n_regfsm_event_name(ev->type), um3n_regfsm_state_name(fx.from));
		return false;
	}
	if (fx.flags & UM3N_REGFSM_FX_SEND)
		send_request(mn, link, fx.lifetime_s, sync == link || sync < 0);
	if (fx.flags & UM3N_REGFSM_FX_ARM)
		mn_timers_reg_arm(mn, link, fx.timer_us);
	if (fx.flags & UM3N_REGFSM_FX_DISARM)
		mn_timers_reg_disarm(mn, link);
	if (fx.from != fx.to)
		um3n_log(&mn->env, UM3N_LOG_INFO, "link %s: registration %s --%s--> %s",
			 l->conf.name, um3n_regfsm_state_name(fx.from),
			 um3n_regfsm_event_name(ev->type), um3n_regfsm_state_name(fx.to));
	watch_step(mn, now_us, link, ev, &fx);
	if (fx.flags & UM3N_REGFSM_FX_RTT)
		um3n_linkmon_rtt_sample(&l->lm, fx.rtt_us);
	if (fx.flags & UM3N_REGFSM_FX_UNBOUND)
		mn_timers_unbound(mn, link);
	if (fx.flags & UM3N_REGFSM_FX_BOUND)
		mn_timers_bound(mn, link, fx.expires_us);
	return fx.flags & UM3N_REGFSM_FX_BOUND;
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

/* encrypt = yes: the HA must have agreed, in the authenticated part of the
 * reply, with its own nonce; then this registration's keys are the link's.
 * False: it did not (an HA without encryption, or one that ignored ours). */
static bool crypt_accept(struct um3n_mn *mn, int link, const struct um3n_rrp *rrp)
{
	struct mn_link *l = &mn->links[link];
	struct um3n_aead_keys k;

	if (!rrp->has_crypto || rrp->crypto.suite != UM3N_CRYPTO_SUITE_CHACHA20POLY1305) {
		um3n_log(&mn->env, UM3N_LOG_WARN,
			 "link %s: the HA accepted without encryption, but encrypt = yes here: "
			 "refused",
			 l->conf.name);
		return false;
	}
	um3n_aead_derive(&k, mn->conf.key, mn->conf.key_len, l->crypt_nonce, rrp->crypto.nonce,
			 mn->home_v4, (uint8_t)link);
	um3n_aead_install(&mn->dp.crypt[link], &k, true);
	memset(&k, 0, sizeof(k));
	return true;
}

/* Checks a registration reply on uplink `link` and turns it into the event
 * for the link's machine (ev->ident is left to the caller). The policy ack and
 * the HA's checksum flag are taken from it, and on an identification mismatch
 * our identification jumps past the HA's (RFC 5944 §5.7). Errors, each counted:
 * the decoder's, UM3N_EAUTH, UM3N_EREPLAY (not an answer to the request in
 * flight). */
int mn_reg_reply(struct um3n_mn *mn, int link, const uint8_t *buf, size_t len,
		 struct um3n_regfsm_event *ev)
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
	if (rrp.home_addr != mn->home_v4 || !um3n_regfsm_awaits(&l->reg, rrp.ident)) {
		mn->drops.replayed++; /* not an answer to the request in flight */
		return UM3N_EREPLAY;
	}
	/* The HA drops our table along with our last binding, as asked: the
	 * answer to a deregistration says nothing about the sync. */
	if (l->reg.state != UM3N_REG_DEREGISTERING)
		note_policy_ack(mn, &rrp);
	memset(ev, 0, sizeof(*ev));
	ev->code = rrp.code;
	if (rrp.code == UM3N_CODE_ACCEPTED || rrp.code == UM3N_CODE_ACCEPTED_NO_SIMUL) {
		mn->ha_csum_partial = rrp.has_link_info &&
				      (rrp.link.flags & UM3N_LINK_F_CSUM_PARTIAL);
		if (rrp.has_udp_tun_reply && rrp.keepalive_s) /* idle probing (mn_timers.c) */
			mn->ha_keepalive_s = rrp.keepalive_s;
		ev->type = UM3N_REGFSM_EV_ACCEPTED;
		if (mn->conf.encrypt && l->reg.state != UM3N_REG_DEREGISTERING &&
		    !crypt_accept(mn, link, &rrp)) {
			ev->type = UM3N_REGFSM_EV_DENIED;
			ev->code = UM3N_CODE_DENIED_ADMIN;
		}
		ev->lifetime_s = rrp.lifetime_s;
		return UM3N_OK;
	}
	um3n_log(&mn->env, UM3N_LOG_WARN, "link %s: registration denied, code %u%s", l->conf.name,
		 rrp.code,
		 rrp.code == UM3N_CODE_DENIED_ADMIN ? " (is encrypt the same at both ends?)" : "");
	if (rrp.code == UM3N_CODE_IDENT_MISMATCH) {
		/* RFC 5944 §5.7: take the HA's clock. The reply's high 32 bits
		 * are its seconds (its wall time, or past the last identification
		 * it accepted), the low ones echo our request's: the difference
		 * is the whole seconds our clock is off, ahead (the HA's window
		 * refuses our future) or behind. Jumping only forward left an MN
		 * whose clock is ahead refused for ever (tests/test_ident_offset.c). */
		assert((uint32_t)rrp.ident == (uint32_t)l->reg.ident);
		mn->conf.ident_base += rrp.ident - l->reg.ident;
		mn->last_ident = rrp.ident;
		ev->type = UM3N_REGFSM_EV_IDENT_MISMATCH;
	} else if (rrp.code == UM3N_CODE_MN_FAILED_AUTH) {
		ev->type = UM3N_REGFSM_EV_DENIED_AUTH;
	} else {
		ev->type = UM3N_REGFSM_EV_DENIED;
	}
	return UM3N_OK;
}

/* Copies src (NULL: an empty table, default class "any") into a table the
 * engine owns, numbers it one above the current version and keeps its
 * serialisation for the sync. Errors: UM3N_ENOMEM, UM3N_EINVAL. */
int mn_reg_policy_install(struct um3n_mn *mn, const struct um3n_policy *src)
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
