/* HA registration: RFC 5944 §3.8 request processing — authentication (131),
 * identification freshness (133), home agent address (136), UDP tunnelling
 * (RFC 3519, 142) — then one binding per MN uplink (S flag), deregistration,
 * and assembly of the MN's policy table from NVSE chunks. A rejected request
 * changes nothing.
 *
 * Each outcome is an event for the binding's FSM (ha_bindfsm.h); reg_step()
 * carries out the effects it returns, and is the only place that binds,
 * unbinds or replies. Deadlines go through ha_timers.h hooks. */
#include <assert.h>
#include <string.h>

#include "aead.h"
#include "auth.h"
#include "ha_bindfsm.h"
#include "ha_int.h"
#include "ha_timers.h"

#define NTP_ONE_SECOND (1ull << 32)
#define RL_LOG_INTERVAL_US 10000000ull /* one line about refused requests per 10 s */
#define RL_SOURCES_PER_MN 4            /* bindings (ip:port) an MN typically has */

int ha_reg_init(struct um3n_ha *ha)
{
	const struct um3n_ha_conf *c = &ha->conf;

	if (c->reg_rate_per_s == 0)
		return UM3N_OK;
	return um3n_ratelimit_init(&ha->reg_rl, &ha->env, c->max_mns * RL_SOURCES_PER_MN,
				   c->reg_rate_per_s, c->reg_burst ? c->reg_burst : 1,
				   ha->env.seed ^ 0x72656772617465ull);
}

void ha_reg_fini(struct um3n_ha *ha) { um3n_ratelimit_fini(&ha->reg_rl, &ha->env); }

/* The cheap checks before any key lookup or HMAC: a source over its own rate,
 * or one with no binding while all such sources together are over theirs
 * (a forged flood from many ports), is counted, and logged at most once per
 * RL_LOG_INTERVAL_US with how many. */
static bool rate_ok(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from)
{
	char src[64];

	uint32_t new_rate = ha->conf.reg_new_rate_per_s;
	int link;

	if ((!ha->reg_rl.slots || um3n_ratelimit_allow(&ha->reg_rl, from, now_us)) &&
	    (!new_rate || um3n_bcache_find_coa(&ha->cache, from, &link) ||
	     um3n_ratelimit_gcra(&ha->new_tat_us, now_us, 1000000u / new_rate,
				 (uint64_t)(new_rate - 1) * (1000000u / new_rate))))
		return true;
	ha->drops.reg_ratelimited++;
	ha->rl_unlogged++;
	if (now_us >= ha->rl_log_us) {
		if (um3n_addr_format(&from->ip, src, sizeof(src)) < 0)
			memcpy(src, "?", 2);
		um3n_log(&ha->env, UM3N_LOG_WARN,
			 "registration requests over %u/s per source or %u/s from unbound "
			 "sources: %llu dropped unauthenticated (last from %s port %u)",
			 ha->conf.reg_rate_per_s, new_rate, (unsigned long long)ha->rl_unlogged,
			 src, from->port);
		ha->rl_unlogged = 0;
		ha->rl_log_us = now_us + RL_LOG_INTERVAL_US;
	}
	return false;
}

struct reg_ctx {
	const struct um3n_rrq *rrq;
	const struct um3n_sockaddr *from;
	uint8_t key[UM3N_KEY_MAX];
	size_t key_len;
	struct um3n_mn_rec *rec; /* NULL: the MN has no record (or is not authenticated) */
	int link;
	uint64_t resync; /* identification to resynchronise from (code 133) */
	bool crypt;      /* keys installed: the reply carries the HA's nonce */
	uint8_t ha_nonce[UM3N_CRYPTO_NONCE_LEN];
};

void ha_reg_link_name(char name[HA_LINK_NAME_MAX], uint32_t home_v4, int link)
{
	struct um3n_addr a;
	char ip[16]; /* 255.255.255.255 */
	size_t n;

	assert(link >= 0 && link < UM3N_MAX_LINKS);
	um3n_addr_from_v4(&a, home_v4);
	if (um3n_addr_format(&a, ip, sizeof(ip)) < 0)
		memcpy(ip, "?", 2);
	name[0] = (char)('0' + link);
	memcpy(name + 1, " of ", 4);
	n = strlen(ip);
	assert(5 + n < HA_LINK_NAME_MAX);
	memcpy(name + 5, ip, n + 1);
}

/* The MN's key with its HMAC set-up done once, not per message (the set-up
 * is 2 of the 5 SHA-256 blocks of a registration's HMAC; bench/bench_scale.c);
 * set up again when the key source gives other bytes. NULL: bad key length. */
static const struct um3n_auth_key *rec_auth_key(struct um3n_mn_rec *rec, const uint8_t *key,
						size_t key_len)
{
	if (!um3n_auth_key_is(&rec->auth, key, key_len) &&
	    um3n_auth_key_init(&rec->auth, key, key_len))
		return NULL;
	return &rec->auth;
}

/* The request's authenticator, with the MN record's set-up key when it has
 * one (the HA's own record, found before the request is trusted: it only
 * saves work, the key bytes compared are the key source's). */
static int verify(struct um3n_ha *ha, const struct reg_ctx *rc, const uint8_t *buf)
{
	const struct um3n_rrq *rrq = rc->rrq;
	struct um3n_mn_rec *known = um3n_bcache_find(&ha->cache, rrq->home_addr);

	if (known && um3n_auth_key_is(&known->auth, rc->key, rc->key_len))
		return um3n_auth_key_verify(&known->auth, buf, rrq->auth_covered_len, rrq->auth,
					    rrq->auth_len);
	return um3n_auth_verify(rc->key, rc->key_len, buf, rrq->auth_covered_len, rrq->auth,
				rrq->auth_len);
}

static void send_reply(struct um3n_ha *ha, const struct reg_ctx *rc, uint8_t code,
		       uint16_t lifetime_s, uint64_t ident)
{
	static const uint8_t unknown_key[UM3N_KEY_MIN]; /* no key: nothing to verify with */
	const struct um3n_mn_rec *rec = rc->rec;
	struct um3n_rrp rrp = {0};
	uint8_t *buf = um3n_outq_reserve(&ha->outq);
	size_t len, auth_off;

	if (!buf) {
		ha->drops.queue_full++;
		return;
	}
	rrp.code = code;
	rrp.lifetime_s = lifetime_s;
	rrp.home_addr = rc->rrq->home_addr;
	rrp.ha_addr = ha->ha_v4;
	rrp.ident = ident;
	rrp.spi = rc->rrq->spi;
	if (code <= UM3N_CODE_ACCEPTED_NO_SIMUL) {
		rrp.has_udp_tun_reply = true;
		rrp.udp_tun_code = UM3N_UDP_TUN_REPLY_ACCEPT;
		rrp.keepalive_s = ha->conf.keepalive_s;
	}
	if (rc->rrq->has_link_info) {
		rrp.has_link_info = true;
		rrp.link = rc->rrq->link;
		/* The echo carries the HA's own capability, not the MN's. */
		rrp.link.flags = (uint8_t)((rrp.link.flags & ~UM3N_LINK_F_CSUM_PARTIAL) |
					   (ha->conf.rx_csum_partial ? UM3N_LINK_F_CSUM_PARTIAL
								     : 0));
	}
	if (rc->crypt) {
		rrp.has_crypto = true;
		rrp.crypto.suite = UM3N_CRYPTO_SUITE_CHACHA20POLY1305;
		memcpy(rrp.crypto.nonce, rc->ha_nonce, UM3N_CRYPTO_NONCE_LEN);
	}
	if (rec && rec->stage_buf) {
		rrp.has_policy_ack = true;
		rrp.policy_ack = (struct um3n_policy_ack){rec->stage_version, rec->stage_held,
							  rec->stage_count};
	} else if (rec && rec->policy) {
		rrp.has_policy_ack = true;
		rrp.policy_ack = (struct um3n_policy_ack){um3n_policy_version(rec->policy),
							  rec->policy_chunks, rec->policy_chunks};
	}
	if (um3n_wire_rrp_encode(&rrp, buf, ha->outq.slot, &len, &auth_off))
		return;
	if (rc->rec && rc->key_len && rec_auth_key(rc->rec, rc->key, rc->key_len))
		um3n_auth_key_sign(&rc->rec->auth, buf, auth_off, buf + auth_off);
	else if (um3n_auth_sign(rc->key_len ? rc->key : unknown_key,
				rc->key_len ? rc->key_len : sizeof(unknown_key), buf, auth_off,
				buf + auth_off))
		return;
	um3n_outq_commit(&ha->outq, UM3N_OUT_UDP, rc->link, rc->from, len);
}

/* RFC 5944 §5.7: timestamps must be newer than the last accepted one and, when
 * the HA knows the wall time, close to it. On a mismatch the reply carries an
 * identification the MN can resynchronise from (low 32 bits echo the request). */
static bool ident_fresh(const struct um3n_ha *ha, uint64_t now_us, const struct reg_ctx *rc,
			uint64_t *resync)
{
	uint64_t ident = rc->rrq->ident, last = 0, now_ntp;

	if (rc->rec && rc->rec->b[rc->link].active)
		last = rc->rec->b[rc->link].last_ident;
	*resync = (((last >> 32) + 1) << 32) | (ident & 0xffffffffu);
	if (ident <= last)
		return false;
	if (!ha->conf.ident_base || !ha->conf.ident_window_s)
		return true;
	now_ntp = ha->conf.ident_base + ((now_us / 1000000) << 32);
	*resync = (now_ntp & ~0xffffffffull) | (ident & 0xffffffffu);
	if (*resync <= last)
		*resync = (((last >> 32) + 1) << 32) | (ident & 0xffffffffu);
	return ident + ha->conf.ident_window_s * NTP_ONE_SECOND >= now_ntp &&
	       ident <= now_ntp + ha->conf.ident_window_s * NTP_ONE_SECOND;
}

static void stage_reset(struct um3n_ha *ha, struct um3n_mn_rec *rec)
{
	if (rec->stage_buf)
		ha->env.free(ha->env.ctx, rec->stage_buf);
	rec->stage_buf = NULL;
	rec->stage_version = 0;
	rec->stage_count = rec->stage_held = 0;
	rec->stage_len = 0;
}

static void stage_complete(struct um3n_ha *ha, struct um3n_mn_rec *rec)
{
	uint32_t rules = rec->stage_len >= 12 ? um3n_get32(rec->stage_buf + 8) : 0;
	struct um3n_policy *p = NULL;
	int rc = UM3N_ETOOBIG;

	if (rules <= ha->conf.max_rules_per_mn) {
		p = um3n_policy_new(&ha->env, rules ? rules : 1);
		rc = p ? um3n_policy_deserialize(p, rec->stage_buf, rec->stage_len) : UM3N_ENOMEM;
	}
	if (rc) {
		um3n_log(&ha->env, UM3N_LOG_WARN, "policy version %u rejected: %s",
			 rec->stage_version, um3n_strerror(rc));
		if (p)
			um3n_policy_free(p);
		stage_reset(ha, rec);
		return;
	}
	if (rec->policy)
		um3n_policy_free(rec->policy);
	rec->policy = p;
	rec->policy_chunks = rec->stage_count;
	um3n_log(&ha->env, UM3N_LOG_INFO, "policy version %u installed (%u rules)",
		 um3n_policy_version(p), rules);
	stage_reset(ha, rec);
}

/* Chunks are taken strictly in order (the MN sends the next one only after the
 * reply acknowledging the previous), into a buffer sized for the whole table. */
static void stage_chunk(struct um3n_ha *ha, struct um3n_mn_rec *rec,
			const struct um3n_policy_chunk *c)
{
	size_t limit = ha->conf.max_rules_per_mn * 20 + 12 + UM3N_POLICY_CHUNK_MAX;
	size_t cap = (size_t)c->count * UM3N_POLICY_CHUNK_MAX;

	if (rec->policy && um3n_policy_version(rec->policy) == c->version)
		return; /* already complete */
	if (!rec->stage_buf || rec->stage_version != c->version) {
		if (c->index != 0 || c->count == 0 || cap > limit)
			return;
		stage_reset(ha, rec);
		rec->stage_buf = ha->env.alloc(ha->env.ctx, cap);
		if (!rec->stage_buf)
			return;
		rec->stage_version = c->version;
		rec->stage_count = c->count;
	}
	if (c->count != rec->stage_count || c->index != rec->stage_held)
		return; /* duplicate or out of order: the ack tells the MN where we are */
	if (c->index + 1 < c->count && c->len != UM3N_POLICY_CHUNK_MAX)
		return;
	memcpy(rec->stage_buf + rec->stage_len, c->data, c->len);
	rec->stage_len += c->len;
	if (++rec->stage_held == rec->stage_count)
		stage_complete(ha, rec);
}

/* encrypt = yes: this registration's keys for the binding's link, from the
 * MN's nonce and a fresh one of ours (accept_request allocated the keys). */
static void crypt_arm(struct um3n_ha *ha, struct reg_ctx *rc)
{
	struct um3n_aead_keys k;

	assert(rc->rec->dp.crypt && rc->rrq->has_crypto && rc->key_len);
	for (int i = 0; i < UM3N_CRYPTO_NONCE_LEN; i += 8)
		um3n_put64(rc->ha_nonce + i, um3n_prng_next(&ha->prng));
	um3n_aead_derive(&k, rc->key, rc->key_len, rc->rrq->crypto.nonce, rc->ha_nonce,
			 rc->rec->home_v4, (uint8_t)rc->link);
	um3n_aead_install(&rc->rec->dp.crypt[rc->link], &k, false);
	memset(&k, 0, sizeof(k));
	rc->crypt = true;
}

/* Both ends must agree on encryption: the MN's crypto NVSE is authenticated,
 * so its presence is the MN's own choice, never a path attacker's. */
static bool crypt_agrees(struct um3n_ha *ha, const struct reg_ctx *rc)
{
	const struct um3n_rrq *rrq = rc->rrq;
	const char *why = NULL;

	if (ha->conf.encrypt && !rrq->has_crypto)
		why = "the MN does not ask for encryption, encrypt = yes here";
	else if (!ha->conf.encrypt && rrq->has_crypto)
		why = "the MN asks for encryption, encrypt = no here";
	else if (rrq->has_crypto && rrq->crypto.suite != UM3N_CRYPTO_SUITE_CHACHA20POLY1305)
		why = "unknown encryption suite";
	if (why)
		um3n_log(&ha->env, UM3N_LOG_WARN, "registration of link %d refused: %s", rc->link,
			 why);
	return !why;
}

static void binding_arm(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc,
			const struct um3n_ha_bindfsm_fx *fx)
{
	struct um3n_binding *b = &rc->rec->b[rc->link];
	char name[HA_LINK_NAME_MAX];

	ha_reg_link_name(name, rc->rec->home_v4, rc->link);
	if (rc->rrq->has_link_info)
		b->info = rc->rrq->link;
	b->info.link_id = (uint8_t)rc->link;
	b->last_ident = rc->rrq->ident;
	if (ha->conf.encrypt && rc->rrq->has_crypto)
		crypt_arm(ha, rc);
	ha_timers_binding_updated(ha, b, now_us, fx->lifetime_s);
	um3n_linkmon_event(&b->lm, &ha->env, name, fx->weak ? UM3N_LM_EV_WEAK : UM3N_LM_EV_STRONG);
	if (b->lm.state == UM3N_LS_DOWN)
		um3n_linkmon_event(&b->lm, &ha->env, name, UM3N_LM_EV_CARRIER_UP);
	um3n_linkmon_event(&b->lm, &ha->env, name, UM3N_LM_EV_CONFIRMED);
}

/* Denials are logged at most once per RL_LOG_INTERVAL_US, with how many there
 * were since: a flood of forged requests must not turn into one log line each. */
static void log_denial(struct um3n_ha *ha, uint64_t now_us, const struct reg_ctx *rc, uint8_t code)
{
	char who[48] = "?";
	struct um3n_addr a;

	ha->deny_unlogged++;
	if (now_us < ha->deny_log_us)
		return;
	um3n_addr_from_v4(&a, rc->rrq->home_addr);
	um3n_addr_format(&a, who, sizeof(who));
	if (ha->deny_unlogged > 1)
		um3n_log(&ha->env, UM3N_LOG_WARN,
			 "registration of %s link %d denied: code %u (%llu denials since the "
			 "last line)",
			 who, rc->link, code, (unsigned long long)ha->deny_unlogged);
	else
		um3n_log(&ha->env, UM3N_LOG_WARN, "registration of %s link %d denied: code %u", who,
			 rc->link, code);
	ha->deny_unlogged = 0;
	ha->deny_log_us = now_us + RL_LOG_INTERVAL_US;
}

static void reply(struct um3n_ha *ha, uint64_t now_us, const struct reg_ctx *rc,
		  const struct um3n_ha_bindfsm_fx *fx)
{
	if (fx->code <= UM3N_CODE_ACCEPTED_NO_SIMUL) {
		ha->reg_accepted++;
	} else {
		log_denial(ha, now_us, rc, fx->code);
		ha->reg_denied++;
	}
	send_reply(ha, rc, fx->code, fx->lifetime_s,
		   fx->mask & UM3N_HA_BINDFSM_DO_RESYNC ? rc->resync : rc->rrq->ident);
}

/* No row for the event in the binding's state: nothing was done. */
static void unexpected(struct um3n_ha *ha, const struct reg_ctx *rc,
		       const struct um3n_ha_bindfsm *f, int link, enum um3n_ha_bindfsm_event ev)
{
	char name[HA_LINK_NAME_MAX];

	ha_reg_link_name(name, rc->rec ? rc->rec->home_v4 : rc->rrq->home_addr, link);
	um3n_log(&ha->env, UM3N_LOG_WARN, "binding %s: event %s not expected in state %s", name,
		 um3n_ha_bindfsm_event_name(ev), um3n_ha_bindfsm_state_name(f->state));
	ha->reg_unexpected++;
}

/* Removes binding `link` of *rec; clears *rec when the record went with it.
 * The table has already moved its FSM to NONE, which the cache's reset of
 * the binding keeps. by_mn: the MN gave it up (not an expiry), so what it
 * still sent from there is counted as late, not as from an unknown peer. */
static void unbind(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec **rec, int link,
		   bool by_mn)
{
	assert(*rec && (*rec)->b[link].active);
	assert((*rec)->b[link].fsm.state == UM3N_HA_BINDFSM_NONE);
	if (by_mn)
		um3n_bcache_note_gone(&ha->cache, *rec, link, now_us);
	if (um3n_bcache_unbind(&ha->cache, &ha->env, *rec, link))
		*rec = NULL;
}

/* A request without S on one binding releases the MN's others; the record
 * goes when the last of them does (deregistration from an unbound link). */
static void release_siblings(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc)
{
	static const struct um3n_ha_bindfsm_in in = {.ev = UM3N_HA_BINDFSM_EV_RELEASED};

	for (int l = 0; l < UM3N_MAX_LINKS && rc->rec; l++) {
		struct um3n_binding *b = &rc->rec->b[l];
		struct um3n_ha_bindfsm_fx fx;

		if (l == rc->link || !b->active)
			continue;
		fx = um3n_ha_bindfsm_step(&b->fsm, &in);
		if (fx.unexpected) {
			unexpected(ha, rc, &b->fsm, l, in.ev);
			continue;
		}
		assert(fx.mask == UM3N_HA_BINDFSM_DO_UNBIND);
		unbind(ha, now_us, &rc->rec, l, true);
	}
}

/* Steps the request's binding (an unbound one when the MN has no record) and
 * carries out the effects in their documented order. */
static void reg_step(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc,
		     const struct um3n_ha_bindfsm_in *in)
{
	struct um3n_ha_bindfsm none = {UM3N_HA_BINDFSM_NONE};
	struct um3n_ha_bindfsm *f = rc->rec ? &rc->rec->b[rc->link].fsm : &none;
	struct um3n_ha_bindfsm_fx fx = um3n_ha_bindfsm_step(f, in);

	assert(rc->link >= 0 && rc->link < UM3N_MAX_LINKS);
	if (fx.unexpected) {
		unexpected(ha, rc, f, rc->link, in->ev);
		return;
	}
	assert(rc->rec || !(fx.mask & (UM3N_HA_BINDFSM_DO_INDEX | UM3N_HA_BINDFSM_DO_ARM)));
	if (fx.mask & UM3N_HA_BINDFSM_DO_INDEX) {
		int err;

		assert(f->state == UM3N_HA_BINDFSM_BOUND);
		err = um3n_bcache_bind(&ha->cache, rc->rec, rc->link, rc->from);
		assert(err == 0); /* checked by um3n_bcache_bind_ok() before the event */
		(void)err;
	}
	if (fx.mask & UM3N_HA_BINDFSM_DO_RELEASE)
		release_siblings(ha, now_us, rc);
	if (fx.mask & UM3N_HA_BINDFSM_DO_ARM)
		binding_arm(ha, now_us, rc, &fx);
	if (fx.mask & UM3N_HA_BINDFSM_DO_POLICY && rc->rrq->has_policy_chunk)
		stage_chunk(ha, rc->rec, &rc->rrq->chunk);
	if (fx.mask & UM3N_HA_BINDFSM_DO_UNBIND)
		unbind(ha, now_us, &rc->rec, rc->link, in->ev != UM3N_HA_BINDFSM_EV_EXPIRED);
	if (fx.mask & UM3N_HA_BINDFSM_DO_SCHED && rc->rec)
		um3n_datapath_bindings_changed(&rc->rec->dp, rc->rec->b);
	if (fx.mask & UM3N_HA_BINDFSM_DO_REPLY)
		reply(ha, now_us, rc, &fx);
	/* The cache's index and the FSM agree on whether the binding exists. */
	assert(!rc->rec || rc->rec->b[rc->link].active ==
				   (rc->rec->b[rc->link].fsm.state == UM3N_HA_BINDFSM_BOUND));
}

static int deny(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc, uint8_t code, int err)
{
	struct um3n_ha_bindfsm_in in = {.ev = UM3N_HA_BINDFSM_EV_DENIED, .code = code};

	reg_step(ha, now_us, rc, &in);
	return err;
}

/* The inner source prefixes of the MN as the driver has them now; one the
 * data path could not match (bad family or length) is left out. */
static void take_prefixes(struct um3n_ha *ha, struct um3n_mn_rec *rec)
{
	struct um3n_prefix p[UM3N_HA_MN_PREFIXES], ok[UM3N_HA_MN_PREFIXES];
	size_t n = 0, k = 0;

	if (ha->conf.get_prefixes)
		n = ha->conf.get_prefixes(ha->conf.key_ctx, rec->home_v4, p, UM3N_HA_MN_PREFIXES);
	for (size_t i = 0; i < n && i < UM3N_HA_MN_PREFIXES; i++) {
		uint8_t max = p[i].addr.family == UM3N_AF_INET    ? 32
			      : p[i].addr.family == UM3N_AF_INET6 ? 128
								  : 0;

		if (max && p[i].plen <= max)
			ok[k++] = p[i];
	}
	/* Indexed for the downlink too; a prefix another MN holds stays its. */
	if (um3n_bcache_set_prefixes(&ha->cache, rec, ok, k))
		um3n_log(&ha->env, UM3N_LOG_WARN,
			 "mn %u.%u.%u.%u: a prefix of it is another node's already: its "
			 "downlink goes there",
			 rec->home_v4 >> 24, (rec->home_v4 >> 16) & 255, (rec->home_v4 >> 8) & 255,
			 rec->home_v4 & 255);
}

static int accept_request(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc)
{
	const struct um3n_rrq *rrq = rc->rrq;
	struct um3n_ha_bindfsm_in in = {
		.ev = rrq->flags & UM3N_RRQ_FLAG_S ? UM3N_HA_BINDFSM_EV_REQ_SIMUL
						   : UM3N_HA_BINDFSM_EV_REQ_SOLE,
		.lifetime_s = rrq->lifetime_s < ha->conf.max_lifetime_s ? rrq->lifetime_s
									: ha->conf.max_lifetime_s,
	};
	const struct um3n_binding *b;

	rc->rec = um3n_bcache_get(&ha->cache, &ha->env, rrq->home_addr, ha->env.seed);
	if (!rc->rec || (ha->conf.encrypt && !rc->rec->dp.crypt &&
			 um3n_datapath_crypt_enable(&rc->rec->dp, &ha->env)))
		return deny(ha, now_us, rc, UM3N_CODE_DENIED_NO_RESOURCES, UM3N_ENOMEM);
	/* Checked before the event so that the FSM's INDEX cannot fail. A new
	 * record denied here stays, empty, as it always has (it is reused by
	 * the MN's next request). */
	if (!um3n_bcache_bind_ok(&ha->cache, rc->rec, rc->link, rc->from))
		return deny(ha, now_us, rc, UM3N_CODE_DENIED_REASON_UNSPEC, UM3N_EINVAL);
	take_prefixes(ha, rc->rec);
	b = &rc->rec->b[rc->link];
	in.moved = b->active && !um3n_sockaddr_eq(&b->coa, rc->from);
	/* Without link info the binding keeps the flags it registered with. */
	in.degraded = (rrq->has_link_info ? rrq->link.flags : b->info.flags) & UM3N_LINK_F_DEGRADED;
	reg_step(ha, now_us, rc, &in);
	return UM3N_OK;
}

static int deregister(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc)
{
	struct um3n_ha_bindfsm_in in = {
		.ev = rc->rrq->flags & UM3N_RRQ_FLAG_S ? UM3N_HA_BINDFSM_EV_DEREG_ONE
						       : UM3N_HA_BINDFSM_EV_DEREG_ALL,
	};

	reg_step(ha, now_us, rc, &in);
	return UM3N_OK;
}

bool ha_reg_expire(struct um3n_ha *ha, uint64_t now_us, struct um3n_mn_rec *rec, int link)
{
	static const struct um3n_rrq none_rrq;
	struct reg_ctx rc = {.rrq = &none_rrq, .rec = rec, .link = link};
	static const struct um3n_ha_bindfsm_in in = {.ev = UM3N_HA_BINDFSM_EV_EXPIRED};
	char name[HA_LINK_NAME_MAX];

	assert(link >= 0 && link < UM3N_MAX_LINKS && rec->b[link].active);
	assert(ha_timers_expired(&rec->b[link], now_us));
	ha_reg_link_name(name, rec->home_v4, link);
	um3n_log(&ha->env, UM3N_LOG_INFO, "binding %s expired", name);
	reg_step(ha, now_us, &rc, &in);
	return rc.rec != NULL;
}

int ha_reg_handle_request(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
			  const uint8_t *buf, size_t len)
{
	struct um3n_rrq rrq;
	struct reg_ctx rc = {.rrq = &rrq, .from = from, .key_len = sizeof(rc.key)};
	int err;

	if (!rate_ok(ha, now_us, from))
		return UM3N_ENOBUFS; /* its bucket is empty: dropped, as from a full queue */
	err = um3n_wire_rrq_decode(buf, len, &rrq);
	if (err) {
		ha->drops.malformed++; /* unauthenticated garbage gets no reply */
		return err;
	}
	rc.link = rrq.has_link_info ? rrq.link.link_id : 0;
	if (rc.link >= UM3N_MAX_LINKS) {
		ha->drops.malformed++;
		return UM3N_EINVAL;
	}
	if (!ha->conf.get_key ||
	    ha->conf.get_key(ha->conf.key_ctx, rrq.home_addr, rrq.spi, rc.key, &rc.key_len) ||
	    rc.key_len < UM3N_KEY_MIN || rc.key_len > UM3N_KEY_MAX)
		rc.key_len = 0;
	/* Unauthenticated, the request speaks for no binding: it is answered as
	 * if the MN had none (rc.rec stays NULL). */
	if (!rc.key_len || !rrq.has_auth || verify(ha, &rc, buf)) {
		ha->drops.auth_failed++;
		return deny(ha, now_us, &rc, UM3N_CODE_MN_FAILED_AUTH, UM3N_EAUTH);
	}
	rc.rec = um3n_bcache_find(&ha->cache, rrq.home_addr);
	if (!ident_fresh(ha, now_us, &rc, &rc.resync)) {
		static const struct um3n_ha_bindfsm_in stale = {.ev = UM3N_HA_BINDFSM_EV_STALE};

		ha->drops.replayed++;
		reg_step(ha, now_us, &rc, &stale);
		return UM3N_EREPLAY;
	}
	if (rrq.ha_addr != ha->ha_v4)
		return deny(ha, now_us, &rc, UM3N_CODE_UNKNOWN_HA, UM3N_EINVAL);
	if (!rrq.has_udp_tun_req)
		return deny(ha, now_us, &rc, UM3N_CODE_UDP_ENCAP_UNAVAIL, UM3N_EINVAL);
	if (rrq.lifetime_s == 0)
		return deregister(ha, now_us, &rc);
	if (!crypt_agrees(ha, &rc))
		return deny(ha, now_us, &rc, UM3N_CODE_DENIED_ADMIN, UM3N_EINVAL);
	return accept_request(ha, now_us, &rc);
}
