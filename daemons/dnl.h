/* um3n daemons — rtnetlink through libmnl: a monitor that turns carrier and
 * address and route changes into callbacks (no polling). */
#ifndef UM3N_DNL_H
#define UM3N_DNL_H

#include <stdbool.h>
#include <stdint.h>

struct d_nl;
struct um3n_addr;
struct d_route;
struct d_nl_cb {
	void *ctx;
	/* link changed: running = IFF_UP and IFF_LOWER_UP (carrier) */
	void (*link)(void *ctx, int ifindex, const char *ifname, bool running);
	void (*link_gone)(void *ctx, int ifindex);
	/* an address added (added = true) or removed on ifindex: IPv4, or a
	 * global IPv6 one usable as a source (not tentative, not failed
	 * duplicate detection, not temporary or deprecated); NULL: not wanted */
	void (*addr)(void *ctx, int ifindex, const struct um3n_addr *a, bool added);
	/* an IPv4 route of any table added (or replaced) or removed; NULL:
	 * not wanted. Not part of the dump: routes are read with d_route_dump. */
	void (*route)(void *ctx, const struct d_route *r, bool added);
};
/* Opens, subscribes to link and address groups, and dumps the current
 * state through the callbacks. NULL on error (logged). */
struct d_nl *d_nl_open(const struct d_nl_cb *cb);
int d_nl_fd(const struct d_nl *nl);
/* Reads every pending message and runs the callbacks. 0 or -errno; -ENOBUFS
 * means events were lost: the caller re-dumps with d_nl_resync(). */
int d_nl_read(struct d_nl *nl);
int d_nl_resync(struct d_nl *nl);
void d_nl_close(struct d_nl *nl);

#endif
