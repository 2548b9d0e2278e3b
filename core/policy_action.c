/* The text of a rule's action, what follows the prefix in a config line:
 * "CLASS [MODE [PCT]] [rtt_ms=N] [loss_pct=N]". One parser for the daemon's
 * config and the simulator's scenarios, so that both accept exactly the same
 * words, and its inverse for `um3nctl show` and logs.
 *
 * Decisions worth knowing:
 * - PCT follows load-balance and only it, and is required there: a split
 *   nobody chose (50%?) would be a silent guess.
 * - A threshold of 0 is refused rather than read as "none": rtt_ms=0 would
 *   exclude every link that has an RTT and loss_pct=0 every link that ever
 *   lost one probe, which no one means; leaving the key out means none. */
#include "policy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define ACTION_TEXT_MAX 128
#define ACTION_WORDS_MAX 8

/* Strict decimal 0..max: digits only, no sign or leading zero. -1 if not. */
static long parse_uint(const char *s, long max)
{
	size_t n = strspn(s, "0123456789");
	long v = 0;

	if (n == 0 || n > 6 || s[n] != '\0' || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v <= max ? v : -1;
}

/* Splits buf in place at blanks; returns the word count, or -1 if too many. */
static int split(char *buf, char *words[ACTION_WORDS_MAX])
{
	int n = 0;

	for (char *s = buf; *s;) {
		s += strspn(s, " \t");
		if (!*s)
			break;
		if (n == ACTION_WORDS_MAX)
			return -1;
		words[n++] = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int threshold(const char *word, struct um3n_policy_rule *r, const char **why)
{
	long v;

	if (strncmp(word, "rtt_ms=", 7) == 0) {
		v = parse_uint(word + 7, 65535);
		if (v < 1 || r->rtt_ms) {
			*why = "rtt_ms=N wants 1..65535, once";
			return UM3N_EINVAL;
		}
		r->rtt_ms = (uint16_t)v;
		return UM3N_OK;
	}
	if (strncmp(word, "loss_pct=", 9) == 0) {
		v = parse_uint(word + 9, 100);
		if (v < 1 || r->loss_pct) {
			*why = "loss_pct=N wants 1..100, once";
			return UM3N_EINVAL;
		}
		r->loss_pct = (uint8_t)v;
		return UM3N_OK;
	}
	*why = "unknown word (want CLASS [MODE [PCT]] [rtt_ms=N] [loss_pct=N])";
	return UM3N_EINVAL;
}

static int action_parse(char *buf, struct um3n_policy_rule *r, const char **why)
{
	char *w[ACTION_WORDS_MAX];
	int n = split(buf, w), i = 1;
	long pct;

	if (n < 1) {
		*why = n ? "too many words" : "missing CLASS";
		return UM3N_EINVAL;
	}
	if (um3n_policy_class_parse(w[0], &r->link_class)) {
		*why = "bad CLASS (any|cell|wifi|wired|classN)";
		return UM3N_EINVAL;
	}
	if (i < n && !strchr(w[i], '=')) {
		if (um3n_policy_mode_parse(w[i], &r->mode)) {
			*why = "bad MODE (active-standby|smallest-delay|load-balance PCT|priority|"
			       "redundant|aggregate)";
			return UM3N_EINVAL;
		}
		i++;
	}
	if (r->mode == UM3N_MODE_LOAD_BALANCE) {
		pct = i < n ? parse_uint(w[i], 100) : -1;
		if (pct < 0) {
			*why = "load-balance wants PCT, 0..100";
			return UM3N_EINVAL;
		}
		r->pct = (uint8_t)pct;
		i++;
	}
	for (; i < n; i++)
		if (threshold(w[i], r, why))
			return UM3N_EINVAL;
	return UM3N_OK;
}

int um3n_policy_action_parse(const char *text, struct um3n_policy_rule *r, const char **why)
{
	char buf[ACTION_TEXT_MAX];
	const char *dummy;
	struct um3n_policy_rule tmp;
	size_t len;
	int rc;

	if (!why)
		why = &dummy;
	if (!text || !r || (len = strlen(text)) >= sizeof(buf)) {
		*why = "too long";
		return UM3N_EINVAL;
	}
	memcpy(buf, text, len + 1);
	/* Parsed into a copy: a failure leaves r as it was. */
	tmp = *r;
	tmp.mode = UM3N_MODE_PREFER;
	tmp.pct = tmp.loss_pct = 0;
	tmp.rtt_ms = 0;
	rc = action_parse(buf, &tmp, why);
	if (rc)
		return rc;
	assert(tmp.pct <= 100 && tmp.loss_pct <= 100 && tmp.mode <= UM3N_MODE_MAX);
	*r = tmp;
	return UM3N_OK;
}

int um3n_policy_action_format(const struct um3n_policy_rule *r, char *buf, size_t cap)
{
	char pct[8] = "", rtt[16] = "", loss[16] = "";

	assert(r && buf);
	if (r->mode == UM3N_MODE_LOAD_BALANCE)
		snprintf(pct, sizeof(pct), " %u", r->pct);
	if (r->rtt_ms)
		snprintf(rtt, sizeof(rtt), " rtt_ms=%u", r->rtt_ms);
	if (r->loss_pct)
		snprintf(loss, sizeof(loss), " loss_pct=%u", r->loss_pct);
	return snprintf(buf, cap, "%s %s%s%s%s", um3n_policy_class_name(r->link_class),
			um3n_policy_mode_name(r->mode), pct, rtt, loss);
}
