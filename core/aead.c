/* The encrypted data plane's keys, sealing and opening (aead.h). */
#include "aead.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

static_assert(UM3N_AEAD_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
static_assert(UM3N_SEAL_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "IETF nonce: 32 + 64 bits");
static_assert(UM3N_AEAD_KEY_LEN == crypto_auth_hmacsha256_BYTES, "one HMAC output per key");

#define KDF_LABEL "um3n data v1"

static void hmac(uint8_t out[crypto_auth_hmacsha256_BYTES], const uint8_t *key, size_t key_len,
		 const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, a, a_len);
	if (b_len)
		crypto_auth_hmacsha256_update(&st, b, b_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* HKDF-Expand with one block: T(1) = HMAC(PRK, label || 0x01). */
static void expand(uint8_t out[UM3N_AEAD_KEY_LEN], const uint8_t prk[UM3N_AEAD_KEY_LEN],
		   const char *label)
{
	static const uint8_t one = 1;

	hmac(out, prk, UM3N_AEAD_KEY_LEN, (const uint8_t *)label, strlen(label), &one, 1);
}

void um3n_aead_derive(struct um3n_aead_keys *k, const uint8_t *mn_ha_key, size_t key_len,
		      const uint8_t mn_nonce[UM3N_CRYPTO_NONCE_LEN],
		      const uint8_t ha_nonce[UM3N_CRYPTO_NONCE_LEN], uint32_t home_v4, uint8_t link)
{
	uint8_t info[sizeof(KDF_LABEL) - 1 + 2 * UM3N_CRYPTO_NONCE_LEN + 5];
	uint8_t prk[UM3N_AEAD_KEY_LEN], id[UM3N_AEAD_KEY_LEN];
	size_t n = sizeof(KDF_LABEL) - 1;

	assert(k && mn_ha_key && key_len > 0 && mn_nonce && ha_nonce);
	memcpy(info, KDF_LABEL, n);
	memcpy(info + n, mn_nonce, UM3N_CRYPTO_NONCE_LEN);
	memcpy(info + n + UM3N_CRYPTO_NONCE_LEN, ha_nonce, UM3N_CRYPTO_NONCE_LEN);
	n += 2 * UM3N_CRYPTO_NONCE_LEN;
	um3n_put32(info + n, home_v4);
	info[n + 4] = link;
	assert(n + 5 == sizeof(info));
	/* HKDF-Extract keyed by the long-term secret, the fresh values as the
	 * input: both nonces make each registration's keys new even when one
	 * side's PRNG repeats. */
	hmac(prk, mn_ha_key, key_len, info, sizeof(info), NULL, 0);
	expand(k->up, prk, "um3n mn->ha");
	expand(k->down, prk, "um3n ha->mn");
	expand(id, prk, "um3n key id");
	k->id = id[0];
	sodium_memzero(prk, sizeof(prk));
}

void um3n_aead_install(struct um3n_aead_link *l, const struct um3n_aead_keys *k, bool is_mn)
{
	struct um3n_aead_rx *rx = &l->rx[0];

	assert(l && k);
	l->rx[1] = l->rx[0];
	rx->valid = true;
	rx->id = k->id;
	memcpy(rx->key, is_mn ? k->down : k->up, UM3N_AEAD_KEY_LEN);
	um3n_replay_init(&rx->win);
	l->tx_valid = true;
	l->tx_id = k->id;
	memcpy(l->tx_key, is_mn ? k->up : k->down, UM3N_AEAD_KEY_LEN);
	l->tx_ctr = 0;
}

void um3n_aead_clear(struct um3n_aead_link *l) { sodium_memzero(l, sizeof(*l)); }

/* The 96-bit IETF nonce: 32 zero bits, then the counter (big-endian). The key
 * is per link and direction and new with every registration. */
static void nonce_of(uint8_t nonce[12], uint64_t ctr)
{
	memset(nonce, 0, 4);
	um3n_put64(nonce + 4, ctr);
}

int um3n_aead_seal(struct um3n_aead_link *l, uint8_t *buf, size_t len, size_t cap)
{
	uint8_t nonce[12];
	uint64_t ctr = l->tx_ctr;

	assert(buf && len >= UM3N_TUN_HDR_LEN && buf[0] == UM3N_MSG_TUNNEL_DATA);
	if (!l->tx_valid || ctr >= UM3N_REPLAY_LIMIT)
		return UM3N_ESTATE;
	if (len + UM3N_SEAL_OVERHEAD > cap)
		return UM3N_ETOOBIG;
	l->tx_ctr++;
	memmove(buf + UM3N_SEAL_HDR_LEN, buf, len);
	memset(buf, 0, UM3N_SEAL_HDR_LEN);
	buf[0] = UM3N_MSG_TUNNEL_DATA;
	buf[1] = UM3N_NH_SEALED;
	buf[UM3N_SEAL_KEY_ID_OFF] = l->tx_id;
	um3n_put64(buf + UM3N_SEAL_CTR_OFF, ctr);
	nonce_of(nonce, ctr);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		buf + UM3N_SEAL_HDR_LEN, buf + UM3N_SEAL_HDR_LEN + len, NULL,
		buf + UM3N_SEAL_HDR_LEN, len, buf, UM3N_SEAL_HDR_LEN, NULL, nonce, l->tx_key);
	return (int)(len + UM3N_SEAL_OVERHEAD);
}

/* Header checks shared by both openers; *plain_len: the datagram inside. */
static int sealed_hdr(const uint8_t *dgram, size_t len, size_t cap, size_t *plain_len)
{
	if (len < UM3N_SEAL_OVERHEAD + UM3N_TUN_HDR_LEN || dgram[0] != UM3N_MSG_TUNNEL_DATA ||
	    dgram[1] != UM3N_NH_SEALED)
		return UM3N_EINVAL;
	*plain_len = len - UM3N_SEAL_OVERHEAD;
	return *plain_len > cap ? UM3N_ETOOBIG : UM3N_OK;
}

static bool open_with(const uint8_t *key, const uint8_t *dgram, size_t plain_len, uint8_t *out)
{
	uint8_t nonce[12];

	nonce_of(nonce, um3n_get64(dgram + UM3N_SEAL_CTR_OFF));
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		       out, NULL, dgram + UM3N_SEAL_HDR_LEN, plain_len,
		       dgram + UM3N_SEAL_HDR_LEN + plain_len, dgram, UM3N_SEAL_HDR_LEN, nonce,
		       key) == 0;
}

int um3n_aead_open(struct um3n_aead_link *l, const uint8_t *dgram, size_t len, uint8_t *out,
		   size_t cap)
{
	size_t plain_len;
	int rc = sealed_hdr(dgram, len, cap, &plain_len);

	assert(out && (out + cap <= dgram || out >= dgram + len));
	if (rc)
		return rc;
	for (int i = 0; i < 2; i++) {
		struct um3n_aead_rx *rx = &l->rx[i];

		if (!rx->valid || rx->id != dgram[UM3N_SEAL_KEY_ID_OFF] ||
		    !open_with(rx->key, dgram, plain_len, out))
			continue;
		/* Authentic: only now may its counter move the window. */
		if (!um3n_replay_check(&rx->win, um3n_get64(dgram + UM3N_SEAL_CTR_OFF)))
			return UM3N_EREPLAY;
		return (int)plain_len;
	}
	return UM3N_EAUTH;
}

int um3n_aead_reopen(const struct um3n_aead_link *l, const uint8_t *dgram, size_t len, uint8_t *out,
		     size_t cap)
{
	size_t plain_len;
	int rc = sealed_hdr(dgram, len, cap, &plain_len);

	if (rc)
		return rc;
	if (!l->tx_valid || l->tx_id != dgram[UM3N_SEAL_KEY_ID_OFF] ||
	    !open_with(l->tx_key, dgram, plain_len, out))
		return UM3N_EAUTH;
	return (int)plain_len;
}
