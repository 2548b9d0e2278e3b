/* libFuzzer: inner IP header parser and the RFC 1071 checksum. */
#include <stdlib.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct um3n_ip_info ip;
	uint16_t csum;

	if (um3n_wire_ip_parse(data, size, &ip) == 0) {
		if (ip.header_len > ip.total_len || ip.total_len > size)
			abort();
		if (ip.version != 4 && ip.version != 6)
			abort();
		if (ip.src.family != ip.version || ip.dst.family != ip.version)
			abort();
	}
	/* The checksum is order-independent over 16-bit words, so a buffer that
	 * carries its own checksum must sum to zero. */
	if (size >= 2 && size % 2 == 0 && size <= 4096) {
		uint8_t buf[4096];

		for (size_t i = 0; i < size; i++)
			buf[i] = data[i];
		buf[0] = 0;
		buf[1] = 0;
		csum = um3n_wire_inet_csum(buf, size);
		buf[0] = (uint8_t)(csum >> 8);
		buf[1] = (uint8_t)csum;
		if (um3n_wire_inet_csum(buf, size) != 0)
			abort();
	}
	return 0;
}
