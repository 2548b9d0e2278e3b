/* libFuzzer target: um3n_policy_deserialize on arbitrary bytes (what an HA
 * receives from an MN in policy chunks).
 *
 * Properties checked beyond "no crash / no sanitizer report":
 * - on error the table is left empty (no rules, version 0);
 * - on success the encoding is canonical, so serialising the table again gives
 *   back exactly the input bytes;
 * - every rule is found by looking up its own prefix address (or a longer
 *   rule containing it is), and lookups never return NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define FUZZ_MAX_RULES 4096

static void *fuzz_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void fuzz_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static struct um3n_policy *table(void)
{
	static struct um3n_policy *p;
	struct um3n_env env = {.alloc = fuzz_alloc, .free = fuzz_free};

	if (!p)
		p = um3n_policy_new(&env, FUZZ_MAX_RULES);
	if (!p)
		abort();
	return p;
}

static void check_rules_found(const struct um3n_policy *p)
{
	for (size_t i = 0; i < um3n_policy_count(p); i++) {
		const struct um3n_policy_rule *r = um3n_policy_rule_at(p, i);
		const struct um3n_policy_rule *got = um3n_policy_lookup(p, &r->prefix);

		if (!got || got->prefix.family != r->prefix.family || got->plen < r->plen)
			abort();
		if (got->plen == r->plen && got != r)
			abort();
	}
}

static void check_roundtrip(const struct um3n_policy *p, const uint8_t *data, size_t size)
{
	uint8_t *out;
	size_t len = 0;

	if (um3n_policy_serialized_size(p) != size)
		abort();
	out = malloc(size);
	if (!out || um3n_policy_serialize(p, out, size, &len) != UM3N_OK || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct um3n_policy *p = table();
	struct um3n_addr probe = {.family = UM3N_AF_INET6};
	int rc = um3n_policy_deserialize(p, data, size);

	if (rc != UM3N_OK) {
		if (um3n_policy_count(p) != 0 || um3n_policy_version(p) != 0)
			abort();
		return 0;
	}
	check_roundtrip(p, data, size);
	check_rules_found(p);
	/* The input's tail as an address of each family. */
	memcpy(probe.bytes, data + size - (size < 16 ? size : 16), size < 16 ? size : 16);
	if (!um3n_policy_lookup(p, &probe))
		abort();
	probe.family = UM3N_AF_INET;
	if (!um3n_policy_lookup(p, &probe))
		abort();
	return 0;
}
