/* ha_timers: the HA's deadlines as numbered hook steps on one binding (what
 * each hook writes, what the wake-up becomes), then the um3n_ha_timeout
 * contract of ha.h on a real engine pair: calling it early, late or twice
 * does only what is due. */
#include <stdio.h>
#include <string.h>

#include "ha_timers.h"
#include "pairnet.h"
#include "testutil.h"

#define DEAD 75000u
#define NONE UM3N_TIME_NONE

enum step_op { OP_UPDATED, OP_HEARD, OP_HEARD_AFTER_FAILURE, OP_SCAN, OP_KEPT, OP_WATCH };

struct timer_step {
	int num;
	enum step_op op;
	uint64_t now_us;
	uint16_t lifetime_s; /* OP_UPDATED */
	bool due;            /* OP_SCAN: whether it was due */
	uint64_t expires_us, last_heard_us, next_wake_us;
};

/* One binding with dead_after 75 ms, written from ha_timers.h's list of
 * deadlines: the wake-up is the earliest one asked for since the last scan. */
/* clang-format off */
static const struct timer_step steps[] = {
	/* registered at 1 s for 10 s: expiry at 11 s, silence at 1.075 s */
	{1, OP_UPDATED, 1000000, 10, false, 11000000, 1000000, 1075000},
	/* heard 10 ms later: not after a quiet spell, nothing asked */
	{2, OP_HEARD, 1010000, 0, false, 11000000, 1010000, 1075000},
	/* too early: not due, nothing changes */
	{3, OP_SCAN, 1074999, 0, false, 11000000, 1010000, 1075000},
	/* due: the wake-up is cleared for the scan to re-arm */
	{4, OP_SCAN, 1075000, 0, true, 11000000, 1010000, NONE},
	/* the scan keeps the binding (expiry) and, heard lately, watches it */
	{5, OP_KEPT, 1075000, 0, false, 11000000, 1010000, 11000000},
	{6, OP_WATCH, 1075000, 0, false, 11000000, 1010000, 1085000},
	/* due again and nothing heard: the scan keeps only the expiry */
	{7, OP_SCAN, 1085000, 0, true, 11000000, 1010000, NONE},
	{8, OP_KEPT, 1085000, 0, false, 11000000, 1010000, 11000000},
	/* heard after a quiet spell: a scan at once, for the siblings */
	{9, OP_HEARD, 2000000, 0, false, 11000000, 2000000, 2000000},
	/* a FAILED binding heard again: judge its silence dead_after from now */
	{10, OP_HEARD_AFTER_FAILURE, 2000000, 0, false, 11000000, 2000000, 2000000},
	{11, OP_SCAN, 2000000, 0, true, 11000000, 2000000, NONE},
	{12, OP_HEARD_AFTER_FAILURE, 2000000, 0, false, 11000000, 2000000, 2075000},
	/* re-registered with the longest lifetime: the earlier silence wins */
	{13, OP_UPDATED, 2050000, 65535, false, 2050000 + 65535 * 1000000ull, 2050000, 2075000},
	/* a late scan (long after everything) is still only one scan */
	{14, OP_SCAN, 9000000, 0, true, 2050000 + 65535 * 1000000ull, 2050000, NONE},
	{15, OP_SCAN, 9000000, 0, false, 2050000 + 65535 * 1000000ull, 2050000, NONE},
};
/* clang-format on */

/* An HA with a one-record binding cache, the hooks' only state. */
static struct um3n_binding *one_binding(struct um3n_ha *ha, struct um3n_env *env)
{
	struct um3n_mn_rec *rec;

	memset(ha, 0, sizeof(*ha));
	*env = test_env(1);
	ha->conf.dead_after_us = DEAD;
	CU_ASSERT_EQUAL_FATAL(um3n_bcache_init(&ha->cache, env, 1, 0), 0);
	rec = um3n_bcache_get(&ha->cache, env, 0x0ac80002, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	rec->b[0].active = true;
	ha_timers_init(ha);
	return &rec->b[0];
}

static void test_hooks(void)
{
	struct um3n_ha ha;
	struct um3n_env env;
	struct um3n_binding *bp = one_binding(&ha, &env);
#define b (*bp)

	CU_ASSERT_EQUAL(ha_timers_next_wake(&ha), NONE);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct timer_step *s = &steps[i];
		bool due = false;

		switch (s->op) {
		case OP_UPDATED:
			ha_timers_binding_updated(&ha, &b, s->now_us, s->lifetime_s);
			break;
		case OP_HEARD: ha_timers_heard(&ha, &b, s->now_us); break;
		case OP_HEARD_AFTER_FAILURE:
			ha_timers_heard_after_failure(&ha, &b, s->now_us);
			break;
		case OP_SCAN: due = ha_timers_scan_due(&ha, s->now_us) != NULL; break;
		case OP_KEPT: ha_timers_binding_kept(&ha, &b, s->now_us); break;
		case OP_WATCH: ha_timers_watch_silence(&ha, &b, s->now_us); break;
		}
		if (due != s->due || b.expires_us != s->expires_us ||
		    b.lm.last_heard_us != s->last_heard_us ||
		    ha_timers_next_wake(&ha) != s->next_wake_us)
			fprintf(stderr,
				"\n  timers step %d: due %d expires %llu heard %llu wake %llu\n",
				s->num, due, (unsigned long long)b.expires_us,
				(unsigned long long)b.lm.last_heard_us,
				(unsigned long long)ha_timers_next_wake(&ha));
		CU_ASSERT_EQUAL(due, s->due);
		CU_ASSERT_EQUAL(b.expires_us, s->expires_us);
		CU_ASSERT_EQUAL(b.lm.last_heard_us, s->last_heard_us);
		CU_ASSERT_EQUAL(ha_timers_next_wake(&ha), s->next_wake_us);
	}
	b.active = false;
	um3n_bcache_fini(&ha.cache, &env);
}

static void test_queries(void)
{
	struct um3n_ha ha;
	struct um3n_env env;
	struct um3n_binding *bp = one_binding(&ha, &env);

	ha_timers_binding_updated(&ha, &b, 1000000, 1);
	CU_ASSERT_FALSE(ha_timers_expired(&b, 1999999));
	CU_ASSERT_TRUE(ha_timers_expired(&b, 2000000));
	CU_ASSERT_TRUE(ha_timers_heard_lately(&ha, &b, 1000000 + DEAD - 1));
	CU_ASSERT_FALSE(ha_timers_heard_lately(&ha, &b, 1000000 + DEAD));
	b.active = false; /* an unbound binding is never heard */
	CU_ASSERT_FALSE(ha_timers_heard_lately(&ha, &b, 1000000));
	um3n_bcache_fini(&ha.cache, &env);
}
#undef b

/* ha.h: um3n_ha_timeout may be called whenever; before the wake-up it does
 * nothing, at or after it only what is due; the wake-up is never late. */
static void test_timeout_contract(void)
{
	struct pairnet net;
	struct um3n_ha_status before, after;
	struct um3n_out out;
	uint64_t wake;

	pairnet_init(&net, NULL);
	pairnet_start(&net);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net.ha);
	pairnet_run(&net, 2000000);
	wake = um3n_ha_next_wake_us(net.ha);
	CU_ASSERT(wake > net.now_us && wake != UM3N_TIME_NONE);
	um3n_ha_status(net.ha, net.now_us, &before);
	CU_ASSERT_EQUAL(before.n_mns, 1);
	/* early and repeated calls: no output, no change, same wake-up */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(um3n_ha_timeout(net.ha, net.now_us), 0);
		CU_ASSERT_EQUAL(um3n_ha_timeout(net.ha, wake - 1), 0);
	}
	CU_ASSERT_FALSE(um3n_ha_poll_output(net.ha, &out));
	CU_ASSERT_EQUAL(um3n_ha_next_wake_us(net.ha), wake);
	um3n_ha_status(net.ha, net.now_us, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	/* long after every lifetime, one call does what is due: all expire */
	CU_ASSERT_EQUAL(um3n_ha_timeout(net.ha, 4000000000ull), 0);
	um3n_ha_status(net.ha, 4000000000ull, &after);
	CU_ASSERT_EQUAL(after.n_mns, 0);
	CU_ASSERT_EQUAL(after.reg_unexpected, 0);
	CU_ASSERT_EQUAL(um3n_ha_next_wake_us(net.ha), UM3N_TIME_NONE);
	CU_ASSERT_EQUAL(um3n_ha_timeout(net.ha, 4000000001ull), 0);
	pairnet_fini(&net);
}

static CU_TestInfo timers_tests[] = {
	{"01 hooks: numbered steps on one binding", test_hooks},
	{"02 queries: expired, heard lately", test_queries},
	{"03 um3n_ha_timeout contract on an engine pair", test_timeout_contract},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"ha_timers", timers_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
