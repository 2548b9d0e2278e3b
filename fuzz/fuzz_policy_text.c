/* libFuzzer target: the policy table's text parsers (core/policy.c prefixes,
 * classes and modes; core/policy_action.c a rule's action), what a config's
 * `rule = PREFIX ACTION` and a scenario's rules go through.
 * Byte 0 picks the parser; the rest is the text. Round trips checked:
 * - an action that parses is formatted (um3n_policy_action_format) and that
 *   text parses back to the same rule; a failed parse leaves the rule as it was
 *   and says why;
 * - a prefix that parses has its host bits zero, and its address text plus
 *   "/plen" parses back to the same prefix; a failed parse zeroes both;
 * - a class or mode name that parses maps back to a name that parses to the
 *   same number. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_rule(const struct um3n_policy_rule *a, const struct um3n_policy_rule *b)
{
	return a->link_class == b->link_class && a->mode == b->mode && a->pct == b->pct &&
	       a->rtt_ms == b->rtt_ms && a->loss_pct == b->loss_pct;
}

static void action(const char *text)
{
	struct um3n_policy_rule r, back, before;
	const char *why = NULL;
	char buf[256];

	memset(&r, 0x5a, sizeof(r));
	before = r;
	if (um3n_policy_action_parse(text, &r, &why) != 0) {
		if (!why || memcmp(&r, &before, sizeof(r)) != 0)
			abort(); /* refused: says why, leaves the rule as it was */
		return;
	}
	if (r.link_class > UM3N_CLASS_MAX || r.mode > UM3N_MODE_MAX || r.pct > 100 ||
	    r.loss_pct > 100 || (r.pct && r.mode != UM3N_MODE_LOAD_BALANCE))
		abort();
	if (um3n_policy_action_format(&r, buf, sizeof(buf)) >= (int)sizeof(buf))
		abort();
	memset(&back, 0, sizeof(back));
	if (um3n_policy_action_parse(buf, &back, &why) != 0 || !same_rule(&r, &back))
		abort();
}

static void prefix(const char *text)
{
	struct um3n_addr a, b;
	uint8_t plen, plen2;
	char addr[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	memset(&a, 0x5a, sizeof(a));
	plen = 0x5a;
	if (um3n_policy_prefix_parse(text, &a, &plen) != 0) {
		struct um3n_addr zero;

		memset(&zero, 0, sizeof(zero));
		if (plen != 0 || memcmp(&a, &zero, sizeof(a)) != 0)
			abort();
		return;
	}
	if (a.family == UM3N_AF_INET) {
		if (plen > 32 || !inet_ntop(AF_INET, a.bytes, addr, sizeof(addr)))
			abort();
	} else if (a.family == UM3N_AF_INET6) {
		if (plen > 128 || !inet_ntop(AF_INET6, a.bytes, addr, sizeof(addr)))
			abort();
	} else {
		abort();
	}
	snprintf(buf, sizeof(buf), "%s/%u", addr, plen);
	if (um3n_policy_prefix_parse(buf, &b, &plen2) != 0 || plen2 != plen ||
	    !um3n_addr_eq(&a, &b))
		abort();
}

static void names(const char *text)
{
	uint8_t v, w;

	if (um3n_policy_class_parse(text, &v) == 0 &&
	    (v > UM3N_CLASS_MAX || um3n_policy_class_parse(um3n_policy_class_name(v), &w) != 0 ||
	     w != v))
		abort();
	if (um3n_policy_mode_parse(text, &v) == 0 &&
	    (v > UM3N_MODE_MAX || um3n_policy_mode_parse(um3n_policy_mode_name(v), &w) != 0 ||
	     w != v))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: action(text); break;
	case 1: prefix(text); break;
	default: names(text); break;
	}
	free(text);
	return 0;
}
