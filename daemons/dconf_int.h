/* um3n daemons — what dconf.c (mn.conf and the shared helpers) and
 * dconf_ha.c (ha.conf) share; private to the two. */
#ifndef UM3N_DCONF_INT_H
#define UM3N_DCONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confkeys.h"
#include "dcommon.h"
#include "um3n.h"

/* One file being parsed: inih's user pointer. */
struct d_conf_ctx {
	char problem[D_ERR_MAX]; /* first problem, without the FILE:LINE prefix */
	bool failed;
	void *cfg;
};

/* Notes the first problem; returns 0 (inih: error on this line). key NULL:
 * `what` already starts with it. */
int d_conf_fail(struct d_conf_ctx *pc, const char *section, const char *key, const char *what);
/* A key that is no daemon key: an engine parameter (confkeys.h) or unknown. */
int d_conf_engine_key(struct d_conf_ctx *pc, const char *section, enum um3n_confkeys_engine e,
		      void *conf, const char *k, const char *v);
bool d_conf_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out);
/* Copies a non-empty string that fits cap (with its NUL). */
bool d_conf_copy_str(char *dst, size_t cap, const char *src);
bool d_conf_parse_ipv4(const char *text, struct um3n_addr *a);
/* "FILE:LINE: problem", or "FILE: problem" when line <= 0. */
void d_conf_report(char *err, size_t cap, const char *path, int line, const char *problem);
/* The key file named in [where] (relative: beside conf_path); 0 or the
 * d_key_load error with err set. */
int d_conf_load_key(const char *conf_path, const char *where, const char *key_file, uint8_t *key,
		    size_t *len, char *err, size_t cap);

#endif
