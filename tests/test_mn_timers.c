/* mn_timers: the MN's deadlines behind their hooks. next_wake is the minimum
 * over all of them (and nothing else), what is due is asked in order, the
 * silence floor adapts to false alarms; through the engine, the timeout
 * contract (call it whenever: early and repeated calls do nothing) and a whole
 * life in which the engine feeds its machines no unexpected event. */
#include <string.h>

#include "mn_int.h"
#include "pairnet.h"
#include "testutil.h"

#define MS 1000ull
#define SEC 1000000ull
#define NONE UM3N_TIME_NONE

/* An engine with both links configured and nothing happened yet. */
static struct um3n_mn *fresh_mn(struct pairnet *net)
{
	struct um3n_mn *mn;

	pairnet_init(net, NULL);
	mn = um3n_mn_new(&net->mn_conf, &net->env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mn);
	return mn;
}

static void fini_mn(struct pairnet *net, struct um3n_mn *mn)
{
	um3n_mn_free(mn);
	pairnet_fini(net);
}

static void test_nothing_pending(void)
{
	struct pairnet net;
	struct um3n_mn *mn = fresh_mn(&net);

	for (size_t i = 0; i < net.mn_conf.n_links; i++) {
		const struct mn_timers *t = &mn->links[i].tm;

		CU_ASSERT_EQUAL(t->reg_us, NONE);
		CU_ASSERT_EQUAL(t->expires_us, NONE);
		CU_ASSERT_EQUAL(t->probe_us, NONE);
		CU_ASSERT_EQUAL(t->dead_floor_us, net.mn_conf.dead_after_us);
	}
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), NONE);
	um3n_mn_timeout(mn, 5 * SEC); /* nothing due: nothing out */
	{
		struct um3n_out o;

		CU_ASSERT_FALSE(um3n_mn_poll_output(mn, &o));
	}
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), NONE);
	fini_mn(&net, mn);
}

/* Each deadline set through its hook moves next_wake to it while it is the
 * earliest, and clearing it moves next_wake back. */
static void test_next_wake_is_the_minimum(void)
{
	struct pairnet net;
	struct um3n_mn *mn = fresh_mn(&net);
	struct mn_link *wifi = &mn->links[1];
	uint64_t silent_at;

	mn_timers_reg_arm(mn, 0, 9 * SEC);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 9 * SEC);
	mn_timers_bound(mn, 1, 7 * SEC);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 7 * SEC);
	/* a bound link with carrier probes: at once while it has no probe yet */
	wifi->carrier = true;
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 0);
	mn_timers_probe_sent(mn, 1, 1 * SEC);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 1 * SEC + net.mn_conf.probe_interval_us);
	/* usable and heard: its silence deadline counts (floor 75 ms > RTO-like bound) */
	wifi->lm.state = UM3N_LS_UP;
	mn_timers_heard(mn, 1, 1 * SEC);
	silent_at = 1 * SEC + net.mn_conf.dead_after_us;
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 1 * SEC + net.mn_conf.probe_interval_us);
	mn_timers_probe_sent(mn, 1, 2 * SEC);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), silent_at);
	/* a noted silence is not a deadline any more */
	mn_timers_silence_kept(mn, 1);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 2 * SEC + net.mn_conf.probe_interval_us);
	mn_timers_became_usable(mn);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), silent_at);
	/* no binding: no probing, no silence; then the registration timer alone */
	mn_timers_unbound(mn, 1);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), 9 * SEC);
	mn_timers_reg_disarm(mn, 0);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(mn), NONE);
	fini_mn(&net, mn);
}

static void test_due_in_order(void)
{
	struct pairnet net;
	struct um3n_mn *mn = fresh_mn(&net);
	struct mn_link *cell = &mn->links[0];

	mn_timers_reg_arm(mn, 0, 3 * SEC);
	CU_ASSERT_FALSE(mn_timers_reg_due(mn, 0, 3 * SEC - 1));
	CU_ASSERT_TRUE(mn_timers_reg_due(mn, 0, 3 * SEC));
	CU_ASSERT_TRUE(mn_timers_reg_due(mn, 0, 4 * SEC)); /* late: still due */
	CU_ASSERT_FALSE(mn_timers_reg_due(mn, 1, 4 * SEC));
	/* expiry: due once, then the binding is gone */
	mn_timers_bound(mn, 0, 5 * SEC);
	CU_ASSERT_FALSE(mn_timers_binding_expired(mn, 0, 5 * SEC - 1));
	CU_ASSERT_TRUE(mn_timers_binding_expired(mn, 0, 6 * SEC));
	CU_ASSERT_FALSE(mn_timers_binding_expired(mn, 0, 6 * SEC));
	CU_ASSERT_EQUAL(cell->tm.expires_us, NONE);
	/* probes: none without a binding (the deadline is dropped) ... */
	cell->carrier = true;
	cell->tm.probe_us = 1 * SEC; /* left over from before the expiry */
	CU_ASSERT_FALSE(mn_timers_probe_due(mn, 0, 6 * SEC));
	CU_ASSERT_EQUAL(cell->tm.probe_us, NONE);
	/* ... with one, the first at once, then every interval (data just
	 * flowed: the fast interval, test 07 has the idle one) */
	mn_timers_active(mn, 6 * SEC);
	mn_timers_bound(mn, 0, 60 * SEC);
	CU_ASSERT_TRUE(mn_timers_probe_due(mn, 0, 6 * SEC));
	mn_timers_probe_sent(mn, 0, 6 * SEC);
	CU_ASSERT_FALSE(mn_timers_probe_due(mn, 0, 6 * SEC + net.mn_conf.probe_interval_us - 1));
	CU_ASSERT_TRUE(mn_timers_probe_due(mn, 0, 6 * SEC + net.mn_conf.probe_interval_us));
	/* silence: only on a usable link, after dead_after */
	mn_timers_heard(mn, 0, 6 * SEC);
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, 7 * SEC)); /* probing, not usable */
	cell->lm.state = UM3N_LS_DEGRADED;
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, 6 * SEC + net.mn_conf.dead_after_us - 1));
	CU_ASSERT_TRUE(mn_timers_silence_due(mn, 0, 6 * SEC + net.mn_conf.dead_after_us));
	mn_timers_silence_kept(mn, 0);
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, 8 * SEC));
	fini_mn(&net, mn);
}

/* A link heard again within a second of failing was a false alarm: its silence
 * floor doubles up to 1 s; 30 s up without failing halves it back. */
static void test_silence_floor(void)
{
	static const uint64_t floors_ms[] = {150, 300, 600, 1000, 1000};
	struct pairnet net;
	struct um3n_mn *mn = fresh_mn(&net);
	struct mn_link *l = &mn->links[0];
	uint64_t now_us = 10 * SEC;

	CU_ASSERT_EQUAL(net.mn_conf.dead_after_us, 75 * MS);
	l->carrier = true;
	mn_timers_bound(mn, 0, 3600 * SEC);
	for (size_t i = 0; i < sizeof(floors_ms) / sizeof(floors_ms[0]); i++) {
		l->lm.state = UM3N_LS_FAILED;
		mn_timers_failed(mn, 0, now_us);
		mn_timers_heard(mn, 0, now_us + 500 * MS);
		CU_ASSERT_EQUAL(l->tm.dead_floor_us, floors_ms[i] * MS);
		now_us += 2 * SEC;
	}
	/* heard after more than a second: not a false alarm */
	mn_timers_failed(mn, 0, now_us);
	l->tm.dead_floor_us = 150 * MS;
	mn_timers_heard(mn, 0, now_us + 1 * SEC);
	CU_ASSERT_EQUAL(l->tm.dead_floor_us, 150 * MS);
	/* decay: judged with the silence, only while UP for 30 s since the failure */
	l->lm.state = UM3N_LS_UP;
	mn_timers_heard(mn, 0, now_us + 29 * SEC);
	mn_timers_silence_due(mn, 0, now_us + 29 * SEC);
	CU_ASSERT_EQUAL(l->tm.dead_floor_us, 150 * MS);
	mn_timers_heard(mn, 0, now_us + 30 * SEC);
	mn_timers_silence_due(mn, 0, now_us + 30 * SEC);
	CU_ASSERT_EQUAL(l->tm.dead_floor_us, 75 * MS);
	fini_mn(&net, mn);
}

static size_t outputs(struct um3n_mn *mn)
{
	struct um3n_out o;
	size_t n = 0;

	while (um3n_mn_poll_output(mn, &o))
		n++;
	return n;
}

/* mn.h: call um3n_mn_timeout whenever; before the next wake and again at the
 * same instant it does nothing, at the wake it does what is due once. */
static void test_timeout_whenever(void)
{
	struct pairnet net;
	struct um3n_mn_status before, after;
	uint64_t wake;

	pairnet_init(&net, NULL);
	pairnet_start(&net);
	pairnet_run(&net, 2 * SEC);
	wake = um3n_mn_next_wake_us(net.mn);
	CU_ASSERT(wake > net.now_us && wake != NONE);
	um3n_mn_status(net.mn, net.now_us, &before);
	for (int i = 0; i < 3; i++) /* repeated */
		um3n_mn_timeout(net.mn, net.now_us);
	for (int i = 0; i < 3; i++) /* early */
		um3n_mn_timeout(net.mn, wake - 1);
	CU_ASSERT_EQUAL(outputs(net.mn), 0);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(net.mn), wake);
	um3n_mn_status(net.mn, net.now_us, &after);
	CU_ASSERT_EQUAL(memcmp(&before.links, &after.links, sizeof(before.links)), 0);
	/* at the wake something is done (a probe), and the wake moves on */
	um3n_mn_timeout(net.mn, wake);
	CU_ASSERT(outputs(net.mn) >= 1);
	CU_ASSERT(um3n_mn_next_wake_us(net.mn) > wake);
	um3n_mn_timeout(net.mn, wake); /* repeated at the wake: nothing more */
	CU_ASSERT_EQUAL(outputs(net.mn), 0);
	wake = um3n_mn_next_wake_us(net.mn);
	um3n_mn_timeout(net.mn, wake - 1);
	CU_ASSERT_EQUAL(outputs(net.mn), 0);
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(net.mn), wake);
	pairnet_fini(&net);
}

/* Registration, refreshes, weak and strong signal, a new address, a link
 * down and up, a silent cut and its failover, shutdown twice and the
 * deregistration that gives up on the cut link: the engine feeds its
 * registration machines and link monitors only events their tables expect. */
static void test_a_life_without_unexpected_events(void)
{
	struct pairnet net;
	struct um3n_mn_status st;
	struct um3n_sockaddr addr;

	pairnet_init(&net, NULL);
	net.mn_conf.lifetime_s = 4; /* refreshes every 3 s */
	pairnet_start(&net);
	pairnet_run(&net, 10 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -90);
	pairnet_run(&net, 11 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_SIGNAL, -50);
	pairnet_run(&net, 12 * SEC);
	addr = net.mn_conf.links[0].local;
	addr.port++;
	um3n_mn_link_addr(net.mn, net.now_us, 0, &addr); /* a new care-of address */
	pairnet_run(&net, 13 * SEC);
	addr.port--;
	um3n_mn_link_addr(net.mn, net.now_us, 0, &addr);
	pairnet_run(&net, 14 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 0, UM3N_LINK_EV_DOWN, 0);
	um3n_mn_link_event(net.mn, net.now_us, 0, UM3N_LINK_EV_SIGNAL, -90);
	pairnet_run(&net, 15 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 0, UM3N_LINK_EV_UP, 0);
	pairnet_run(&net, 20 * SEC);
	net.link_cut[1] = true;
	pairnet_run(&net, 30 * SEC);
	um3n_mn_status(net.mn, net.now_us, &st);
	CU_ASSERT_EQUAL(st.links[1].state, UM3N_LS_FAILED);
	CU_ASSERT(st.links[1].lifetime_left_s == 0);
	um3n_mn_shutdown(net.mn, net.now_us);
	um3n_mn_shutdown(net.mn, net.now_us);
	pairnet_run(&net, 60 * SEC);
	um3n_mn_link_event(net.mn, net.now_us, 1, UM3N_LINK_EV_DOWN, 0);
	pairnet_run(&net, 70 * SEC);
	um3n_mn_status(net.mn, net.now_us, &st);
	for (size_t i = 0; i < st.n_links; i++) {
		CU_ASSERT_EQUAL(st.links[i].unexpected_events, 0);
		CU_ASSERT_EQUAL(st.links[i].reg_state, UM3N_REG_IDLE);
	}
	CU_ASSERT_EQUAL(um3n_mn_next_wake_us(net.mn), NONE);
	pairnet_fini(&net);
}

/* Idle probing: with no data for idle_after_us the next probe waits the
 * keepalive (the HA's, when shorter) and says so; the silence deadline moves
 * with it. Data brings the probe forward to now and judges silence from
 * then: a link last heard a keepalive ago is not failed at once. */
static void test_idle_probing(void)
{
	struct pairnet net;
	struct um3n_mn *mn = fresh_mn(&net);
	struct mn_link *cell = &mn->links[0];
	const uint64_t fast = net.mn_conf.probe_interval_us, idle_at = 1 * SEC + 5 * SEC;

	cell->carrier = true;
	cell->lm.state = UM3N_LS_UP;
	mn_timers_bound(mn, 0, 600 * SEC);
	mn_timers_active(mn, 1 * SEC);
	mn_timers_probe_sent(mn, 0, 1 * SEC);
	CU_ASSERT_EQUAL(cell->tm.probe_us, 1 * SEC + fast);
	CU_ASSERT_EQUAL(mn_timers_probe_interval_ms(mn, 0), fast / 1000);
	mn_timers_heard(mn, 0, idle_at - 1);
	mn_timers_probe_sent(mn, 0, idle_at - 1); /* not idle yet */
	CU_ASSERT_EQUAL(cell->tm.probe_us, idle_at - 1 + fast);
	mn_timers_probe_sent(mn, 0, idle_at); /* idle: the keepalive */
	CU_ASSERT_EQUAL(cell->tm.probe_us, idle_at + 25 * SEC);
	CU_ASSERT_EQUAL(mn_timers_probe_interval_ms(mn, 0), 25000);
	mn_timers_heard(mn, 0, idle_at + 20 * 1000);
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, idle_at + 20 * SEC));
	CU_ASSERT(um3n_mn_next_wake_us(mn) >= idle_at + 25 * SEC - 1);
	/* the HA asked for less: its keepalive */
	mn->ha_keepalive_s = 10;
	mn_timers_probe_sent(mn, 0, idle_at + 25 * SEC);
	CU_ASSERT_EQUAL(cell->tm.probe_us, idle_at + 35 * SEC);
	/* data 30 s after the last answer: a probe now, silence from now */
	mn_timers_active(mn, idle_at + 30 * SEC);
	CU_ASSERT_EQUAL(cell->tm.probe_us, idle_at + 30 * SEC);
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, idle_at + 30 * SEC));
	mn_timers_probe_sent(mn, 0, idle_at + 30 * SEC);
	CU_ASSERT_EQUAL(mn_timers_probe_interval_ms(mn, 0), fast / 1000);
	CU_ASSERT_FALSE(mn_timers_silence_due(mn, 0, idle_at + 30 * SEC + 74000));
	CU_ASSERT_TRUE(mn_timers_silence_due(mn, 0, idle_at + 30 * SEC + 75000));
	/* idle_after 0: never idle */
	mn->conf.idle_after_us = 0;
	mn_timers_probe_sent(mn, 0, idle_at + 300 * SEC);
	CU_ASSERT_EQUAL(cell->tm.probe_us, idle_at + 300 * SEC + fast);
	fini_mn(&net, mn);
}

static CU_TestInfo mn_timers_tests[] = {
	{"01 a new engine has no deadline", test_nothing_pending},
	{"02 next_wake is the minimum over every deadline", test_next_wake_is_the_minimum},
	{"03 what is due: registration, expiry, probe, silence", test_due_in_order},
	{"04 the silence floor: false alarms double it, quiet halves it", test_silence_floor},
	{"05 timeout whenever: early and repeated calls do nothing", test_timeout_whenever},
	{"06 a whole life feeds no unexpected event", test_a_life_without_unexpected_events},
	{"07 idle probing: the keepalive, the HA's if shorter, fast again on data",
	 test_idle_probing},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"mn_timers", mn_timers_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
