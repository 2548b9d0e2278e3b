/* pcap replay input (libpcap): selects IPv4 packets, strips the link layer. */
#include "pcapin.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "um3n.h"

#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_VLAN 0x8100

/* Offset of the IPv4 header inside a frame of this link type, or -1. */
static long ip_offset(int dlt, const uint8_t *p, size_t caplen)
{
	size_t off;

	switch (dlt) {
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
		off = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP: off = 4; break;
	case DLT_LINUX_SLL:
		if (caplen < 16 || um3n_get16(p + 14) != ETHERTYPE_IP4)
			return -1;
		off = 16;
		break;
	case DLT_EN10MB:
		off = 12;
		while (caplen >= off + 2 && um3n_get16(p + off) == ETHERTYPE_VLAN)
			off += 4;
		if (caplen < off + 2 || um3n_get16(p + off) != ETHERTYPE_IP4)
			return -1;
		off += 2;
		break;
	default: return -1;
	}
	if (caplen < off + SIM_IP4_HDR || (p[off] >> 4) != 4)
		return -1;
	return (long)off;
}

static int append(struct sim_pcapin *in, size_t *cap, size_t *data_cap, const uint8_t *ip,
		  uint32_t caplen, uint32_t len, uint64_t t_us)
{
	size_t need = (in->n ? in->off[in->n - 1] + in->len[in->n - 1] : 0) + len;

	if (in->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		size_t *o = realloc(in->off, c * sizeof(*o));
		uint32_t *l;
		uint64_t *t;

		if (!o)
			return UM3N_ENOMEM;
		in->off = o;
		l = realloc(in->len, c * sizeof(*l));
		if (!l)
			return UM3N_ENOMEM;
		in->len = l;
		t = realloc(in->t_us, c * sizeof(*t));
		if (!t)
			return UM3N_ENOMEM;
		in->t_us = t;
		*cap = c;
	}
	if (need > *data_cap) {
		size_t c = *data_cap ? *data_cap * 2 : 65536;
		uint8_t *d;

		while (c < need)
			c *= 2;
		d = realloc(in->data, c);
		if (!d)
			return UM3N_ENOMEM;
		in->data = d;
		*data_cap = c;
	}
	in->off[in->n] = need - len;
	in->len[in->n] = len;
	in->t_us[in->n] = t_us;
	memcpy(in->data + need - len, ip, caplen);
	/* Snapped packets are padded with zeros up to their IP length. */
	memset(in->data + need - len + caplen, 0, len - caplen);
	in->n++;
	return 0;
}

/* The IPv4 length to replay: the header's total length (Ethernet padding
 * dropped), within what was on the wire and what the engines carry; 0 = skip. */
static uint32_t ip_len(const uint8_t *ip, size_t wirelen)
{
	uint32_t tot = um3n_get16(ip + 2);

	if (tot < SIM_IP4_HDR || tot > wirelen || tot > SIM_PKT_BUF - 64)
		return 0;
	return tot;
}

static int read_all(pcap_t *pc, struct bpf_program *prog, bool filtered, struct sim_pcapin *in)
{
	struct pcap_pkthdr *h;
	const uint8_t *p;
	size_t cap = 0, data_cap = 0;
	uint64_t first_us = 0;
	int dlt = pcap_datalink(pc), rc;

	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		long off = ip_offset(dlt, p, h->caplen);
		uint64_t t = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		uint32_t len, caplen;

		if (off < 0 || (filtered && !pcap_offline_filter(prog, h, p))) {
			in->skipped++;
			continue;
		}
		len = ip_len(p + off, h->len - (size_t)off);
		caplen = h->caplen - (uint32_t)off;
		if (len == 0) {
			in->skipped++;
			continue;
		}
		if (in->n == 0)
			first_us = t;
		if (t < first_us)
			t = first_us; /* out-of-order timestamps: never go back in time */
		if (append(in, &cap, &data_cap, p + off, caplen < len ? caplen : len, len,
			   t - first_us))
			return UM3N_ENOMEM;
		in->span_us = t - first_us;
	}
	if (rc == PCAP_ERROR)
		snprintf(in->warning, sizeof(in->warning),
			 "capture ends early after %zu packets: %s", in->n, pcap_geterr(pc));
	return 0;
}

int sim_pcapin_load(const char *path, const char *filter, struct sim_pcapin *in, char *err,
		    size_t errcap)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	bool filtered = filter && filter[0];
	pcap_t *pc;
	int rc;

	memset(in, 0, sizeof(*in));
	pc = pcap_open_offline(path, ebuf);
	if (!pc) {
		snprintf(err, errcap, "%s: cannot read capture: %s", path, ebuf);
		return UM3N_ENOENT;
	}
	if (filtered && pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errcap, "%s: bad pcap_filter '%s': %s", path, filter,
			 pcap_geterr(pc));
		pcap_close(pc);
		return UM3N_EINVAL;
	}
	rc = read_all(pc, &prog, filtered, in);
	if (filtered)
		pcap_freecode(&prog);
	pcap_close(pc);
	if (rc == 0 && in->n == 0) {
		snprintf(err, errcap, "%s: no IPv4 packet matches the filter", path);
		rc = UM3N_EINVAL;
	}
	if (rc)
		sim_pcapin_free(in);
	return rc;
}

void sim_pcapin_free(struct sim_pcapin *in)
{
	free(in->data);
	free(in->off);
	free(in->len);
	free(in->t_us);
	memset(in, 0, sizeof(*in));
}
