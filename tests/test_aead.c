/* aead: the encrypted data plane. Key derivation (both ends equal, directions
 * and links apart), sealing and opening (round trip, every byte tampered,
 * another key, replays, the previous key), the crypto NVSE's codec, and both
 * engines over pairnet: traffic both ways with nothing readable on the wire,
 * negotiation mismatches refused either way, a stripped or an unauthenticated
 * crypto extension (downgrade) refused, plain and forged data counted. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

static const uint8_t key32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t nonce_mn[UM3N_CRYPTO_NONCE_LEN] = {0xa1, 0xa2, 0xa3};
static const uint8_t nonce_ha[UM3N_CRYPTO_NONCE_LEN] = {0xb1, 0xb2, 0xb3};

/* An MN's and an HA's view of one link, keys installed from one registration. */
static void pair_keys(struct um3n_aead_link *mn, struct um3n_aead_link *ha)
{
	struct um3n_aead_keys k;

	memset(mn, 0, sizeof(*mn));
	memset(ha, 0, sizeof(*ha));
	um3n_aead_derive(&k, key32, sizeof(key32), nonce_mn, nonce_ha, 0x0ac80002, 1);
	um3n_aead_install(mn, &k, true);
	um3n_aead_install(ha, &k, false);
}

/* A plain tunnel datagram of n inner bytes (a pattern) into buf. */
static size_t plain_dgram(uint8_t *buf, size_t n)
{
	uint8_t inner[1500];
	size_t hl;

	CU_ASSERT_FATAL(n >= 20 && n <= sizeof(inner));
	for (size_t i = 0; i < n; i++)
		inner[i] = (uint8_t)(i * 7 + 1);
	inner[0] = 0x45;
	hl = um3n_wire_tunnel_hdr(buf, UM3N_NH_GRE, false, 0x20000005);
	memcpy(buf + hl, inner, n);
	return hl + n;
}

static void test_derive(void)
{
	struct um3n_aead_keys a, b, c;
	uint8_t other[UM3N_CRYPTO_NONCE_LEN] = {0xa1, 0xa2, 0xa4};

	um3n_aead_derive(&a, key32, sizeof(key32), nonce_mn, nonce_ha, 0x0ac80002, 1);
	um3n_aead_derive(&b, key32, sizeof(key32), nonce_mn, nonce_ha, 0x0ac80002, 1);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);              /* both ends derive the same */
	CU_ASSERT_NOT_EQUAL(memcmp(a.up, a.down, sizeof(a.up)), 0); /* one key per direction */
	um3n_aead_derive(&c, key32, sizeof(key32), other, nonce_ha, 0x0ac80002, 1);
	CU_ASSERT_NOT_EQUAL(memcmp(a.up, c.up, sizeof(a.up)), 0); /* a fresh nonce: new keys */
	um3n_aead_derive(&c, key32, sizeof(key32), nonce_mn, other, 0x0ac80002, 1);
	CU_ASSERT_NOT_EQUAL(memcmp(a.down, c.down, sizeof(a.down)), 0);
	um3n_aead_derive(&c, key32, sizeof(key32), nonce_mn, nonce_ha, 0x0ac80002, 2);
	CU_ASSERT_NOT_EQUAL(memcmp(a.up, c.up, sizeof(a.up)), 0); /* links apart */
	um3n_aead_derive(&c, key32, 31, nonce_mn, nonce_ha, 0x0ac80002, 1);
	CU_ASSERT_NOT_EQUAL(memcmp(a.up, c.up, sizeof(a.up)), 0); /* the MN-HA key counts */
}

static void test_round_trip(void)
{
	struct um3n_aead_link mn, ha;
	uint8_t buf[2048], plain[2048], out[2048];
	size_t len = plain_dgram(buf, 1000);
	int s, o;

	memcpy(plain, buf, len);
	pair_keys(&mn, &ha);
	s = um3n_aead_seal(&mn, buf, len, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(s, (int)(len + UM3N_SEAL_OVERHEAD));
	/* the RFC 3519 header stays, the rest is unreadable */
	CU_ASSERT_EQUAL(buf[0], UM3N_MSG_TUNNEL_DATA);
	CU_ASSERT_EQUAL(buf[1], UM3N_NH_SEALED);
	CU_ASSERT_EQUAL(um3n_get64(buf + UM3N_SEAL_CTR_OFF), 0);
	CU_ASSERT_PTR_NULL(memmem(buf, (size_t)s, plain + 12, 16));
	o = um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(o, (int)len);
	CU_ASSERT_EQUAL(memcmp(out, plain, len), 0);
	/* the sender opens its own packet again (failover re-send) */
	CU_ASSERT_EQUAL(um3n_aead_reopen(&mn, buf, (size_t)s, out, sizeof(out)), (int)len);
	/* the HA's direction is not the MN's: the MN's send key does not open it */
	CU_ASSERT_EQUAL(um3n_aead_open(&mn, buf, (size_t)s, out, sizeof(out)), UM3N_EAUTH);
	/* the next packet carries the next counter */
	len = plain_dgram(buf, 40);
	s = um3n_aead_seal(&mn, buf, len, sizeof(buf));
	CU_ASSERT_EQUAL(um3n_get64(buf + UM3N_SEAL_CTR_OFF), 1);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out)), (int)len);
	/* no room for the overhead */
	len = plain_dgram(buf, 100);
	CU_ASSERT_EQUAL(um3n_aead_seal(&mn, buf, len, len + UM3N_SEAL_OVERHEAD - 1), UM3N_ETOOBIG);
	/* no key yet */
	memset(&mn, 0, sizeof(mn));
	CU_ASSERT_EQUAL(um3n_aead_seal(&mn, buf, len, sizeof(buf)), UM3N_ESTATE);
}

/* Any byte changed (header, counter, ciphertext, tag), truncated or extended:
 * refused as unauthentic, nothing opened. */
static void test_tamper(void)
{
	struct um3n_aead_link mn, ha;
	uint8_t buf[256], bad[256], out[256];
	size_t len = plain_dgram(buf, 60);
	int s;

	pair_keys(&mn, &ha);
	s = um3n_aead_seal(&mn, buf, len, sizeof(buf));
	CU_ASSERT_FATAL(s > 0);
	for (int i = 0; i < s; i++) {
		int want = i < 2 ? UM3N_EINVAL : UM3N_EAUTH; /* type, next header: not ours */

		memcpy(bad, buf, (size_t)s);
		bad[i] ^= 0x01;
		CHECK(um3n_aead_open(&ha, bad, (size_t)s, out, sizeof(out)) == want,
		      "byte %d flipped", i);
	}
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s - 1, out, sizeof(out)), UM3N_EAUTH);
	memcpy(bad, buf, (size_t)s);
	bad[s] = 0;
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, bad, (size_t)s + 1, out, sizeof(out)), UM3N_EAUTH);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, UM3N_SEAL_OVERHEAD, out, sizeof(out)),
			UM3N_EINVAL);
	/* none of that moved the window: the real one still opens, once */
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out)), (int)len);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out)), UM3N_EREPLAY);
}

static void test_wrong_key(void)
{
	struct um3n_aead_link mn, ha, other;
	struct um3n_aead_keys k;
	uint8_t buf[256], out[256], key2[32];
	size_t len = plain_dgram(buf, 60);
	int s;

	pair_keys(&mn, &ha);
	memcpy(key2, key32, sizeof(key2));
	key2[31] ^= 1;
	memset(&other, 0, sizeof(other));
	um3n_aead_derive(&k, key2, sizeof(key2), nonce_mn, nonce_ha, 0x0ac80002, 1);
	um3n_aead_install(&other, &k, false);
	other.rx[0].id = mn.tx_id; /* even under the right key id */
	s = um3n_aead_seal(&mn, buf, len, sizeof(buf));
	CU_ASSERT_EQUAL(um3n_aead_open(&other, buf, (size_t)s, out, sizeof(out)), UM3N_EAUTH);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out)), (int)len);
}

/* A re-registration: the receiver opens the previous key's packets still in
 * flight (each key with its own window), the one before is gone. */
static void test_rekey(void)
{
	struct um3n_aead_link mn, ha;
	struct um3n_aead_keys k;
	uint8_t old[256], buf[256], out[256], n2[UM3N_CRYPTO_NONCE_LEN] = {9};
	size_t len = plain_dgram(old, 60);
	int s_old, s;

	pair_keys(&mn, &ha);
	s_old = um3n_aead_seal(&mn, old, len, sizeof(old));
	um3n_aead_derive(&k, key32, sizeof(key32), nonce_mn, n2, 0x0ac80002, 1);
	if (k.id == mn.tx_id) /* the test wants distinct ids; the code tries both */
		n2[1] = 1, um3n_aead_derive(&k, key32, sizeof(key32), nonce_mn, n2, 0x0ac80002, 1);
	um3n_aead_install(&mn, &k, true);
	um3n_aead_install(&ha, &k, false);
	len = plain_dgram(buf, 60);
	s = um3n_aead_seal(&mn, buf, len, sizeof(buf));
	CU_ASSERT_EQUAL(um3n_get64(buf + UM3N_SEAL_CTR_OFF), 0); /* a new key counts from 0 */
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, buf, (size_t)s, out, sizeof(out)), (int)len);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, old, (size_t)s_old, out, sizeof(out)), (int)len);
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, old, (size_t)s_old, out, sizeof(out)), UM3N_EREPLAY);
	n2[2] = 7;
	um3n_aead_derive(&k, key32, sizeof(key32), nonce_mn, n2, 0x0ac80002, 1);
	um3n_aead_install(&ha, &k, false);
	memcpy(buf, old, (size_t)s_old);
	buf[UM3N_SEAL_CTR_OFF + 7] = 0; /* unchanged; only the key is gone */
	CU_ASSERT_EQUAL(um3n_aead_open(&ha, old, (size_t)s_old, out, sizeof(out)), UM3N_EAUTH);
}

/* The crypto NVSE: round trip in both messages, authenticated only before the
 * MN-HA extension. */
static void test_nvse(void)
{
	struct um3n_rrq q = {0}, d;
	struct um3n_rrp p = {0}, e;
	uint8_t buf[UM3N_REG_MSG_MAX], moved[UM3N_REG_MSG_MAX];
	size_t len, auth_off, ext;

	q.flags = UM3N_RRQ_FLAG_S;
	q.lifetime_s = 60;
	q.spi = 256;
	q.has_crypto = true;
	q.crypto.suite = UM3N_CRYPTO_SUITE_CHACHA20POLY1305;
	memcpy(q.crypto.nonce, nonce_mn, sizeof(nonce_mn));
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&q, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_decode(buf, len, &d), 0);
	CU_ASSERT_TRUE(d.has_crypto);
	CU_ASSERT_EQUAL(d.crypto.suite, 1);
	CU_ASSERT_EQUAL(memcmp(d.crypto.nonce, nonce_mn, sizeof(nonce_mn)), 0);
	/* 2 + 8 + 20 bytes, right before the MN-HA extension: covered */
	ext = auth_off - 6 - 30;
	CU_ASSERT_EQUAL(buf[ext], UM3N_EXT_NVSE);
	CU_ASSERT_EQUAL(buf[ext + 1], 28);
	CU_ASSERT_TRUE(d.auth_covered_len > ext + 30);
	/* moved after the authenticator (a path attacker adding it): ignored */
	memcpy(moved, buf, ext);
	memcpy(moved + ext, buf + ext + 30, len - ext - 30);
	memcpy(moved + len - 30, buf + ext, 30);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_decode(moved, len, &d), 0);
	CU_ASSERT_FALSE(d.has_crypto);
	/* a wrong length, or twice: malformed */
	buf[ext + 1] = 27;
	CU_ASSERT_NOT_EQUAL(um3n_wire_rrq_decode(buf, len, &d), 0);
	p.code = 0;
	p.spi = 256;
	p.has_crypto = true;
	p.crypto.suite = 1;
	memcpy(p.crypto.nonce, nonce_ha, sizeof(nonce_ha));
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_encode(&p, buf, sizeof(buf), &len, &auth_off), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrp_decode(buf, len, &e), 0);
	CU_ASSERT_TRUE(e.has_crypto);
	CU_ASSERT_EQUAL(memcmp(e.crypto.nonce, nonce_ha, sizeof(nonce_ha)), 0);
}

/* ---- both engines --------------------------------------------------------- */

struct wire_watch {
	uint64_t data, sealed, readable;
	bool keep_rrq;
	uint8_t rrq[UM3N_REG_MSG_MAX];
	size_t rrq_len;
};

/* Sees every datagram: tunnel data must be sealed and must not show the home
 * address (the inner source or destination) anywhere. */
static bool watch(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	struct wire_watch *w = net->user;
	static const uint8_t home[4] = {10, 200, 0, 2};

	(void)dir;
	(void)link;
	if (d[0] == UM3N_MSG_RRQ && w->keep_rrq) {
		if (!w->rrq_len) {
			memcpy(w->rrq, d, len);
			w->rrq_len = len;
		}
		return true; /* the attacker holds them back */
	}
	if (d[0] != UM3N_MSG_TUNNEL_DATA)
		return false;
	w->data++;
	w->sealed += d[1] == UM3N_NH_SEALED;
	w->readable += memmem(d, len, home, sizeof(home)) != NULL;
	return false;
}

static void start(struct pairnet *net, struct wire_watch *w, int mn_enc, int ha_enc)
{
	pairnet_init(net, NULL);
	memset(w, 0, sizeof(*w));
	net->mn_conf.encrypt = (uint8_t)mn_enc;
	net->ha_conf.encrypt = (uint8_t)ha_enc;
	net->user = w;
	net->drop = watch;
	pairnet_start(net);
}

static void test_engines_encrypted(void)
{
	struct pairnet net;
	struct wire_watch w;
	struct um3n_mn_status ms;
	struct um3n_ha_status hs;

	start(&net, &w, 1, 1);
	pairnet_run(&net, 1000000);
	pairnet_check_bindings(&net, 2);
	pairnet_send_up(&net, "10.9.9.9", 50);
	pairnet_send_down(&net, "10.9.9.9", 50);
	pairnet_run(&net, 2000000);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 50);
	CU_ASSERT_EQUAL(net.mn_tun_pkts, 50);
	/* data and probes, all sealed, none showing the inner addresses */
	CU_ASSERT(w.data > 100);
	CU_ASSERT_EQUAL(w.sealed, w.data);
	CU_ASSERT_EQUAL(w.readable, 0);
	um3n_mn_status(net.mn, net.now_us, &ms);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(ms.drops.bad_tag + ms.drops.replayed_data + ms.drops.malformed, 0);
	CU_ASSERT_EQUAL(hs.drops.bad_tag + hs.drops.replayed_data + hs.drops.malformed, 0);
	/* re-registrations rekey without losing anything */
	pairnet_run(&net, 400000000);
	pairnet_send_up(&net, "10.9.9.9", 10);
	pairnet_run(&net, 401000000);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 60);
	pairnet_fini(&net);
}

/* Injected at the HA from a bound care-of: plain data (a downgrade), a forged
 * sealed datagram, a replayed one; each refused and counted. */
static void test_engines_forged(void)
{
	struct pairnet net;
	struct wire_watch w;
	struct um3n_ha_status hs;
	uint8_t buf[2048];
	size_t len;
	struct pairnet_pkt *p = NULL;

	start(&net, &w, 1, 1);
	pairnet_run(&net, 1000000);
	len = plain_dgram(buf, 60);
	pairnet_inject_to_ha(&net, 1, buf, len);
	memmove(buf + UM3N_SEAL_HDR_LEN, buf, len);
	memset(buf, 0, UM3N_SEAL_HDR_LEN);
	buf[0] = UM3N_MSG_TUNNEL_DATA;
	buf[1] = UM3N_NH_SEALED;
	pairnet_inject_to_ha(&net, 1, buf, len + UM3N_SEAL_OVERHEAD);
	/* a real uplink datagram in flight, delivered, then once more */
	pairnet_send_up(&net, "10.9.9.9", 1);
	for (size_t i = 0; i < net.nq; i++)
		if (net.q[i].dir == TO_HA && net.q[i].data[0] == UM3N_MSG_TUNNEL_DATA)
			p = &net.q[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	len = p->len;
	memcpy(buf, p->data, len);
	pairnet_run(&net, 1100000);
	pairnet_inject_to_ha(&net, p->link, buf, len);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.malformed, 1);
	CU_ASSERT_EQUAL(hs.drops.bad_tag, 1);
	CU_ASSERT_EQUAL(hs.drops.replayed_data, 1);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 1);
	pairnet_fini(&net);
}

/* One end yes, the other no: no binding, the reason in the log, code 129. */
static void test_engines_mismatch(void)
{
	struct pairnet net;
	struct wire_watch w;
	start(&net, &w, 1, 0); /* the MN asks, the HA does not encrypt */
	pairnet_run(&net, 1000000);
	pairnet_check_bindings(&net, 0);
	CU_ASSERT(net.rrp_codes[UM3N_CODE_DENIED_ADMIN] > 0);
	CU_ASSERT_EQUAL(net.rrp_codes[UM3N_CODE_ACCEPTED], 0);
	pairnet_fini(&net);

	start(&net, &w, 0, 1); /* the HA requires it, the MN does not ask */
	pairnet_run(&net, 1000000);
	pairnet_check_bindings(&net, 0);
	CU_ASSERT(net.rrp_codes[UM3N_CODE_DENIED_ADMIN] > 0);
	pairnet_send_up(&net, "10.9.9.9", 5);
	pairnet_run(&net, 1100000);
	CU_ASSERT_EQUAL(net.ha_tun_pkts, 0);
	pairnet_fini(&net);
}

/* A path attacker strips the MN's crypto extension from its request (to make
 * an encrypting HA or MN fall back to plain): the authenticator no longer
 * matches, the HA refuses it as unauthentic and binds nothing. */
static void test_engines_downgrade(void)
{
	struct pairnet net;
	struct wire_watch w;
	struct um3n_rrq q;
	struct um3n_ha_status hs;
	uint8_t stripped[UM3N_REG_MSG_MAX];
	size_t len, auth_off;

	start(&net, &w, 1, 1);
	w.keep_rrq = true;
	pairnet_run(&net, 100000);
	CU_ASSERT_FATAL(w.rrq_len > 0);
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_decode(w.rrq, w.rrq_len, &q), 0);
	CU_ASSERT_TRUE_FATAL(q.has_crypto);
	q.has_crypto = false;
	CU_ASSERT_EQUAL_FATAL(um3n_wire_rrq_encode(&q, stripped, sizeof(stripped), &len, &auth_off),
			      0);
	memcpy(stripped + auth_off, q.auth, UM3N_AUTH_LEN); /* the MN's own authenticator */
	pairnet_inject_to_ha(&net, 0, stripped, len);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.drops.auth_failed, 1);
	CU_ASSERT_EQUAL(hs.n_mns, 0);
	/* the request as the MN sent it binds (the control) */
	pairnet_inject_to_ha(&net, 0, w.rrq, w.rrq_len);
	um3n_ha_status(net.ha, net.now_us, &hs);
	CU_ASSERT_EQUAL(hs.n_mns, 1);
	pairnet_fini(&net);
}

static CU_TestInfo aead_tests[] = {
	{"01 derive: both ends equal, directions, nonces, links, key apart", test_derive},
	{"02 seal/open round trip, reopen, direction, room, no key", test_round_trip},
	{"03 any byte tampered, truncated, extended: refused, window unmoved", test_tamper},
	{"04 another MN-HA key: refused", test_wrong_key},
	{"05 rekey: previous key still opens, its own window", test_rekey},
	{"06 crypto NVSE codec, unauthenticated position ignored", test_nvse},
	{"07 engines: encrypted both ways, nothing readable, rekey", test_engines_encrypted},
	{"08 engines: plain, forged and replayed data counted", test_engines_forged},
	{"09 engines: mismatch refused either way", test_engines_mismatch},
	{"10 engines: stripped crypto extension refused", test_engines_downgrade},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"aead", aead_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
