/* rateest.h: a link's delivery rate from the receiver's reports. A fluid
 * model of one link (a rate, a queue) fed by a sender that offers a load but
 * gives the link no more than the estimate's rate (what the aggregation
 * scheduler does with the link's share), and a receiver that reports every
 * probe interval: the estimate must find the rate from a low start, a high
 * start and no start, follow a drop and a rise, hold while the link is
 * app-limited, survive an outage, and ignore reports that cannot be right. */
#include "rateest.h"
#include "testutil.h"

#define STEP_US 15000 /* the probe interval */

struct link {
	double cap_kbps;   /* what the link can carry now */
	double offer_kbps; /* what the sender has for it */
	double queue_bits;
	double rx_bytes; /* the receiver's counter */
	uint64_t now_us;
};

/* Runs the model for dur_us; returns the estimate's rate at the end. */
static uint32_t run(struct um3n_rateest *e, struct link *l, uint64_t dur_us)
{
	for (uint64_t end = l->now_us + dur_us; l->now_us < end; l->now_us += STEP_US) {
		double dt = STEP_US / 1e6, send = l->offer_kbps, out;

		if (send > e->rate_kbps)
			send = e->rate_kbps;
		l->queue_bits += send * 1000 * dt;
		out = l->cap_kbps * 1000 * dt;
		if (out > l->queue_bits)
			out = l->queue_bits;
		l->queue_bits -= out;
		l->rx_bytes += out / 8;
		um3n_rateest_report(e, (uint32_t)(uint64_t)l->rx_bytes, l->now_us,
				    l->cap_kbps > 0 ? (uint32_t)(l->queue_bits / l->cap_kbps * 1000)
						    : (l->queue_bits > 0 ? 100000 : 0));
	}
	return e->rate_kbps;
}

static bool near(uint32_t got, double want, double tol)
{
	if (got < want * (1 - tol) || got > want * (1 + tol)) {
		fprintf(stderr, "\n  estimate %u, want %.0f +- %.0f%%\n", got, want, tol * 100);
		return false;
	}
	return true;
}

static void test_start_given(void)
{
	struct um3n_rateest e;
	struct link l = {3610, 20000, 0, 0, 1};

	um3n_rateest_init(&e, 3610, 1000);
	CU_ASSERT_EQUAL(e.rate_kbps, 3610); /* the start before any report */
	CU_ASSERT_FALSE(e.startup);
	run(&e, &l, 5000000);
	CU_ASSERT(near(e.est_kbps, 3610, 0.06));
	CU_ASSERT(e.windows >= 45);
	CU_ASSERT(l.queue_bits / 3610 < 60); /* the queue stays under 60 ms */
}

static void test_start_too_low(void)
{
	struct um3n_rateest e;
	struct link l = {14670, 20000, 0, 0, 1};

	um3n_rateest_init(&e, 3610, 1000);
	run(&e, &l, 2000000);
	CU_ASSERT(near(e.est_kbps, 14670, 0.1));
	CU_ASSERT(e.probes > 0);
}

static void test_start_too_high(void)
{
	struct um3n_rateest e;
	struct link l = {3610, 20000, 0, 0, 1};

	um3n_rateest_init(&e, 14670, 1000);
	run(&e, &l, 2000000);
	CU_ASSERT(near(e.est_kbps, 3610, 0.1));
	CU_ASSERT(e.full_windows > 0);
}

static void test_no_start_startup(void)
{
	struct um3n_rateest e;
	struct link l = {20000, 50000, 0, 0, 1};

	um3n_rateest_init(&e, 0, 1000);
	CU_ASSERT_TRUE(e.startup);
	CU_ASSERT_EQUAL(e.rate_kbps, 2000); /* the default, doubled */
	run(&e, &l, 1500000);
	CU_ASSERT_FALSE(e.startup);
	CU_ASSERT(near(e.est_kbps, 20000, 0.1));
}

static void test_follows_drop_and_rise(void)
{
	struct um3n_rateest e;
	struct link l = {14670, 30000, 0, 0, 1};

	um3n_rateest_init(&e, 14670, 1000);
	run(&e, &l, 2000000);
	l.cap_kbps = 3000;
	run(&e, &l, 2000000);
	CU_ASSERT(near(e.est_kbps, 3000, 0.15));
	l.cap_kbps = 20000;
	run(&e, &l, 2000000);
	CU_ASSERT(near(e.est_kbps, 20000, 0.1));
}

/* A link given less than it can carry shows no queue and little delivery:
 * the estimate neither decays to the load nor grows past what was seen. */
static void test_app_limited_holds(void)
{
	struct um3n_rateest e;
	struct link l = {10000, 2000, 0, 0, 1};

	um3n_rateest_init(&e, 10000, 1000);
	run(&e, &l, 5000000);
	CU_ASSERT_EQUAL(e.est_kbps, 10000);
	CU_ASSERT(e.delivered_kbps < 2200);
}

/* An outage with the queue standing takes the estimate down, to the floor
 * (1/8 of the start) at worst; back up within two seconds of the return. */
static void test_outage_floor_and_return(void)
{
	struct um3n_rateest e;
	struct link l = {5000, 20000, 0, 0, 1};

	um3n_rateest_init(&e, 5000, 1000);
	run(&e, &l, 1000000);
	l.cap_kbps = 0;
	run(&e, &l, 3000000);
	CU_ASSERT_EQUAL(e.est_kbps, 625);
	l.cap_kbps = 5000;
	l.queue_bits = 0;
	run(&e, &l, 2000000);
	CU_ASSERT(near(e.est_kbps, 5000, 0.15));
}

/* A clock that goes back, a silence longer than STALE_US and a counter that
 * starts again (a restarted peer) restart the window and decide nothing. */
static void test_bad_reports_restart(void)
{
	struct um3n_rateest e;

	um3n_rateest_init(&e, 4000, 1000);
	um3n_rateest_report(&e, 1000000, 10000000, 0);
	CU_ASSERT_FALSE(um3n_rateest_report(&e, 1050000, 9000000, 0)); /* back */
	CU_ASSERT_EQUAL(e.restarts, 1);
	CU_ASSERT_FALSE(um3n_rateest_report(&e, 1100000, 11000000, 0)); /* 2 s silent */
	CU_ASSERT_EQUAL(e.restarts, 2);
	CU_ASSERT_FALSE(um3n_rateest_report(&e, 500, 11200000, 0)); /* counter reset */
	CU_ASSERT_EQUAL(e.restarts, 3);
	CU_ASSERT_EQUAL(e.windows, 0);
	CU_ASSERT_EQUAL(e.est_kbps, 4000);
	/* and the counter's wrap is no reset: 2^32 - 1000 to 24000 in 100 ms */
	um3n_rateest_report(&e, 0xfffffc18u, 11300000, 0);
	um3n_rateest_report(&e, 24000, 11400000, 0);
	CU_ASSERT_EQUAL(e.windows, 1);
	CU_ASSERT_EQUAL(e.delivered_kbps, 2000);
}

/* full: the last window's queue stayed above QBUSY throughout. One report
 * under it clears it at the next window; a restart forgets it. */
static void test_full_flag(void)
{
	struct um3n_rateest e;
	uint64_t t = 1000000;
	uint32_t bytes = 0;

	um3n_rateest_init(&e, 4000, 1000);
	for (int i = 0; i < 8; i++, t += 25000, bytes += 12500) /* 4 Mbit/s, 20 ms queue */
		um3n_rateest_report(&e, bytes, t, 20000);
	CU_ASSERT_TRUE(e.full);
	for (int i = 0; i < 8; i++, t += 25000, bytes += 12500)
		um3n_rateest_report(&e, bytes, t, i == 3 ? 1000 : 20000);
	CU_ASSERT_FALSE(e.full); /* the window with the 1 ms report */
	for (int i = 0; i < 8; i++, t += 25000, bytes += 12500)
		um3n_rateest_report(&e, bytes, t, 20000);
	CU_ASSERT_TRUE(e.full);
	um3n_rateest_report(&e, bytes, t + 2000000, 20000); /* 2 s silent */
	CU_ASSERT_FALSE(e.full);
}

/* A probe that finds no more leaves a queue of up to an eighth of a window
 * on a link that was full; at the estimate the link would never drain it
 * (a radio's CoDel then drops from it). The window after such a probe gives
 * the link that much less, so the queue is gone by the next probe (in this
 * model a saturated link's queue then averages 6.5 ms, 13 without). A
 * link the sender does not fill builds no queue and loses no rate. */
static void test_probe_drained(void)
{
	struct um3n_rateest e;
	struct link l = {3610, 20000, 0, 0, 1};
	double sum_ms = 0, min_ms = 1e9;
	int n = 0;

	um3n_rateest_init(&e, 3610, 1000);
	run(&e, &l, 2000000);
	for (int i = 0; i < 200; i++, n++) { /* 3 s */
		run(&e, &l, STEP_US);
		sum_ms += l.queue_bits / l.cap_kbps;
		if (l.queue_bits / l.cap_kbps < min_ms)
			min_ms = l.queue_bits / l.cap_kbps;
	}
	CU_ASSERT(sum_ms / n < 8.0); /* 6.5 ms; 13.1 without the drain */
	CU_ASSERT(min_ms < 1.0);     /* emptied; 12 ms at least without */
	CU_ASSERT(e.probes >= 10);
	CU_ASSERT(near(e.est_kbps, 3610, 0.06));

	l = (struct link){10000, 9500, 0, 0, 1}; /* filled to 95%: no queue */
	um3n_rateest_init(&e, 10000, 1000);
	for (int i = 0; i < 300; i++) {
		run(&e, &l, STEP_US);
		CU_ASSERT_FATAL(e.rate_kbps >= e.est_kbps);
	}
	CU_ASSERT(e.probes >= 10);
}

static CU_TestInfo rateest_tests[] = {
	{"1 a right start stays, the queue short", test_start_given},
	{"2 a start 4x too low rises to the link's rate", test_start_too_low},
	{"3 a start 4x too high falls to it", test_start_too_high},
	{"4 no start: startup finds 20 Mbit/s", test_no_start_startup},
	{"5 follows a drop to 1/5 and a rise", test_follows_drop_and_rise},
	{"6 app-limited: no decay, no growth", test_app_limited_holds},
	{"7 outage: down to the floor, back after", test_outage_floor_and_return},
	{"8 clock back, silence, counter reset, wrap", test_bad_reports_restart},
	{"9 full: a window queued throughout, cleared by one without or a restart", test_full_flag},
	{"10 the queue a probe left is drained; none, nothing taken", test_probe_drained},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"rateest", rateest_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
