/* um3n-mn — the mobile-node daemon: the platform layer around the sans-IO MN
 * engine (core/mn.h). One epoll loop: the TUN device the apps route into, one
 * UDP socket per uplink (bound to its care-of address, pinned with
 * SO_BINDTODEVICE, marked for its routing table: dmnrt.h), rtnetlink for
 * carrier/address/route changes, a timerfd at the engine's next_wake_us,
 * signals, and the control socket for um3nctl. */
#include <errno.h>
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
#include "dmnrt.h"
#include "dnet.h"
#include "dnl.h"
#include "dreload.h"
#include "dtun.h"
#include "dupcmd.h"
#include "wire.h"

#define UDP_READ_BUDGET 4        /* recvmmsg batches per wake-up and socket */
#define SHUTDOWN_GRACE_US 300000 /* wait for deregistration replies */

struct uplink_rt {
	int ifindex;          /* 0 until netlink names it */
	bool running;         /* IFF_UP and carrier */
	bool told_up;         /* the engine was told: running, and its up_command done */
	struct um3n_addr coa; /* current care-of address (`family`'s); family 0: none */
	int fd;               /* UDP socket bound to coa, -1 if none */
	struct d_net_batch *tx;
};

struct mn_daemon {
	struct d_conf_mn cfg;
	struct um3n_env env;
	struct um3n_mn *mn;
	struct um3n_policy *policy;
	struct d_loop loop;
	struct d_tun tun;
	struct d_nl *nl;
	bool nl_resync;
	struct d_mnrt rt;
	bool rt_started; /* our tables and rules may exist: remove them at exit */
	struct d_ctl *ctl;
	struct uplink_rt up[UM3N_MAX_LINKS];
	struct d_upcmd cmd[UM3N_MAX_LINKS]; /* up_command / down_command */
	struct d_net_rx rx;
	int rx_link;     /* uplink of the datagrams being delivered */
	uint64_t now_us; /* clock read once per input batch */
	bool stopping;
	uint64_t stop_at_us;
	uint64_t udp_dropped;
};

static const char *ifnames[UM3N_MAX_LINKS];

/* ---- engine output ---------------------------------------------------- */

static void flush_all(struct mn_daemon *d)
{
	for (size_t i = 0; i < d->cfg.mn.n_links; i++)
		if (d->up[i].tx->n)
			d->udp_dropped += d_net_batch_flush(d->up[i].fd, d->up[i].tx);
}

static void sock_close(struct mn_daemon *d, int i)
{
	if (d->up[i].fd < 0)
		return;
	d_loop_unwatch(&d->loop, d->up[i].fd);
	close(d->up[i].fd);
	d->up[i].fd = -1;
}

/* The uplink's socket on its care-of address u->coa, replacing the old one;
 * *local gets its port. No engine call: this runs while outputs are drained. */
static bool sock_open(struct mn_daemon *d, int i, struct um3n_sockaddr *local)
{
	struct uplink_rt *u = &d->up[i];
	int fd;

	local->ip = u->coa;
	fd = d_net_uplink_open(d->cfg.mn.links[i].name, d->cfg.uplinks[i].ifname, local,
			       d_mnrt_mark(&d->rt), d->tun.vnet);
	if (fd < 0)
		return false;
	sock_close(d, i);
	u->fd = fd;
	u->tx->gso = d->tun.vnet;
	d_loop_watch(&d->loop, fd, EPOLLIN, D_EV_DATA(D_TAG_UDP, i));
	return true;
}

static void out_udp(struct mn_daemon *d, const struct um3n_out *o)
{
	struct um3n_sockaddr local = {0};
	struct uplink_rt *u;

	if (o->link < 0 || (size_t)o->link >= d->cfg.mn.n_links)
		return;
	u = &d->up[o->link];
	/* a cold standby brought up (its up_command done): its socket first */
	if (u->fd < 0 && u->coa.family && d_upcmd_ready(&d->cmd[o->link]))
		sock_open(d, o->link, &local);
	if (u->fd < 0) {
		d->udp_dropped++;
		return;
	}
	if (!d_net_batch_add(u->tx, &o->to, o->data, o->len)) {
		d->udp_dropped += d_net_batch_flush(u->fd, u->tx);
		if (!d_net_batch_add(u->tx, &o->to, o->data, o->len))
			d->udp_dropped++;
	}
}

/* The engine sees an uplink's carrier once its up_command (if any) is done:
 * a modem's interface may come up before its connection does. */
static void carrier(struct mn_daemon *d, int i)
{
	struct uplink_rt *u = &d->up[i];
	bool up = u->running && d_upcmd_ready(&d->cmd[i]);

	if (up == u->told_up)
		return;
	u->told_up = up;
	um3n_mn_link_event(d->mn, d_now_us(), i, up ? UM3N_LINK_EV_UP : UM3N_LINK_EV_DOWN, 0);
}

/* Runs what the engine's wish for each uplink calls for (dupcmd.h), collects
 * what ended (woken by its pidfd or its deadline), and tells the engine of the
 * carriers that changes. */
static void commands(struct mn_daemon *d)
{
	for (size_t i = 0; i < d->cfg.mn.n_links; i++) {
		struct d_upcmd *c = &d->cmd[i];

		d_upcmd_poll(c, d_now_us());
		if (d_upcmd_sync(c, um3n_mn_link_wanted(d->mn, (int)i), d_now_us()))
			d_loop_watch(&d->loop, c->run.pidfd, EPOLLIN, D_EV_DATA(D_TAG_CMD, i));
		carrier(d, (int)i);
	}
}

/* Drains the engine's output queue: TUN packets go to the coalescer and
 * datagrams into per-uplink batches, both by reference; everything is flushed
 * before returning, because the engine's output buffers are only valid until
 * it is next fed (engine.h). */
static void drain(struct mn_daemon *d)
{
	struct um3n_out o;

	commands(d);
	while (um3n_mn_poll_output(d->mn, &o)) {
		if (o.kind == UM3N_OUT_TUN) {
			d_tun_write(&d->tun, o.data, o.len);
		} else if (o.kind == UM3N_OUT_UDP) {
			out_udp(d, &o);
		}
	}
	flush_all(d);
	d_tun_flush(&d->tun);
	for (size_t i = 0; i < d->cfg.mn.n_links; i++)
		if (d->up[i].fd >= 0 && !um3n_mn_link_wanted(d->mn, (int)i)) {
			d_log(UM3N_LOG_INFO, "uplink %s: released (cold standby): socket closed",
			      d->cfg.mn.links[i].name);
			sock_close(d, (int)i);
		}
}

/* ---- uplinks: sockets and netlink ------------------------------------- */

static int uplink_by_ifindex(struct mn_daemon *d, int ifindex)
{
	for (size_t i = 0; i < d->cfg.mn.n_links; i++)
		if (d->up[i].ifindex == ifindex)
			return (int)i;
	return -1;
}

static void uplink_close(struct mn_daemon *d, int i)
{
	struct um3n_sockaddr none = {0};

	sock_close(d, i);
	memset(&d->up[i].coa, 0, sizeof(d->up[i].coa));
	d_mnrt_uplink_addr(&d->rt, (size_t)i, 0);
	um3n_mn_link_addr(d->mn, d_now_us(), i, &none);
}

/* A cold standby (uplinks = one) gets no socket until the engine wants it.
 * An IPv6 uplink has no table of its own (dmnrt.h): its socket, pinned to
 * the device, follows the main table's IPv6 routes (router advertisements). */
static void uplink_open(struct mn_daemon *d, int i, const struct um3n_addr *a)
{
	struct um3n_sockaddr local = {0};

	d->up[i].coa = *a;
	if (um3n_mn_link_wanted(d->mn, i) && d_upcmd_ready(&d->cmd[i]) &&
	    !sock_open(d, i, &local)) {
		memset(&d->up[i].coa, 0, sizeof(d->up[i].coa)); /* the next event tries again */
		return;
	}
	local.ip = *a;
	d_mnrt_uplink_addr(&d->rt, (size_t)i, a->family == UM3N_AF_INET ? um3n_addr_v4(a) : 0);
	/* The engine re-registers at once when the address changes. */
	um3n_mn_link_addr(d->mn, d_now_us(), i, &local);
}

static void nl_link(void *ctx, int ifindex, const char *ifname, bool running)
{
	struct mn_daemon *d = ctx;

	d_mnrt_link(&d->rt, ifindex, ifname, running);
	for (size_t i = 0; i < d->cfg.mn.n_links; i++) {
		struct uplink_rt *u = &d->up[i];

		if (strcmp(d->cfg.uplinks[i].ifname, ifname) != 0)
			continue;
		u->ifindex = ifindex;
		if (u->running == running)
			return;
		u->running = running;
		d_log(UM3N_LOG_INFO, "uplink %s: %s %s", d->cfg.mn.links[i].name, ifname,
		      running ? "carrier up" : "carrier down");
		if (!running)
			d_upcmd_carrier_lost(&d->cmd[i]);
		carrier(d, (int)i);
		return;
	}
}

static void nl_link_gone(void *ctx, int ifindex)
{
	struct mn_daemon *d = ctx;
	int i = uplink_by_ifindex(d, ifindex);

	if (i < 0)
		return;
	d_log(UM3N_LOG_WARN, "uplink %s: interface removed", d->cfg.mn.links[i].name);
	d_mnrt_link(&d->rt, 0, d->cfg.uplinks[i].ifname, false);
	d->up[i].ifindex = 0;
	d->up[i].running = false;
	uplink_close(d, i);
	carrier(d, i);
}

/* An address of the uplink's family (`family =`) came or went. */
static void nl_addr(void *ctx, int ifindex, const struct um3n_addr *a, bool added)
{
	struct mn_daemon *d = ctx;
	int i = uplink_by_ifindex(d, ifindex);

	if (i < 0 || (a->family == UM3N_AF_INET6) != d->cfg.uplinks[i].ipv6)
		return;
	if (added && !d->up[i].coa.family) {
		uplink_open(d, i, a);
	} else if (!added && um3n_addr_eq(&d->up[i].coa, a)) {
		d_log(UM3N_LOG_INFO, "uplink %s: care-of address removed", d->cfg.mn.links[i].name);
		uplink_close(d, i);
		d->nl_resync = true; /* pick up another address the interface may have */
	}
}

static void nl_route(void *ctx, const struct d_route *r, bool added)
{
	struct mn_daemon *d = ctx;

	d_mnrt_route(&d->rt, r, added);
}

/* ---- input ------------------------------------------------------------ */

static void tun_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct mn_daemon *d = ctx;

	um3n_mn_tun_input(d->mn, d->now_us, pkt, len);
}

static void drain_cb(void *ctx) { drain(ctx); }

/* Every packet goes to the one HA: partial checksums when it takes them. */
static bool tun_partial_ok(void *ctx, const uint8_t *pkt, size_t len)
{
	struct mn_daemon *d = ctx;

	(void)pkt, (void)len;
	return um3n_mn_peer_csum_partial(d->mn);
}

static void on_tun(struct mn_daemon *d)
{
	d_tun_pump(&d->tun, tun_packet, drain_cb, d, &d->now_us);
}

static void udp_dgram(void *ctx, const struct um3n_sockaddr *from, const uint8_t *buf, size_t len)
{
	struct mn_daemon *d = ctx;

	um3n_mn_udp_input(d->mn, d->now_us, d->rx_link, from, buf, len);
}

static void on_udp(struct mn_daemon *d, int i)
{
	for (int round = 0; round < UDP_READ_BUDGET && d->up[i].fd >= 0; round++) {
		int n;

		d->now_us = d_now_us();
		d->rx_link = i;
		n = d_net_rx_recv(d->up[i].fd, &d->rx, udp_dgram, d);
		drain(d);
		if (n < D_RX_BATCH)
			break;
	}
}

/* ---- control socket ---------------------------------------------------- */

static void ctl_handle(void *ctx, char *line, struct d_str *r)
{
	struct mn_daemon *d = ctx;
	struct um3n_mn_status st;
	const char *why;
	char *name, what[32];
	int ev, arg, idx;

	if (strcmp(line, "show") == 0 || strcmp(line, "show json") == 0) {
		struct d_daemon_stats ds = {.offload = d->tun.vnet,
					    .busy_poll_us = d->cfg.busy_poll_us,
					    .udp_send_dropped = d->udp_dropped,
					    .tun_write_errors = d->tun.write_errors,
					    .bad_gso = d->tun.bad_gso,
					    .policy = d->policy};

		um3n_mn_status(d->mn, d_now_us(), &st);
		d_str_printf(r, "ok\n");
		d_fmt_mn_status(&st, ifnames, &ds, line[4] != '\0', r);
		return;
	}
	if (d_ctl_parse_link(line, &name, &ev, &arg, &why) < 0) {
		d_str_printf(r, "error: %s\n", strncmp(line, "link", 4) ? "unknown command" : why);
		return;
	}
	idx = um3n_mn_link_index(d->mn, name);
	if (idx < 0) {
		d_str_printf(r, "error: no uplink named %s\n", name);
		return;
	}
	d_log(UM3N_LOG_INFO, "control: link %s %s", name,
	      d_ctl_link_what(ev, arg, what, sizeof(what)));
	um3n_mn_link_event(d->mn, d_now_us(), idx, (enum um3n_link_ev)ev, arg);
	drain(d);
	d_str_printf(r, "ok\n");
}

/* ---- set-up, reload, shutdown ------------------------------------------ */

static int setup_tun(struct mn_daemon *d)
{
	/* an IPv6 outer header is 20 bytes longer than IPv4's */
	unsigned path = d->cfg.mtu ? d->cfg.mtu
				   : d_net_lowest_mtu(ifnames, d->cfg.mn.n_links) -
					     UM3N_OUTER_OVERHEAD_V4_ENC(d->cfg.mn.encrypt) -
					     (d_conf_mn_ipv6_uplinks(&d->cfg) ? 20 : 0);
	unsigned mtu = d_tun_mtu(d->cfg.tun, path, d->cfg.mn.home_addr6.family == UM3N_AF_INET6);
	bool offload = d->cfg.offload; /* cfg stays as written: reload compares it */

	if (d_tun_open(&d->tun, d->cfg.tun, &offload, um3n_addr_v4(&d->cfg.mn.home_addr), mtu) < 0)
		return -1;
	d->cfg.mn.path_mtu = path;
	d->tun.partial_ok = tun_partial_ok;
	d->cfg.mn.out_slot_size = d_tun_out_slot(mtu, d->cfg.mn.encrypt);
	return d_loop_watch(&d->loop, d->tun.fd, EPOLLIN, D_EV_DATA(D_TAG_TUN, 0));
}

static int setup_engine(struct mn_daemon *d)
{
	d_env_init(&d->env);
	d->policy = d_conf_policy_build(&d->cfg, &d->env, 1);
	if (!d->policy) {
		d_log(UM3N_LOG_ERR, "%s: [policy] rejected by the engine", d->cfg.path);
		return -1;
	}
	d->cfg.mn.policy = d->policy;
	d->cfg.mn.ident_base = d_ident_base();
	d->cfg.mn.rx_csum_partial = d->tun.vnet;
	d->mn = um3n_mn_new(&d->cfg.mn, &d->env);
	return d->mn ? 0 : -1;
}

static int setup(struct mn_daemon *d)
{
	struct d_nl_cb cb = {d, nl_link, nl_link_gone, nl_addr, nl_route};
	const char *names[UM3N_MAX_LINKS];

	for (size_t i = 0; i < d->cfg.mn.n_links; i++) {
		names[i] = d->cfg.mn.links[i].name;
		d->up[i].fd = -1;
		d->up[i].tx = calloc(1, sizeof(struct d_net_batch));
		if (!d->up[i].tx)
			return -1;
		ifnames[i] = d->cfg.uplinks[i].ifname;
		d_upcmd_init(&d->cmd[i], names[i], &d->cfg.uplinks[i].up_cmd,
			     &d->cfg.uplinks[i].down_cmd, d->cfg.uplinks[i].cmd_timeout_ms);
	}
	/* The TUN first: whether it took the offloads decides what the engine
	 * tells the HA (rx_csum_partial). */
	if (d_loop_init(&d->loop) < 0 || setup_tun(d) < 0 || setup_engine(d) < 0)
		return -1;
	d->ctl = d_ctl_open(d->cfg.control_socket, ctl_handle, d);
	if (!d->ctl)
		return -1;
	d_ctl_set_loop(d->ctl, &d->loop);
	d_mnrt_init(&d->rt, um3n_addr_v4(&d->cfg.mn.ha.ip), names, ifnames, d->cfg.mn.n_links,
		    d->cfg.tun, &d->cfg.routes, &d->cfg.mn.home_addr6);
	d_mnrt_start(&d->rt);
	d->rt_started = true;
	/* The dump inside d_nl_open reports current carrier and addresses. */
	d->nl = d_nl_open(&cb);
	if (!d->nl)
		return -1;
	d_loop_watch(&d->loop, d_nl_fd(d->nl), EPOLLIN, D_EV_DATA(D_TAG_NL, 0));
	d_mnrt_sync(&d->rt);
	drain(d);
	return 0;
}

/* SIGHUP: every changed key is applied or logged as needing a restart
 * (dreload.c decides which); an unchanged file changes nothing. A new policy
 * becomes a new version, sent to the HA by re-registration. */
static void reload(struct mn_daemon *d)
{
	struct d_conf_mn nc;
	struct d_reload r;
	struct um3n_policy *np = NULL;
	char err[D_ERR_MAX];
	uint32_t version = um3n_policy_version(d->policy) + 1;
	bool policy_ok = false;

	if (d_conf_mn_load(d->cfg.path, &nc, err, sizeof(err)) < 0) {
		d_log(UM3N_LOG_ERR, "reload refused: %s", err);
		d_conf_mn_free(&nc);
		return;
	}
	d_reload_mn(&d->cfg, &nc, &r);
	if (r.engine && um3n_mn_conf_apply(d->mn, &nc.mn) < 0) {
		d_log(UM3N_LOG_ERR, "reload: refused by the engine, nothing applied");
		d_conf_mn_free(&nc);
		return;
	}
	d_reload_log(&r);
	d_mnrt_set_routes(&d->rt, &nc.routes);
	if (r.policy)
		np = d_conf_policy_build(&nc, &d->env, version);
	if (np && um3n_mn_set_policy(d->mn, d_now_us(), np) == 0) {
		um3n_policy_free(d->policy);
		d->policy = np;
		d->cfg.mn.policy = np; /* as at start (the engine keeps its own copy) */
		policy_ok = true;
		d_log(UM3N_LOG_INFO, "reload: policy version %u, %zu rules", version, nc.n_rules);
	} else if (r.policy) {
		d_log(UM3N_LOG_ERR, "reload: policy rejected, keeping version %u",
		      um3n_policy_version(d->policy));
		if (np)
			um3n_policy_free(np);
	}
	d_reload_mn_take(&d->cfg, &nc, policy_ok);
	d_log_set_level(d->cfg.log_level);
	d_conf_mn_free(&nc);
	drain(d);
}

static void on_signal(struct mn_daemon *d)
{
	int sig;

	while ((sig = d_loop_signal(&d->loop)) != 0) {
		if (sig == SIGHUP) {
			d_log(UM3N_LOG_INFO, "SIGHUP: reloading %s", d->cfg.path);
			reload(d);
		} else if (!d->stopping) {
			d_log(UM3N_LOG_INFO, "signal %d: deregistering", sig);
			d->stopping = true;
			d->stop_at_us = d_now_us() + SHUTDOWN_GRACE_US;
			um3n_mn_shutdown(d->mn, d_now_us());
			drain(d);
		}
	}
}

static void dispatch(struct mn_daemon *d, const struct epoll_event *ev)
{
	switch (D_EV_TAG(ev->data.u64)) {
	case D_TAG_TUN: on_tun(d); break;
	case D_TAG_UDP: on_udp(d, D_EV_IDX(ev->data.u64)); break;
	case D_TAG_NL:
		if (d_nl_read(d->nl) == -ENOBUFS)
			d->nl_resync = true;
		break;
	case D_TAG_TIMER:
		d_loop_timer_ack(&d->loop);
		um3n_mn_timeout(d->mn, d_now_us());
		break;
	case D_TAG_SIGNAL: on_signal(d); break;
	case D_TAG_CTL: d_ctl_event(d->ctl, D_EV_IDX(ev->data.u64), ev->events); break;
	default: break;
	}
}

static int run(struct mn_daemon *d)
{
	struct epoll_event evs[16];

	for (;;) {
		uint64_t wake = um3n_mn_next_wake_us(d->mn);
		int n;

		for (size_t i = 0; i < d->cfg.mn.n_links; i++)
			if (d_upcmd_next_us(&d->cmd[i]) < wake)
				wake = d_upcmd_next_us(&d->cmd[i]);
		if (d->stopping) {
			if (d_now_us() >= d->stop_at_us)
				return 0;
			if (wake > d->stop_at_us)
				wake = d->stop_at_us;
		}
		d_loop_arm(&d->loop, wake);
		n = d_loop_wait(&d->loop, evs, 16, d->cfg.busy_poll_us);
		if (n < 0 && errno != EINTR) {
			d_log(UM3N_LOG_ERR, "epoll: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++)
			dispatch(d, &evs[i]);
		if (d->nl_resync) {
			d->nl_resync = false;
			d_nl_resync(d->nl);
		}
		/* Before drain: a registration the events queued leaves on the
		 * route they put back. */
		d_mnrt_sync(&d->rt);
		drain(d);
	}
}

static void teardown(struct mn_daemon *d)
{
	d_tun_log_drops(&d->tun, d->udp_dropped);
	d_ctl_close(d->ctl);
	d_nl_close(d->nl);
	if (d->rt_started)
		d_mnrt_stop(&d->rt);
	for (size_t i = 0; i < d->cfg.mn.n_links; i++) {
		sock_close(d, (int)i);
		free(d->up[i].tx);
		d_upcmd_stop(&d->cmd[i]);
	}
	if (d->mn)
		um3n_mn_free(d->mn);
	if (d->policy)
		um3n_policy_free(d->policy);
	d_tun_close(&d->tun);
	d_loop_close(&d->loop);
	d_conf_mn_free(&d->cfg);
}

int main(int argc, char **argv)
{
	static struct mn_daemon d = {.tun.fd = -1};
	char err[D_ERR_MAX];
	struct d_opts o;
	int rc = d_opts_parse(argc, argv, "um3n-mn", "/etc/um3n/mn.conf", &o);

	if (rc)
		return rc == 1 ? 0 : rc;
	rc = d_conf_mn_load(o.config, &d.cfg, err, sizeof(err));
	if (rc < 0 && !(o.check_only && d_check_past_key(rc))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (o.check_only)
		return d_conf_mn_check_exit(&d.cfg, o.config, rc, err);
	if (d_daemon_start("um3n-mn", &o, d.cfg.log_level) < 0)
		return 1;
	rc = setup(&d) < 0 ? 1 : run(&d);
	teardown(&d);
	d_log(UM3N_LOG_INFO, "exiting (%d)", rc);
	return rc;
}
