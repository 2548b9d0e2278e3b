/* um3n daemons — the event loop plumbing shared by um3n-mn and um3n-ha: one
 * epoll set, a timerfd armed at the engine's next_wake_us, a signalfd for
 * SIGTERM/SIGINT/SIGHUP. */
#ifndef UM3N_DLOOP_H
#define UM3N_DLOOP_H

#include <stdbool.h>
#include <stdint.h>

/* What an epoll event is about: tag in the high 32 bits, index/fd below. */
enum d_tag { D_TAG_TUN = 1, D_TAG_UDP, D_TAG_NL, D_TAG_TIMER, D_TAG_SIGNAL, D_TAG_CTL, D_TAG_CMD };
#define D_EV_DATA(tag, idx) ((uint64_t)(tag) << 32 | (uint32_t)(idx))
#define D_EV_TAG(data) ((int)((data) >> 32))
#define D_EV_IDX(data) ((int)(uint32_t)(data))

struct d_loop {
	int ep, timer_fd, signal_fd;
	uint64_t armed_us; /* what the timerfd is set to (UINT64_MAX = disarmed) */
	bool data_seen;    /* the last d_loop_wait() returned a TUN or UDP event */
};

/* Creates epoll, timerfd (CLOCK_MONOTONIC) and the signalfd (blocking those
 * signals, ignoring SIGPIPE). 0 or -errno. */
int d_loop_init(struct d_loop *l);
void d_loop_close(struct d_loop *l);
/* Add, or modify when already present. 0 or -errno. */
int d_loop_watch(struct d_loop *l, int fd, unsigned events, uint64_t data);
int d_loop_unwatch(struct d_loop *l, int fd);
/* Arms the timer at absolute monotonic time wake_us (UINT64_MAX disarms);
 * a time in the past fires at once. Skips the syscall if unchanged. */
void d_loop_arm(struct d_loop *l, uint64_t wake_us);
/* Consumes the timerfd expiry count. */
void d_loop_timer_ack(struct d_loop *l);
/* Next pending signal number, 0 if none. */
int d_loop_signal(struct d_loop *l);
/* epoll_wait() for up to max events. While traffic flows (the previous call
 * returned a D_TAG_TUN or D_TAG_UDP event) and spin_us > 0, it first polls
 * without blocking, yielding the CPU to whatever else is runnable between
 * polls, for up to spin_us (the daemons' busy_poll_us): a daemon still awake
 * when the next packet arrives spares its sender the wake-up (an
 * inter-processor interrupt, paid inside the sender's system call and costly
 * in a VM) and itself the wake-up latency. Returns what epoll_wait returns. */
struct epoll_event;
int d_loop_wait(struct d_loop *l, struct epoll_event *evs, int max, unsigned spin_us);

#endif
