/* um3n daemons — epoll, timerfd and signalfd. */
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
	struct epoll_event ev = {.events = events, .data.u64 = data};

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
	struct itimerspec its = {0};

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
