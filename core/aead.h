/* The optional encrypted data plane (`encrypt = yes` at both ends): keys
 * derived per registration, ChaCha20-Poly1305 (IETF, libsodium) over every
 * tunnel datagram of a link, a 64-bit counter per link and direction as the
 * nonce, and a replay window per key (replay.h). Layout and rationale:
 * ARCHITECTURE.md §4, "Encrypted tunnel data"; constants in wire.h.
 *
 * Pure computation: the nonces of the registration come from the engines'
 * seeded PRNG, never from libsodium's randombytes (sans-IO, and the
 * simulator's same seed ⇒ same bytes). */
#ifndef UM3N_AEAD_H
#define UM3N_AEAD_H

#include "replay.h"
#include "wire.h"

#define UM3N_AEAD_KEY_LEN 32

/* What one registration of one link derives, both ends alike. */
struct um3n_aead_keys {
	uint8_t up[UM3N_AEAD_KEY_LEN];   /* MN -> HA */
	uint8_t down[UM3N_AEAD_KEY_LEN]; /* HA -> MN */
	uint8_t id;                      /* key id in each packet's header */
};

/* HKDF (RFC 5869) with HMAC-SHA256: extract with the MN-HA key over both
 * registration nonces, the home address and the link, then expand one key per
 * direction and the key id, each under its own label. */
void um3n_aead_derive(struct um3n_aead_keys *k, const uint8_t *mn_ha_key, size_t key_len,
		      const uint8_t mn_nonce[UM3N_CRYPTO_NONCE_LEN],
		      const uint8_t ha_nonce[UM3N_CRYPTO_NONCE_LEN], uint32_t home_v4,
		      uint8_t link);

struct um3n_aead_rx {
	bool valid;
	uint8_t id;
	uint8_t key[UM3N_AEAD_KEY_LEN];
	struct um3n_replay win;
};

/* One link's keys. The receiver keeps the previous registration's key too:
 * what the peer sealed before it learnt the new one is still in flight. */
struct um3n_aead_link {
	bool tx_valid;
	uint8_t tx_id;
	uint8_t tx_key[UM3N_AEAD_KEY_LEN];
	uint64_t tx_ctr;           /* the next counter to send */
	struct um3n_aead_rx rx[2]; /* [0] the current key, [1] the previous one */
};

/* Installs a registration's keys on a link (is_mn: which direction is ours to
 * send); the current receive key becomes the previous one, the send counter
 * starts at 0 (a new key: no nonce is ever used twice under one key). */
void um3n_aead_install(struct um3n_aead_link *l, const struct um3n_aead_keys *k, bool is_mn);
/* Forgets every key of the link (wiped). */
void um3n_aead_clear(struct um3n_aead_link *l);

/* Seals the plain tunnel datagram buf[0, len) in place (it moves
 * UM3N_SEAL_HDR_LEN bytes up; cap is buf's size) with the link's send key and
 * next counter. Returns the sealed length (len + UM3N_SEAL_OVERHEAD).
 * Errors: UM3N_ETOOBIG (no room), UM3N_ESTATE (no key yet, or the counter at
 * UM3N_REPLAY_LIMIT). */
int um3n_aead_seal(struct um3n_aead_link *l, uint8_t *buf, size_t len, size_t cap);
/* Opens a sealed datagram into out (cap bytes; may not overlap it): the tag
 * first, then the replay window of the key that opened it. Returns the plain
 * datagram's length. Errors: UM3N_EINVAL (not a sealed datagram, too short),
 * UM3N_ETOOBIG (cap), UM3N_EAUTH (no key of that id, or the tag is wrong:
 * forged, tampered, another key), UM3N_EREPLAY (authentic, counter seen or
 * older than the window). */
int um3n_aead_open(struct um3n_aead_link *l, const uint8_t *dgram, size_t len, uint8_t *out,
		   size_t cap);
/* Opens a datagram this end sealed itself (the failover re-send, which seals
 * it again for another link): the send key, no replay window.
 * Errors: UM3N_EINVAL, UM3N_ETOOBIG, UM3N_EAUTH (sealed under an older key). */
int um3n_aead_reopen(const struct um3n_aead_link *l, const uint8_t *dgram, size_t len, uint8_t *out,
		     size_t cap);

#endif
