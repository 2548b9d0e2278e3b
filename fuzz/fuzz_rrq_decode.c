/* libFuzzer: Registration Request decoder. Beyond "no crash" it checks that a
 * decoded message keeps its pointers inside the input and, when it is one we
 * could have sent, that re-encoding and decoding again gives the same fields. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const struct um3n_rrq *m, const uint8_t *data, size_t size)
{
	if (m->has_auth &&
	    (m->auth != data + m->auth_covered_len || m->auth_covered_len + m->auth_len > size))
		abort();
	if (m->has_policy_chunk &&
	    (m->chunk.data < data || m->chunk.data + m->chunk.len > data + size ||
	     m->chunk.len > UM3N_POLICY_CHUNK_MAX))
		abort();
}

static bool same_fields(const struct um3n_rrq *a, const struct um3n_rrq *b)
{
	return a->flags == b->flags && a->lifetime_s == b->lifetime_s &&
	       a->home_addr == b->home_addr && a->ha_addr == b->ha_addr && a->coa == b->coa &&
	       a->ident == b->ident && a->has_udp_tun_req == b->has_udp_tun_req &&
	       (!a->has_udp_tun_req ||
		(a->udp_tun_flags == b->udp_tun_flags && a->encap == b->encap)) &&
	       a->has_link_info == b->has_link_info &&
	       (!a->has_link_info || memcmp(&a->link, &b->link, sizeof(a->link)) == 0) &&
	       a->has_policy_chunk == b->has_policy_chunk &&
	       (!a->has_policy_chunk ||
		(a->chunk.version == b->chunk.version && a->chunk.index == b->chunk.index &&
		 a->chunk.count == b->chunk.count && a->chunk.len == b->chunk.len &&
		 memcmp(a->chunk.data, b->chunk.data, a->chunk.len) == 0)) &&
	       a->spi == b->spi && b->has_auth && b->auth_len == UM3N_AUTH_LEN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[UM3N_REG_MSG_MAX];
	struct um3n_rrq m, again;
	size_t len, auth_off;
	int rc;

	rc = um3n_wire_rrq_decode(data, size, &m);
	if (rc > 0 || rc < UM3N_EUNKNOWN)
		abort();
	if (rc)
		return 0;
	check_inside(&m, data, size);
	if (!m.has_auth || m.auth_len != UM3N_AUTH_LEN || m.spi < UM3N_SPI_HMAC_SHA256_MIN)
		return 0;
	if (m.has_udp_tun_req && m.encap != UM3N_ENCAP_IPIP && m.encap != UM3N_ENCAP_GRE &&
	    m.encap != 55)
		return 0; /* the encoder refuses encapsulations RFC 3519 does not define */
	rc = um3n_wire_rrq_encode(&m, out, sizeof(out), &len, &auth_off);
	if (rc == UM3N_ETOOBIG)
		return 0; /* input padded with skipped extensions we do not re-emit */
	if (rc || len > size)
		abort();
	if (um3n_wire_rrq_decode(out, len, &again) || !same_fields(&m, &again) ||
	    again.auth_covered_len != auth_off)
		abort();
	return 0;
}
