/* HA registration: RFC 5944 §3.8 request processing — authentication (131),
 * identification freshness (133), home agent address (136), UDP tunnelling
 * (RFC 3519, 142) — then one binding per MN uplink (S flag), deregistration,
 * and assembly of the MN's policy table from NVSE chunks. A rejected request
 * changes nothing. */
#include <string.h>

#include "auth.h"
#include "ha_int.h"

#define NTP_ONE_SECOND (1ull << 32)

struct reg_ctx {
	const struct um3n_rrq *rrq;
	const struct um3n_sockaddr *from;
	uint8_t key[UM3N_KEY_MAX];
	size_t key_len;
	struct um3n_mn_rec *rec;
	int link;
};

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
					   (ha->conf.rx_csum_partial ? UM3N_LINK_F_CSUM_PARTIAL : 0));
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
	if (um3n_wire_rrp_encode(&rrp, buf, ha->outq.slot, &len, &auth_off) ||
	    um3n_auth_sign(rc->key_len ? rc->key : unknown_key,
			   rc->key_len ? rc->key_len : sizeof(unknown_key), buf, auth_off,
			   buf + auth_off))
		return;
	um3n_outq_commit(&ha->outq, UM3N_OUT_UDP, rc->link, rc->from, len);
}

static int deny(struct um3n_ha *ha, const struct reg_ctx *rc, uint8_t code, uint64_t ident, int err)
{
	char who[48] = "?";
	struct um3n_addr a;

	um3n_addr_from_v4(&a, rc->rrq->home_addr);
	um3n_addr_format(&a, who, sizeof(who));
	um3n_log(&ha->env, UM3N_LOG_WARN, "registration of %s link %d denied: code %u", who,
		 rc->link, code);
	ha->reg_denied++;
	send_reply(ha, rc, code, 0, ident);
	return err;
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
static void stage_chunk(struct um3n_ha *ha, struct um3n_mn_rec *rec, const struct um3n_policy_chunk *c)
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

static void binding_update(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc,
			   uint16_t lifetime_s)
{
	struct um3n_binding *b = &rc->rec->b[rc->link];
	char name[8] = "mn-l0";

	name[4] = (char)('0' + rc->link);
	if (rc->rrq->has_link_info)
		b->info = rc->rrq->link;
	b->info.link_id = (uint8_t)rc->link;
	b->expires_us = now_us + (uint64_t)lifetime_s * 1000000;
	b->last_ident = rc->rrq->ident;
	b->lm.last_heard_us = now_us;
	um3n_linkmon_event(&b->lm, &ha->env, name,
			   b->info.flags & UM3N_LINK_F_DEGRADED ? UM3N_LM_EV_WEAK : UM3N_LM_EV_STRONG);
	if (b->lm.state == UM3N_LS_DOWN)
		um3n_linkmon_event(&b->lm, &ha->env, name, UM3N_LM_EV_CARRIER_UP);
	um3n_linkmon_event(&b->lm, &ha->env, name, UM3N_LM_EV_CONFIRMED);
	ha_want_scan(ha, b->expires_us);
	ha_want_scan(ha, now_us + ha->conf.dead_after_us);
}

static int deregister(struct um3n_ha *ha, struct reg_ctx *rc)
{
	bool all = !(rc->rrq->flags & UM3N_RRQ_FLAG_S);
	uint64_t ident = rc->rrq->ident;

	if (rc->rec) {
		for (int l = 0; l < UM3N_MAX_LINKS && rc->rec; l++) {
			if ((all || l == rc->link) && rc->rec->b[l].active) {
				bool last = um3n_mn_rec_bindings(rc->rec) == 1;

				um3n_bcache_unbind(&ha->cache, &ha->env, rc->rec, l);
				if (last)
					rc->rec = NULL; /* the record was released */
			}
		}
		if (rc->rec)
			um3n_datapath_bindings_changed(&rc->rec->dp, rc->rec->b);
	}
	ha->reg_accepted++;
	send_reply(ha, rc, UM3N_CODE_ACCEPTED, 0, ident);
	return UM3N_OK;
}

static int accept_request(struct um3n_ha *ha, uint64_t now_us, struct reg_ctx *rc)
{
	const struct um3n_rrq *rrq = rc->rrq;
	uint16_t lifetime = rrq->lifetime_s < ha->conf.max_lifetime_s ? rrq->lifetime_s
								     : ha->conf.max_lifetime_s;

	rc->rec = um3n_bcache_get(&ha->cache, &ha->env, rrq->home_addr, ha->env.seed);
	if (!rc->rec)
		return deny(ha, rc, UM3N_CODE_DENIED_NO_RESOURCES, rrq->ident, UM3N_ENOMEM);
	if (um3n_bcache_bind(&ha->cache, rc->rec, rc->link, rc->from))
		return deny(ha, rc, UM3N_CODE_DENIED_REASON_UNSPEC, rrq->ident, UM3N_EINVAL);
	/* Without S the new binding replaces the others (RFC 5944 §3.6.1.2). */
	for (int l = 0; l < UM3N_MAX_LINKS && !(rrq->flags & UM3N_RRQ_FLAG_S); l++)
		if (l != rc->link && rc->rec->b[l].active)
			um3n_bcache_unbind(&ha->cache, &ha->env, rc->rec, l);
	binding_update(ha, now_us, rc, lifetime);
	if (rrq->has_policy_chunk)
		stage_chunk(ha, rc->rec, &rrq->chunk);
	um3n_datapath_bindings_changed(&rc->rec->dp, rc->rec->b);
	ha->reg_accepted++;
	send_reply(ha, rc, UM3N_CODE_ACCEPTED, lifetime, rrq->ident);
	return UM3N_OK;
}

int ha_reg_handle_request(struct um3n_ha *ha, uint64_t now_us, const struct um3n_sockaddr *from,
			  const uint8_t *buf, size_t len)
{
	struct um3n_rrq rrq;
	struct reg_ctx rc = {.rrq = &rrq, .from = from, .key_len = sizeof(rc.key)};
	uint64_t resync;
	int err = um3n_wire_rrq_decode(buf, len, &rrq);

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
	if (!rc.key_len || !rrq.has_auth ||
	    um3n_auth_verify(rc.key, rc.key_len, buf, rrq.auth_covered_len, rrq.auth, rrq.auth_len)) {
		ha->drops.auth_failed++;
		return deny(ha, &rc, UM3N_CODE_MN_FAILED_AUTH, rrq.ident, UM3N_EAUTH);
	}
	rc.rec = um3n_bcache_find(&ha->cache, rrq.home_addr);
	if (!ident_fresh(ha, now_us, &rc, &resync)) {
		ha->drops.replayed++;
		return deny(ha, &rc, UM3N_CODE_IDENT_MISMATCH, resync, UM3N_EREPLAY);
	}
	if (rrq.ha_addr != ha->ha_v4)
		return deny(ha, &rc, UM3N_CODE_UNKNOWN_HA, rrq.ident, UM3N_EINVAL);
	if (!rrq.has_udp_tun_req)
		return deny(ha, &rc, UM3N_CODE_UDP_ENCAP_UNAVAIL, rrq.ident, UM3N_EINVAL);
	if (rrq.lifetime_s == 0)
		return deregister(ha, &rc);
	return accept_request(ha, now_us, &rc);
}
