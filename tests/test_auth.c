/* auth: HMAC-SHA256 against RFC 4231 vectors and libsodium's one-shot API,
 * key/authenticator length errors, verification failures, and the NTP
 * Identification (RFC 5944 §5.7) from now_us: fraction math and monotonicity. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "testutil.h"
#include "wire.h"

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		CU_ASSERT_EQUAL_FATAL(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

struct vector {
	int num; /* RFC 4231 test case number */
	uint8_t key_byte;
	size_t key_len;
	bool key_counts; /* key is 0x01, 0x02, ... instead of key_byte repeated */
	const char *data;
	uint8_t data_byte;
	size_t data_len;
	const char *hmac_sha256;
};

/* RFC 4231 §4: cases with keys within UM3N_KEY_MIN..UM3N_KEY_MAX (case 2's
 * 4-byte key and cases 6-7's 131-byte keys are outside it). */
/* clang-format off */
static const struct vector vectors[] = {
	{1, 0x0b, 20, false, "Hi There", 0, 8,
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{3, 0xaa, 20, false, NULL, 0xdd, 50,
	 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{4, 0, 25, true, NULL, 0xcd, 50,
	 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
};
/* clang-format on */

static void vector_inputs(const struct vector *v, uint8_t *key, uint8_t *data)
{
	for (size_t i = 0; i < v->key_len; i++)
		key[i] = v->key_counts ? (uint8_t)(i + 1) : v->key_byte;
	if (v->data)
		memcpy(data, v->data, v->data_len);
	else
		memset(data, v->data_byte, v->data_len);
}

static void test_rfc4231_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t key[64], data[64], want[UM3N_AUTH_LEN], got[UM3N_AUTH_LEN];

		vector_inputs(v, key, data);
		hex_to_bytes(v->hmac_sha256, want, sizeof(want));
		CU_ASSERT_EQUAL(um3n_auth_sign(key, v->key_len, data, v->data_len, got), 0);
		if (memcmp(got, want, sizeof(want)) != 0)
			fprintf(stderr, "\n  RFC 4231 case %d differs\n", v->num);
		CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
		CU_ASSERT_EQUAL(um3n_auth_verify(key, v->key_len, data, v->data_len, want,
						 sizeof(want)),
				0);
	}
}

/* libsodium's one-shot crypto_auth_hmacsha256() takes a 32-byte key: the
 * streaming path in auth.c must give the same bytes over messages of many
 * lengths (block boundaries at 55/56/64). */
static void test_matches_sodium_oneshot(void)
{
	static const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000};
	uint8_t key[crypto_auth_hmacsha256_KEYBYTES], msg[1000];
	uint8_t a[UM3N_AUTH_LEN], b[crypto_auth_hmacsha256_BYTES];
	struct um3n_prng prng;

	CU_ASSERT_FATAL(sodium_init() >= 0);
	CU_ASSERT_EQUAL(sizeof(b), UM3N_AUTH_LEN);
	um3n_prng_seed(&prng, 4231);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)um3n_prng_next(&prng);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)um3n_prng_next(&prng);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		CU_ASSERT_EQUAL(um3n_auth_sign(key, sizeof(key), msg, lens[i], a), 0);
		crypto_auth_hmacsha256(b, msg, lens[i], key);
		CU_ASSERT_EQUAL(memcmp(a, b, sizeof(b)), 0);
	}
}

struct len_case {
	int num;
	size_t key_len, auth_len;
	int sign_rc, verify_rc;
};

/* clang-format off */
static const struct len_case len_cases[] = {
	{1, UM3N_KEY_MIN - 1, UM3N_AUTH_LEN, UM3N_EINVAL, UM3N_EINVAL},
	{2, UM3N_KEY_MIN, UM3N_AUTH_LEN, 0, 0},
	{3, UM3N_KEY_MAX, UM3N_AUTH_LEN, 0, 0},
	{4, UM3N_KEY_MAX + 1, UM3N_AUTH_LEN, UM3N_EINVAL, UM3N_EINVAL},
	{5, 0, UM3N_AUTH_LEN, UM3N_EINVAL, UM3N_EINVAL},
	{6, 32, UM3N_AUTH_LEN - 1, 0, UM3N_EINVAL},
	{7, 32, UM3N_AUTH_LEN + 1, 0, UM3N_EINVAL},
	{8, 32, 0, 0, UM3N_EINVAL},
};
/* clang-format on */

static void test_length_errors(void)
{
	uint8_t key[UM3N_KEY_MAX + 1], msg[40], auth[UM3N_AUTH_LEN + 1];

	memset(key, 0x42, sizeof(key));
	memset(msg, 0x17, sizeof(msg));
	for (size_t i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		const struct len_case *c = &len_cases[i];

		memset(auth, 0, sizeof(auth));
		CU_ASSERT_EQUAL(um3n_auth_sign(key, c->key_len, msg, sizeof(msg), auth),
				c->sign_rc);
		CU_ASSERT_EQUAL(um3n_auth_verify(key, c->key_len, msg, sizeof(msg), auth,
						 c->auth_len),
				c->verify_rc);
	}
}

/* Numbered ways for verification to fail: each one thing wrong. */
static void test_verify_failures(void)
{
	uint8_t key[32], other[32], msg[64], auth[UM3N_AUTH_LEN], bad[UM3N_AUTH_LEN];

	memset(key, 0x11, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CU_ASSERT_EQUAL_FATAL(um3n_auth_sign(key, sizeof(key), msg, sizeof(msg), auth), 0);
	/* 1: control */
	CU_ASSERT_EQUAL(um3n_auth_verify(key, sizeof(key), msg, sizeof(msg), auth, sizeof(auth)),
			0);
	/* 2: wrong key (one bit) */
	CU_ASSERT_EQUAL(um3n_auth_verify(other, sizeof(other), msg, sizeof(msg), auth,
					 sizeof(auth)),
			UM3N_EAUTH);
	/* 3: key one byte shorter (still a valid length) */
	CU_ASSERT_EQUAL(um3n_auth_verify(key, sizeof(key) - 1, msg, sizeof(msg), auth,
					 sizeof(auth)),
			UM3N_EAUTH);
	/* 4: message one byte shorter */
	CU_ASSERT_EQUAL(um3n_auth_verify(key, sizeof(key), msg, sizeof(msg) - 1, auth,
					 sizeof(auth)),
			UM3N_EAUTH);
	/* 5..: every byte of the authenticator matters */
	for (size_t i = 0; i < sizeof(auth); i++) {
		memcpy(bad, auth, sizeof(bad));
		bad[i] ^= 0x80;
		CU_ASSERT_EQUAL(um3n_auth_verify(key, sizeof(key), msg, sizeof(msg), bad,
						 sizeof(bad)),
				UM3N_EAUTH);
	}
	/* every byte of the message matters */
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] ^= 1;
		CU_ASSERT_EQUAL(um3n_auth_verify(key, sizeof(key), msg, sizeof(msg), auth,
						 sizeof(auth)),
				UM3N_EAUTH);
		msg[i] ^= 1;
	}
}

/* NTP: seconds in the high 32 bits, fraction = floor(us * 2^32 / 10^6). */
struct ident_case {
	int num;
	uint64_t base, now_us, last, expect;
};

#define NTP_BASE 0xe9a1b2c300000000ull /* some NTP second, fraction 0 */

/* clang-format off */
static const struct ident_case ident_cases[] = {
	{1, 0, 0, 0, 1}, /* equal to last: last + 1 */
	{2, 0, 1, 0, 4294},           /* 2^32/10^6 = 4294.97 */
	{3, 0, 250000, 0, 0x40000000}, /* a quarter second */
	{4, 0, 500000, 0, 0x80000000}, /* half */
	{5, 0, 999999, 0, 0xffffef39}, /* 999999 * 2^32 / 10^6 = 4294963001.03 */
	{6, 0, 1500000, 0, 0x180000000ull},
	{7, NTP_BASE, 3723456789ull, 0, NTP_BASE + (3723ull << 32) + 0x74f01fb8ull}, /* .456789 s */
	{8, NTP_BASE, 500000, NTP_BASE + 0x80000000ull, NTP_BASE + 0x80000001ull}, /* = last */
	{9, NTP_BASE, 500000, NTP_BASE + (5ull << 32), NTP_BASE + (5ull << 32) + 1}, /* last ahead */
	{10, NTP_BASE, 500000, NTP_BASE + 0x7fffffffull, NTP_BASE + 0x80000000ull}, /* just above */
};
/* clang-format on */

static void test_ident_values(void)
{
	for (size_t i = 0; i < sizeof(ident_cases) / sizeof(ident_cases[0]); i++) {
		const struct ident_case *c = &ident_cases[i];
		uint64_t got = um3n_auth_ident_next(c->base, c->now_us, c->last);

		if (got != c->expect)
			fprintf(stderr, "\n  ident case %d: %#llx want %#llx\n", c->num,
				(unsigned long long)got, (unsigned long long)c->expect);
		CU_ASSERT_EQUAL(got, c->expect);
	}
}

/* Monotonic: however the clock steps (including not at all), each ident is
 * strictly above the one before. */
static void test_ident_monotonic(void)
{
	struct um3n_prng prng;
	uint64_t last = 0, now_us = 0;

	um3n_prng_seed(&prng, 5944);
	for (int i = 0; i < 100000; i++) {
		uint64_t r = um3n_prng_below(&prng, 10), next;

		/* mostly small steps, sometimes none, sometimes a second */
		now_us += r < 3 ? 0 : r < 9 ? um3n_prng_below(&prng, 5) : 1000000;
		next = um3n_auth_ident_next(NTP_BASE, now_us, last);
		if (next <= last) {
			CU_FAIL("identification not strictly increasing");
			break;
		}
		/* and never more than one tick ahead of the clock when the clock leads */
		if (last < NTP_BASE + ((now_us / 1000000) << 32))
			CU_ASSERT(next >> 32 == (NTP_BASE >> 32) + now_us / 1000000);
		last = next;
	}
}

static CU_TestInfo auth_tests[] = {
	{"01 RFC 4231 HMAC-SHA256 vectors", test_rfc4231_vectors},
	{"02 same bytes as libsodium one-shot", test_matches_sodium_oneshot},
	{"03 key and authenticator length errors", test_length_errors},
	{"04 verification failures", test_verify_failures},
	{"05 identification: NTP fraction values", test_ident_values},
	{"06 identification: strictly increasing", test_ident_monotonic},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"auth", auth_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
