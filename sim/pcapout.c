/* pcap writers for the simulator (libpcap pcap_open_dead + pcap_dump). */
#include "pcapout.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pkt.h"

static void *open_one(pcap_t *dead, const char *dir, const char *name, char *err, size_t errcap)
{
	char path[SIM_PATH_MAX + 64];
	pcap_dumper_t *d;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = pcap_dump_open(dead, path);
	if (!d)
		snprintf(err, errcap, "%s: cannot write: %s", path, pcap_geterr(dead));
	return d;
}

int sim_pcapout_open(struct sim_pcapout *po, const char *dir, const struct sim_scenario *sc,
		     uint32_t snaplen, char *err, size_t errcap)
{
	char name[64];

	memset(po, 0, sizeof(*po));
	po->snaplen = snaplen && snaplen < 65535 ? snaplen : 65535;
	po->dead = pcap_open_dead(DLT_RAW, (int)po->snaplen);
	if (!po->dead) {
		snprintf(err, errcap, "pcap_open_dead failed");
		return UM3N_ENOENT;
	}
	po->mn_tun = open_one(po->dead, dir, "mn-tun.pcap", err, errcap);
	po->ha_tun = po->mn_tun ? open_one(po->dead, dir, "ha-tun.pcap", err, errcap) : NULL;
	if (!po->ha_tun)
		goto fail;
	for (size_t i = 0; sc && i < sc->n_links; i++) {
		snprintf(name, sizeof(name), "link-%s.pcap", sc->links[i].name);
		po->links[i] = open_one(po->dead, dir, name, err, errcap);
		if (!po->links[i])
			goto fail;
	}
	return 0;
fail:
	sim_pcapout_close(po);
	return UM3N_ENOENT;
}

void sim_pcapout_close(struct sim_pcapout *po)
{
	if (po->mn_tun)
		pcap_dump_close(po->mn_tun);
	if (po->ha_tun)
		pcap_dump_close(po->ha_tun);
	for (size_t i = 0; i < SIM_MAX_LINKS; i++)
		if (po->links[i])
			pcap_dump_close(po->links[i]);
	if (po->dead)
		pcap_close(po->dead);
	memset(po, 0, sizeof(*po));
}

static void dump(void *dumper, uint32_t snaplen, uint64_t t_us, const uint8_t *pkt, size_t len)
{
	struct pcap_pkthdr h;

	if (!dumper)
		return;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < snaplen ? len : snaplen);
	pcap_dump(dumper, &h, pkt);
}

void sim_pcapout_mn_tun(struct sim_pcapout *po, uint64_t t_us, const uint8_t *pkt, size_t len)
{
	dump(po->mn_tun, po->snaplen, t_us, pkt, len);
}

void sim_pcapout_ha_tun(struct sim_pcapout *po, uint64_t t_us, const uint8_t *pkt, size_t len)
{
	dump(po->ha_tun, po->snaplen, t_us, pkt, len);
}

void sim_pcapout_link(struct sim_pcapout *po, size_t link, uint64_t t_us,
		      const struct um3n_sockaddr *from, const struct um3n_sockaddr *to,
		      const uint8_t *payload, size_t len)
{
	size_t total;

	if (link >= SIM_MAX_LINKS || !po->links[link] ||
	    len + SIM_IP4_HDR + SIM_UDP_HDR > sizeof(po->scratch))
		return;
	memcpy(po->scratch + SIM_IP4_HDR + SIM_UDP_HDR, payload, len);
	total = sim_build_udp4(po->scratch, um3n_addr_v4(&from->ip), from->port,
			       um3n_addr_v4(&to->ip), to->port, len, po->ip_id++, true);
	dump(po->links[link], po->snaplen, t_us, po->scratch, total);
}
