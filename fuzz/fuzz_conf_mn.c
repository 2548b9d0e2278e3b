/* libFuzzer target: the MN daemon's configuration parser (daemons/dconf.c,
 * mn.conf through inih and core/confkeys.c; the policy rules through
 * core/policy_action.c). The input is the file's text.
 * Checks beyond "no crash": an error is one line "fuzz.conf:..."; a config
 * that parses has what the validation promises (home address, HA, SPI, key,
 * uplinks with distinct interfaces and names) and its [policy] section builds
 * a policy table holding every rule, which serialises and reads back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dconf.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *fz_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void fz_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static void check_policy(const struct d_conf_mn *c)
{
	static uint8_t ser[1 << 20];
	struct um3n_env env = {.alloc = fz_alloc, .free = fz_free};
	struct um3n_policy *p = d_conf_policy_build(c, &env, 7), *q;
	size_t len;

	if (!p || um3n_policy_count(p) != c->n_rules)
		abort(); /* every parsed rule is a valid, distinct rule */
	if (um3n_policy_serialize(p, ser, sizeof(ser), &len) != 0)
		abort();
	q = um3n_policy_new(&env, c->n_rules ? c->n_rules : 1);
	if (!q || um3n_policy_deserialize(q, ser, len) != 0 || um3n_policy_count(q) != c->n_rules ||
	    um3n_policy_version(q) != 7)
		abort();
	um3n_policy_free(q);
	um3n_policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct d_conf_mn c;
	char err[D_ERR_MAX] = "";
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (d_conf_mn_parse(text, "fuzz.conf", &c, err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0 || strchr(err, '\n'))
			abort(); /* the error contract: one line naming the file */
	} else {
		if (!c.seen_home || !c.seen_ha || !c.seen_spi || !c.seen_key || c.mn.n_links == 0 ||
		    c.mn.n_links > UM3N_MAX_LINKS)
			abort();
		for (size_t i = 0; i < c.mn.n_links; i++) {
			if (!c.uplinks[i].seen_interface || !c.uplinks[i].ifname[0])
				abort();
			for (size_t j = 0; j < i; j++)
				if (!strcmp(c.uplinks[i].ifname, c.uplinks[j].ifname) ||
				    !strcmp(c.mn.links[i].name, c.mn.links[j].name))
					abort();
		}
		check_policy(&c);
	}
	d_conf_mn_free(&c);
	free(text);
	return 0;
}
