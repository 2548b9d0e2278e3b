/* MN-HA authentication with HMAC-SHA256 from libsodium. */
#include "auth.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "wire.h"

_Static_assert(sizeof(crypto_auth_hmacsha256_state) == UM3N_AUTH_STATE_LEN,
	       "um3n_auth_key.state holds libsodium's HMAC state");

int um3n_auth_sign(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
		   uint8_t *out)
{
	crypto_auth_hmacsha256_state st;

	assert(out);
	assert(msg || msg_len == 0);
	if (key_len < UM3N_KEY_MIN || key_len > UM3N_KEY_MAX)
		return UM3N_EINVAL;
	assert(key); /* a key length without a key is the caller's bug */
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, msg, msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	return UM3N_OK;
}

int um3n_auth_verify(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
		     const uint8_t *auth, size_t auth_len)
{
	uint8_t expect[UM3N_AUTH_LEN];
	int rc;

	assert(msg || msg_len == 0);
	if (auth_len != UM3N_AUTH_LEN)
		return UM3N_EINVAL;
	rc = um3n_auth_sign(key, key_len, msg, msg_len, expect);
	if (rc)
		return rc;
	assert(auth);
	rc = sodium_memcmp(expect, auth, UM3N_AUTH_LEN) == 0 ? UM3N_OK : UM3N_EAUTH;
	sodium_memzero(expect, sizeof(expect));
	return rc;
}

int um3n_auth_key_init(struct um3n_auth_key *k, const uint8_t *key, size_t key_len)
{
	k->key_len = 0;
	if (key_len < UM3N_KEY_MIN || key_len > UM3N_KEY_MAX)
		return UM3N_EINVAL;
	crypto_auth_hmacsha256_init((crypto_auth_hmacsha256_state *)(void *)k->state, key, key_len);
	memcpy(k->key, key, key_len);
	k->key_len = key_len;
	return UM3N_OK;
}

bool um3n_auth_key_is(const struct um3n_auth_key *k, const uint8_t *key, size_t key_len)
{
	return k->key_len && k->key_len == key_len && sodium_memcmp(k->key, key, key_len) == 0;
}

void um3n_auth_key_sign(const struct um3n_auth_key *k, const uint8_t *msg, size_t msg_len,
			uint8_t *out)
{
	crypto_auth_hmacsha256_state st;

	assert(k->key_len >= UM3N_KEY_MIN && out && (msg || msg_len == 0));
	memcpy(&st, k->state, sizeof(st));
	crypto_auth_hmacsha256_update(&st, msg, msg_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

int um3n_auth_key_verify(const struct um3n_auth_key *k, const uint8_t *msg, size_t msg_len,
			 const uint8_t *auth, size_t auth_len)
{
	uint8_t expect[UM3N_AUTH_LEN];
	int rc;

	if (auth_len != UM3N_AUTH_LEN)
		return UM3N_EINVAL;
	um3n_auth_key_sign(k, msg, msg_len, expect);
	rc = sodium_memcmp(expect, auth, UM3N_AUTH_LEN) == 0 ? UM3N_OK : UM3N_EAUTH;
	sodium_memzero(expect, sizeof(expect));
	return rc;
}

uint64_t um3n_auth_ident_next(uint64_t ident_base, uint64_t now_us, uint64_t last)
{
	/* NTP format: 32-bit seconds . 32-bit fraction; 2^32 / 10^6 per µs. */
	uint64_t secs = now_us / 1000000u;
	uint64_t frac = ((now_us % 1000000u) << 32) / 1000000u;
	uint64_t ident = ident_base + (secs << 32) + frac;

	assert(frac < (1ull << 32)); /* the fraction never carries into the seconds */
	return ident > last ? ident : last + 1;
}
