/* MN-HA authentication: HMAC-SHA256 (libsodium) over the bytes RFC 5944 §3.5.1
 * says the authenticator covers, for SPIs >= UM3N_SPI_HMAC_SHA256_MIN. */
#ifndef UM3N_AUTH_H
#define UM3N_AUTH_H

#include "um3n.h"

#define UM3N_KEY_MIN 16
#define UM3N_KEY_MAX 64

/* out receives UM3N_AUTH_LEN bytes. Errors: UM3N_EINVAL (key length). */
int um3n_auth_sign(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
		   uint8_t *out);
/* Constant-time check. Errors: UM3N_EINVAL (key or authenticator length), UM3N_EAUTH. */
int um3n_auth_verify(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
		     const uint8_t *auth, size_t auth_len);

/* A key with its HMAC set-up done: the inner and outer pads hashed once (two
 * SHA-256 blocks of the five a registration's HMAC costs), then reused for
 * every message under that key. The HA keeps one per MN record; the key bytes
 * are kept to tell whether the key source still gives the same key. */
#define UM3N_AUTH_STATE_LEN 208 /* sizeof(crypto_auth_hmacsha256_state) */
struct um3n_auth_key {
	uint8_t key[UM3N_KEY_MAX];
	size_t key_len; /* 0: none */
	_Alignas(8) uint8_t state[UM3N_AUTH_STATE_LEN];
};

/* Errors: UM3N_EINVAL (key length; k is then left empty). */
int um3n_auth_key_init(struct um3n_auth_key *k, const uint8_t *key, size_t key_len);
/* Whether k was set up from exactly these key bytes. */
bool um3n_auth_key_is(const struct um3n_auth_key *k, const uint8_t *key, size_t key_len);
/* As um3n_auth_sign / um3n_auth_verify with the key k was set up from (k not
 * empty). Same results, byte for byte. */
void um3n_auth_key_sign(const struct um3n_auth_key *k, const uint8_t *msg, size_t msg_len,
			uint8_t *out);
int um3n_auth_key_verify(const struct um3n_auth_key *k, const uint8_t *msg, size_t msg_len,
			 const uint8_t *auth, size_t auth_len);

/* Registration Identification as a 64-bit NTP timestamp (RFC 5944 §5.7):
 * ident_base (NTP time at now_us = 0) plus now_us in NTP units, strictly above
 * `last`. */
uint64_t um3n_auth_ident_next(uint64_t ident_base, uint64_t now_us, uint64_t last);

#endif
