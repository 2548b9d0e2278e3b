/* What the two parts of the registration codec share (wire_reg.c: messages
 * and the RFC 5944/3519 extensions; wire_nvse.c: um3n's RFC 3115 vendor
 * extensions): the bounded writer and the decoded extensions. Not for the
 * engines: they see wire.h only. */
#ifndef UM3N_WIRE_INT_H
#define UM3N_WIRE_INT_H

#include <assert.h>
#include <string.h>

#include "wire.h"

/* RFC 5944 §1.9 TLV header; RFC 3115 NVSE: reserved(2), Vendor/Org-ID(4),
 * Vendor-NVSE-Type(2) after it. */
#define EXT_HDR_LEN 2
#define EXT_BODY_MAX 255
#define NVSE_HDR_LEN 8 /* reserved + vendor id + vendor type */
#define NVSE_VALUE_MAX (EXT_BODY_MAX - NVSE_HDR_LEN)
#define LINK_INFO_LEN 4        /* link_id, class, priority, flags */
#define LINK_INFO_RATE_LEN 8   /* ... then weight_kbps(4) when the MN gives one */
#define POLICY_CHUNK_HDR_LEN 8 /* version(4) index(2) count(2) */
#define POLICY_ACK_LEN 8       /* version(4) chunks_held(2) count(2) */
#define NVSE_CHUNK_DATA_MAX (NVSE_VALUE_MAX - POLICY_CHUNK_HDR_LEN) /* 239 */
#define CHUNK_DATA_MAX \
	(UM3N_POLICY_CHUNK_MAX < NVSE_CHUNK_DATA_MAX ? UM3N_POLICY_CHUNK_MAX : NVSE_CHUNK_DATA_MAX)

static_assert(UM3N_POLICY_CHUNK_MAX <= NVSE_CHUNK_DATA_MAX, "a policy chunk fits one NVSE");

/* A bounded output cursor: once a write does not fit, `full` sticks and the
 * encoder reports UM3N_ETOOBIG at the end (one check instead of one per field). */
struct wcur {
	uint8_t *buf;
	size_t cap;
	size_t off;
	bool full;
};

static inline uint8_t *w_take(struct wcur *w, size_t n)
{
	uint8_t *p;

	assert(w->off <= w->cap && w->cap <= UM3N_REG_MSG_MAX);
	if (w->full || w->cap - w->off < n) {
		w->full = true;
		return NULL;
	}
	p = w->buf + w->off;
	memset(p, 0, n); /* reserved fields are zero on send */
	w->off += n;
	return p;
}

/* Everything a registration message's extensions can carry; the request and
 * reply decoders copy out what applies to them. */
struct reg_exts {
	uint8_t udp_tun_type; /* 144 in a request, 44 in a reply */
	bool is_request;
	bool past_auth;
	bool has_udp_tun;
	const uint8_t *udp_tun; /* UDP_TUN_EXT_LEN body bytes */
	bool has_link;
	struct um3n_link_info link;
	bool has_chunk;
	struct um3n_policy_chunk chunk;
	bool has_ack;
	struct um3n_policy_ack ack;
	bool has_crypto;
	struct um3n_crypto_offer crypto;
	bool has_auth;
	uint32_t spi;
	const uint8_t *auth;
	uint16_t auth_len;
	size_t auth_covered_len;
};

/* wire_nvse.c: um3n's NVSEs (vendor 32473), written at the cursor... */
void um3n_wire_nvse_link_info(struct wcur *w, const struct um3n_link_info *l);
void um3n_wire_nvse_policy_chunk(struct wcur *w, const struct um3n_policy_chunk *c);
void um3n_wire_nvse_policy_ack(struct wcur *w, const struct um3n_policy_ack *a);
void um3n_wire_nvse_crypto(struct wcur *w, const struct um3n_crypto_offer *c);
/* ... and read from an NVSE's body (body_len bytes after the length octet).
 * Other vendors' NVSEs, types this message does not use, and any NVSE after
 * the MN-HA authenticator (not authenticated) are skipped.
 * Errors: UM3N_EINVAL (short, a bad value, a repeated type). */
int um3n_wire_nvse_read(struct reg_exts *x, const uint8_t *body, size_t body_len);

#endif
