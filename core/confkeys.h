/* um3n configuration vocabulary: one table of the engine parameters a driver
 * may set from text (the simulator's [mn]/[ha]/[link NAME] scenario sections,
 * the daemons' mn.conf/ha.conf), with each key's canonical name, older alias,
 * unit, range, default and the um3n_mn_conf/um3n_ha_conf field it sets.
 * Both drivers parse engine keys only through here, so a key means the same
 * and accepts the same values everywhere; driver-only keys (link rates,
 * socket paths, interface names) stay in the drivers. sim/README.md and
 * um3n.conf(5) document every key; tests/test_confkeys.c checks them against
 * the table.
 *
 * Values are strict: a decimal integer in the key's unit (no sign unless the
 * range is negative, no spaces, no fractions, no suffix), "yes"/"no" (also
 * true/false, on/off, 1/0), a link class name (um3n_policy_class_parse) or
 * one of a key's own words (`uplinks = all | one`). */
#ifndef UM3N_CONFKEYS_H
#define UM3N_CONFKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The conf struct a key's offset points into. */
enum um3n_confkeys_engine {
	UM3N_CONFKEYS_MN = 0, /* struct um3n_mn_conf */
	UM3N_CONFKEYS_HA,     /* struct um3n_ha_conf */
	UM3N_CONFKEYS_LINK,   /* struct um3n_mn_link_conf: one uplink of the MN */
	UM3N_CONFKEYS_ENGINES
};

/* How the field is stored. */
enum um3n_confkey_type {
	UM3N_CONFKEY_U8 = 0, /* uint8_t */
	UM3N_CONFKEY_U16,    /* uint16_t */
	UM3N_CONFKEY_U32,    /* uint32_t */
	UM3N_CONFKEY_SIZE,   /* size_t */
	UM3N_CONFKEY_INT,    /* int */
	UM3N_CONFKEY_BOOL,   /* bool; min/max/scale unused */
	UM3N_CONFKEY_CLASS,  /* uint8_t UM3N_CLASS_*: min..max = 0..UM3N_CLASS_MAX, scale 1 */
	UM3N_CONFKEY_WORD,   /* uint8_t: the index of one of `words`; min..max = 0..n-1, scale 1 */
	UM3N_CONFKEY_TYPES
};

/* The unit a value is written in; the name ends with its suffix (_s, _ms,
 * _us, _dbm, _kbps) when the unit is a physical one. */
enum um3n_confkey_unit {
	UM3N_CONFKEY_COUNT = 0, /* plain number */
	UM3N_CONFKEY_S,
	UM3N_CONFKEY_MS,
	UM3N_CONFKEY_US,
	UM3N_CONFKEY_DBM,
	UM3N_CONFKEY_KBPS,
	UM3N_CONFKEY_UNITS
};

struct um3n_confkey {
	const char *name;         /* canonical */
	const char *alias;        /* an older spelling accepted as well; NULL if none */
	uint8_t engine;           /* enum um3n_confkeys_engine */
	uint8_t type;             /* enum um3n_confkey_type */
	uint8_t unit;             /* enum um3n_confkey_unit */
	uint32_t scale;           /* field = value * scale (milliseconds into a _us field: 1000) */
	int64_t min, max;         /* accepted values, inclusive, in the key's unit */
	int64_t def;              /* the engine's default, in the key's unit (documentation;
			    * um3n_*_conf_defaults() stays the authority, a test ties them) */
	size_t offset;            /* of the field in the engine's conf struct */
	const char *doc;          /* one line */
	const char *const *words; /* UM3N_CONFKEY_WORD: the accepted words, NULL-terminated */
};

/* The table, in documentation order; *n gets its length. Never NULL. */
const struct um3n_confkey *um3n_confkeys_table(size_t *n);

/* The key called `name` (canonical or alias) of that engine; NULL if none. */
const struct um3n_confkey *um3n_confkeys_find(enum um3n_confkeys_engine engine, const char *name);

/* Parses `value` into the key's field of `conf` (the engine's conf struct).
 * `as_written` is the key name the user wrote (canonical or alias), used in
 * the message. Errors: UM3N_EINVAL, err = "NAME: expected UNIT in MIN..MAX"
 * (or the class/boolean words); the field is then left unchanged. */
int um3n_confkeys_parse(const struct um3n_confkey *key, const char *as_written, const char *value,
			void *conf, char *err, size_t errcap);

/* um3n_confkeys_find + um3n_confkeys_parse. Returns the key's index in the
 * table (>= 0, < 64), UM3N_ENOENT (no such key for this engine: err untouched,
 * the driver may try its own keys) or UM3N_EINVAL (err set). */
int um3n_confkeys_set(enum um3n_confkeys_engine engine, void *conf, const char *name,
		      const char *value, char *err, size_t errcap);

/* The key's field of `conf` in the key's unit (field / scale; bool and class
 * as 0/1 and the class number). */
int64_t um3n_confkeys_get(const struct um3n_confkey *key, const void *conf);

/* Copies into `to` the fields of the keys of `engine` whose bit (1 << table
 * index) is in `set`, from `from`: how a driver lays the keys a file gave
 * over the engine's defaults. */
void um3n_confkeys_copy(enum um3n_confkeys_engine engine, void *to, const void *from, uint64_t set);

/* The value words every driver accepts, engine key or not. */
bool um3n_confkeys_bool(const char *value, bool *out);
bool um3n_confkeys_class(const char *value, uint8_t *link_class);
#define UM3N_CONFKEYS_CLASS_WORDS "any, cell, wifi, wired or class0..class15"

/* "all or one": a UM3N_CONFKEY_WORD key's words as an error message and the
 * documents list them. */
void um3n_confkeys_words_text(const struct um3n_confkey *key, char *out, size_t cap);

/* "seconds", "milliseconds", "microseconds", "dBm", "kbit/s", "" (count). */
const char *um3n_confkeys_unit_name(enum um3n_confkey_unit unit);

#endif
