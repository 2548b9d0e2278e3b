/* libFuzzer: inner IP header parser, the RFC 1071 checksum, and what the MN
 * does with a parsed packet at its path MTU (core/pmtu.c). Checks: the MSS
 * clamp changes at most the 2-byte MSS value and the TCP checksum inside the
 * TCP header, leaves the sum of the bytes the checksum covers unchanged in
 * one's-complement terms; the ICMP answer stays
 * within 576 bytes and carries a valid ICMP checksum. */
#include <stdlib.h>
#include <string.h>

#include "pmtu.h"
#include "wire.h"

/* One's-complement sum of the TCP header and payload, folded (no pseudo-header:
 * the clamp does not change it). */
static uint16_t seg_sum(const uint8_t *seg, size_t n)
{
	uint16_t s = (uint16_t)~um3n_wire_inet_csum(seg, n);

	return s == 0xffff ? 0 : s; /* one's complement: -0 is +0 */
}

static void pmtu_check(const uint8_t *data, size_t size, const struct um3n_ip_info *ip)
{
	static uint8_t buf[4096], out[1024];
	size_t th = ip->header_len, seg = ip->total_len - th;
	int n;

	if (size > sizeof(buf))
		return;
	memcpy(buf, data, size);
	if (um3n_pmtu_clamp_mss(buf, size, ip, 536)) {
		size_t diff = 0;

		for (size_t i = 0; i < size; i++) {
			bool ok = i == th + 16 || i == th + 17 || (i >= th + 20 && i < th + 60);

			if (buf[i] != data[i] && !ok)
				abort(); /* outside the TCP header's options and checksum */
		}
		for (size_t i = th + 20; i < size && i < th + 60; i++)
			diff += buf[i] != data[i];
		if (diff > 2 || seg_sum(buf + th, seg) != seg_sum(data + th, seg))
			abort();
	}
	n = um3n_pmtu_frag_needed(out, sizeof(out), data, ip, 0xc0000201u, 1240);
	if (n > 0 && (n > 576 || um3n_wire_inet_csum(out + 20, (size_t)n - 20) != 0))
		abort();
}

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
		pmtu_check(data, size, &ip);
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
