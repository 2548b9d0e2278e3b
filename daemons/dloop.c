/* um3n daemons — epoll, timerfd, signalfd and options. */
#include "dloop.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "dcommon.h"

int d_loop_init(struct d_loop *l)
{
	sigset_t set;

	memset(l, 0, sizeof(*l));
	l->ep = l->timer_fd = l->signal_fd = -1;
	l->armed_us = UINT64_MAX;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->ep < 0 || l->timer_fd < 0 || l->signal_fd < 0)
		return -errno;
	if (d_loop_watch(l, l->timer_fd, EPOLLIN, D_EV_DATA(D_TAG_TIMER, 0)) < 0 ||
	    d_loop_watch(l, l->signal_fd, EPOLLIN, D_EV_DATA(D_TAG_SIGNAL, 0)) < 0)
		return -errno;
	return 0;
}

void d_loop_close(struct d_loop *l)
{
	if (l->ep >= 0)
		close(l->ep);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	l->ep = l->timer_fd = l->signal_fd = -1;
}

int d_loop_watch(struct d_loop *l, int fd, unsigned events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	if (errno == EEXIST && epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	return -errno;
}

int d_loop_unwatch(struct d_loop *l, int fd)
{
	return epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

void d_loop_arm(struct d_loop *l, uint64_t wake_us)
{
	struct itimerspec its = { 0 };

	if (wake_us == l->armed_us)
		return;
	l->armed_us = wake_us;
	if (wake_us != UINT64_MAX) {
		/* Absolute 0 would disarm: a time in the past must still fire. */
		if (wake_us == 0)
			wake_us = 1;
		its.it_value.tv_sec = (time_t)(wake_us / 1000000u);
		its.it_value.tv_nsec = (long)(wake_us % 1000000u) * 1000;
	}
	timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void d_loop_timer_ack(struct d_loop *l)
{
	uint64_t n;

	if (read(l->timer_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		l->armed_us = UINT64_MAX; /* expired: the next arm must really set it */
}

int d_loop_signal(struct d_loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

int d_opts_parse(int argc, char **argv, const char *prog, const char *default_config,
		 struct d_opts *o)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->config = default_config;
	while ((opt = getopt(argc, argv, "c:nfh")) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'n': o->check_only = true; break;
		case 'f': o->foreground = true; break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [-c FILE] [-n] [-f]\n"
				"  -c FILE  configuration (default %s)\n"
				"  -n       check the configuration and exit (0 good, 2 bad)\n"
				"  -f       stay in the foreground, log to stderr\n",
				prog, default_config);
			return opt == 'h' ? 1 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument %s\n", prog, argv[optind]);
		return 2;
	}
	if (realpath(o->config, o->config_abs))
		o->config = o->config_abs;
	return 0;
}

int d_daemon_start(const char *prog, const struct d_opts *o, int log_level)
{
	d_log_init(prog, !o->foreground, log_level);
	if (!o->foreground && daemon(0, 0) < 0) {
		perror("daemon");
		return -1;
	}
	return 0;
}

static int poll_or_block(struct d_loop *l, struct epoll_event *evs, int max, unsigned spin_us)
{
	if (spin_us) {
		uint64_t until = d_now_us() + spin_us;

		do {
			int n = epoll_wait(l->ep, evs, max, 0);

			if (n != 0)
				return n;
			sched_yield();
		} while (d_now_us() < until);
	}
	return epoll_wait(l->ep, evs, max, -1);
}

int d_loop_wait(struct d_loop *l, struct epoll_event *evs, int max, unsigned spin_us)
{
	int n = poll_or_block(l, evs, max, l->data_seen ? spin_us : 0);

	l->data_seen = false;
	for (int i = 0; i < n; i++) {
		int tag = D_EV_TAG(evs[i].data.u64);

		if (tag == D_TAG_TUN || tag == D_TAG_UDP)
			l->data_seen = true;
	}
	return n;
}
