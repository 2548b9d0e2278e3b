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

/* Registration Identification as a 64-bit NTP timestamp (RFC 5944 §5.7):
 * ident_base (NTP time at now_us = 0) plus now_us in NTP units, strictly above
 * `last`. */
uint64_t um3n_auth_ident_next(uint64_t ident_base, uint64_t now_us, uint64_t last);

#endif
