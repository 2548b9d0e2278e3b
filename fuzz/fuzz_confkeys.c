/* libFuzzer target: the engine keys' value parser (core/confkeys.c), which
 * every engine key of mn.conf, ha.conf and the scenarios' [mn]/[ha]/[link]
 * sections goes through. Byte 0 picks a key of the table, byte 1 how it is
 * named (canonical, alias, or the input's first word as a name); the rest is
 * the value. Checks: a refused value leaves the conf struct as it was and
 * says "NAME: expected ..."; an accepted one reads back within the key's
 * range (um3n_confkeys_get), its decimal text sets the same bytes again, and
 * only that key's field changed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confkeys.h"
#include "ha.h"
#include "mn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union any_conf {
	struct um3n_mn_conf mn;
	struct um3n_ha_conf ha;
	struct um3n_mn_link_conf link;
};

static void check_value(const struct um3n_confkey *k, const char *name, const char *value)
{
	static union any_conf conf, before, again;
	char err[256] = "", text[32];
	size_t n;
	int64_t v;

	memset(&conf, 0x33, sizeof(conf));
	before = conf;
	if (um3n_confkeys_parse(k, name, value, &conf, err, sizeof(err)) != 0) {
		if (memcmp(&conf, &before, sizeof(conf)) != 0 ||
		    strncmp(err, name, strlen(name)) != 0 || !strstr(err, ": expected"))
			abort();
		return;
	}
	v = um3n_confkeys_get(k, &conf);
	if (k->type == UM3N_CONFKEY_BOOL ? v != 0 && v != 1 : v < k->min || v > k->max)
		abort();
	/* only this key's field changed: set it back through the copy helper */
	again = before;
	um3n_confkeys_copy(k->engine, &again, &conf, UINT64_C(1) << (k - um3n_confkeys_table(&n)));
	if (memcmp(&again, &conf, sizeof(conf)) != 0)
		abort();
	/* an integer's own decimal text gives the same field */
	if (k->type < UM3N_CONFKEY_BOOL) {
		snprintf(text, sizeof(text), "%" PRId64, v);
		again = before;
		if (um3n_confkeys_parse(k, name, text, &again, err, sizeof(err)) != 0 ||
		    memcmp(&again, &conf, sizeof(conf)) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct um3n_confkey *table, *k;
	size_t n;
	char *text, *value, *name;

	if (size < 2)
		return 0;
	table = um3n_confkeys_table(&n);
	k = &table[data[0] % n];
	text = malloc(size - 1);
	if (!text)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	value = text;
	name = (char *)k->name;
	switch (data[1] % 3) {
	case 1:
		if (k->alias)
			name = (char *)k->alias;
		break;
	case 2: /* "NAME VALUE": a key looked up by any name */
		name = text;
		value = strchr(text, ' ');
		if (value)
			*value++ = '\0';
		else
			value = text + strlen(text);
		k = um3n_confkeys_find((enum um3n_confkeys_engine)(data[0] % UM3N_CONFKEYS_ENGINES),
				       name);
		if (k && (k->engine != data[0] % UM3N_CONFKEYS_ENGINES ||
			  (strcmp(k->name, name) && (!k->alias || strcmp(k->alias, name)))))
			abort();
		break;
	default: break;
	}
	if (k)
		check_value(k, name, value);
	free(text);
	return 0;
}
