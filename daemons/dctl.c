/* um3n daemons — unix control socket server. */
#include "dctl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dloop.h"
#include "dcommon.h"
#include "engine.h"

struct ctl_client {
	int fd;            /* -1 = free slot */
	uint64_t accepted; /* accept order: the oldest is evicted when full */
	char in[D_CTL_LINE_MAX];
	size_t in_len;
	struct d_str out;
	size_t out_off;
	bool answering;
};

struct d_ctl {
	int listen_fd;
	char path[108];
	d_ctl_handler handler;
	void *ctx;
	d_ctl_watch_fn watch_fn; /* NULL until d_ctl_set_watch / d_ctl_set_loop */
	void *watch_ctx;
	struct ctl_client clients[D_CTL_MAX_CLIENTS];
	uint64_t accepts;
};

struct d_ctl *d_ctl_open(const char *path, d_ctl_handler handler, void *ctx)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct d_ctl *ctl;

	if (strlen(path) >= sizeof(sun.sun_path))
		return NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	for (int i = 0; i < D_CTL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->handler = handler;
	ctl->ctx = ctx;
	strcpy(ctl->path, path);
	strcpy(sun.sun_path, path);
	d_mkdir_parent(path);
	unlink(path); /* a stale socket from a previous run */
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->listen_fd < 0 || bind(ctl->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0660) < 0 || listen(ctl->listen_fd, D_CTL_BACKLOG) < 0) {
		d_log(UM3N_LOG_ERR, "control socket %s: %s", path, strerror(errno));
		d_ctl_close(ctl);
		return NULL;
	}
	return ctl;
}

static void client_drop(struct d_ctl *ctl, struct ctl_client *c)
{
	if (ctl->watch_fn)
		ctl->watch_fn(ctl->watch_ctx, c->fd, false, 0);
	close(c->fd);
	d_str_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void d_ctl_close(struct d_ctl *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < D_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			client_drop(ctl, &ctl->clients[i]);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	free(ctl);
}

static void watch(struct d_ctl *ctl, int fd, unsigned events)
{
	ctl->watch_fn(ctl->watch_ctx, fd, true, events);
}

void d_ctl_set_watch(struct d_ctl *ctl, d_ctl_watch_fn fn, void *ctx)
{
	ctl->watch_fn = fn;
	ctl->watch_ctx = ctx;
	watch(ctl, ctl->listen_fd, EPOLLIN);
}

static void loop_watch(void *loop, int fd, bool add, unsigned events)
{
	if (add)
		d_loop_watch(loop, fd, events, D_EV_DATA(D_TAG_CTL, fd));
	else
		d_loop_unwatch(loop, fd);
}

void d_ctl_set_loop(struct d_ctl *ctl, struct d_loop *loop)
{
	d_ctl_set_watch(ctl, loop_watch, loop);
}

static int free_slot(struct d_ctl *ctl)
{
	int oldest = 0;

	for (int i = 0; i < D_CTL_MAX_CLIENTS; i++) {
		if (ctl->clients[i].fd < 0)
			return i;
		if (ctl->clients[i].accepted < ctl->clients[oldest].accepted)
			oldest = i;
	}
	/* Full: a client that connected and never finished its request must not
	 * lock the operator out, so the oldest one goes. */
	d_log(UM3N_LOG_WARN, "control: %d clients, dropping the oldest", D_CTL_MAX_CLIENTS);
	client_drop(ctl, &ctl->clients[oldest]);
	return oldest;
}

static void do_accept(struct d_ctl *ctl)
{
	for (;;) {
		int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		int i;

		if (fd < 0)
			return;
		i = free_slot(ctl);
		ctl->clients[i].fd = fd;
		ctl->clients[i].accepted = ++ctl->accepts;
		watch(ctl, fd, EPOLLIN);
	}
}

static void client_write(struct d_ctl *ctl, struct ctl_client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			watch(ctl, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_drop(ctl, c);
}

static void client_answer(struct d_ctl *ctl, struct ctl_client *c, char *line)
{
	c->answering = true;
	ctl->handler(ctl->ctx, line, &c->out);
	if (c->out.oom) {
		d_str_free(&c->out);
		d_str_printf(&c->out, "error: out of memory\n");
	}
	client_write(ctl, c);
}

static void client_read(struct d_ctl *ctl, struct ctl_client *c)
{
	char *nl;
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_drop(ctl, c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	/* memchr, not strchr: a NUL before the newline must not hide it. */
	nl = memchr(c->in, '\n', c->in_len);
	if (nl) {
		*nl = '\0';
		client_answer(ctl, c, c->in);
	} else if (c->in_len == sizeof(c->in) - 1) {
		d_str_printf(&c->out, "error: request longer than %d bytes\n", D_CTL_LINE_MAX);
		c->answering = true;
		client_write(ctl, c);
	}
}

void d_ctl_event(struct d_ctl *ctl, int fd, unsigned events)
{
	if (fd == ctl->listen_fd) {
		do_accept(ctl);
		return;
	}
	for (int i = 0; i < D_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl->clients[i];

		if (c->fd != fd)
			continue;
		if (c->answering)
			client_write(ctl, c);
		else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_read(ctl, c);
		return;
	}
}

int d_ctl_parse_link(char *line, char **name, int *ev, int *arg, const char **why)
{
	char *save = NULL, *verb, *n, *what, *val, *end;
	long v;

	verb = strtok_r(line, " \t", &save);
	n = strtok_r(NULL, " \t", &save);
	what = strtok_r(NULL, " \t", &save);
	val = strtok_r(NULL, " \t", &save);
	*why = "usage: link NAME down|up|signal DBM";
	if (!verb || strcmp(verb, "link") || !n || !what)
		return UM3N_EINVAL;
	*name = n;
	*arg = 0;
	if (strcmp(what, "down") == 0 || strcmp(what, "up") == 0) {
		*ev = what[0] == 'd' ? UM3N_LINK_EV_DOWN : UM3N_LINK_EV_UP;
		if (*ev == UM3N_LINK_EV_DOWN) /* counted apart from carrier loss */
			*arg = UM3N_LINK_DOWN_COMMAND;
		return val ? UM3N_EINVAL : UM3N_OK;
	}
	if (strcmp(what, "signal") || !val)
		return UM3N_EINVAL;
	v = strtol(val, &end, 10);
	if (*end || v < -200 || v > 0 || strtok_r(NULL, " \t", &save)) {
		*why = "signal wants a level in dBm, -200..0";
		return UM3N_EINVAL;
	}
	*ev = UM3N_LINK_EV_SIGNAL;
	*arg = (int)v;
	return UM3N_OK;
}

const char *d_ctl_link_what(int ev, int arg, char *buf, size_t cap)
{
	switch (ev) {
	case UM3N_LINK_EV_UP: snprintf(buf, cap, "up"); break;
	case UM3N_LINK_EV_DOWN: snprintf(buf, cap, "down"); break;
	case UM3N_LINK_EV_SIGNAL: snprintf(buf, cap, "signal %d dBm", arg); break;
	default: snprintf(buf, cap, "event %d (%d)", ev, arg); break;
	}
	return buf;
}
