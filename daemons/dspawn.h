/* um3n daemons — running an operator's command without a shell and without
 * blocking the event loop (the uplinks' up_command / down_command, issue 16).
 *
 * A command line is split on blanks into argv (double quotes group words, a
 * backslash escapes the next character; no variables, globbing, pipes or
 * redirections: nothing a shell would interpret, so a config value can never
 * run more than the one program it names). The child is started with
 * posix_spawnp (PATH lookup), stdin from /dev/null, its stdout and stderr
 * the daemon's (the journal), in its own process group. Its end is watched
 * through a pidfd in the daemon's epoll set; a child still running at its
 * deadline gets SIGKILL (its whole process group) and counts as failed. */
#ifndef UM3N_DSPAWN_H
#define UM3N_DSPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define D_SPAWN_LINE_MAX 256 /* a command line, with its NUL */
#define D_SPAWN_ARGS_MAX 32  /* words, with the terminating NULL */

/* One command line, parsed once (at configuration time). Words are kept as
 * offsets, not pointers, so that a configuration may be copied by value. */
struct d_spawn_cmd {
	char buf[D_SPAWN_LINE_MAX]; /* the words, NUL-separated */
	uint8_t off[D_SPAWN_ARGS_MAX];
	int argc; /* 0: no command */
};

static inline const char *d_spawn_arg(const struct d_spawn_cmd *c, int i)
{
	return c->buf + c->off[i];
}

/* How a run ended. */
enum d_spawn_end {
	D_SPAWN_RUNNING = 0,
	D_SPAWN_OK,        /* exit status 0 */
	D_SPAWN_FAILED,    /* exit status != 0 (status) or killed by a signal (-signal) */
	D_SPAWN_TIMED_OUT, /* killed at its deadline */
	D_SPAWN_NOT_RUN,   /* could not be started (errno in status) */
};

struct d_spawn {
	pid_t pid;           /* 0: none running */
	int pidfd;           /* -1: none */
	uint64_t started_us; /* CLOCK_MONOTONIC */
	uint64_t deadline_us;
	int status; /* see enum d_spawn_end */
};

/* Parses line into cmd. 0, or -1 with *why set (unterminated quote, too many
 * words, too long, empty). */
int d_spawn_parse(struct d_spawn_cmd *cmd, const char *line, const char **why);

void d_spawn_init(struct d_spawn *s);
/* Starts cmd; true when it runs (s->pidfd to watch for EPOLLIN), false with
 * s->status = errno when it could not start. */
bool d_spawn_start(struct d_spawn *s, const struct d_spawn_cmd *cmd, uint64_t now_us,
		   uint32_t timeout_ms);
/* Called when the pidfd is readable or at the deadline: collects the child if
 * it ended, kills it if its deadline passed. Returns D_SPAWN_RUNNING while it
 * runs, otherwise how it ended (then s is free again). */
enum d_spawn_end d_spawn_poll(struct d_spawn *s, uint64_t now_us);
/* Kills a running child and collects it (daemon exit). */
void d_spawn_kill(struct d_spawn *s);
/* "exit 3", "signal 9", "timed out after 10000 ms", "not run: No such file..." */
void d_spawn_describe(enum d_spawn_end end, const struct d_spawn *s, uint32_t timeout_ms, char *buf,
		      size_t cap);

#endif
