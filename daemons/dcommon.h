/* um3n daemons — shared platform helpers (logging, clocks, the engine env,
 * key files, a growable string, the command line). Everything Linux-specific
 * lives in daemons/, never in core/. */
#ifndef UM3N_DCOMMON_H
#define UM3N_DCOMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "um3n.h"

#define D_KEY_HEX_MIN 32                  /* 16-byte keys at least */
#define D_KEY_HEX_MAX 128                 /* 64-byte keys at most (um3n_mn_conf.key) */
#define D_NTP_UNIX_OFFSET_S 2208988800ULL /* 1900-01-01 .. 1970-01-01 */

/* Logging: stderr (foreground) or syslog (daemonised), filtered by level. */
void d_log_init(const char *ident, bool use_syslog, int level);
void d_log_set_level(int level);
int d_log_level(void);
void d_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse "err|warn|info|debug". Returns 0 or UM3N_EINVAL. */
int d_log_level_parse(const char *text, int *level);
const char *d_log_level_name(int level);

/* An engine environment: calloc/free, d_log, seed from getrandom(). */
void d_env_init(struct um3n_env *env);

/* CLOCK_MONOTONIC in microseconds (the engines' now_us). */
uint64_t d_now_us(void);
/* NTP-format timestamp (seconds since 1900 << 32 | fraction) of a wall time. */
uint64_t d_ntp_from_timespec(int64_t sec, long nsec);
/* ntp - mono_us expressed in NTP units: the NTP time at now_us = 0. */
uint64_t d_ntp_minus_us(uint64_t ntp, uint64_t mono_us);
/* The engine's ident_base: NTP wall time (CLOCK_REALTIME, plus the test hook
 * UM3N_CLOCK_OFFSET_S seconds: exits 2 on a bad value) at now_us = 0. */
uint64_t d_ident_base(void);

/* Hex key text (whitespace around it ignored) -> bytes. Returns 0 or UM3N_EINVAL
 * (odd length, not hex, fewer than D_KEY_HEX_MIN or more than D_KEY_HEX_MAX digits). */
int d_key_parse_hex(const char *text, uint8_t *key, size_t cap, size_t *len);
/* Read a key file: refuses files that group/other may access (mode & 077) and
 * anything but one hex string. On error writes a reason into why.
 * Returns 0, UM3N_EINVAL, UM3N_ENOENT or D_EKEY_ACCESS: the file is there
 * (as far as this user can tell), with a mode that refuses group and other,
 * but this user may not read it (a check run without root). */
#define D_EKEY_ACCESS (-100)
/* A whole text file (at most 16 MiB), NUL-terminated, malloc'd; NULL with a
 * one-line reason in err. */
char *d_read_text(const char *path, char *err, size_t cap);
/* key_file relative to the config file's directory (as is when absolute). */
void d_path_beside(const char *conf_path, const char *key_file, char *out, size_t cap);
int d_key_load(const char *path, uint8_t *key, size_t cap, size_t *len, char *why, size_t why_cap);

/* fd helpers. Return 0 or -errno. */
int d_set_nonblock(int fd);
/* Makes the directory that holds `path` (one level), mode 0755. */
int d_mkdir_parent(const char *path);

/* A growable string (the only per-request allocation in the daemons). */
struct d_str {
	char *buf;
	size_t len, cap;
	bool oom;
};
void d_str_printf(struct d_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void d_str_free(struct d_str *s);

/* Command line shared by both daemons. */
struct d_opts {
	const char *config; /* made absolute when it exists: SIGHUP still finds it
			     * after daemon() changed to / */
	bool check_only;    /* -n */
	bool foreground;    /* -f */
	char config_abs[PATH_MAX];
};
/* Returns 0 to go on, 1 after -h (exit 0), 2 on a usage error (printed). */
int d_opts_parse(int argc, char **argv, const char *prog, const char *default_config,
		 struct d_opts *o);
/* -n and a load that returned rc: may the check go on? Only past key files
 * this user may not read (D_EKEY_ACCESS), and only when not root: then
 * everything else is checked and the key is noted, not failed. */
bool d_check_past_key(int rc);
/* Starts logging (stderr with -f, else syslog as prog) and, without -f,
 * detaches with daemon(3). 0, or -1 (reported). */
int d_daemon_start(const char *prog, const struct d_opts *o, int log_level);

#endif
