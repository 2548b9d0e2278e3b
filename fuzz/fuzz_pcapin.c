/* libFuzzer target: the simulator's pcap replay input (sim/pcapin.c, through
 * libpcap's file reader): a flow's `pcap_file` with its `pcap_filter`.
 * Byte 0 picks a filter (none, a few valid ones, one libpcap refuses); the
 * rest is the capture file. Checks: an error names the file; a capture that
 * loads has packets back to back in its buffer, each an IPv4 header whose
 * total length is the packet's length (at least a header, at most what the
 * simulator's packets hold), the first at time 0. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "pcapin.h"
#include "pkt.h"
#include "um3n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const filters[] = {NULL,
					      "",
					      "udp",
					      "tcp port 21",
					      "ip src 10.0.0.1",
					      "not icmp and len > 100",
					      "bogus ((",
					      "vlan"};
	struct sim_pcapin in;
	char err[512] = "";
	const char *path;
	size_t end = 0;

	if (size < 1)
		return 0;
	path = fuzz_file(data + 1, size - 1);
	if (sim_pcapin_load(path, filters[data[0] % 8], &in, err, sizeof(err)) != 0) {
		if (strncmp(err, path, strlen(path)) != 0 || in.n != 0 || in.data)
			abort();
		return 0;
	}
	if (in.n == 0 || in.t_us[0] != 0)
		abort();
	for (size_t i = 0; i < in.n; i++) {
		const uint8_t *ip = in.data + in.off[i];

		if (in.off[i] != end || in.len[i] < SIM_IP4_HDR || in.len[i] > SIM_PKT_BUF - 64 ||
		    ip[0] >> 4 != 4 || um3n_get16(ip + 2) != in.len[i])
			abort();
		end += in.len[i];
	}
	sim_pcapin_free(&in);
	return 0;
}
