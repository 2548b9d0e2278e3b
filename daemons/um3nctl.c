/* um3nctl — talk to um3n-mn / um3n-ha over their unix control socket.
 *
 *   um3nctl [-s SOCKET] show [-j]
 *   um3nctl [-s SOCKET] link NAME down|up|signal DBM
 *
 * The daemon does the formatting; this program sends one request line and
 * copies the answer to stdout. Exit status: 0 ok, 1 the daemon said error,
 * 2 usage, 3 cannot reach the daemon. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/um3n/mn.sock"
#define REPLY_TIMEOUT_MS 5000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: um3nctl [-s SOCKET] show [-j]\n"
		"       um3nctl [-s SOCKET] link NAME down|up|signal DBM\n"
		"       um3nctl -h|--help\n"
		"SOCKET defaults to %s (the HA's is /run/um3n/ha.sock)\n",
		DEFAULT_SOCKET);
}

static int build_request(int argc, char **argv, char *req, size_t cap)
{
	if (argc >= 1 && strcmp(argv[0], "show") == 0) {
		if (argc == 1)
			return snprintf(req, cap, "show\n") < 0 ? -1 : 0;
		if (argc == 2 && strcmp(argv[1], "-j") == 0)
			return snprintf(req, cap, "show json\n") < 0 ? -1 : 0;
		return -1;
	}
	if (argc >= 3 && strcmp(argv[0], "link") == 0) {
		if (argc == 3 && (strcmp(argv[2], "down") == 0 || strcmp(argv[2], "up") == 0))
			return snprintf(req, cap, "link %s %s\n", argv[1], argv[2]) >= (int)cap;
		if (argc == 4 && strcmp(argv[2], "signal") == 0)
			return snprintf(req, cap, "link %s signal %s\n", argv[1], argv[3]) >=
			       (int)cap;
	}
	return -1;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "um3nctl: socket path too long\n");
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "um3nctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads the whole answer (the daemon closes when done), bounded in time. */
static int relay_answer(int fd)
{
	char buf[4096];
	bool first = true, error = false;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "um3nctl: no answer within %d ms\n", REPLY_TIMEOUT_MS);
			return 3;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		char *p = buf;
		size_t len = (size_t)n;

		if (first) {
			/* First line is the status: "ok" or "error: why". */
			char *nl = memchr(buf, '\n', len);
			size_t skip = nl ? (size_t)(nl - buf) + 1 : len;

			error = strncmp(buf, "ok", 2) != 0;
			if (error)
				fwrite(buf, 1, skip, stderr);
			p += skip;
			len -= skip;
			first = false;
		}
		fwrite(p, 1, len, stdout);
	}
	if (first) {
		fprintf(stderr, "um3nctl: empty answer\n");
		return 3;
	}
	return error ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *path = getenv("UM3N_CTL_SOCKET");
	char req[256];
	int opt, fd, rc;

	if (!path)
		path = DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:h", longs, NULL)) != -1) {
		if (opt == 's') {
			path = optarg;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (build_request(argc - optind, argv + optind, req, sizeof(req)) != 0) {
		usage(stderr);
		return 2;
	}
	fd = connect_to(path);
	if (fd < 0)
		return 3;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "um3nctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 3;
	}
	rc = relay_answer(fd);
	close(fd);
	return rc;
}
