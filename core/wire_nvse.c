/* um3n wire codec: the RFC 3115 Normal Vendor/Organization Specific
 * Extensions (type 134) under um3n's Vendor-ID 32473 that registration
 * messages carry (wire.h lists the vendor types; wire_reg.c places them among
 * the other extensions, before the MN-HA authenticator so that they are
 * authenticated).
 *
 * The NVSE is skippable and therefore has the 8-bit length: type(1) length(1)
 * reserved(2) Vendor/Org-ID(4) Vendor-NVSE-Type(2) value, at most
 * NVSE_VALUE_MAX = 247 value bytes (see wire_reg.c's header comment). */
#include "wire_int.h"

/* ---------- writer ---------- */

/* RFC 3115 NVSE: type 134, length (bytes after it), reserved(2),
 * Vendor/Org-ID(4), Vendor-NVSE-Type(2), then value_len bytes returned.
 * value_len <= NVSE_VALUE_MAX is checked by the callers' validation. */
static uint8_t *w_nvse(struct wcur *w, uint16_t vendor_type, size_t value_len)
{
	uint8_t *p;

	assert(value_len <= NVSE_VALUE_MAX);
	p = w_take(w, EXT_HDR_LEN + NVSE_HDR_LEN + value_len);
	if (!p)
		return NULL;
	p[0] = UM3N_EXT_NVSE;
	p[1] = (uint8_t)(NVSE_HDR_LEN + value_len);
	um3n_put32(p + 4, UM3N_VENDOR_ID);
	um3n_put16(p + 8, vendor_type);
	return p + EXT_HDR_LEN + NVSE_HDR_LEN;
}

void um3n_wire_nvse_link_info(struct wcur *w, const struct um3n_link_info *l)
{
	uint8_t *v = w_nvse(w, UM3N_NVSE_LINK_INFO,
			    l->weight_kbps ? LINK_INFO_RATE_LEN : LINK_INFO_LEN);

	if (!v)
		return;
	v[0] = l->link_id;
	v[1] = l->link_class;
	v[2] = l->priority;
	v[3] = l->flags;
	if (l->weight_kbps)
		um3n_put32(v + 4, l->weight_kbps);
}

void um3n_wire_nvse_policy_chunk(struct wcur *w, const struct um3n_policy_chunk *c)
{
	uint8_t *v = w_nvse(w, UM3N_NVSE_POLICY_CHUNK, POLICY_CHUNK_HDR_LEN + (size_t)c->len);

	if (!v)
		return;
	um3n_put32(v, c->version);
	um3n_put16(v + 4, c->index);
	um3n_put16(v + 6, c->count);
	if (c->len)
		memcpy(v + POLICY_CHUNK_HDR_LEN, c->data, c->len);
}

void um3n_wire_nvse_policy_ack(struct wcur *w, const struct um3n_policy_ack *a)
{
	uint8_t *v = w_nvse(w, UM3N_NVSE_POLICY_ACK, POLICY_ACK_LEN);

	if (!v)
		return;
	um3n_put32(v, a->version);
	um3n_put16(v + 4, a->chunks_held);
	um3n_put16(v + 6, a->count);
}

void um3n_wire_nvse_crypto(struct wcur *w, const struct um3n_crypto_offer *c)
{
	uint8_t *v = w_nvse(w, UM3N_NVSE_CRYPTO, UM3N_CRYPTO_NVSE_LEN);

	if (!v)
		return;
	v[0] = c->suite;
	memcpy(v + 4, c->nonce, UM3N_CRYPTO_NONCE_LEN);
}

/* ---------- reader ---------- */

static int nvse_link_info(struct reg_exts *x, const uint8_t *v, size_t n)
{
	if (n != LINK_INFO_LEN && n != LINK_INFO_RATE_LEN)
		return UM3N_EINVAL;
	if (x->has_link)
		return UM3N_EINVAL;
	x->has_link = true;
	x->link.link_id = v[0];
	x->link.link_class = v[1];
	x->link.priority = v[2];
	x->link.flags = v[3];
	x->link.weight_kbps = n == LINK_INFO_RATE_LEN ? um3n_get32(v + 4) : 0;
	return UM3N_OK;
}

static int nvse_policy_chunk(struct reg_exts *x, const uint8_t *v, size_t n)
{
	struct um3n_policy_chunk *c = &x->chunk;

	if (n < POLICY_CHUNK_HDR_LEN || n - POLICY_CHUNK_HDR_LEN > CHUNK_DATA_MAX)
		return UM3N_EINVAL;
	if (x->has_chunk)
		return UM3N_EINVAL;
	c->version = um3n_get32(v);
	c->index = um3n_get16(v + 4);
	c->count = um3n_get16(v + 6);
	if (c->count == 0 || c->index >= c->count)
		return UM3N_EINVAL;
	c->len = (uint16_t)(n - POLICY_CHUNK_HDR_LEN);
	c->data = v + POLICY_CHUNK_HDR_LEN;
	assert(c->len <= CHUNK_DATA_MAX);
	x->has_chunk = true;
	return UM3N_OK;
}

static int nvse_policy_ack(struct reg_exts *x, const uint8_t *v, size_t n)
{
	if (n != POLICY_ACK_LEN)
		return UM3N_EINVAL;
	if (x->has_ack)
		return UM3N_EINVAL;
	x->ack.version = um3n_get32(v);
	x->ack.chunks_held = um3n_get16(v + 4);
	x->ack.count = um3n_get16(v + 6);
	x->has_ack = true;
	return UM3N_OK;
}

/* Any suite is decoded: the engines refuse the ones they do not know (a
 * denial the operator sees, not a malformed message). */
static int nvse_crypto(struct reg_exts *x, const uint8_t *v, size_t n)
{
	if (n != UM3N_CRYPTO_NVSE_LEN || x->has_crypto)
		return UM3N_EINVAL;
	x->crypto.suite = v[0];
	memcpy(x->crypto.nonce, v + 4, UM3N_CRYPTO_NONCE_LEN);
	x->has_crypto = true;
	return UM3N_OK;
}

/* RFC 3115 NVSE (wire_int.h). */
int um3n_wire_nvse_read(struct reg_exts *x, const uint8_t *body, size_t body_len)
{
	const uint8_t *v = body + NVSE_HDR_LEN;
	size_t n;

	if (body_len < NVSE_HDR_LEN)
		return UM3N_EINVAL;
	/* The reserved bytes (body[0..1]) are ignored on receipt. */
	if (x->past_auth || um3n_get32(body + 2) != UM3N_VENDOR_ID)
		return UM3N_OK;
	n = body_len - NVSE_HDR_LEN;
	switch (um3n_get16(body + 6)) {
	case UM3N_NVSE_LINK_INFO: return nvse_link_info(x, v, n);
	case UM3N_NVSE_POLICY_CHUNK: return x->is_request ? nvse_policy_chunk(x, v, n) : UM3N_OK;
	case UM3N_NVSE_POLICY_ACK: return x->is_request ? UM3N_OK : nvse_policy_ack(x, v, n);
	case UM3N_NVSE_CRYPTO: return nvse_crypto(x, v, n);
	default: return UM3N_OK;
	}
}
