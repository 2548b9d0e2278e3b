/* A tiny in-memory network for engine tests: one MN and one HA engine wired back
 * to back over N links with a fixed one-way delay each, a drop filter, and a
 * virtual clock. Drives timers exactly as a driver would (next_wake_us). */
#ifndef UM3N_PAIRNET_H
#define UM3N_PAIRNET_H

#include "ha.h"
#include "mn.h"

#define PAIRNET_MAX_INFLIGHT 65536
#define PAIRNET_PKT_MAX 2048

enum pairnet_dir { TO_HA = 0, TO_MN = 1 };

struct pairnet_pkt {
	uint64_t at_us;
	int dir, link;
	uint16_t len;
	uint8_t data[PAIRNET_PKT_MAX];
};

struct pairnet;
/* Return true to drop the datagram (dir, link, bytes). */
typedef bool (*pairnet_drop_fn)(struct pairnet *net, int dir, int link, const uint8_t *d,
				size_t len);
/* A packet left a TUN device: dir TO_MN at the MN's, TO_HA at the HA's. */
typedef void (*pairnet_tun_fn)(struct pairnet *net, int dir, const uint8_t *pkt, size_t len);

struct pairnet {
	uint64_t now_us;
	struct um3n_mn *mn;
	struct um3n_ha *ha;
	struct um3n_mn_conf mn_conf;
	struct um3n_ha_conf ha_conf;
	struct um3n_env env;
	uint64_t delay_us[UM3N_MAX_LINKS];
	bool link_cut[UM3N_MAX_LINKS]; /* silently drop everything both ways */
	pairnet_drop_fn drop;
	pairnet_tun_fn on_tun; /* optional */
	void *user;
	struct pairnet_pkt *q; /* unordered; small enough for tests */
	size_t nq;
	/* what came out of the tunnels */
	uint64_t mn_tun_pkts, ha_tun_pkts;
	uint64_t mn_tun_by_link[UM3N_MAX_LINKS]; /* downlink data per link, from the MN's view */
	uint64_t ha_rx_by_link[UM3N_MAX_LINKS];  /* uplink data per link at the HA */
	uint64_t last_mn_tun_us;
	uint8_t last_ha_tun[PAIRNET_PKT_MAX];
	size_t last_ha_tun_len;
	uint64_t rrp_codes[256]; /* replies seen by the MN, by code */
	uint64_t dropped;
};

extern const uint8_t pairnet_key[32];

/* Two links: 0 "cell" (class cell, 50 ms one way), 1 "wifi" (class wifi, 5 ms).
 * The MN's policy: 10.9.2.0/24 -> cell, default wifi. Policy may be NULL to keep
 * that default; the HA serves 10.200.0.2 with pairnet_key. */
void pairnet_init(struct pairnet *net, const struct um3n_policy *policy);
void pairnet_start(struct pairnet *net); /* creates the engines, links up */
void pairnet_fini(struct pairnet *net);
/* Runs the clock to `until_us`, delivering datagrams and firing timers. */
void pairnet_run(struct pairnet *net, uint64_t until_us);
/* Zeroes total bytes of buf and writes an IPv4 header (20 bytes, TTL 64, its
 * checksum) of a packet of that length carrying proto; returns total. */
size_t pairnet_ip4_header(uint8_t *buf, size_t total, uint8_t proto, uint32_t src, uint32_t dst);
/* A UDP-in-IPv4 packet src -> dst with payload length; returns its length. */
size_t pairnet_ip_packet(uint8_t *buf, uint32_t src, uint32_t dst, size_t payload_len);
/* Injects a raw datagram to the HA as if from link's care-of address. */
int pairnet_inject_to_ha(struct pairnet *net, int link, const uint8_t *d, size_t len);
uint32_t pairnet_v4(const char *text);
/* The HA's address link talks to: ha6 when its care-of address is IPv6. */
const struct um3n_sockaddr *pairnet_ha_of(const struct pairnet *net, int link);

/* The paper's policy: 10.9.2.0/24 (the video server) over cell, the rest
 * over wifi; pairnet_start_paper: pairnet_init + pairnet_start with it. */
struct um3n_policy *pairnet_paper_policy(const struct um3n_env *env);
void pairnet_start_paper(struct pairnet *net);
/* Asserts that the HA holds one MN with `want` bindings (none when 0). */
void pairnet_check_bindings(struct pairnet *net, size_t want);
/* n 1000-byte packets from the apps to dst (up) / from src to the MN (down). */
void pairnet_send_up(struct pairnet *net, const char *dst, int n);
void pairnet_send_down(struct pairnet *net, const char *src, int n);
/* A pairnet_drop_fn that loses everything sent to the HA. */
bool pairnet_drop_all_to_ha(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len);

#endif
