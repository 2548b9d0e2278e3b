/* pcap replay input: the IPv4 packets of a capture that match a BPF filter,
 * with their relative times, loaded once into memory (captures used as
 * traffic are small). A capture that ends in the middle of a packet keeps
 * what came before and says so in `warning`. */
#ifndef SIM_PCAPIN_H
#define SIM_PCAPIN_H

#include <stddef.h>
#include <stdint.h>

struct sim_pcapin {
	uint8_t *data; /* packets back to back */
	size_t *off;
	uint32_t *len;
	uint64_t *t_us; /* relative to the first selected packet */
	size_t n;
	uint64_t span_us;  /* last - first */
	size_t skipped;    /* not IPv4, unsupported link type or filtered out */
	char warning[256]; /* non-fatal: truncated capture */
};

/* filter may be NULL or "" (every IPv4 packet). Errors (err = "PATH: ..."):
 * UM3N_ENOENT (cannot open / not a capture), UM3N_EINVAL (bad filter, no
 * packet selected), UM3N_ENOMEM. */
int sim_pcapin_load(const char *path, const char *filter, struct sim_pcapin *in, char *err,
		    size_t errcap);
void sim_pcapin_free(struct sim_pcapin *in);

#endif
