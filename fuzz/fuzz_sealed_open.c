/* libFuzzer target: the encrypted data plane's opener (core/aead.c, replay.c)
 * on arbitrary datagrams, under keys of a fixed registration: the header
 * checks, the tag and the replay window must hold against any input; every
 * tenth input is also sealed first, so the authentic path (and the window,
 * which then sees the fuzzer's counters) is reached too. */
#include <stdint.h>
#include <string.h>

#include "aead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = "fuzz-key-fuzz-key-fuzz-key-0000";
	static const uint8_t nm[UM3N_CRYPTO_NONCE_LEN] = {1}, nh[UM3N_CRYPTO_NONCE_LEN] = {2};
	static struct um3n_aead_link mn, ha;
	static bool ready;
	static uint8_t out[UM3N_PKT_MAX], buf[UM3N_PKT_MAX + UM3N_SEAL_OVERHEAD];
	int rc;

	if (!ready) {
		struct um3n_aead_keys k;

		um3n_aead_derive(&k, key, sizeof(key), nm, nh, 0x0ac80002, 0);
		um3n_aead_install(&mn, &k, true);
		um3n_aead_install(&ha, &k, false);
		ready = true;
	}
	rc = um3n_aead_open(&ha, data, size, out, sizeof(out));
	if (rc > (int)sizeof(out))
		__builtin_trap();
	if (size >= UM3N_TUN_HDR_LEN && size <= UM3N_PKT_MAX && size % 10 == 0) {
		memcpy(buf, data, size);
		buf[0] = UM3N_MSG_TUNNEL_DATA;
		rc = um3n_aead_seal(&mn, buf, size, sizeof(buf));
		if (rc != (int)(size + UM3N_SEAL_OVERHEAD))
			__builtin_trap();
		/* what was sealed opens, whole and once */
		if (um3n_aead_open(&ha, buf, (size_t)rc, out, sizeof(out)) != (int)size ||
		    out[0] != UM3N_MSG_TUNNEL_DATA || memcmp(out + 1, data + 1, size - 1) != 0 ||
		    um3n_aead_open(&ha, buf, (size_t)rc, out, sizeof(out)) != UM3N_EREPLAY)
			__builtin_trap();
	}
	return 0;
}
