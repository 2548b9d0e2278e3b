/* Daemon platform layer: an operator's command without a shell (dspawn.c) and
 * the uplinks' up_command / down_command (dupcmd.c). Real children: true,
 * false, sh -c 'exit 3', sleep, a program that does not exist. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dcommon.h"
#include "dupcmd.h"
#include "testutil.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* (argv points into the struct's own buffer: never copy one by value) */
static void cmd(struct d_spawn_cmd *c, const char *line)
{
	const char *why = NULL;

	CU_ASSERT_EQUAL_FATAL(d_spawn_parse(c, line, &why), 0);
}

static void test_parse(void)
{
	struct d_spawn_cmd c;
	const char *why = NULL;

	cmd(&c, "  mmcli -m 0 \"--simple-connect=apn=internet, ip-type=ipv4\"\t x\\ y ");

	CU_ASSERT_EQUAL(c.argc, 5);
	CU_ASSERT_STRING_EQUAL(d_spawn_arg(&c, 0), "mmcli");
	CU_ASSERT_STRING_EQUAL(d_spawn_arg(&c, 2), "0");
	CU_ASSERT_STRING_EQUAL(d_spawn_arg(&c, 3), "--simple-connect=apn=internet, ip-type=ipv4");
	CU_ASSERT_STRING_EQUAL(d_spawn_arg(&c, 4), "x y");
	/* a shell's syntax is just words: nothing gets interpreted */
	cmd(&c, "echo $HOME; rm -rf / | cat");
	CU_ASSERT_EQUAL(c.argc, 7);
	CU_ASSERT_STRING_EQUAL(d_spawn_arg(&c, 1), "$HOME;");

	CU_ASSERT_EQUAL(d_spawn_parse(&c, "   ", &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "empty command");
	CU_ASSERT_EQUAL(d_spawn_parse(&c, "ip \"link set", &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "unterminated quote or escape");
	CU_ASSERT_EQUAL(d_spawn_parse(&c, "ip link\\", &why), -1);
	CU_ASSERT_EQUAL(d_spawn_parse(&c,
				      "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a "
				      "a a",
				      &why),
			-1);
	CU_ASSERT_STRING_EQUAL(why, "too many words (31 at most)");
	{
		char longline[400];

		memset(longline, 'x', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\0';
		CU_ASSERT_EQUAL(d_spawn_parse(&c, longline, &why), -1);
		CU_ASSERT_STRING_EQUAL(why, "too long (255 bytes at most)");
	}
}

/* Waits on the pidfd as the daemon's epoll would, then polls. */
static enum d_spawn_end run(const char *line, uint32_t timeout_ms, struct d_spawn *s)
{
	struct d_spawn_cmd c;
	enum d_spawn_end end;

	cmd(&c, line);
	d_spawn_init(s);
	if (!d_spawn_start(s, &c, mono_us(), timeout_ms))
		return D_SPAWN_NOT_RUN;
	CU_ASSERT(s->pidfd >= 0);
	do {
		struct pollfd p = {.fd = s->pidfd, .events = POLLIN};

		poll(&p, 1, 20);
		end = d_spawn_poll(s, mono_us());
	} while (end == D_SPAWN_RUNNING);
	CU_ASSERT_EQUAL(s->pid, 0);
	CU_ASSERT_EQUAL(s->pidfd, -1);
	return end;
}

static void test_spawn(void)
{
	struct d_spawn s;
	char buf[96];
	enum d_spawn_end end;
	uint64_t t0;

	CU_ASSERT_EQUAL(run("true", 5000, &s), D_SPAWN_OK);
	CU_ASSERT_EQUAL(run("false", 5000, &s), D_SPAWN_FAILED);
	CU_ASSERT_EQUAL(run("sh -c \"exit 3\"", 5000, &s), D_SPAWN_FAILED);
	d_spawn_describe(D_SPAWN_FAILED, &s, 5000, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "exit 3");
	/* glibc's posix_spawn reports a failed exec (its child shares memory
	 * until the exec); qemu-user (CI's aarch64 stage) cannot emulate that
	 * clone, and there the child exits 127, as a shell's would */
	end = run("/nonexistent/um3n-up", 5000, &s);
	CU_ASSERT(end == D_SPAWN_NOT_RUN || (end == D_SPAWN_FAILED && s.status == 127));
	if (end == D_SPAWN_NOT_RUN) {
		d_spawn_describe(D_SPAWN_NOT_RUN, &s, 5000, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, "not run: No such file or directory");
	}
	/* the deadline kills the child (and its group: sh's sleep too) */
	t0 = mono_us();
	CU_ASSERT_EQUAL(run("sh -c \"sleep 5; exit 0\"", 200, &s), D_SPAWN_TIMED_OUT);
	CU_ASSERT(mono_us() - t0 < 2000000);
	d_spawn_describe(D_SPAWN_TIMED_OUT, &s, 200, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "timed out after 200 ms");
}

/* Runs u's command to its end (as the daemon would, woken by the pidfd). */
static void finish(struct d_upcmd *u)
{
	while (u->running != D_UPCMD_NONE) {
		struct pollfd p = {.fd = u->run.pidfd, .events = POLLIN};

		poll(&p, 1, 20);
		d_upcmd_poll(u, mono_us());
	}
}

static void test_upcmd(void)
{
	struct d_spawn_cmd ok, bad, down;
	struct d_upcmd u;
	uint64_t now;

	cmd(&ok, "true");
	cmd(&bad, "false");
	cmd(&down, "true");
	d_log_init("test", false, UM3N_LOG_ERR);
	/* no up_command: always ready, nothing runs */
	d_upcmd_init(&u, "cell", NULL, NULL, 1000);
	CU_ASSERT(d_upcmd_ready(&u));
	CU_ASSERT_FALSE(d_upcmd_sync(&u, true, mono_us()));
	CU_ASSERT_EQUAL(d_upcmd_next_us(&u), UINT64_MAX);

	/* wanted: up runs once; ready after it; unwanted: down runs once */
	d_upcmd_init(&u, "cell", &ok, &down, 1000);
	CU_ASSERT_FALSE(d_upcmd_ready(&u));
	CU_ASSERT(d_upcmd_sync(&u, true, mono_us()));
	CU_ASSERT_FALSE(d_upcmd_sync(&u, true, mono_us())); /* one at a time */
	CU_ASSERT_NOT_EQUAL(d_upcmd_next_us(&u), UINT64_MAX);
	finish(&u);
	CU_ASSERT(d_upcmd_ready(&u));
	CU_ASSERT_FALSE(d_upcmd_sync(&u, true, mono_us()));
	CU_ASSERT(d_upcmd_sync(&u, false, mono_us()));
	finish(&u);
	CU_ASSERT_FALSE(d_upcmd_ready(&u));
	CU_ASSERT_FALSE(d_upcmd_sync(&u, false, mono_us()));
	CU_ASSERT_EQUAL(u.up_runs, 1);
	CU_ASSERT_EQUAL(u.down_runs, 1);

	/* a carrier lost on its own: the next want runs up again */
	CU_ASSERT(d_upcmd_sync(&u, true, mono_us()));
	finish(&u);
	d_upcmd_carrier_lost(&u);
	CU_ASSERT_FALSE(d_upcmd_ready(&u));
	CU_ASSERT(d_upcmd_sync(&u, true, mono_us()));
	finish(&u);
	CU_ASSERT_EQUAL(u.up_runs, 3);

	/* a failing up: retried after 1 s, then 2 s, while wanted */
	d_upcmd_init(&u, "cell", &bad, &down, 1000);
	CU_ASSERT(d_upcmd_sync(&u, true, mono_us()));
	finish(&u);
	now = mono_us();
	CU_ASSERT_EQUAL(u.fails, 1);
	CU_ASSERT(u.retry_at_us > now + 900000 && u.retry_at_us <= now + 1000000);
	CU_ASSERT_EQUAL(d_upcmd_next_us(&u), u.retry_at_us);
	CU_ASSERT_FALSE(d_upcmd_sync(&u, true, now));
	CU_ASSERT(d_upcmd_sync(&u, true, u.retry_at_us));
	finish(&u);
	now = mono_us();
	CU_ASSERT(u.retry_at_us > now + 1900000 && u.retry_at_us <= now + 2000000);
	CU_ASSERT_EQUAL(u.up_failed, 2);
	/* no longer wanted: down (it was tried), and the streak starts afresh */
	CU_ASSERT(d_upcmd_sync(&u, false, now));
	finish(&u);
	CU_ASSERT_FALSE(d_upcmd_sync(&u, false, now));
	CU_ASSERT_EQUAL(u.fails, 0);
	CU_ASSERT(d_upcmd_sync(&u, true, mono_us()));
	d_upcmd_stop(&u);
	CU_ASSERT_EQUAL(u.running, D_UPCMD_NONE);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"01 command lines: words, quotes, escapes, limits", test_parse},
		{"02 children: exit 0, exit != 0, not found, killed at the deadline", test_spawn},
		{"03 up/down commands: once per want, retry with backoff, down after up",
		 test_upcmd},
		CU_TEST_INFO_NULL,
	};
	const struct test_suite suites[] = {
		{"daemon_spawn", tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
