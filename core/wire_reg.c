/* um3n wire codec, registration half: RFC 5944 Registration Request/Reply
 * with RFC 3519 UDP tunnel and RFC 3115 vendor extensions (tunnel data, GRE
 * and inner IP are in wire_data.c). Layouts and limits live in wire.h.
 *
 * Registration message layout (RFC 5944 §3.3 request, §3.4 reply), then
 * extensions in the order RFC 5944 §3.6.1.3 prescribes for what the home agent
 * reads: first the non-authentication extensions the HA uses (our RFC 3115
 * NVSEs), then the MN-HA Authentication extension (§3.5.2). The authenticator
 * covers the UDP payload from the type byte up to and including the SPI of the
 * MN-HA extension (§3.5.1), i.e. bytes [0, auth_off).
 *
 * Where the RFC 3519 UDP tunnel extensions go:
 *  - UDP Tunnel Request (144) is written AFTER the MN-HA Authentication
 *    extension, where RFC 3519 §3.1 places it. It is therefore not covered by
 *    the authenticator: it only carries the F flag and the encapsulation, and
 *    the engines must not base security decisions on it.
 *  - UDP Tunnel Reply (44) is written BEFORE the MN-HA Authentication
 *    extension, so the keepalive interval the HA sets is authenticated.
 *  The decoders accept either extension on either side of the MN-HA extension
 *  (interop with other implementations) but never twice.
 *
 * Anything else after the MN-HA Authentication extension: RFC 5944 §3.6.1.3
 * reserves that place for extensions "used only by the foreign agent" and the
 * MN-FA authentication extension. um3n has no foreign agent (co-located
 * care-of address), so we skip skippable extensions there WITHOUT interpreting
 * them (this includes um3n's own NVSEs: unauthenticated policy or link data
 * must never be acted on), and reject non-skippable ones as unknown.
 *
 * Extension TLVs (RFC 5944 §1.9): type(1) length(1) data; types 0..127 are
 * non-skippable (an unknown one makes the whole message invalid, whatever its
 * length format: RFC 5944 §1.10 long extensions and the RFC 3115 CVSE put a
 * 16-bit length elsewhere), 128..255 are skippable and always use the 8-bit
 * length so that anyone can skip them.
 *
 * The RFC 3115 NVSE (134) is skippable and therefore has the 8-bit length:
 * type(1) length(1) reserved(2) Vendor/Org-ID(4) Vendor-NVSE-Type(2) value;
 * only the critical CVSE (38) has reserved(1) + a 16-bit length (RFC 3115 §2,
 * same layouts as RFC 3025 §2.1/§2.2, which says "the NVSE has a length field
 * of only one octet"; tshark 4.0 dissects it that way too). So one NVSE holds
 * at most 255 - 8 = 247 value bytes, i.e. NVSE_CHUNK_DATA_MAX = 239 bytes of
 * policy data after the 8-byte chunk header. The encoder refuses longer chunks
 * (UM3N_EINVAL) and the decoder cannot see any: UM3N_POLICY_CHUNK_MAX in wire.h
 * must not exceed 239 for policy sync to work. The NVSEs themselves are coded
 * in wire_nvse.c. */
#include "wire_int.h"

#define MN_HA_SPI_LEN 4   /* RFC 5944 §3.5.2 */
#define UDP_TUN_EXT_LEN 6 /* RFC 3519 §3.1 / §3.2: body length */
#define UDP_TUN_SUBTYPE 0
#define UDP_TUN_FLAG_R 0x40 /* RFC 3519 §3.1.2: registration through FA required */
#define UDP_TUN_REQ_FLAGS (UM3N_UDP_TUN_FLAG_F | UDP_TUN_FLAG_R)
#define ENCAP_MINIMAL 55 /* RFC 3519 §3.1.4 */
#define RRQ_RESERVED_FLAGS (UM3N_RRQ_FLAG_R | UM3N_RRQ_FLAG_X)

/* ---------- writer ---------- */

/* RFC 5944 §3.5.2: type 32, length = 4 + authenticator, SPI, authenticator
 * (left zero here). Returns the authenticator's offset, or 0 when full. */
static size_t w_mn_ha_auth(struct wcur *w, uint32_t spi)
{
	uint8_t *p = w_take(w, EXT_HDR_LEN + MN_HA_SPI_LEN + UM3N_AUTH_LEN);

	if (!p)
		return 0;
	p[0] = UM3N_EXT_MN_HA_AUTH;
	p[1] = MN_HA_SPI_LEN + UM3N_AUTH_LEN;
	um3n_put32(p + 2, spi);
	assert(w->off > UM3N_AUTH_LEN); /* 0 stays free to mean "full" */
	return w->off - UM3N_AUTH_LEN;
}

/* RFC 3519 §3.1: type 144, length 6, sub-type, reserved 1, F|R|reserved 2,
 * encapsulation, reserved 3 (16 bits). */
static void w_udp_tun_req(struct wcur *w, uint8_t flags, uint8_t encap)
{
	uint8_t *p = w_take(w, EXT_HDR_LEN + UDP_TUN_EXT_LEN);

	if (!p)
		return;
	p[0] = UM3N_EXT_UDP_TUN_REQ;
	p[1] = UDP_TUN_EXT_LEN;
	p[2] = UDP_TUN_SUBTYPE;
	p[4] = flags;
	p[5] = encap;
}

/* RFC 3519 §3.2: type 44, length 6, sub-type, reply code, F|reserved (16 bits),
 * keepalive interval (16 bits, seconds). */
static void w_udp_tun_reply(struct wcur *w, uint8_t code, uint16_t keepalive_s)
{
	uint8_t *p = w_take(w, EXT_HDR_LEN + UDP_TUN_EXT_LEN);

	if (!p)
		return;
	p[0] = UM3N_EXT_UDP_TUN_REPLY;
	p[1] = UDP_TUN_EXT_LEN;
	p[2] = UDP_TUN_SUBTYPE;
	p[3] = code;
	um3n_put16(p + 6, keepalive_s);
}

/* Registration messages never exceed UM3N_REG_MSG_MAX whatever the buffer. */
static bool w_init(struct wcur *w, uint8_t *buf, size_t cap)
{
	if (!buf)
		return false;
	w->buf = buf;
	w->cap = cap < UM3N_REG_MSG_MAX ? cap : UM3N_REG_MSG_MAX;
	w->off = 0;
	w->full = false;
	return true;
}

static int w_finish(const struct wcur *w, size_t auth_at, size_t *len, size_t *auth_off)
{
	if (w->full || auth_at == 0)
		return UM3N_ETOOBIG;
	assert(w->off <= w->cap && w->cap <= UM3N_REG_MSG_MAX);
	assert(auth_at + UM3N_AUTH_LEN <= w->off);
	*len = w->off;
	*auth_off = auth_at;
	return UM3N_OK;
}

static bool chunk_valid(const struct um3n_policy_chunk *c)
{
	if (c->len > CHUNK_DATA_MAX || (c->len && !c->data))
		return false;
	return c->count >= 1 && c->index < c->count;
}

static bool encap_valid(uint8_t encap)
{
	return encap == UM3N_ENCAP_IPIP || encap == UM3N_ENCAP_GRE || encap == ENCAP_MINIMAL;
}

static int rrq_check(const struct um3n_rrq *m)
{
	if (m->flags & RRQ_RESERVED_FLAGS)
		return UM3N_EINVAL;
	if (m->spi < UM3N_SPI_HMAC_SHA256_MIN)
		return UM3N_EINVAL;
	if (m->has_policy_chunk && !chunk_valid(&m->chunk))
		return UM3N_EINVAL;
	if (m->has_udp_tun_req &&
	    ((m->udp_tun_flags & ~UDP_TUN_REQ_FLAGS) || !encap_valid(m->encap)))
		return UM3N_EINVAL;
	return UM3N_OK;
}

int um3n_wire_rrq_encode(const struct um3n_rrq *m, uint8_t *buf, size_t cap, size_t *len,
			 size_t *auth_off)
{
	struct wcur w;
	uint8_t *p;
	size_t auth_at;
	int rc;

	if (!m || !len || !auth_off || !w_init(&w, buf, cap))
		return UM3N_EINVAL;
	rc = rrq_check(m);
	if (rc)
		return rc;
	/* RFC 5944 §3.3 fixed part. */
	p = w_take(&w, UM3N_RRQ_FIXED_LEN);
	if (p) {
		p[0] = UM3N_MSG_RRQ;
		p[1] = m->flags;
		um3n_put16(p + 2, m->lifetime_s);
		um3n_put32(p + 4, m->home_addr);
		um3n_put32(p + 8, m->ha_addr);
		um3n_put32(p + 12, m->coa);
		um3n_put64(p + 16, m->ident);
	}
	/* RFC 5944 §3.6.1.3 (b): extensions for the HA, authenticated. */
	if (m->has_link_info)
		um3n_wire_nvse_link_info(&w, &m->link);
	if (m->has_policy_chunk)
		um3n_wire_nvse_policy_chunk(&w, &m->chunk);
	if (m->has_crypto)
		um3n_wire_nvse_crypto(&w, &m->crypto);
	auth_at = w_mn_ha_auth(&w, m->spi); /* (c) */
	/* RFC 3519 §3.1: the UDP Tunnel Request follows the MN-HA extension. */
	if (m->has_udp_tun_req)
		w_udp_tun_req(&w, m->udp_tun_flags, m->encap);
	return w_finish(&w, auth_at, len, auth_off);
}

int um3n_wire_rrp_encode(const struct um3n_rrp *m, uint8_t *buf, size_t cap, size_t *len,
			 size_t *auth_off)
{
	struct wcur w;
	uint8_t *p;
	size_t auth_at;

	if (!m || !len || !auth_off || !w_init(&w, buf, cap))
		return UM3N_EINVAL;
	if (m->spi < UM3N_SPI_HMAC_SHA256_MIN)
		return UM3N_EINVAL;
	/* RFC 5944 §3.4 fixed part. */
	p = w_take(&w, UM3N_RRP_FIXED_LEN);
	if (p) {
		p[0] = UM3N_MSG_RRP;
		p[1] = m->code;
		um3n_put16(p + 2, m->lifetime_s);
		um3n_put32(p + 4, m->home_addr);
		um3n_put32(p + 8, m->ha_addr);
		um3n_put64(p + 12, m->ident);
	}
	if (m->has_udp_tun_reply)
		w_udp_tun_reply(&w, m->udp_tun_code, m->keepalive_s);
	if (m->has_link_info)
		um3n_wire_nvse_link_info(&w, &m->link);
	if (m->has_policy_ack)
		um3n_wire_nvse_policy_ack(&w, &m->policy_ack);
	if (m->has_crypto)
		um3n_wire_nvse_crypto(&w, &m->crypto);
	auth_at = w_mn_ha_auth(&w, m->spi);
	return w_finish(&w, auth_at, len, auth_off);
}

/* ---------- extension reader ---------- */

struct ext_view {
	uint8_t type;
	size_t off;          /* of the type byte */
	size_t total_len;    /* header + body */
	const uint8_t *body; /* after the length field */
	size_t body_len;
};

/* Reads the RFC 5944 §1.9 header at `off` and bounds-checks its length.
 * Errors: UM3N_ETRUNC (header or body runs past the end). */
static int ext_read(const uint8_t *buf, size_t len, size_t off, struct ext_view *e)
{
	size_t rem;

	assert(off < len); /* exts_parse's loop condition */
	rem = len - off;
	e->type = buf[off];
	e->off = off;
	if (rem < EXT_HDR_LEN)
		return UM3N_ETRUNC;
	e->body_len = buf[off + 1];
	if (e->body_len > rem - EXT_HDR_LEN)
		return UM3N_ETRUNC;
	e->body = buf + off + EXT_HDR_LEN;
	e->total_len = EXT_HDR_LEN + e->body_len;
	assert(e->total_len <= rem);
	return UM3N_OK;
}

/* RFC 5944 §3.5.2; the authenticator length comes from the extension so that
 * other implementations' messages (e.g. 16-byte keyed MD5) still decode. */
static int ext_mn_ha_auth(struct reg_exts *x, const struct ext_view *e)
{
	if (x->has_auth || e->body_len <= MN_HA_SPI_LEN)
		return UM3N_EINVAL;
	x->has_auth = true;
	x->past_auth = true;
	x->spi = um3n_get32(e->body);
	x->auth = e->body + MN_HA_SPI_LEN;
	x->auth_len = (uint16_t)(e->body_len - MN_HA_SPI_LEN);
	/* §3.5.1: covered = everything before the authenticator. */
	x->auth_covered_len = e->off + EXT_HDR_LEN + MN_HA_SPI_LEN;
	return UM3N_OK;
}

static int ext_udp_tun(struct reg_exts *x, const struct ext_view *e)
{
	if (e->body_len != UDP_TUN_EXT_LEN || e->body[0] != UDP_TUN_SUBTYPE)
		return UM3N_EINVAL;
	if (x->has_udp_tun)
		return UM3N_EINVAL;
	x->has_udp_tun = true;
	x->udp_tun = e->body;
	return UM3N_OK;
}

static int ext_one(struct reg_exts *x, const struct ext_view *e)
{
	if (e->type == x->udp_tun_type)
		return ext_udp_tun(x, e);
	if (e->type == UM3N_EXT_MN_HA_AUTH)
		return ext_mn_ha_auth(x, e);
	if (e->type == UM3N_EXT_NVSE)
		return um3n_wire_nvse_read(x, e->body, e->body_len);
	if (e->type >= UM3N_EXT_SKIPPABLE_MIN)
		return UM3N_OK; /* RFC 5944 §1.9: skip */
	return UM3N_EUNKNOWN;
}

static bool ext_known_critical(const struct reg_exts *x, uint8_t type)
{
	return type == UM3N_EXT_MN_HA_AUTH || type == x->udp_tun_type;
}

static int exts_parse(const uint8_t *buf, size_t len, size_t off, struct reg_exts *x)
{
	struct ext_view e;
	int rc;

	while (off < len) {
		/* Unknown non-skippable: fail before trusting its length format. */
		if (buf[off] < UM3N_EXT_SKIPPABLE_MIN && !ext_known_critical(x, buf[off]))
			return UM3N_EUNKNOWN;
		rc = ext_read(buf, len, off, &e);
		if (rc)
			return rc;
		rc = ext_one(x, &e);
		if (rc)
			return rc;
		off += e.total_len;
	}
	return UM3N_OK;
}

#ifndef NDEBUG /* for the asserts only: what the decoders hand out points into the
		* message (the authenticator after the bytes it covers, the chunk within) */
static inline bool reg_exts_inside(const struct reg_exts *x, const uint8_t *buf, size_t len)
{
	if (x->has_auth &&
	    (x->auth != buf + x->auth_covered_len || x->auth_covered_len + x->auth_len > len))
		return false;
	return !x->has_chunk || (x->chunk.data >= buf && x->chunk.data + x->chunk.len <= buf + len);
}
#endif

static int reg_check_len(const uint8_t *buf, size_t len, size_t fixed_len, uint8_t type)
{
	if (!buf)
		return UM3N_EINVAL;
	if (len > UM3N_REG_MSG_MAX)
		return UM3N_ETOOBIG;
	if (len < fixed_len)
		return UM3N_ETRUNC;
	return buf[0] == type ? UM3N_OK : UM3N_EINVAL;
}

int um3n_wire_rrq_decode(const uint8_t *buf, size_t len, struct um3n_rrq *m)
{
	struct reg_exts x = {.udp_tun_type = UM3N_EXT_UDP_TUN_REQ, .is_request = true};
	int rc;

	if (!m)
		return UM3N_EINVAL;
	memset(m, 0, sizeof(*m));
	rc = reg_check_len(buf, len, UM3N_RRQ_FIXED_LEN, UM3N_MSG_RRQ);
	if (rc)
		return rc;
	if (buf[1] & RRQ_RESERVED_FLAGS)
		return UM3N_EINVAL; /* RFC 5944 §3.3: r and x MUST be 0 */
	rc = exts_parse(buf, len, UM3N_RRQ_FIXED_LEN, &x);
	if (rc)
		return rc;
	m->flags = buf[1];
	m->lifetime_s = um3n_get16(buf + 2);
	m->home_addr = um3n_get32(buf + 4);
	m->ha_addr = um3n_get32(buf + 8);
	m->coa = um3n_get32(buf + 12);
	m->ident = um3n_get64(buf + 16);
	if (x.has_udp_tun) {
		m->has_udp_tun_req = true;
		/* RFC 3519 §3.1.3: reserved bits are ignored on receipt. */
		m->udp_tun_flags = x.udp_tun[2] & UDP_TUN_REQ_FLAGS;
		m->encap = x.udp_tun[3];
	}
	m->has_link_info = x.has_link;
	m->link = x.link;
	m->has_policy_chunk = x.has_chunk;
	m->chunk = x.chunk;
	m->has_crypto = x.has_crypto;
	m->crypto = x.crypto;
	m->has_auth = x.has_auth;
	m->spi = x.spi;
	m->auth = x.auth;
	m->auth_len = x.auth_len;
	m->auth_covered_len = x.auth_covered_len;
	assert(reg_exts_inside(&x, buf, len));
	return UM3N_OK;
}

int um3n_wire_rrp_decode(const uint8_t *buf, size_t len, struct um3n_rrp *m)
{
	struct reg_exts x = {.udp_tun_type = UM3N_EXT_UDP_TUN_REPLY, .is_request = false};
	int rc;

	if (!m)
		return UM3N_EINVAL;
	memset(m, 0, sizeof(*m));
	rc = reg_check_len(buf, len, UM3N_RRP_FIXED_LEN, UM3N_MSG_RRP);
	if (rc)
		return rc;
	rc = exts_parse(buf, len, UM3N_RRP_FIXED_LEN, &x);
	if (rc)
		return rc;
	m->code = buf[1];
	m->lifetime_s = um3n_get16(buf + 2);
	m->home_addr = um3n_get32(buf + 4);
	m->ha_addr = um3n_get32(buf + 8);
	m->ident = um3n_get64(buf + 12);
	if (x.has_udp_tun) {
		m->has_udp_tun_reply = true;
		m->udp_tun_code = x.udp_tun[1];
		m->keepalive_s = um3n_get16(x.udp_tun + 4);
	}
	m->has_link_info = x.has_link;
	m->link = x.link;
	m->has_policy_ack = x.has_ack;
	m->policy_ack = x.ack;
	m->has_crypto = x.has_crypto;
	m->crypto = x.crypto;
	m->has_auth = x.has_auth;
	m->spi = x.spi;
	m->auth = x.auth;
	m->auth_len = x.auth_len;
	m->auth_covered_len = x.auth_covered_len;
	assert(reg_exts_inside(&x, buf, len));
	return UM3N_OK;
}
