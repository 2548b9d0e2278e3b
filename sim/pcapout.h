/* pcap files at the simulator's observation points (DLT_RAW, virtual time):
 *   mn-tun.pcap    inner packets at the MN's TUN device (both directions),
 *   ha-tun.pcap    inner packets at the HA's TUN side (both directions),
 *   link-NAME.pcap outer IPv4/UDP datagrams accepted by link NAME's queue
 *                  (both directions; headers synthesised, valid checksums).
 * With pcaps off (--no-pcap) nothing here is called per packet. */
#ifndef SIM_PCAPOUT_H
#define SIM_PCAPOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "um3n.h"

struct sim_pcapout {
	void *mn_tun, *ha_tun; /* pcap_dumper_t * */
	void *links[SIM_MAX_LINKS];
	void *dead; /* pcap_t * from pcap_open_dead */
	uint8_t scratch[4096];
	uint16_t ip_id;
	uint32_t snaplen; /* bytes kept per packet (the pcap records the full length) */
};

/* Opens DIR/mn-tun.pcap, DIR/ha-tun.pcap and DIR/link-NAME.pcap (sc NULL:
 * the two TUN files only, as um3n-ns3sim, whose links ns-3 captures); keeps
 * the first snaplen bytes of each packet (0 = all). Errors (err set):
 * UM3N_ENOENT. */
int sim_pcapout_open(struct sim_pcapout *po, const char *dir, const struct sim_scenario *sc,
		     uint32_t snaplen, char *err, size_t errcap);
void sim_pcapout_close(struct sim_pcapout *po);

void sim_pcapout_mn_tun(struct sim_pcapout *po, uint64_t t_us, const uint8_t *pkt, size_t len);
void sim_pcapout_ha_tun(struct sim_pcapout *po, uint64_t t_us, const uint8_t *pkt, size_t len);
/* One UDP datagram from -> to on link index `link`. */
void sim_pcapout_link(struct sim_pcapout *po, size_t link, uint64_t t_us,
		      const struct um3n_sockaddr *from, const struct um3n_sockaddr *to,
		      const uint8_t *payload, size_t len);

#endif
