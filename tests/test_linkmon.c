/* linkmon: the whole transition table (including the events each state ignores,
 * those it does not expect, and the weak flag), the failures counter, the RFC 6298 estimator against
 * hand-computed values, and probe loss accounting. */
#include <stdio.h>
#include <string.h>

#include "linkmon.h"
#include "testutil.h"

#define DN UM3N_LS_DOWN
#define PR UM3N_LS_PROBING
#define UP UM3N_LS_UP
#define DG UM3N_LS_DEGRADED
#define FL UM3N_LS_FAILED
#define E false /* the table has a row for the pair */
#define X true  /* it has none: unexpected, logged and counted */

struct lm_case {
	int num;
	int state;
	bool weak; /* signal flag before the event */
	enum um3n_lm_event ev;
	int expect;
	bool expect_weak;
	bool unexpected;
};

/* Every (state, event) pair with a strong signal, then the cases where the
 * weak flag decides. The expected states are written from the design (§1
 * linkmon, engine.h state comments), not from the implementation. X marks the
 * pairs no engine feeds: carrier-up while the carrier is up, a confirmation or
 * a packet on a link that is down, silence before the link was confirmed. */
/* clang-format off */
static const struct lm_case lm_cases[] = {
	/* DOWN: only carrier-up matters */
	{1, DN, false, UM3N_LM_EV_CARRIER_UP, PR, false, E},
	{2, DN, false, UM3N_LM_EV_CARRIER_DOWN, DN, false, E},
	{3, DN, false, UM3N_LM_EV_CONFIRMED, DN, false, X},
	{4, DN, false, UM3N_LM_EV_HEARD, DN, false, X},
	{5, DN, false, UM3N_LM_EV_SILENT, DN, false, E},
	{6, DN, false, UM3N_LM_EV_WEAK, DN, true, E},
	{7, DN, false, UM3N_LM_EV_STRONG, DN, false, E},
	/* PROBING: waits for the HA */
	{8, PR, false, UM3N_LM_EV_CARRIER_UP, PR, false, X},
	{9, PR, false, UM3N_LM_EV_CARRIER_DOWN, DN, false, E},
	{10, PR, false, UM3N_LM_EV_CONFIRMED, UP, false, E},
	{11, PR, false, UM3N_LM_EV_HEARD, PR, false, E},
	{12, PR, false, UM3N_LM_EV_SILENT, PR, false, X},
	{13, PR, false, UM3N_LM_EV_WEAK, PR, true, E},
	{14, PR, false, UM3N_LM_EV_STRONG, PR, false, E},
	/* UP */
	{15, UP, false, UM3N_LM_EV_CARRIER_UP, UP, false, X},
	{16, UP, false, UM3N_LM_EV_CARRIER_DOWN, DN, false, E},
	{17, UP, false, UM3N_LM_EV_CONFIRMED, UP, false, E},
	{18, UP, false, UM3N_LM_EV_HEARD, UP, false, E},
	{19, UP, false, UM3N_LM_EV_SILENT, FL, false, E},
	{20, UP, false, UM3N_LM_EV_WEAK, DG, true, E},
	{21, UP, false, UM3N_LM_EV_STRONG, UP, false, E},
	/* DEGRADED */
	{22, DG, true, UM3N_LM_EV_CARRIER_UP, DG, true, X},
	{23, DG, true, UM3N_LM_EV_CARRIER_DOWN, DN, true, E},
	{24, DG, true, UM3N_LM_EV_CONFIRMED, DG, true, E},
	{25, DG, true, UM3N_LM_EV_HEARD, DG, true, E},
	{26, DG, true, UM3N_LM_EV_SILENT, FL, true, E},
	{27, DG, true, UM3N_LM_EV_WEAK, DG, true, E},
	{28, DG, true, UM3N_LM_EV_STRONG, UP, false, E},
	/* FAILED */
	{29, FL, false, UM3N_LM_EV_CARRIER_UP, FL, false, X},
	{30, FL, false, UM3N_LM_EV_CARRIER_DOWN, DN, false, E},
	{31, FL, false, UM3N_LM_EV_CONFIRMED, UP, false, E},
	{32, FL, false, UM3N_LM_EV_HEARD, UP, false, E},
	{33, FL, false, UM3N_LM_EV_SILENT, FL, false, E},
	{34, FL, false, UM3N_LM_EV_WEAK, FL, true, E},
	{35, FL, false, UM3N_LM_EV_STRONG, FL, false, E},
	/* the weak flag: a link that comes (back) up while weak is DEGRADED */
	{36, PR, true, UM3N_LM_EV_CONFIRMED, DG, true, E},
	{37, FL, true, UM3N_LM_EV_HEARD, DG, true, E},
	{38, FL, true, UM3N_LM_EV_CONFIRMED, DG, true, E},
	{39, FL, true, UM3N_LM_EV_STRONG, FL, false, E},
	{40, UP, true, UM3N_LM_EV_WEAK, DG, true, E},
	{41, DN, true, UM3N_LM_EV_CARRIER_UP, PR, true, E},
	{42, DG, false, UM3N_LM_EV_STRONG, UP, false, E},
};
/* clang-format on */

static void test_transition_table(void)
{
	struct um3n_env env = test_env(1);

	for (size_t i = 0; i < sizeof(lm_cases) / sizeof(lm_cases[0]); i++) {
		const struct lm_case *c = &lm_cases[i];
		struct um3n_linkmon lm;
		long logs_before = test_env_state()->log_lines;
		int got;

		um3n_linkmon_init(&lm);
		lm.state = c->state;
		lm.weak = c->weak;
		got = um3n_linkmon_event(&lm, &env, "t", c->ev);
		if (got != c->expect || lm.state != c->expect || lm.weak != c->expect_weak)
			fprintf(stderr,
				"\n  linkmon case %d: %s on %s (weak %d) -> %s (weak %d), want "
				"%s\n",
				c->num, um3n_linkmon_event_name(c->ev),
				um3n_linkmon_state_name(c->state), c->weak,
				um3n_linkmon_state_name(got), lm.weak,
				um3n_linkmon_state_name(c->expect));
		CU_ASSERT_EQUAL(got, c->expect);
		CU_ASSERT_EQUAL(lm.state, c->expect);
		CU_ASSERT_EQUAL(lm.weak, c->expect_weak);
		/* every change is logged, every unexpected event too, and nothing else */
		CU_ASSERT_EQUAL(test_env_state()->log_lines - logs_before,
				(c->expect != c->state ? 1 : 0) + (c->unexpected ? 1 : 0));
		CU_ASSERT_EQUAL(lm.unexpected, c->unexpected ? 1u : 0u);
		/* an unexpected event changes no state (the weak flag is not state) */
		if (c->unexpected)
			CU_ASSERT_EQUAL(c->expect, c->state);
		/* failures counts entries into FAILED */
		CU_ASSERT_EQUAL(lm.failures, c->expect == FL && c->state != FL ? 1u : 0u);
	}
}

static void test_log_line_names_transition(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_linkmon lm;

	um3n_linkmon_init(&lm);
	um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_CARRIER_UP);
	CU_ASSERT_STRING_EQUAL(test_env_state()->last_log,
			       "link wlan0: down --carrier-up--> probing");
}

/* An event with no row is not dropped silently: it is named in the log and
 * counted, and the link keeps its state; the counter adds up. */
static void test_unexpected_logged_and_counted(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_linkmon lm;

	um3n_linkmon_init(&lm);
	CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_HEARD), DN);
	CU_ASSERT_STRING_EQUAL(test_env_state()->last_log,
			       "link wlan0: event heard not expected in state down");
	CU_ASSERT_EQUAL(lm.unexpected, 1);
	um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_CARRIER_UP);
	CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_CARRIER_UP), PR);
	CU_ASSERT_STRING_EQUAL(test_env_state()->last_log,
			       "link wlan0: event carrier-up not expected in state probing");
	CU_ASSERT_EQUAL(lm.unexpected, 2);
	/* expected no-ops (a refresh confirmed on a link that is up) count nothing */
	um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_CONFIRMED);
	CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_CONFIRMED), UP);
	CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_HEARD), UP);
	CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "wlan0", UM3N_LM_EV_STRONG), UP);
	CU_ASSERT_EQUAL(lm.unexpected, 2);
}

/* A whole life: weak while probing, confirmed -> DEGRADED, strong -> UP,
 * silent -> FAILED twice over, failures counted per entry. */
static void test_sequence_and_failures(void)
{
	static const struct {
		enum um3n_lm_event ev;
		int expect;
		uint64_t failures;
	} steps[] = {
		{UM3N_LM_EV_CARRIER_UP, PR, 0},   {UM3N_LM_EV_WEAK, PR, 0},
		{UM3N_LM_EV_CONFIRMED, DG, 0},    {UM3N_LM_EV_STRONG, UP, 0},
		{UM3N_LM_EV_SILENT, FL, 1},       {UM3N_LM_EV_SILENT, FL, 1},
		{UM3N_LM_EV_HEARD, UP, 1},        {UM3N_LM_EV_WEAK, DG, 1},
		{UM3N_LM_EV_SILENT, FL, 2},       {UM3N_LM_EV_HEARD, DG, 2},
		{UM3N_LM_EV_CARRIER_DOWN, DN, 2}, {UM3N_LM_EV_CARRIER_UP, PR, 2},
	};
	struct um3n_env env = test_env(1);
	struct um3n_linkmon lm;

	um3n_linkmon_init(&lm);
	CU_ASSERT_EQUAL(lm.state, DN);
	CU_ASSERT_FALSE(um3n_linkmon_usable(&lm));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		CU_ASSERT_EQUAL(um3n_linkmon_event(&lm, &env, "t", steps[i].ev), steps[i].expect);
		CU_ASSERT_EQUAL(lm.failures, steps[i].failures);
		CU_ASSERT_EQUAL(um3n_linkmon_usable(&lm),
				steps[i].expect == UP || steps[i].expect == DG);
	}
}

/* RFC 6298 §2: first sample R: SRTT = R, RTTVAR = R/2; then
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| (old SRTT), SRTT = 7/8 SRTT + 1/8 R'. */
static void test_rtt_estimator(void)
{
	static const struct {
		int num;
		uint64_t sample_us, srtt_us, rttvar_us;
	} steps[] = {
		{1, 100000, 100000, 50000},
		/* |100000-200000| = 100000; rttvar = (150000+100000)/4; srtt = 900000/8 */
		{2, 200000, 112500, 62500},
		/* |112500-50000| = 62500; rttvar = (187500+62500)/4; srtt = 837500/8 = 104687.5 */
		{3, 50000, 104687, 62500},
		/* equal sample: rttvar decays by 3/4, srtt unchanged */
		{4, 104687, 104687, 46875},
		/* |104687-0| = 104687; rttvar = (140625+104687)/4 = 61328; srtt = 732809/8 = 91601 */
		{5, 0, 91601, 61328},
	};
	struct um3n_linkmon lm;

	um3n_linkmon_init(&lm);
	CU_ASSERT_FALSE(lm.have_rtt);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		um3n_linkmon_rtt_sample(&lm, steps[i].sample_us);
		CU_ASSERT_TRUE(lm.have_rtt);
		CU_ASSERT_EQUAL(lm.srtt_us, steps[i].srtt_us);
		CU_ASSERT_EQUAL(lm.rttvar_us, steps[i].rttvar_us);
	}
	/* a long run of one value converges on it */
	for (int i = 0; i < 200; i++)
		um3n_linkmon_rtt_sample(&lm, 30000);
	CU_ASSERT(lm.srtt_us >= 30000 && lm.srtt_us <= 30010);
	CU_ASSERT(lm.rttvar_us <= 10);
}

static void send_probes(struct um3n_linkmon *lm, int n, uint16_t *first)
{
	for (int i = 0; i < n; i++) {
		uint16_t s = um3n_linkmon_probe_sent(lm);

		if (i == 0 && first)
			*first = s;
	}
}

struct loss_case {
	int num;
	int sent;
	/* answered seqs, terminated by -1 */
	int answers[24];
	uint64_t answered;
	uint32_t loss_permille;
};

/* Probe numbers start at 0. A probe settles once UM3N_LM_PROBE_GRACE newer
 * ones went out: with `sent` probes, seqs 0 .. sent-1-GRACE are settled. */
/* clang-format off */
static const struct loss_case loss_cases[] = {
	/* fewer than the grace: nothing settled, no loss whatever happened */
	{1, UM3N_LM_PROBE_GRACE, {-1}, 0, 0},
	/* one settled probe (seq 0), unanswered */
	{2, UM3N_LM_PROBE_GRACE + 1, {-1}, 0, 1000},
	/* one settled, answered; the unanswered young ones are in flight */
	{3, UM3N_LM_PROBE_GRACE + 1, {0, -1}, 1, 0},
	/* 20 sent: seqs 0..11 settled; 0 and 3 lost -> 2/12 */
	{4, 20, {1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 19, -1}, 12, 166},
	/* duplicate answers count once */
	{5, 20, {1, 1, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, -1}, 10, 166},
	/* answers to probes never sent are ignored */
	{6, 10, {0, 1, 10, 11, 500, -1}, 2, 0},
	/* 70 sent: seqs 0..5 are beyond the 64-probe window; their answers are
	 * too old to account; window ages 8..63 = seqs 6..61 settled (56), seq 6..9
	 * answered -> 52/56 lost */
	{7, 70, {0, 1, 2, 5, 6, 7, 8, 9, -1}, 4, 928},
};
/* clang-format on */

static void test_probe_loss(void)
{
	for (size_t i = 0; i < sizeof(loss_cases) / sizeof(loss_cases[0]); i++) {
		const struct loss_case *c = &loss_cases[i];
		struct um3n_linkmon lm;
		uint16_t first = 99;

		um3n_linkmon_init(&lm);
		send_probes(&lm, c->sent, &first);
		CU_ASSERT_EQUAL(first, 0);
		for (int k = 0; c->answers[k] >= 0; k++)
			um3n_linkmon_probe_answered(&lm, (uint16_t)c->answers[k]);
		if (lm.probes_answered != c->answered ||
		    um3n_linkmon_loss_permille(&lm) != c->loss_permille)
			fprintf(stderr, "\n  loss case %d: answered %llu loss %u\n", c->num,
				(unsigned long long)lm.probes_answered,
				um3n_linkmon_loss_permille(&lm));
		CU_ASSERT_EQUAL(lm.probes_sent, (uint64_t)c->sent);
		CU_ASSERT_EQUAL(lm.probes_answered, c->answered);
		CU_ASSERT_EQUAL(um3n_linkmon_loss_permille(&lm), c->loss_permille);
	}
}

/* Answers arriving late (but within the window) still count; a probe lost
 * then answered after it settled is no longer lost. Also the 16-bit sequence
 * wraps without disturbing the accounting. */
static void test_probe_late_and_wrap(void)
{
	struct um3n_linkmon lm;
	uint16_t s;

	um3n_linkmon_init(&lm);
	lm.next_seq = 65530; /* as after a long uptime */
	for (int i = 0; i < 30; i++) {
		s = um3n_linkmon_probe_sent(&lm);
		if (i % 2 == 0) /* every other one answered at once */
			um3n_linkmon_probe_answered(&lm, s);
	}
	CU_ASSERT_EQUAL(lm.next_seq, (uint16_t)(65530 + 30));
	/* settled ages 8..29: 22 probes, 11 lost */
	CU_ASSERT_EQUAL(um3n_linkmon_loss_permille(&lm), 500);
	/* a late answer to the very first probe (seq 65531 was odd -> unanswered) */
	um3n_linkmon_probe_answered(&lm, 65531);
	CU_ASSERT_EQUAL(um3n_linkmon_loss_permille(&lm), 10 * 1000 / 22);
	CU_ASSERT_EQUAL(lm.probes_answered, 16);
	/* a steady stream with every 10th probe lost settles near 100 per mille */
	um3n_linkmon_init(&lm);
	for (int i = 0; i < 1000; i++) {
		s = um3n_linkmon_probe_sent(&lm);
		if (i % 10 != 0)
			um3n_linkmon_probe_answered(&lm, s);
	}
	CU_ASSERT(um3n_linkmon_loss_permille(&lm) >= 80 && um3n_linkmon_loss_permille(&lm) <= 120);
}

static CU_TestInfo linkmon_tests[] = {
	{"01 transition table: every state x event, weak flag", test_transition_table},
	{"02 transitions are logged with names", test_log_line_names_transition},
	{"03 a link's life: sequence and failures counter", test_sequence_and_failures},
	{"04 RFC 6298 estimator against hand-computed values", test_rtt_estimator},
	{"05 probe loss: answered, lost, duplicate, too old, grace", test_probe_loss},
	{"06 probe loss: late answers and 16-bit wrap", test_probe_late_and_wrap},
	{"07 an event with no row is logged and counted", test_unexpected_logged_and_counted},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"linkmon", linkmon_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
