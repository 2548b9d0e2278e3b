/* libFuzzer: Registration Reply decoder; same checks as fuzz_rrq_decode.c. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_fields(const struct um3n_rrp *a, const struct um3n_rrp *b)
{
	return a->code == b->code && a->lifetime_s == b->lifetime_s &&
	       a->home_addr == b->home_addr && a->ha_addr == b->ha_addr && a->ident == b->ident &&
	       a->has_udp_tun_reply == b->has_udp_tun_reply &&
	       (!a->has_udp_tun_reply ||
		(a->udp_tun_code == b->udp_tun_code && a->keepalive_s == b->keepalive_s)) &&
	       a->has_link_info == b->has_link_info &&
	       (!a->has_link_info || memcmp(&a->link, &b->link, sizeof(a->link)) == 0) &&
	       a->has_policy_ack == b->has_policy_ack &&
	       (!a->has_policy_ack ||
		memcmp(&a->policy_ack, &b->policy_ack, sizeof(a->policy_ack)) == 0) &&
	       a->spi == b->spi && b->has_auth && b->auth_len == UM3N_AUTH_LEN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[UM3N_REG_MSG_MAX];
	struct um3n_rrp m, again;
	size_t len, auth_off;
	int rc;

	rc = um3n_wire_rrp_decode(data, size, &m);
	if (rc > 0 || rc < UM3N_EUNKNOWN)
		abort();
	if (rc)
		return 0;
	if (m.has_auth &&
	    (m.auth != data + m.auth_covered_len || m.auth_covered_len + m.auth_len > size))
		abort();
	if (!m.has_auth || m.auth_len != UM3N_AUTH_LEN || m.spi < UM3N_SPI_HMAC_SHA256_MIN)
		return 0;
	rc = um3n_wire_rrp_encode(&m, out, sizeof(out), &len, &auth_off);
	if (rc == UM3N_ETOOBIG)
		return 0;
	if (rc || len > size)
		abort();
	if (um3n_wire_rrp_decode(out, len, &again) || !same_fields(&m, &again) ||
	    again.auth_covered_len != auth_off)
		abort();
	return 0;
}
