/* um3n daemons — INI configuration (/etc/um3n/mn.conf, /etc/um3n/ha.conf) read
 * with inih into the engines' conf structs. Format: daemons/examples/, and
 * um3n.conf(5). Parsing is pure (testable from a string); loading keys touches
 * the file system and refuses keys that group/other may read. */
#ifndef UM3N_DCONF_H
#define UM3N_DCONF_H

#include <net/if.h>
#include <stdbool.h>

#include "droute.h"
#include "dspawn.h"
#include "ha.h"
#include "mn.h"

#define D_PATH_MAX 256
#define D_ERR_MAX 320
#define D_SOCK_PATH_MAX 108       /* sun_path */
#define D_BUSY_POLL_DEFAULT_US 20 /* busy_poll_us: see d_loop_wait() */
#define D_BUSY_POLL_MAX_US 1000

#define D_CMD_TIMEOUT_DEFAULT_MS 10000 /* up_command / down_command */

struct d_conf_uplink {
	char ifname[IFNAMSIZ];
	bool seen_interface;
	bool ipv6; /* `family = ipv6`: the care-of is the interface's global IPv6 address */
	/* run when the engine starts or stops wanting the uplink (dupcmd.h) */
	struct d_spawn_cmd up_cmd, down_cmd; /* argc 0: none */
	uint32_t cmd_timeout_ms;
};

struct d_conf_mn {
	char path[D_PATH_MAX];
	struct um3n_mn_conf mn; /* mn.policy stays NULL: see d_conf_policy_build() */
	char key_file[D_PATH_MAX];
	char tun[IFNAMSIZ];
	unsigned mtu;          /* 0 = uplink MTU - UM3N_OUTER_OVERHEAD_V4 */
	bool offload;          /* TUN with IFF_VNET_HDR + TSO (dtun.h) */
	unsigned busy_poll_us; /* d_loop_wait() while traffic flows; 0 = always sleep */
	char control_socket[D_SOCK_PATH_MAX];
	int log_level;
	struct d_routes routes; /* route_table and routes (dmnrt.h) */
	struct d_conf_uplink uplinks[UM3N_MAX_LINKS];
	/* [policy] */
	uint8_t default_class, default_mode;
	struct um3n_policy_rule *rules; /* malloc'd; d_conf_mn_free() */
	size_t n_rules, cap_rules;
	/* what was present (for validation) */
	bool seen_home, seen_ha, seen_spi, seen_key;
};

struct d_conf_ha_mn {
	uint32_t home_addr; /* host order */
	uint32_t spi;
	char key_file[D_PATH_MAX];
	uint8_t key[64];
	size_t key_len;
	/* Inner sources besides home_addr: home_address6 and prefix keys, in
	 * file order (um3n_ha_conf.get_prefixes) */
	struct um3n_prefix prefixes[UM3N_HA_MN_PREFIXES];
	size_t n_prefixes;
	bool seen_spi, seen_key;
};

struct d_conf_ha {
	char path[D_PATH_MAX];
	struct um3n_ha_conf ha; /* get_key/key_ctx set by the daemon */
	char tun[IFNAMSIZ];
	unsigned mtu;          /* 0 = 1500 - UM3N_OUTER_OVERHEAD_V4 */
	bool offload;          /* TUN with IFF_VNET_HDR + TSO (dtun.h) */
	unsigned busy_poll_us; /* as in d_conf_mn */
	char control_socket[D_SOCK_PATH_MAX];
	int log_level;
	bool add_routes;            /* a /32 route on the TUN for each [mn] home address */
	struct um3n_sockaddr addr6; /* `address6`: a second socket, for MNs' IPv6 uplinks
				     * (family 0: none); the port is `port` */
	struct d_conf_ha_mn *mns;   /* malloc'd; d_conf_ha_free() */
	size_t n_mns, cap_mns;
	bool seen_address;
};

/* `um3n-mn -n` after d_conf_mn_load returned rc (err: its message): the
 * policy checked too, cfg freed, what is wrong printed; the exit status. */
int d_conf_mn_check_exit(struct d_conf_mn *cfg, const char *path, int rc, const char *err);
/* How many uplinks have `family = ipv6`. */
size_t d_conf_mn_ipv6_uplinks(const struct d_conf_mn *c);

/* Parse INI text (`path` is used in messages and to resolve relative key_file
 * names). Does not read key files. On error `err` holds one line:
 * "FILE:LINE: [section] key: problem". Returns 0 or UM3N_EINVAL/UM3N_ENOMEM. */
int d_conf_mn_parse(const char *text, const char *path, struct d_conf_mn *cfg, char *err,
		    size_t err_cap);
int d_conf_ha_parse(const char *text, const char *path, struct d_conf_ha *cfg, char *err,
		    size_t err_cap);
/* Read the file, parse it and load the key file(s). Same errors plus
 * UM3N_ENOENT, and D_EKEY_ACCESS (dcommon.h) when everything was read and
 * checked but key files this user may not read: `err` names the first and
 * how many there were; the keys are not loaded (only a check may go on). */
int d_conf_mn_load(const char *path, struct d_conf_mn *cfg, char *err, size_t err_cap);
int d_conf_ha_load(const char *path, struct d_conf_ha *cfg, char *err, size_t err_cap);
void d_conf_mn_free(struct d_conf_mn *cfg);
void d_conf_ha_free(struct d_conf_ha *cfg);

/* A policy table from the [policy] section (version as given). NULL on error. */
struct um3n_policy *d_conf_policy_build(const struct d_conf_mn *cfg, const struct um3n_env *env,
					uint32_t version);
/* Whether the engine would take the [policy] section (um3n-mn -n). */
bool d_conf_policy_check(const struct d_conf_mn *cfg);

/* The key callback for um3n_ha_conf.get_key; ctx is a struct d_conf_ha. */
int d_conf_ha_get_key(void *ctx, uint32_t home_addr, uint32_t spi, uint8_t *key, size_t *key_len);
/* The callback for um3n_ha_conf.get_prefixes (ctx: key_ctx, the d_conf_ha). */
size_t d_conf_ha_get_prefixes(void *ctx, uint32_t home_addr, struct um3n_prefix *out, size_t cap);

#endif
