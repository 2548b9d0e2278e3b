/* The engine-parameter table behind the simulator's and the daemons' config
 * keys (confkeys.h). Adding an engine parameter a driver should expose: one
 * row here, one paragraph in daemons/man/um3n.conf.5 and one table row in
 * sim/README.md (tests/test_confkeys.c prints the row it expects). */
#include "confkeys.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ha.h"
#include "mn.h"
#include "policy.h"

static const char *const uplinks_words[] = {"all", "one", NULL};
static const char *const standby_words[] = {"hot", "cold", NULL};
static const char *const no_yes_words[] = {"no", "yes", NULL};

/* Ranges: what a deployment may sensibly want and the engine accepts (it
 * refuses a zero lifetime or retry, a retry above reg_retry_max_us = 16 s).
 * Lifetimes stop at 65534: 65535 means "infinite" on the wire (RFC 5944 §3.3).
 * Keys both engines have keep one range, so a name means one thing. */
static const struct um3n_confkey keys[] = {
	/* [mn] */
	{"lifetime_s", "lifetime", UM3N_CONFKEYS_MN, UM3N_CONFKEY_U16, UM3N_CONFKEY_S, 1, 1, 65534,
	 300, offsetof(struct um3n_mn_conf, lifetime_s),
	 "registration lifetime asked of the home agent", NULL},
	{"reg_retry_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 1, 16000,
	 500, offsetof(struct um3n_mn_conf, reg_retry_initial_us),
	 "first registration retransmission timeout; doubles up to 16 s", NULL},
	{"probe_interval_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 60000, 15, offsetof(struct um3n_mn_conf, probe_interval_us),
	 "interval of the in-tunnel ICMP probes per uplink (0 disables them)", NULL},
	{"dead_after_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 1,
	 600000, 75, offsetof(struct um3n_mn_conf, dead_after_us),
	 "an uplink nothing was heard on for this long is failed over", NULL},
	{"signal_degraded_dbm", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_INT, UM3N_CONFKEY_DBM, 1, -150,
	 0, -75, offsetof(struct um3n_mn_conf, signal_degraded_dbm),
	 "signal below this: the uplink is degraded (planned handover)", NULL},
	{"signal_recovered_dbm", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_INT, UM3N_CONFKEY_DBM, 1,
	 -150, 0, -68, offsetof(struct um3n_mn_conf, signal_recovered_dbm),
	 "signal at or above this: the uplink is up again (hysteresis)", NULL},
	{"resend_window_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 10000, 150, offsetof(struct um3n_mn_conf, resend_window_us),
	 "on a failure, re-send on another uplink what the failed one sent this recently", NULL},
	{"resend_slots", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_SIZE, UM3N_CONFKEY_COUNT, 1, 0, 65536,
	 512, offsetof(struct um3n_mn_conf, resend_slots),
	 "packets remembered for that re-send; 0 disables it", NULL},
	{"reorder_max_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 1000,
	 100, offsetof(struct um3n_mn_conf, reorder_max_us),
	 "longest hold of an aggregated flow's early packet waiting for a gap; 0 disables it",
	 NULL},
	{"pace_pct", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1, 0, 100,
	 UM3N_PACER_PCT, offsetof(struct um3n_mn_conf, pace.pct),
	 "aggregate rules: TCP data waits in the sender's queue and goes at this % of the links' "
	 "measured rates, so a window's cut drains that queue, not a link (0: at once)",
	 NULL},
	{"pace_queue_bytes", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1,
	 UM3N_PACER_QUEUE_MIN, UM3N_PACER_QUEUE_MAX, UM3N_PACER_QUEUE_BYTES,
	 offsetof(struct um3n_mn_conf, pace.queue_bytes),
	 "... which holds at most this many bytes (a round trip of the links or more); past it, "
	 "dropped",
	 NULL},
	{"aqm_target_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 1000,
	 20, offsetof(struct um3n_mn_conf, aqm.target_us),
	 "traffic moved onto an uplink by a failover: CoDel's target sojourn in its queue", NULL},
	{"aqm_interval_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 10000, 100, offsetof(struct um3n_mn_conf, aqm.interval_us),
	 "... above the target this long: dropped at the sender (0: no CoDel, the limit only)",
	 NULL},
	{"aqm_limit_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 10000,
	 20, offsetof(struct um3n_mn_conf, aqm.limit_us),
	 "... never queued above this sojourn (nor re-sent beyond it); 0 disables the AQM", NULL},
	{"aqm_alone_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 10000,
	 100, offsetof(struct um3n_mn_conf, aqm.alone_us),
	 "... the limit instead while the uplink carries no traffic of its own (bursts, re-sends)",
	 NULL},
	{"uplinks", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1,
	 UM3N_MN_UPLINKS_ALL, offsetof(struct um3n_mn_conf, uplinks),
	 "all: every uplink carries traffic (multihoming); one: one uplink, the others stand by",
	 uplinks_words},
	{"handover_hold_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 600000, 4000, offsetof(struct um3n_mn_conf, handover_hold_us),
	 "uplinks = one: at most one handover by signal in this long (against flapping)", NULL},
	{"encrypt", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 0,
	 offsetof(struct um3n_mn_conf, encrypt),
	 "yes: seal tunnel data (ChaCha20-Poly1305, keys per registration); the HA must agree",
	 no_yes_words},
	{"idle_after_ms", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 3600000, 5000, offsetof(struct um3n_mn_conf, idle_after_us),
	 "no tunnel data this long: probe every keepalive instead (0: always probe fast)", NULL},
	{"keepalive_s", "keepalive", UM3N_CONFKEYS_MN, UM3N_CONFKEY_U16, UM3N_CONFKEY_S, 1, 1,
	 65535, 25, offsetof(struct um3n_mn_conf, keepalive_s),
	 "idle probe interval, also the NAT keepalive (the HA's announced one if shorter)", NULL},
	{"rate_estimate", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 1,
	 offsetof(struct um3n_mn_conf, rate_estimate),
	 "yes: aggregation weighs the uplinks by their measured delivery rate, weight_kbps its "
	 "start",
	 no_yes_words},
	{"arq", NULL, UM3N_CONFKEYS_MN, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 1,
	 offsetof(struct um3n_mn_conf, arq),
	 "yes: aggregate rules ask the HA at once for a datagram an uplink lost, and answer its "
	 "asking",
	 no_yes_words},
	/* [ha] */
	{"max_lifetime_s", "max_lifetime", UM3N_CONFKEYS_HA, UM3N_CONFKEY_U16, UM3N_CONFKEY_S, 1, 1,
	 65534, 600, offsetof(struct um3n_ha_conf, max_lifetime_s),
	 "longer requested lifetimes are cut to this", NULL},
	{"keepalive_s", "keepalive", UM3N_CONFKEYS_HA, UM3N_CONFKEY_U16, UM3N_CONFKEY_S, 1, 0,
	 65535, 110, offsetof(struct um3n_ha_conf, keepalive_s),
	 "RFC 3519 NAT keepalive interval announced in replies", NULL},
	{"max_mns", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_SIZE, UM3N_CONFKEY_COUNT, 1, 1, 1 << 20,
	 1024, offsetof(struct um3n_ha_conf, max_mns), "binding cache capacity (mobile nodes)",
	 NULL},
	{"dead_after_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 1,
	 600000, 75, offsetof(struct um3n_ha_conf, dead_after_us),
	 "a binding silent this long is avoided while another of the same node is heard", NULL},
	{"resend_window_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 10000, 150, offsetof(struct um3n_ha_conf, resend_window_us),
	 "on a failure, re-send on another binding what went to the failed one this recently",
	 NULL},
	{"resend_slots", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_SIZE, UM3N_CONFKEY_COUNT, 1, 0, 65536,
	 512, offsetof(struct um3n_ha_conf, resend_slots),
	 "downlink packets per mobile node remembered for that re-send; 0 disables it", NULL},
	{"aqm_target_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 1000,
	 20, offsetof(struct um3n_ha_conf, aqm.target_us),
	 "traffic moved onto a binding by a failover: CoDel's target sojourn in its queue", NULL},
	{"aqm_interval_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0,
	 10000, 100, offsetof(struct um3n_ha_conf, aqm.interval_us),
	 "... above the target this long: dropped at the sender (0: no CoDel, the limit only)",
	 NULL},
	{"aqm_limit_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 10000,
	 20, offsetof(struct um3n_ha_conf, aqm.limit_us),
	 "... never queued above this sojourn (nor re-sent beyond it); 0 disables the AQM", NULL},
	{"aqm_alone_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 10000,
	 100, offsetof(struct um3n_ha_conf, aqm.alone_us),
	 "... the limit instead while the binding carries no traffic of its own (bursts, re-sends)",
	 NULL},
	{"pace_pct", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1, 0, 100,
	 UM3N_PACER_PCT, offsetof(struct um3n_ha_conf, pace.pct),
	 "aggregate rules: TCP data waits in the sender's queue and goes at this % of the links' "
	 "measured rates, so a window's cut drains that queue, not a link (0: at once)",
	 NULL},
	{"pace_queue_bytes", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1,
	 UM3N_PACER_QUEUE_MIN, UM3N_PACER_QUEUE_MAX, UM3N_PACER_QUEUE_BYTES,
	 offsetof(struct um3n_ha_conf, pace.queue_bytes),
	 "... which holds at most this many bytes (a round trip of the links or more); past it, "
	 "dropped",
	 NULL},
	{"reorder_max_ms", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_MS, 1000, 0, 1000,
	 100, offsetof(struct um3n_ha_conf, reorder_max_us),
	 "longest hold of an aggregated flow's early packet waiting for a gap; 0 disables it",
	 NULL},
	{"encrypt", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 0,
	 offsetof(struct um3n_ha_conf, encrypt),
	 "yes: only sealed tunnel data; mobile nodes that do not ask for it are refused",
	 no_yes_words},
	{"rate_estimate", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 1,
	 offsetof(struct um3n_ha_conf, rate_estimate),
	 "yes: aggregation weighs the bindings by their measured delivery rate, the MN's weight "
	 "its "
	 "start",
	 no_yes_words},
	{"arq", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1, 1,
	 offsetof(struct um3n_ha_conf, arq),
	 "yes: aggregate rules ask the MN at once for a datagram a binding lost, and answer its "
	 "asking",
	 no_yes_words},
	{"reg_rate_per_s", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1, 0,
	 100000, 20, offsetof(struct um3n_ha_conf, reg_rate_per_s),
	 "registration requests per second per source ip:port, checked before the authenticator "
	 "(0: no limit)",
	 NULL},
	{"reg_burst", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1, 1, 100000,
	 64, offsetof(struct um3n_ha_conf, reg_burst),
	 "requests one source ip:port may send at once before reg_rate_per_s applies", NULL},
	{"reg_new_rate_per_s", NULL, UM3N_CONFKEYS_HA, UM3N_CONFKEY_U32, UM3N_CONFKEY_COUNT, 1, 0,
	 1000000, 5000, offsetof(struct um3n_ha_conf, reg_new_rate_per_s),
	 "registration requests per second from all sources with no binding together; a second's "
	 "worth at once (0: no limit)",
	 NULL},
	/* [uplink NAME] (daemon), [link NAME] (simulator) */
	{"class", NULL, UM3N_CONFKEYS_LINK, UM3N_CONFKEY_CLASS, UM3N_CONFKEY_COUNT, 1, 0,
	 UM3N_CLASS_MAX, UM3N_CLASS_ANY, offsetof(struct um3n_mn_link_conf, link_class),
	 "what policy rules refer to", NULL},
	{"priority", NULL, UM3N_CONFKEYS_LINK, UM3N_CONFKEY_U8, UM3N_CONFKEY_COUNT, 1, 0, 255, 0,
	 offsetof(struct um3n_mn_link_conf, priority),
	 "lower is preferred when several uplinks fit a rule", NULL},
	{"weight_kbps", NULL, UM3N_CONFKEYS_LINK, UM3N_CONFKEY_U32, UM3N_CONFKEY_KBPS, 1, 0,
	 UINT32_MAX, 0, offsetof(struct um3n_mn_link_conf, weight_kbps),
	 "expected rate: aggregation's weight (its start with rate_estimate); 0: 1000 kbit/s",
	 NULL},
	{"standby", NULL, UM3N_CONFKEYS_LINK, UM3N_CONFKEY_WORD, UM3N_CONFKEY_COUNT, 1, 0, 1,
	 UM3N_STANDBY_HOT, offsetof(struct um3n_mn_link_conf, standby),
	 "uplinks = one: hot stays registered and probed, cold sends nothing until needed",
	 standby_words},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
/* um3n_confkeys_copy() takes a 64-bit mask of table indices. */
_Static_assert(N_KEYS <= 64, "um3n_confkeys_copy masks hold 64 keys");

const struct um3n_confkey *um3n_confkeys_table(size_t *n)
{
	*n = N_KEYS;
	return keys;
}

const struct um3n_confkey *um3n_confkeys_find(enum um3n_confkeys_engine engine, const char *name)
{
	assert(engine < UM3N_CONFKEYS_ENGINES && name);
	for (size_t i = 0; i < N_KEYS; i++) {
		const char *alias = keys[i].alias;

		if (keys[i].engine == engine &&
		    (!strcmp(name, keys[i].name) || (alias && !strcmp(name, alias))))
			return &keys[i];
	}
	return NULL;
}

const char *um3n_confkeys_unit_name(enum um3n_confkey_unit unit)
{
	static const char *const names[UM3N_CONFKEY_UNITS] = {
		"", "seconds", "milliseconds", "microseconds", "dBm", "kbit/s",
	};

	assert(unit < UM3N_CONFKEY_UNITS);
	return names[unit];
}

bool um3n_confkeys_bool(const char *v, bool *out)
{
	static const char *const words[][2] = {
		{"no", "yes"},
		{"false", "true"},
		{"off", "on"},
		{"0", "1"},
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (int b = 0; b < 2; b++)
			if (!strcmp(v, words[i][b])) {
				*out = b;
				return true;
			}
	return false;
}

/* The one class vocabulary: the policy table's names (any, cell, wifi, wired,
 * class0..class15). */
bool um3n_confkeys_class(const char *v, uint8_t *link_class)
{
	return um3n_policy_class_parse(v, link_class) == UM3N_OK;
}

/* Strict decimal in [min, max]: digits only, a '-' only when min < 0. More
 * than 18 digits is out of every range and cannot overflow int64_t. */
static bool parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
	bool neg = v[0] == '-' && min < 0;
	const char *p = v + neg;
	size_t n = strlen(p);
	int64_t x = 0;

	if (n == 0 || n > 18 || strspn(p, "0123456789") != n)
		return false;
	for (; *p; p++)
		x = x * 10 + (*p - '0');
	x = neg ? -x : x;
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

void um3n_confkeys_words_text(const struct um3n_confkey *k, char *out, size_t cap)
{
	size_t len = 0;

	assert(k->type == UM3N_CONFKEY_WORD && k->words && k->words[0] && cap > 0);
	out[0] = 0;
	for (size_t i = 0; k->words[i] && len < cap; i++) {
		const char *sep = i == 0 ? "" : k->words[i + 1] ? ", " : " or ";
		int w = snprintf(out + len, cap - len, "%s%s", sep, k->words[i]);

		len += w > 0 ? (size_t)w : 0;
	}
}

static bool parse_word(const struct um3n_confkey *k, const char *v, uint8_t *out)
{
	for (size_t i = 0; k->words[i]; i++)
		if (!strcmp(v, k->words[i])) {
			assert(i <= UINT8_MAX && (int64_t)i <= k->max);
			*out = (uint8_t)i;
			return true;
		}
	return false;
}

static void expected(const struct um3n_confkey *k, const char *as_written, char *err, size_t errcap)
{
	const char *unit = um3n_confkeys_unit_name(k->unit);

	char words[64];

	if (k->type == UM3N_CONFKEY_BOOL) {
		snprintf(err, errcap, "%s: expected yes or no", as_written);
	} else if (k->type == UM3N_CONFKEY_WORD) {
		um3n_confkeys_words_text(k, words, sizeof(words));
		snprintf(err, errcap, "%s: expected %s", as_written, words);
	} else if (k->type == UM3N_CONFKEY_CLASS)
		snprintf(err, errcap, "%s: expected a class: " UM3N_CONFKEYS_CLASS_WORDS,
			 as_written);
	else if (k->type != UM3N_CONFKEY_WORD)
		snprintf(err, errcap, "%s: expected %s in %lld..%lld", as_written,
			 *unit ? unit : "an integer", (long long)k->min, (long long)k->max);
}

int um3n_confkeys_parse(const struct um3n_confkey *k, const char *as_written, const char *value,
			void *conf, char *err, size_t errcap)
{
	char *field = (char *)conf + k->offset;
	int64_t x = 0;
	uint8_t cls;
	bool b;

	assert(k->type < UM3N_CONFKEY_TYPES && k->unit < UM3N_CONFKEY_UNITS);
	assert(k->type >= UM3N_CONFKEY_BOOL || (k->scale >= 1 && k->min <= k->max));
	switch (k->type) {
	case UM3N_CONFKEY_BOOL:
		if (!um3n_confkeys_bool(value, &b))
			break;
		*(bool *)field = b;
		return UM3N_OK;
	case UM3N_CONFKEY_CLASS:
		if (!um3n_confkeys_class(value, &cls))
			break;
		*(uint8_t *)field = cls;
		return UM3N_OK;
	case UM3N_CONFKEY_WORD:
		if (!parse_word(k, value, &cls))
			break;
		*(uint8_t *)field = cls;
		return UM3N_OK;
	default:
		if (!parse_int(value, k->min, k->max, &x))
			break;
		x *= k->scale;
		if (k->type == UM3N_CONFKEY_U8) {
			assert(x >= 0 && x <= UINT8_MAX);
			*(uint8_t *)field = (uint8_t)x;
		} else if (k->type == UM3N_CONFKEY_U16) {
			assert(x >= 0 && x <= UINT16_MAX);
			*(uint16_t *)field = (uint16_t)x;
		} else if (k->type == UM3N_CONFKEY_U32) {
			assert(x >= 0 && x <= UINT32_MAX);
			*(uint32_t *)field = (uint32_t)x;
		} else if (k->type == UM3N_CONFKEY_SIZE) {
			assert(x >= 0);
			*(size_t *)field = (size_t)x;
		} else {
			assert(x >= INT32_MIN && x <= INT32_MAX);
			*(int *)field = (int)x;
		}
		return UM3N_OK;
	}
	expected(k, as_written, err, errcap);
	return UM3N_EINVAL;
}

int um3n_confkeys_set(enum um3n_confkeys_engine engine, void *conf, const char *name,
		      const char *value, char *err, size_t errcap)
{
	const struct um3n_confkey *k = um3n_confkeys_find(engine, name);
	int rc;

	if (!k)
		return UM3N_ENOENT;
	rc = um3n_confkeys_parse(k, name, value, conf, err, errcap);
	return rc ? rc : (int)(k - keys);
}

int64_t um3n_confkeys_get(const struct um3n_confkey *k, const void *conf)
{
	const char *field = (const char *)conf + k->offset;
	int64_t x;

	assert(k->type < UM3N_CONFKEY_TYPES);
	switch (k->type) {
	case UM3N_CONFKEY_U8: x = *(const uint8_t *)field; break;
	case UM3N_CONFKEY_U16: x = *(const uint16_t *)field; break;
	case UM3N_CONFKEY_U32: x = *(const uint32_t *)field; break;
	case UM3N_CONFKEY_SIZE: x = (int64_t) * (const size_t *)field; break;
	case UM3N_CONFKEY_INT: x = *(const int *)field; break;
	case UM3N_CONFKEY_BOOL: return *(const bool *)field;
	default: return *(const uint8_t *)field;
	}
	return x / k->scale;
}

static size_t field_size(uint8_t type)
{
	static const size_t sizes[UM3N_CONFKEY_TYPES] = {
		sizeof(uint8_t), sizeof(uint16_t), sizeof(uint32_t), sizeof(size_t),
		sizeof(int),     sizeof(bool),     sizeof(uint8_t),  sizeof(uint8_t),
	};

	assert(type < UM3N_CONFKEY_TYPES);
	return sizes[type];
}

void um3n_confkeys_copy(enum um3n_confkeys_engine engine, void *to, const void *from, uint64_t set)
{
	assert(engine < UM3N_CONFKEYS_ENGINES);
	for (size_t i = 0; i < N_KEYS; i++) {
		/* a bit of another engine's key would be a caller's mix-up */
		assert(!(set >> i & 1) || keys[i].engine == engine);
		if (!(set >> i & 1) || keys[i].engine != engine)
			continue;
		memcpy((char *)to + keys[i].offset, (const char *)from + keys[i].offset,
		       field_size(keys[i].type));
	}
}
