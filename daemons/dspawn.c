/* um3n daemons — an operator's command, without a shell and without blocking
 * (dspawn.h). */
#include "dspawn.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Copies one word of *p into *out (quotes removed, escapes resolved); false at
 * an unterminated quote or a full buffer. */
static bool word(const char **p, char **out, char *end)
{
	bool quoted = false;

	while (**p && (quoted || (**p != ' ' && **p != '\t'))) {
		char c = *(*p)++;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (c == '\\') {
			if (!**p)
				return false;
			c = *(*p)++;
		}
		if (*out >= end)
			return false;
		*(*out)++ = c;
	}
	return !quoted;
}

int d_spawn_parse(struct d_spawn_cmd *cmd, const char *line, const char **why)
{
	char *out = cmd->buf, *end = cmd->buf + sizeof(cmd->buf) - 1;
	const char *p = line;

	memset(cmd, 0, sizeof(*cmd));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (cmd->argc == D_SPAWN_ARGS_MAX - 1) {
			*why = "too many words (31 at most)";
			return -1;
		}
		cmd->off[cmd->argc++] = (uint8_t)(out - cmd->buf);
		if (!word(&p, &out, end)) {
			*why = out >= end ? "too long (255 bytes at most)"
					  : "unterminated quote or escape";
			return -1;
		}
		*out++ = '\0';
	}
	if (cmd->argc == 0) {
		*why = "empty command";
		return -1;
	}
	return 0;
}

void d_spawn_init(struct d_spawn *s)
{
	memset(s, 0, sizeof(*s));
	s->pidfd = -1;
}

bool d_spawn_start(struct d_spawn *s, const struct d_spawn_cmd *cmd, uint64_t now_us,
		   uint32_t timeout_ms)
{
	char *argv[D_SPAWN_ARGS_MAX];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int rc;

	assert(s->pid == 0 && cmd->argc > 0 && cmd->argc < D_SPAWN_ARGS_MAX);
	for (int i = 0; i < cmd->argc; i++)
		argv[i] = (char *)(uintptr_t)d_spawn_arg(cmd, i);
	argv[cmd->argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	/* The daemon blocks SIGTERM/SIGHUP for its signalfd: the child must not
	 * inherit that, or a timeout's kill of its group would be its only end. */
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawnp(&s->pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		s->pid = 0;
		s->status = rc;
		return false;
	}
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	s->started_us = now_us;
	s->deadline_us = now_us + (uint64_t)timeout_ms * 1000;
	return true;
}

static void reset(struct d_spawn *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	s->pid = 0;
}

enum d_spawn_end d_spawn_poll(struct d_spawn *s, uint64_t now_us)
{
	int st;
	pid_t r;

	if (s->pid == 0)
		return D_SPAWN_NOT_RUN;
	r = waitpid(s->pid, &st, WNOHANG);
	if (r == s->pid) {
		s->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
		reset(s);
		return s->status == 0 ? D_SPAWN_OK : D_SPAWN_FAILED;
	}
	if (r < 0) { /* not our child any more: nothing left to wait for */
		s->status = errno;
		reset(s);
		return D_SPAWN_FAILED;
	}
	if (now_us < s->deadline_us)
		return D_SPAWN_RUNNING;
	kill(-s->pid, SIGKILL); /* its group: a script's children too */
	waitpid(s->pid, &st, 0);
	s->status = -SIGKILL;
	reset(s);
	return D_SPAWN_TIMED_OUT;
}

void d_spawn_kill(struct d_spawn *s)
{
	if (s->pid == 0)
		return;
	s->deadline_us = 0;
	d_spawn_poll(s, 1);
}

void d_spawn_describe(enum d_spawn_end end, const struct d_spawn *s, uint32_t timeout_ms, char *buf,
		      size_t cap)
{
	switch (end) {
	case D_SPAWN_RUNNING: snprintf(buf, cap, "running"); break;
	case D_SPAWN_OK: snprintf(buf, cap, "exit 0"); break;
	case D_SPAWN_FAILED:
		if (s->status < 0)
			snprintf(buf, cap, "killed by signal %d", -s->status);
		else
			snprintf(buf, cap, "exit %d", s->status);
		break;
	case D_SPAWN_TIMED_OUT: snprintf(buf, cap, "timed out after %u ms", timeout_ms); break;
	case D_SPAWN_NOT_RUN: snprintf(buf, cap, "not run: %s", strerror(s->status)); break;
	}
}
