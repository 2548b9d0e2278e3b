/* libFuzzer: tunnel data decoder. A decoded packet's inner bytes lie inside the
 * input, start with the IP version the headers announce, and re-encoding the
 * header gives back the input's header bytes (reserved bytes aside), the GRE
 * key of aggregate rules included. */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct um3n_tunnel_data d;
	uint8_t hdr[UM3N_DATA_KEYED_OVERHEAD];
	size_t hlen;
	bool v6;

	if (um3n_wire_tunnel_decode(data, size, &d))
		return 0;
	if (d.inner < data || d.inner_len == 0 || d.inner + d.inner_len != data + size)
		abort();
	v6 = (d.inner[0] >> 4) == 6;
	if (!v6 && (d.inner[0] >> 4) != 4)
		abort();
	if ((d.next_header == UM3N_NH_IPV4 && v6) || (d.next_header == UM3N_NH_IPV6 && !v6))
		abort();
	hlen = d.has_key ? um3n_wire_tunnel_hdr_keyed(hdr, v6, d.key, d.seq)
			 : um3n_wire_tunnel_hdr(hdr, d.next_header, v6, d.seq);
	if ((size_t)(d.inner - data) != hlen || d.has_seq != (d.next_header == UM3N_NH_GRE))
		abort();
	if (hdr[0] != data[0] || hdr[1] != data[1] || memcmp(hdr + 4, data + 4, hlen - 4) != 0)
		abort();
	return 0;
}
