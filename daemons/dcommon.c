/* um3n daemons — logging, clocks, engine env, key files, the status string
 * builder and the start-up options. */
#include "dcommon.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct {
	bool syslog;
	int level;
	const char *ident;
} g_log = {false, UM3N_LOG_INFO, "um3n"};

static const char *const level_names[] = {"err", "warn", "info", "debug"};

void d_log_init(const char *ident, bool use_syslog, int level)
{
	g_log.ident = ident;
	g_log.syslog = use_syslog;
	g_log.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void d_log_set_level(int level) { g_log.level = level; }
int d_log_level(void) { return g_log.level; }

int d_log_level_parse(const char *text, int *level)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*level = i;
			return UM3N_OK;
		}
	}
	return UM3N_EINVAL;
}

const char *d_log_level_name(int level)
{
	return level >= 0 && level < 4 ? level_names[level] : "?";
}

static void d_vlog(int level, const char *fmt, va_list ap)
{
	static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[512];
	struct timespec ts;

	if (level > g_log.level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (g_log.syslog) {
		syslog(syslog_prio[level < 0 ? 0 : level > 3 ? 3 : level], "%s", line);
		return;
	}
	/* Monotonic seconds: the same clock the engines see, so logs line up
	 * with now_us values printed by the engine. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "%lld.%06ld %s[%d] %s: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000,
		g_log.ident, (int)getpid(), d_log_level_name(level), line);
}

void d_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	d_vlog(level, fmt, ap);
	va_end(ap);
}

static void env_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	d_log(level, "%s", msg);
}

static void *env_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void env_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

void d_env_init(struct um3n_env *env)
{
	uint64_t seed = 0;

	memset(env, 0, sizeof(*env));
	/* libsodium picks its fastest ChaCha20 and Poly1305 code for this CPU
	 * (encrypt = yes); without it the portable code runs. */
	if (sodium_init() < 0)
		d_log(UM3N_LOG_WARN, "libsodium: initialisation failed");
	env->log = env_log;
	/* The engine keeps its own copy of env; filtering happens in d_log so a
	 * SIGHUP that changes log_level reaches the engine's messages too (its
	 * debug messages are control-plane only, never per packet). */
	env->log_level = UM3N_LOG_DEBUG;
	env->alloc = env_alloc;
	env->free = env_free;
	/* getrandom() blocks only before the pool is initialised at boot. */
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	env->seed = seed;
}

uint64_t d_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t d_ntp_from_timespec(int64_t sec, long nsec)
{
	uint64_t ntp_s = (uint64_t)sec + D_NTP_UNIX_OFFSET_S;
	uint64_t frac = ((uint64_t)nsec << 32) / 1000000000u;

	return ntp_s << 32 | frac;
}

uint64_t d_ntp_minus_us(uint64_t ntp, uint64_t mono_us)
{
	uint64_t whole_s = mono_us / 1000000u;
	uint64_t frac = ((mono_us % 1000000u) << 32) / 1000000u;

	return ntp - ((whole_s << 32) + frac);
}

/* UM3N_CLOCK_OFFSET_S (a test hook, issue 13): whole seconds added to the
 * wall clock the registration identification is made of, to test clock steps
 * without stepping the machine's clock. Unset or empty: 0. A bad value stops
 * the daemon at start (exit 2). */
static int64_t clock_offset_s(void)
{
	const char *s = getenv("UM3N_CLOCK_OFFSET_S");
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v < -1000000000ll || v > 1000000000ll) {
		fprintf(stderr,
			"UM3N_CLOCK_OFFSET_S=%s: expected whole seconds, "
			"-1000000000..1000000000\n",
			s);
		exit(2);
	}
	return v;
}

uint64_t d_ident_base(void)
{
	struct timespec wall;
	uint64_t mono_us = d_now_us();

	clock_gettime(CLOCK_REALTIME, &wall);
	return d_ntp_minus_us(d_ntp_from_timespec(wall.tv_sec + clock_offset_s(), wall.tv_nsec),
			      mono_us);
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int d_key_parse_hex(const char *text, uint8_t *key, size_t cap, size_t *len)
{
	size_t n = 0, start, end = strlen(text);

	for (start = 0; start < end && isspace((unsigned char)text[start]); start++)
		;
	while (end > start && isspace((unsigned char)text[end - 1]))
		end--;
	n = end - start;
	if (n < D_KEY_HEX_MIN || n > D_KEY_HEX_MAX || n % 2 || n / 2 > cap)
		return UM3N_EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit((unsigned char)text[start + 2 * i]);
		int lo = hex_digit((unsigned char)text[start + 2 * i + 1]);

		if (hi < 0 || lo < 0)
			return UM3N_EINVAL;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return UM3N_OK;
}

/* The key exists but we may not read it (a check as a user, um3n-mn -n):
 * what stat tells without reading is still checked. */
static int key_unreadable(const char *path, char *why, size_t why_cap)
{
	struct stat st;
	bool seen = lstat(path, &st) == 0; /* fails too when the directory is closed */

	if (seen && !S_ISREG(st.st_mode)) {
		snprintf(why, why_cap, "%s: not a regular file", path);
		return UM3N_EINVAL;
	}
	if (seen && (st.st_mode & 077)) {
		snprintf(why, why_cap, "%s: mode %03o lets group/other access the key (chmod 600)",
			 path, (unsigned)(st.st_mode & 0777));
		return UM3N_EINVAL;
	}
	snprintf(why, why_cap, "%s: %s: the key needs root to read (its contents were not checked)",
		 path, strerror(EACCES));
	return D_EKEY_ACCESS;
}

char *d_read_text(const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 24) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	if (!buf)
		snprintf(err, cap, "%s: cannot read (or larger than 16 MiB)", path);
	fclose(f);
	return buf;
}

void d_path_beside(const char *conf_path, const char *key_file, char *out, size_t cap)
{
	const char *slash = strrchr(conf_path, '/');

	if (key_file[0] == '/' || !slash)
		snprintf(out, cap, "%s", key_file);
	else
		snprintf(out, cap, "%.*s/%s", (int)(slash - conf_path), conf_path, key_file);
}

int d_key_load(const char *path, uint8_t *key, size_t cap, size_t *len, char *why, size_t why_cap)
{
	char text[D_KEY_HEX_MAX + 64];
	struct stat st;
	ssize_t got;
	int fd, rc = UM3N_EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == EACCES)
		return key_unreadable(path, why, why_cap);
	if (fd < 0) {
		snprintf(why, why_cap, "%s: %s", path, strerror(errno));
		return UM3N_ENOENT;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_cap, "%s: not a regular file", path);
		goto out;
	}
	/* A shared secret others can read is no secret: refuse like ssh does. */
	if (st.st_mode & 077) {
		snprintf(why, why_cap, "%s: mode %03o lets group/other access the key (chmod 600)",
			 path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	got = read(fd, text, sizeof(text) - 1);
	if (got < 0 || got == (ssize_t)sizeof(text) - 1) {
		snprintf(why, why_cap, "%s: unreadable or too long", path);
		goto out;
	}
	text[got] = '\0';
	if (d_key_parse_hex(text, key, cap, len) < 0) {
		snprintf(why, why_cap, "%s: want one hex string of %d..%d digits", path,
			 D_KEY_HEX_MIN, D_KEY_HEX_MAX);
		goto out;
	}
	rc = UM3N_OK;
out:
	explicit_bzero(text, sizeof(text));
	close(fd);
	return rc;
}

bool d_check_past_key(int rc)
{
	/* root reads every file: EACCES there is a real problem (an LSM, a mount) */
	return rc == D_EKEY_ACCESS && geteuid() != 0;
}

int d_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int d_mkdir_parent(const char *path)
{
	char dir[256];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void d_str_printf(struct d_str *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->oom)
		return;
	for (;;) {
		size_t room = s->cap - s->len;

		va_start(ap, fmt);
		n = vsnprintf(s->buf ? s->buf + s->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->oom = true;
			return;
		}
		if ((size_t)n < room) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = (s->cap ? s->cap * 2 : 1024) + (size_t)n;
		char *p = realloc(s->buf, cap);

		if (!p) {
			s->oom = true;
			return;
		}
		s->buf = p;
		s->cap = cap;
	}
}

void d_str_free(struct d_str *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int d_opts_parse(int argc, char **argv, const char *prog, const char *default_config,
		 struct d_opts *o)
{
	static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int opt;

	memset(o, 0, sizeof(*o));
	o->config = default_config;
	while ((opt = getopt_long(argc, argv, "c:nfh", longs, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'n': o->check_only = true; break;
		case 'f': o->foreground = true; break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [-c FILE] [-n] [-f] [-h|--help]\n"
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
