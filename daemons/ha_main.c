/* um3n-ha — the home-agent daemon: the platform layer around the sans-IO HA
 * engine (core/ha.h). One UDP socket on port 434 serves every MN; a TUN device
 * faces the internet side: packets the MNs tunnel up are written to it and the
 * kernel forwards them; packets the kernel routes to a home address (a /32 on
 * the TUN per configured MN, add_routes = yes) are read from it and tunnelled
 * down; rtnetlink tells when they must be put back (the TUN went down and
 * up, someone deleted one). The operator enables forwarding and, if the home
 * addresses are private, NAT (um3n-ha(8)). */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dcommon.h"
#include "dconf.h"
#include "dctl.h"
#include "dfmt.h"
#include "dloop.h"
#include "dnet.h"
#include "dnl.h"
#include "droute.h"
#include "dreload.h"
#include "dtun.h"
#include "wire.h"

#define UDP_READ_BUDGET 4

struct ha_daemon {
	struct d_conf_ha cfg; /* key_ctx points here: replaced in place on reload */
	struct um3n_env env;
	struct um3n_ha *ha;
	struct d_loop loop;
	int udp_fd[2]; /* [0] on address, [1] on address6 (-1: none) */
	struct d_tun tun;
	struct d_ctl *ctl;
	struct d_nl *nl;
	int tun_ifindex;
	bool routes_dirty; /* add_routes: one of them may be gone */
	struct d_net_rx rx;
	struct d_net_batch tx[2]; /* per socket */
	uint64_t now_us;          /* clock read once per input batch */
	bool stopping;
	uint64_t udp_dropped;
};

static void drain(struct ha_daemon *d)
{
	struct um3n_out o;
	int s;

	while (um3n_ha_poll_output(d->ha, &o)) {
		if (o.kind == UM3N_OUT_TUN) {
			d_tun_write(&d->tun, o.data, o.len);
			continue;
		}
		if (o.kind != UM3N_OUT_UDP)
			continue;
		s = o.to.ip.family == UM3N_AF_INET6; /* only an IPv6 datagram's source */
		if (d->udp_fd[s] < 0) {
			d->udp_dropped++;
			continue;
		}
		if (!d_net_batch_add(&d->tx[s], &o.to, o.data, o.len)) {
			d->udp_dropped += d_net_batch_flush(d->udp_fd[s], &d->tx[s]);
			if (!d_net_batch_add(&d->tx[s], &o.to, o.data, o.len))
				d->udp_dropped++;
		}
	}
	for (s = 0; s < 2; s++)
		if (d->tx[s].n)
			d->udp_dropped += d_net_batch_flush(d->udp_fd[s], &d->tx[s]);
	d_tun_flush(&d->tun);
}

static void tun_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ha_daemon *d = ctx;

	um3n_ha_tun_input(d->ha, d->now_us, pkt, len);
}

static void drain_cb(void *ctx) { drain(ctx); }

/* Partial checksums for an MN that registered saying it completes them. The
 * home address is the destination: read once per (super-)packet. */
static bool tun_partial_ok(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ha_daemon *d = ctx;

	return len >= 20 && pkt[0] >> 4 == 4 &&
	       um3n_ha_peer_csum_partial(d->ha, um3n_get32(pkt + 16));
}

static void on_tun(struct ha_daemon *d)
{
	d_tun_pump(&d->tun, tun_packet, drain_cb, d, &d->now_us);
}

static void udp_dgram(void *ctx, const struct um3n_sockaddr *from, const uint8_t *buf, size_t len)
{
	struct ha_daemon *d = ctx;

	um3n_ha_udp_input(d->ha, d->now_us, from, buf, len);
}

static void on_udp(struct ha_daemon *d, int s)
{
	for (int round = 0; round < UDP_READ_BUDGET; round++) {
		int n;

		d->now_us = d_now_us();
		n = d_net_rx_recv(d->udp_fd[s], &d->rx, udp_dgram, d);
		drain(d);
		if (n < D_RX_BATCH)
			break;
	}
}

static void show(struct ha_daemon *d, bool json, struct d_str *r)
{
	struct um3n_ha_status st;
	struct um3n_ha_mn_status *mns;
	uint64_t now = d_now_us();
	size_t n = 0;

	um3n_ha_status(d->ha, now, &st);
	mns = calloc(st.n_mns ? st.n_mns : 1, sizeof(*mns));
	if (!mns) {
		d_str_printf(r, "error: out of memory\n");
		return;
	}
	for (size_t i = 0; i < st.n_mns; i++)
		if (um3n_ha_mn_status(d->ha, now, i, &mns[n]) == 0)
			n++;
	struct d_daemon_stats ds = {.offload = d->tun.vnet,
				    .busy_poll_us = d->cfg.busy_poll_us,
				    .udp_send_dropped = d->udp_dropped,
				    .tun_write_errors = d->tun.write_errors,
				    .bad_gso = d->tun.bad_gso};

	d_str_printf(r, "ok\n");
	d_fmt_ha_status(&st, mns, n, &ds, json, r);
	free(mns);
}

static void ctl_handle(void *ctx, char *line, struct d_str *r)
{
	struct ha_daemon *d = ctx;

	if (strcmp(line, "show") == 0 || strcmp(line, "show json") == 0)
		show(d, line[4] != '\0', r);
	else
		d_str_printf(r, "error: the HA knows only \"show\"\n");
}

/* One route into the TUN for p (an MN's home address or prefix). */
static void add_route(struct ha_daemon *d, int oif, const struct um3n_prefix *p)
{
	struct d_route r = {.table = RT_TABLE_MAIN, .plen = p->plen, .oif = oif};
	char a[64];
	int rc;

	if (p->addr.family == UM3N_AF_INET6) {
		r.family = AF_INET6;
		memcpy(r.dst6, p->addr.bytes, 16);
	} else {
		r.dst = um3n_addr_v4(&p->addr);
	}
	rc = d_route_replace(&r);
	if (rc < 0) {
		um3n_addr_format(&p->addr, a, sizeof(a));
		d_log(UM3N_LOG_WARN, "route for MN prefix %s/%u on %s: %s", a, p->plen, d->cfg.tun,
		      strerror(-rc));
	}
}

/* Every MN's home address and its home_address6 and prefix values. */
static void add_routes(struct ha_daemon *d)
{
	int oif = (int)if_nametoindex(d->cfg.tun);

	d->routes_dirty = false;
	for (size_t i = 0; oif && d->cfg.add_routes && i < d->cfg.n_mns; i++) {
		const struct d_conf_ha_mn *mn = &d->cfg.mns[i];
		struct um3n_prefix home = {.plen = 32};

		um3n_addr_from_v4(&home.addr, mn->home_addr);
		add_route(d, oif, &home);
		for (size_t k = 0; k < mn->n_prefixes; k++)
			add_route(d, oif, &mn->prefixes[k]);
	}
}

static void nl_link(void *ctx, int ifindex, const char *ifname, bool running)
{
	struct ha_daemon *d = ctx;

	if (strcmp(ifname, d->cfg.tun) != 0)
		return;
	/* Down took the TUN's routes with it; up is when they can go back. */
	if (running && d->tun_ifindex != ifindex)
		d->routes_dirty = true;
	d->tun_ifindex = running ? ifindex : 0;
}

static void nl_route(void *ctx, const struct d_route *r, bool added)
{
	struct ha_daemon *d = ctx;

	if (!added && r->table == RT_TABLE_MAIN && r->oif && r->oif == d->tun_ifindex)
		d->routes_dirty = true;
}

static int setup_tun(struct ha_daemon *d)
{
	unsigned mtu = d->cfg.mtu ? d->cfg.mtu
				  : 1500 - UM3N_OUTER_OVERHEAD_V4_ENC(d->cfg.ha.encrypt);

	bool offload = d->cfg.offload; /* cfg stays as written: reload compares it */

	if (d_tun_open(&d->tun, d->cfg.tun, &offload, 0, mtu) < 0)
		return -1;
	add_routes(d);
	d->tun.partial_ok = tun_partial_ok;
	d->cfg.ha.out_slot_size = d_tun_out_slot(mtu, d->cfg.ha.encrypt);
	return d_loop_watch(&d->loop, d->tun.fd, EPOLLIN, D_EV_DATA(D_TAG_TUN, 0));
}

/* Socket s on addr: the MNs' uplinks of its family reach the HA there. */
static int open_udp(struct ha_daemon *d, int s, const struct um3n_sockaddr *addr)
{
	char ip[48];

	um3n_addr_format(&addr->ip, ip, sizeof(ip));
	d->udp_fd[s] = d_net_udp_open(addr, NULL);
	if (d->udp_fd[s] < 0) {
		d_log(UM3N_LOG_ERR, "udp %s port %u: %s", ip, addr->port, strerror(-d->udp_fd[s]));
		return -1;
	}
	d->tx[s].gso = d->tun.vnet;
	if (d->tun.vnet && d_net_udp_enable_gro(d->udp_fd[s]) < 0)
		d_log(UM3N_LOG_WARN, "no UDP GRO on this kernel");
	d_loop_watch(&d->loop, d->udp_fd[s], EPOLLIN, D_EV_DATA(D_TAG_UDP, s));
	return 0;
}

static int setup(struct ha_daemon *d)
{
	char ip[48];

	if (d_loop_init(&d->loop) < 0)
		return -1;
	d_env_init(&d->env);
	d->cfg.ha.get_key = d_conf_ha_get_key;
	d->cfg.ha.key_ctx = &d->cfg;
	d->cfg.ha.get_prefixes = d_conf_ha_get_prefixes;
	/* The TUN first: whether it took the offloads decides what the engine
	 * tells the MNs (rx_csum_partial). */
	if (setup_tun(d) < 0)
		return -1;
	d->cfg.ha.rx_csum_partial = d->tun.vnet;
	d->ha = um3n_ha_new(&d->cfg.ha, &d->env);
	if (!d->ha)
		return -1;
	if (open_udp(d, 0, &d->cfg.ha.addr) < 0 ||
	    (d->cfg.addr6.ip.family && open_udp(d, 1, &d->cfg.addr6) < 0))
		return -1;
	d->ctl = d_ctl_open(d->cfg.control_socket, ctl_handle, d);
	if (!d->ctl)
		return -1;
	d_ctl_set_loop(d->ctl, &d->loop);
	d->nl = d_nl_open(&(struct d_nl_cb){.ctx = d, .link = nl_link, .route = nl_route});
	if (!d->nl)
		return -1;
	d_loop_watch(&d->loop, d_nl_fd(d->nl), EPOLLIN, D_EV_DATA(D_TAG_NL, 0));
	um3n_addr_format(&d->cfg.ha.addr.ip, ip, sizeof(ip));
	d_log(UM3N_LOG_INFO, "serving %zu MNs on %s:%u%s", d->cfg.n_mns, ip, d->cfg.ha.addr.port,
	      d->cfg.addr6.ip.family ? " and on address6" : "");
	return 0;
}

/* SIGHUP: every changed key is applied or logged as needing a restart
 * (dreload.c decides which). New keys and MNs take effect for the next
 * registration (the engine asks for keys through d_conf_ha_get_key). */
static void reload(struct ha_daemon *d)
{
	struct d_conf_ha nc;
	struct d_reload r;
	char err[D_ERR_MAX];

	if (d_conf_ha_load(d->cfg.path, &nc, err, sizeof(err)) < 0) {
		d_log(UM3N_LOG_ERR, "reload refused: %s", err);
		d_conf_ha_free(&nc);
		return;
	}
	d_reload_ha(&d->cfg, &nc, &r);
	if (r.engine && um3n_ha_conf_apply(d->ha, &nc.ha) < 0) {
		d_log(UM3N_LOG_ERR, "reload: refused by the engine, nothing applied");
		d_conf_ha_free(&nc);
		return;
	}
	d_reload_log(&r);
	d_reload_ha_take(&d->cfg, &nc);
	d_conf_ha_free(&nc);
	d_log_set_level(d->cfg.log_level);
	if (r.n)
		add_routes(d);
	if (r.mns)
		d_log(UM3N_LOG_INFO, "reload: %zu MNs configured", d->cfg.n_mns);
}

static void dispatch(struct ha_daemon *d, const struct epoll_event *ev)
{
	int sig;

	switch (D_EV_TAG(ev->data.u64)) {
	case D_TAG_TUN: on_tun(d); break;
	case D_TAG_UDP: on_udp(d, D_EV_IDX(ev->data.u64)); break;
	case D_TAG_NL:
		/* Events lost: check every route. */
		if (d_nl_read(d->nl) == -ENOBUFS)
			d->routes_dirty = true;
		break;
	case D_TAG_TIMER:
		d_loop_timer_ack(&d->loop);
		um3n_ha_timeout(d->ha, d_now_us());
		break;
	case D_TAG_SIGNAL:
		while ((sig = d_loop_signal(&d->loop)) != 0) {
			if (sig == SIGHUP) {
				reload(d);
			} else {
				d_log(UM3N_LOG_INFO, "signal %d: stopping", sig);
				d->stopping = true;
			}
		}
		break;
	case D_TAG_CTL: d_ctl_event(d->ctl, D_EV_IDX(ev->data.u64), ev->events); break;
	default: break;
	}
}

static int run(struct ha_daemon *d)
{
	struct epoll_event evs[16];

	while (!d->stopping) {
		int n;

		d_loop_arm(&d->loop, um3n_ha_next_wake_us(d->ha));
		n = d_loop_wait(&d->loop, evs, 16, d->cfg.busy_poll_us);
		if (n < 0 && errno != EINTR) {
			d_log(UM3N_LOG_ERR, "epoll: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++)
			dispatch(d, &evs[i]);
		if (d->routes_dirty)
			add_routes(d);
		drain(d);
	}
	return 0;
}

static void teardown(struct ha_daemon *d)
{
	d_tun_log_drops(&d->tun, d->udp_dropped);
	d_ctl_close(d->ctl);
	d_nl_close(d->nl);
	if (d->ha)
		um3n_ha_free(d->ha);
	for (int s = 0; s < 2; s++)
		if (d->udp_fd[s] >= 0)
			close(d->udp_fd[s]);
	d_tun_close(&d->tun);
	d_loop_close(&d->loop);
	d_conf_ha_free(&d->cfg);
}

int main(int argc, char **argv)
{
	static struct ha_daemon d = {.tun.fd = -1, .udp_fd = {-1, -1}};
	char err[D_ERR_MAX];
	struct d_opts o;
	int rc = d_opts_parse(argc, argv, "um3n-ha", "/etc/um3n/ha.conf", &o);

	if (rc)
		return rc == 1 ? 0 : rc;
	rc = d_conf_ha_load(o.config, &d.cfg, err, sizeof(err));
	if (rc < 0 && !(o.check_only && d_check_past_key(rc))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (o.check_only) {
		if (rc < 0)
			fprintf(stderr, "%s; the rest is good\n", err);
		d_conf_ha_free(&d.cfg);
		return 0;
	}
	if (d_daemon_start("um3n-ha", &o, d.cfg.log_level) < 0)
		return 1;
	rc = setup(&d) < 0 ? 1 : run(&d);
	teardown(&d);
	d_log(UM3N_LOG_INFO, "exiting (%d)", rc);
	return rc;
}
