/* libFuzzer target: the link probes (core/tunnel.c) and the repair requests
 * (core/arq.c) that share their plain tunnel data: um3n_tunnel_probe_parse
 * and um3n_arq_nack_parse on any inner packet (what both engines do with
 * next-header-4 tunnel data) and um3n_tunnel_probe_answer, into a buffer exactly as large as the input's
 * first byte says (so a write past the answer's end is seen by ASan).
 * Round trip: a request that parses is answered, and the answer parses (for
 * the request's source) as a reply with the same identifier, sequence number
 * and prober's clock, and the answerer's clock in its slot when it has one;
 * a NACK that parses is built again from what was parsed, and that parses
 * to the same sequence numbers. */
#include <stdlib.h>
#include <string.h>

#include "arq.h"
#include "tunnel.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_US UINT64_C(0x0123456789abcdef)
static const struct um3n_probe_report report = {true, 0x89abcdefu, 4321};

static void answer_any(const uint8_t *inner, size_t len, size_t cap)
{
	uint8_t *buf = malloc(cap ? cap : 1);
	int n;

	if (!buf)
		return;
	n = um3n_tunnel_probe_answer(buf, cap, inner, len, NOW_US, &report);
	if (n > (int)cap || (n < 0 && n != UM3N_EINVAL && n != UM3N_ETOOBIG))
		abort();
	free(buf);
}

static void round_trip(const uint8_t *inner, size_t len)
{
	struct um3n_ip_info ip;
	struct um3n_probe p, q;
	uint8_t out[2048 + 64];
	int n;

	if (um3n_wire_ip_parse(inner, len, &ip) != UM3N_OK || ip.version != 4)
		return;
	if (um3n_tunnel_probe_parse(inner, len, um3n_addr_v4(&ip.dst), &p) != UM3N_OK)
		return;
	if (p.is_reply)
		return;
	n = um3n_tunnel_probe_answer(out, sizeof(out), inner, len, NOW_US, &report);
	if (n < UM3N_TUN_HDR_LEN + 20 || out[0] != UM3N_MSG_TUNNEL_DATA)
		abort();
	if (um3n_tunnel_probe_parse(out + UM3N_TUN_HDR_LEN, (size_t)n - UM3N_TUN_HDR_LEN,
				    um3n_addr_v4(&ip.src), &q) != UM3N_OK)
		abort();
	if (!q.is_reply || q.icmp_id != p.icmp_id || q.icmp_seq != p.icmp_seq ||
	    q.sent_us != p.sent_us ||
	    q.answer_us != (ip.total_len - ip.header_len >= 24 ? NOW_US : 0))
		abort();
	/* the answerer's report fits from 40 bytes of ICMP on; the prober's
	 * interval (from 44) comes back as it was sent */
	if (q.answerer.valid != (ip.total_len - ip.header_len >= 40) ||
	    (q.answerer.valid && (q.answerer.rx_bytes != report.rx_bytes ||
				  q.answerer.qdelay_us != report.qdelay_us)) ||
	    q.interval_ms != p.interval_ms)
		abort();
}

static void nack_round_trip(const uint8_t *inner, size_t len)
{
	struct um3n_ip_info ip;
	struct um3n_arq_nack n, m;
	uint8_t out[UM3N_ARQ_NACK_MAX];
	int k;

	if (um3n_wire_ip_parse(inner, len, &ip) != UM3N_OK || ip.version != 4)
		return;
	if (um3n_arq_nack_parse(inner, len, um3n_addr_v4(&ip.dst), &n) != UM3N_OK)
		return;
	if (!um3n_arq_is_nack(inner, len) || n.n == 0 || n.n > UM3N_ARQ_MAX_SEQS)
		abort();
	k = um3n_arq_nack_build(out, sizeof(out), um3n_addr_v4(&ip.src), um3n_addr_v4(&ip.dst), &n);
	if (k <= UM3N_TUN_HDR_LEN ||
	    um3n_arq_nack_parse(out + UM3N_TUN_HDR_LEN, (size_t)k - UM3N_TUN_HDR_LEN,
				um3n_addr_v4(&ip.dst), &m) != UM3N_OK ||
	    memcmp(&n, &m, sizeof(n)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *inner;

	if (size < 1)
		return 0;
	/* exactly the datagram's length: reads past it are caught */
	inner = malloc(size - 1 ? size - 1 : 1);
	if (!inner)
		return 0;
	memcpy(inner, data + 1, size - 1);
	round_trip(inner, size - 1);
	nack_round_trip(inner, size - 1);
	(void)um3n_arq_is_nack(inner, size - 1);
	answer_any(inner, size - 1, data[0]);
	free(inner);
	return 0;
}
