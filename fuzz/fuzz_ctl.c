/* libFuzzer target: the control socket (daemons/dctl.c) as um3nctl or anyone
 * allowed to connect reaches it: a real unix socket, the request sent in up
 * to three pieces (split where bytes 0 and 1 say), then EOF; the daemon's
 * side is driven through d_ctl_event as the epoll loop would. The handler
 * stands in for the daemons': it runs the `link` request parser
 * (d_ctl_parse_link) as mn_main.c does.
 * Checks: the handler gets one line without its newline, shorter than
 * D_CTL_LINE_MAX; a `link` request that parses names an uplink (no blanks)
 * and a known event; whatever was sent, the client gets at most one answer,
 * starting "ok\n" or "error: " and ending with a newline; no client slot and
 * no fd is left behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dctl.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct d_ctl *ctl;
static char sock_path[108];
static int listen_fd = -1; /* d_ctl_set_watch hands it first */
static int server_fd = -1; /* the one client's fd on the daemon's side */

static void watch(void *ctx, int fd, bool add, unsigned events)
{
	(void)ctx;
	(void)events;
	if (fd < 0)
		abort();
	if (listen_fd < 0)
		listen_fd = fd;
	else if (add && fd != listen_fd && server_fd < 0)
		server_fd = fd;
	else if (!add && fd == server_fd)
		server_fd = -1;
	else if (add && fd != listen_fd && fd != server_fd)
		abort(); /* a second client: we connected only one */
}

static void handle(void *ctx, char *line, struct d_str *reply)
{
	char copy[D_CTL_LINE_MAX], *name, what[64];
	const char *why;
	int ev, arg;

	(void)ctx;
	if (strchr(line, '\n') || strlen(line) >= D_CTL_LINE_MAX)
		abort();
	strcpy(copy, line);
	if (d_ctl_parse_link(copy, &name, &ev, &arg, &why) != 0) {
		d_str_printf(reply, "error: %s\n", why);
		return;
	}
	if (!name[0] || strpbrk(name, " \t") ||
	    (ev != UM3N_LINK_EV_UP && ev != UM3N_LINK_EV_DOWN && ev != UM3N_LINK_EV_SIGNAL) ||
	    (ev == UM3N_LINK_EV_SIGNAL && (arg < -200 || arg > 0)))
		abort();
	d_str_printf(reply, "ok\n%s %s\n", name, d_ctl_link_what(ev, arg, what, sizeof(what)));
}

static void teardown(void) { d_ctl_close(ctl); /* removes the socket file */ }

static void setup(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/um3n-fuzz-ctl-%d.sock", (int)getpid());
	d_log_init("fuzz_ctl", false, UM3N_LOG_ERR);
	ctl = d_ctl_open(sock_path, handle, NULL);
	if (!ctl)
		abort();
	d_ctl_set_watch(ctl, watch, NULL);
	atexit(teardown);
}

/* The daemon's side: what epoll would report for the client, if it is still there. */
static void serve(void)
{
	if (server_fd >= 0)
		d_ctl_event(ctl, server_fd, EPOLLIN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char answer[4096];
	size_t cut[2], got = 0;
	int fd;
	ssize_t n;

	if (!ctl)
		setup();
	if (size < 2)
		return 0;
	cut[0] = 2 + (size - 2) * data[0] / 256;
	cut[1] = cut[0] + (size - cut[0]) * data[1] / 256;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	d_ctl_event(ctl, listen_fd, EPOLLIN); /* the listener is readable: accept */
	if (server_fd < 0)
		abort();
	for (int piece = 0; piece < 3; piece++) {
		size_t from = piece == 0 ? 2 : cut[piece - 1], to = piece == 2 ? size : cut[piece];

		if (to > from && send(fd, data + from, to - from, MSG_NOSIGNAL) < 0 &&
		    errno != EPIPE && errno != ECONNRESET)
			abort();
		serve();
	}
	shutdown(fd, SHUT_WR);
	serve();
	if (server_fd >= 0)
		abort(); /* EOF (or an answer) closes the daemon's side */
	while (got < sizeof(answer) - 1 &&
	       (n = recv(fd, answer + got, sizeof(answer) - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	answer[got] = '\0';
	if (got && ((strncmp(answer, "ok\n", 3) && strncmp(answer, "error: ", 7)) ||
		    answer[got - 1] != '\n'))
		abort();
	close(fd);
	return 0;
}
