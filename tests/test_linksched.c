/* sched: prefer-mode ranking as a numbered table, the cached answer following
 * um3n_linksched_update(), weighted aggregation (split, UP-only, no banked credit
 * for a returning link) and redundancy. */
#include <stdio.h>
#include <string.h>

#include "linkmon.h"
#include "linksched.h"
#include "testutil.h"

#define DN UM3N_LS_DOWN
#define PR UM3N_LS_PROBING
#define UP UM3N_LS_UP
#define DG UM3N_LS_DEGRADED
#define FL UM3N_LS_FAILED
#define CELL UM3N_CLASS_CELL
#define WIFI UM3N_CLASS_WIFI
#define WIRED UM3N_CLASS_WIRED
#define ANY UM3N_CLASS_ANY
#define NP 0xff /* "not present" marker in the case tables */

struct lk {
	int state; /* NP = not present */
	uint8_t link_class, priority;
};

struct prefer_case {
	int num;
	size_t n;
	struct lk links[4];
	uint8_t want_class;
	int expect; /* link index, -1 = none */
	const char *why;
};

/* clang-format off */
static const struct prefer_case prefer_cases[] = {
	{1, 2, {{UP, CELL, 0}, {UP, WIFI, 0}}, WIFI, 1, "class match"},
	{2, 2, {{UP, CELL, 0}, {UP, WIFI, 0}}, CELL, 0, "class match, index 0"},
	{3, 2, {{DG, WIFI, 0}, {UP, CELL, 5}}, WIFI, 1, "UP of another class beats DEGRADED of the class"},
	{4, 2, {{DG, CELL, 0}, {DG, WIFI, 9}}, WIFI, 1, "both degraded: class decides"},
	{5, 3, {{UP, WIFI, 5}, {UP, WIFI, 2}, {UP, WIFI, 7}}, WIFI, 1, "lowest priority value"},
	{6, 3, {{UP, WIFI, 2}, {UP, WIFI, 2}, {UP, WIFI, 2}}, WIFI, 0, "tie: lowest index"},
	{7, 3, {{UP, CELL, 3}, {UP, WIFI, 1}, {UP, CELL, 4}}, WIRED, 1, "no link of the class: any, by priority"},
	{8, 3, {{UP, CELL, 3}, {UP, WIFI, 1}, {UP, CELL, 0}}, ANY, 2, "CLASS_ANY: priority over every class"},
	{9, 2, {{UP, CELL, 0}, {UP, WIFI, 0}}, ANY, 0, "CLASS_ANY: tie -> index"},
	{10, 2, {{FL, WIFI, 0}, {DG, CELL, 0}}, WIFI, 1, "FAILED never chosen"},
	{11, 2, {{PR, WIFI, 0}, {DG, CELL, 0}}, WIFI, 1, "PROBING never chosen"},
	{12, 2, {{DN, WIFI, 0}, {DG, CELL, 0}}, WIFI, 1, "DOWN never chosen"},
	{13, 2, {{NP, WIFI, 0}, {DG, CELL, 0}}, WIFI, 1, "not present never chosen"},
	{14, 3, {{FL, WIFI, 0}, {PR, CELL, 0}, {DN, WIFI, 0}}, WIFI, -1, "nothing usable"},
	{15, 0, {{UP, WIFI, 0}}, WIFI, -1, "no links at all (n = 0)"},
	{16, 4, {{DG, WIFI, 0}, {DG, CELL, 0}, {UP, WIRED, 9}, {FL, WIFI, 0}}, CELL, 2,
	 "only UP is of a third class"},
	{17, 3, {{DG, CELL, 1}, {DG, CELL, 0}, {DG, WIFI, 0}}, CELL, 1, "degraded: class then priority"},
	{18, 2, {{UP, WIFI, 255}, {DG, WIFI, 0}}, WIFI, 0, "UP with worst priority beats DEGRADED best"},
	{19, 4, {{NP, WIFI, 0}, {NP, WIFI, 0}, {NP, WIFI, 0}, {UP, 15, 0}}, 15, 3, "class 15 (max)"},
};
/* clang-format on */

static void load_links(struct um3n_linksched *s, size_t n, const struct lk *links)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->links[i].present = links[i].state != NP;
		s->links[i].state = links[i].state == NP ? UP : links[i].state;
		s->links[i].link_class = links[i].link_class;
		s->links[i].priority = links[i].priority;
	}
	um3n_linksched_update(s);
}

static int pick_len(struct um3n_linksched *s, uint8_t link_class, uint8_t mode, size_t len)
{
	struct um3n_policy_rule r = {.link_class = link_class, .mode = mode};
	uint8_t out[UM3N_MAX_LINKS];
	size_t n = um3n_linksched_pick(s, &r, len, 0, 0, out);

	CU_ASSERT(n <= 1);
	return n ? out[0] : -1;
}

static int pick_one(struct um3n_linksched *s, uint8_t link_class, uint8_t mode)
{
	return pick_len(s, link_class, mode, 1000);
}

static void test_prefer_table(void)
{
	for (size_t i = 0; i < sizeof(prefer_cases) / sizeof(prefer_cases[0]); i++) {
		const struct prefer_case *c = &prefer_cases[i];
		struct um3n_linksched s;
		int got;

		load_links(&s, c->n, c->links);
		got = pick_one(&s, c->want_class, UM3N_MODE_PREFER);
		if (got != c->expect)
			fprintf(stderr, "\n  prefer case %d (%s): got %d want %d\n", c->num, c->why,
				got, c->expect);
		CU_ASSERT_EQUAL(got, c->expect);
	}
}

static void test_prefer_bad_class(void)
{
	struct um3n_linksched s;
	struct lk links[1] = {{UP, WIFI, 0}};

	load_links(&s, 1, links);
	CU_ASSERT_EQUAL(pick_one(&s, UM3N_CLASS_MAX + 1, UM3N_MODE_PREFER), -1);
	CU_ASSERT_EQUAL(pick_one(&s, 255, UM3N_MODE_PREFER), -1);
}

/* The per-packet pick reads the cache: after um3n_linksched_update() it must follow
 * every change of state, class and priority. */
static void test_cache_follows_update(void)
{
	static const struct {
		int num;
		int link;
		int state;
		uint8_t priority;
		int expect_wifi, expect_cell;
	} steps[] = {
		{1, 1, UP, 0, 1, 0}, /* start: 0 cell UP, 1 wifi UP, 2 wifi UP prio 5 */
		{2, 1, DG, 0, 2, 0}, /* wifi 1 fades: the other wifi */
		{3, 2, FL, 5, 0, 0}, /* and that one fails: cell carries wifi traffic */
		{4, 0, DN, 0, 1, 1}, /* cell down: the degraded wifi for everything */
		{5, 2, UP, 5, 2, 2}, /* wifi 2 back */
		{6, 1, UP, 9, 2, 2}, /* wifi 1 back, worse priority */
		{7, 1, UP, 1, 1, 1}, /* wifi 1 better priority */
		{8, 0, UP, 0, 1, 0}, /* cell back */
	};
	struct lk links[3] = {{UP, CELL, 0}, {UP, WIFI, 0}, {UP, WIFI, 5}};
	struct um3n_linksched s;

	load_links(&s, 3, links);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		s.links[steps[i].link].state = steps[i].state;
		s.links[steps[i].link].priority = steps[i].priority;
		um3n_linksched_update(&s);
		if (pick_one(&s, WIFI, UM3N_MODE_PREFER) != steps[i].expect_wifi ||
		    pick_one(&s, CELL, UM3N_MODE_PREFER) != steps[i].expect_cell)
			fprintf(stderr, "\n  cache step %d\n", steps[i].num);
		CU_ASSERT_EQUAL(pick_one(&s, WIFI, UM3N_MODE_PREFER), steps[i].expect_wifi);
		CU_ASSERT_EQUAL(pick_one(&s, CELL, UM3N_MODE_PREFER), steps[i].expect_cell);
	}
	/* everything down: nothing */
	for (int l = 0; l < 3; l++)
		s.links[l].state = FL;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(pick_one(&s, WIFI, UM3N_MODE_PREFER), -1);
	CU_ASSERT_EQUAL(pick_one(&s, ANY, UM3N_MODE_PREFER), -1);
}

static void agg_setup(struct um3n_linksched *s, size_t n, const uint32_t *kbps, const int *states)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->links[i].present = true;
		s->links[i].state = states[i];
		s->links[i].weight_kbps = kbps[i];
		s->links[i].link_class = (uint8_t)(i + 1);
	}
	um3n_linksched_update(s);
}

static void agg_count(struct um3n_linksched *s, int packets, size_t len, unsigned *count)
{
	for (int i = 0; i < packets; i++) {
		int l = pick_len(s, ANY, UM3N_MODE_AGGREGATE, len);

		CU_ASSERT_FATAL(l >= 0 && l < (int)s->n);
		count[l]++;
	}
}

struct split_case {
	int num;
	size_t n;
	uint32_t kbps[3];
	int states[3];
	size_t len;
};

/* clang-format off */
static const struct split_case split_cases[] = {
	{1, 2, {3610, 14670}, {UP, UP}, 1400},
	{2, 2, {14670, 3610}, {UP, UP}, 100},
	{3, 3, {1000, 2000, 7000}, {UP, UP, UP}, 1200},
	{4, 2, {0, 3000}, {UP, UP}, 500}, /* 0 = UM3N_LINKSCHED_DEFAULT_KBPS */
	{5, 3, {5000, 3610, 14670}, {DG, UP, UP}, 1400}, /* DEGRADED excluded while one is UP */
	{6, 3, {5000, 3610, 14670}, {FL, UP, UP}, 1400},
	{7, 2, {3610, 14670}, {DG, DG}, 1400}, /* none UP: the degraded ones share */
};
/* clang-format on */

static void test_aggregate_split(void)
{
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		struct um3n_linksched s;
		unsigned count[3] = {0};
		bool any_up = false;
		double total_w = 0;

		agg_setup(&s, c->n, c->kbps, c->states);
		agg_count(&s, 10000, c->len, count);
		for (size_t l = 0; l < c->n; l++)
			any_up |= c->states[l] == UP;
		for (size_t l = 0; l < c->n; l++)
			if (c->states[l] == UP || (!any_up && c->states[l] == DG))
				total_w += c->kbps[l] ? c->kbps[l] : UM3N_LINKSCHED_DEFAULT_KBPS;
		for (size_t l = 0; l < c->n; l++) {
			bool eligible = c->states[l] == UP || (!any_up && c->states[l] == DG);
			double w = c->kbps[l] ? c->kbps[l] : UM3N_LINKSCHED_DEFAULT_KBPS;
			double want = eligible ? 10000.0 * w / total_w : 0;

			if (count[l] < want - 100 || count[l] > want + 100)
				fprintf(stderr, "\n  split case %d link %zu: %u want %.0f\n",
					c->num, l, count[l], want);
			/* within 1% of the 10,000 packets */
			CU_ASSERT(count[l] >= want - 100 && count[l] <= want + 100);
		}
	}
}

static int longest_run(const int *picks, int n, int link)
{
	int best = 0, run = 0;

	for (int i = 0; i < n; i++) {
		run = picks[i] == link ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* A link that was FAILED (or DEGRADED, excluded) while the others carried
 * traffic must come back at its fair share, not with a burst paid for by the
 * virtual time it did not use. Equal weights: it may win a couple in a row at
 * most. */
static void test_returning_link_no_burst(void)
{
	static const int away_states[] = {FL, DG, DN};

	for (size_t k = 0; k < sizeof(away_states) / sizeof(away_states[0]); k++) {
		const uint32_t kbps[3] = {5000, 5000, 5000};
		const int states[3] = {UP, UP, UP};
		struct um3n_linksched s;
		int picks[3000];
		unsigned count[3] = {0};

		agg_setup(&s, 3, kbps, states);
		agg_count(&s, 100, 1400, count);
		s.links[2].state = away_states[k];
		um3n_linksched_update(&s);
		memset(count, 0, sizeof(count));
		agg_count(&s, 5000, 1400, count);
		CU_ASSERT_EQUAL(count[2], 0);
		s.links[2].state = UP;
		um3n_linksched_update(&s);
		for (int i = 0; i < 3000; i++)
			picks[i] = pick_one(&s, ANY, UM3N_MODE_AGGREGATE);
		if (longest_run(picks, 3000, 2) > 2)
			fprintf(stderr, "\n  returning link (was %s): run of %d\n",
				um3n_linkmon_state_name(away_states[k]),
				longest_run(picks, 3000, 2));
		CU_ASSERT(longest_run(picks, 3000, 2) <= 2);
		/* and it does get its third */
		memset(count, 0, sizeof(count));
		for (int i = 0; i < 3000; i++)
			count[picks[i]]++;
		CU_ASSERT(count[2] >= 970 && count[2] <= 1030);
	}
}

static void test_aggregate_nothing_usable(void)
{
	const uint32_t kbps[3] = {1000, 1000, 1000};
	const int states[3] = {FL, PR, DN};
	struct um3n_linksched s;

	agg_setup(&s, 3, kbps, states);
	CU_ASSERT_EQUAL(pick_one(&s, ANY, UM3N_MODE_AGGREGATE), -1);
	s.links[1].present = false;
	s.links[1].state = UP;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(pick_one(&s, ANY, UM3N_MODE_AGGREGATE), -1);
}

struct redundant_case {
	int num;
	size_t n;
	int states[5];
	uint8_t expect[5];
	size_t expect_n;
};

/* clang-format off */
static const struct redundant_case redundant_cases[] = {
	{1, 3, {UP, UP, UP}, {0, 1, 2}, 3},
	{2, 4, {UP, DG, FL, UP}, {0, 1, 3}, 3},
	{3, 5, {DN, PR, FL, NP, DG}, {4}, 1},
	{4, 3, {DN, PR, NP}, {0}, 0},
	{5, 2, {DG, DG}, {0, 1}, 2},
};
/* clang-format on */

static void test_redundant(void)
{
	for (size_t i = 0; i < sizeof(redundant_cases) / sizeof(redundant_cases[0]); i++) {
		const struct redundant_case *c = &redundant_cases[i];
		struct um3n_policy_rule r = {.link_class = WIFI, .mode = UM3N_MODE_REDUNDANT};
		struct lk links[5];
		struct um3n_linksched s;
		uint8_t out[UM3N_MAX_LINKS];
		size_t n;

		for (size_t l = 0; l < c->n; l++)
			links[l] = (struct lk){c->states[l], WIFI, 0};
		load_links(&s, c->n, links);
		n = um3n_linksched_pick(&s, &r, 1000, 0, 0, out);
		CU_ASSERT_EQUAL(n, c->expect_n);
		for (size_t k = 0; k < n && k < c->expect_n; k++)
			CU_ASSERT_EQUAL(out[k], c->expect[k]);
	}
}

/* Two links, cell 3610 kbit/s 50 ms and wifi 14670 kbit/s 5 ms, offered 1400-byte
 * packets at 120% of the wifi rate for 100 ms: how many the cell takes. */
static unsigned cell_share_overload(uint64_t max_spread_us, int64_t cell_delay_us)
{
	const uint32_t kbps[2] = {3610, 14670};
	const int states[2] = {UP, UP};
	struct um3n_policy_rule r = {.link_class = ANY, .mode = UM3N_MODE_AGGREGATE};
	struct um3n_linksched s;
	uint64_t gap_us = 1400 * 8 * 1000 / (14670 * 12 / 10);
	unsigned cell = 0;

	agg_setup(&s, 2, kbps, states);
	s.max_spread_us = max_spread_us;
	um3n_linksched_set_delay(&s, 0, cell_delay_us);
	um3n_linksched_set_delay(&s, 1, 5000);
	for (uint64_t t = 0; t < 100000; t += gap_us) {
		uint8_t out[UM3N_MAX_LINKS];

		CU_ASSERT_FATAL(um3n_linksched_pick(&s, &r, 1400, t, 0, out) == 1);
		cell += out[0] == 0;
	}
	return cell;
}

/* With a reorder queue at the peer the cell takes the excess over the wifi
 * rate once wifi's backlog has lasted their 45 ms difference (the receiver
 * evens the delays out); without one, only behind a 45 ms wifi backlog,
 * which 100 ms at 120% does not build; past the bound never. */
static void test_aggregate_reorder_queue(void)
{
	unsigned with = cell_share_overload(100000, 50000);

	/* 157 packets offered at 120% of wifi's rate over 100 ms; wifi carries
	 * 1270 of the 1571 a second (1444 bytes each on the wire). Its backlog
	 * has lasted 45 ms at 45 ms (9 ms deep by then): the cell then takes
	 * that backlog and the excess of the other 55 ms (24-34 when it took
	 * the excess from the start). */
	CU_ASSERT(with >= 16 && with <= 26);
	CU_ASSERT_EQUAL(cell_share_overload(0, 50000), 0);
	CU_ASSERT_EQUAL(cell_share_overload(100000, 150000), 0); /* 145 ms behind: left out */
	CU_ASSERT_EQUAL(cell_share_overload(100000, 100000), 0); /* 95: its bound would be 129 */
	CU_ASSERT(cell_share_overload(0, 5000) >= 24);           /* same delays: no difference */
	CU_ASSERT(cell_share_overload(100000, 5000) >= 24);      /* within 2 ms: at once */
}

/* A burst never spills onto the slower link, however deep, unless wifi's
 * backlog lasts the delay difference: a TCP flow below wifi's rate sends in
 * bursts, and every packet of it on the cell would hold the flow's later
 * ones 45 ms at the peer. */
static void test_aggregate_burst_stays(void)
{
	const uint32_t kbps[2] = {3610, 14670};
	const int states[2] = {UP, UP};
	struct um3n_policy_rule r = {.link_class = ANY, .mode = UM3N_MODE_AGGREGATE};
	struct um3n_linksched s;
	unsigned cell = 0, burst_cell = 0;

	agg_setup(&s, 2, kbps, states);
	s.max_spread_us = 100000;
	um3n_linksched_set_delay(&s, 0, 50000);
	um3n_linksched_set_delay(&s, 1, 5000);
	/* 20 packets at once every 30 ms: 7.5 Mbit/s, bursts of 16 ms at wifi's rate */
	for (uint64_t t = 0; t < 1000000; t += 30000)
		for (int i = 0; i < 20; i++) {
			uint8_t out[UM3N_MAX_LINKS];

			CU_ASSERT_FATAL(um3n_linksched_pick(&s, &r, 1400, t, 0, out) == 1);
			cell += out[0] == 0;
		}
	CU_ASSERT_EQUAL(cell, 0);
	/* one burst of 200: 160 ms at wifi's rate; the cell joins after 45 */
	for (int i = 0; i < 200; i++) {
		uint8_t out[UM3N_MAX_LINKS];

		CU_ASSERT_FATAL(um3n_linksched_pick(&s, &r, 1400, 2000000 + (uint64_t)i * 250, 0,
						    out) == 1);
		burst_cell += out[0] == 0;
	}
	/* ... as much as fits the reorder bound: 30 ms of the cell's rate */
	CU_ASSERT(burst_cell >= 5 && burst_cell <= 12);
}

/* A faster link its receiver reports full spills onto the slower one
 * though its virtual backlog never lasts the delay difference (TCP's ACK
 * clock sends at the bottleneck's rate, in bursts); not onto a slower link
 * that is full too. */
static void test_aggregate_reported_full_spills(void)
{
	const uint32_t kbps[2] = {3610, 14670};
	const int states[2] = {UP, UP};
	struct um3n_policy_rule r = {.link_class = ANY, .mode = UM3N_MODE_AGGREGATE};
	struct um3n_linksched s;
	unsigned cell[3] = {0};

	agg_setup(&s, 2, kbps, states);
	s.max_spread_us = 100000;
	um3n_linksched_set_delay(&s, 0, 50000);
	um3n_linksched_set_delay(&s, 1, 5000);
	/* 10 packets at once every 8 ms: 14 Mbit/s, bursts of 7.7 ms at wifi's rate */
	for (int pass = 0; pass < 3; pass++) {
		s.links[1].full = pass > 0;
		s.links[0].full = pass == 2;
		for (uint64_t t = 0; t < 1000000; t += 8000)
			for (int i = 0; i < 10; i++) {
				uint8_t out[UM3N_MAX_LINKS];

				CU_ASSERT_FATAL(um3n_linksched_pick(&s, &r, 1400,
								    (uint64_t)pass * 2000000 + t, 0,
								    out) == 1);
				cell[pass] += out[0] == 0;
			}
	}
	CU_ASSERT_EQUAL(cell[0], 0);
	/* from each burst, what the cell sends before wifi would: 2 of 10 */
	CU_ASSERT(cell[1] >= 125 && cell[1] <= 375);
	CU_ASSERT_EQUAL(cell[2], 0);
}

/* Pure acknowledgements: the fastest of the set, whatever its backlog. */
static void test_pick_fastest(void)
{
	const uint32_t kbps[3] = {3610, 14670, 1000};
	const int states[3] = {UP, UP, DG};
	struct um3n_linksched s;
	uint8_t out[UM3N_MAX_LINKS];

	agg_setup(&s, 3, kbps, states);
	s.max_spread_us = 100000;
	um3n_linksched_set_delay(&s, 0, 50000);
	um3n_linksched_set_delay(&s, 1, 5000);
	um3n_linksched_set_delay(&s, 2, 1000); /* degraded: not in the set while others are up */
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(um3n_linksched_pick_fastest(&s, 1400, 0, out), 1);
		CU_ASSERT_EQUAL(out[0], 1);
	}
	s.links[1].state = FL;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(um3n_linksched_pick_fastest(&s, 60, 0, out), 1);
	CU_ASSERT_EQUAL(out[0], 0);
	s.links[0].state = s.links[2].state = FL;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(um3n_linksched_pick_fastest(&s, 60, 0, out), 0);
	/* the set itself: a link whose hold bound would not fit is out of it */
	s.links[0].state = s.links[1].state = UP;
	um3n_linksched_update(&s);
	um3n_linksched_set_delay(&s, 0, 100000);
	CU_ASSERT_EQUAL(s.agg_set, 0x2);
	um3n_linksched_set_delay(&s, 0, 77000); /* 72 ms behind: 100 ms, fits */
	CU_ASSERT_EQUAL(s.agg_set, 0x3);
}

static CU_TestInfo sched_tests[] = {
	{"01 prefer: ranking table", test_prefer_table},
	{"02 prefer: class beyond UM3N_CLASS_MAX", test_prefer_bad_class},
	{"03 prefer: cached answer follows um3n_linksched_update", test_cache_follows_update},
	{"04 aggregate: split by weight_kbps within 1%", test_aggregate_split},
	{"05 aggregate: returning link gets no burst", test_returning_link_no_burst},
	{"06 aggregate: nothing usable -> 0", test_aggregate_nothing_usable},
	{"07 redundant: every usable link", test_redundant},
	{"08 aggregate: with a reorder queue the excess goes to the slower link behind a lasting "
	 "backlog",
	 test_aggregate_reorder_queue},
	{"09 aggregate: pure acknowledgements take the fastest link", test_pick_fastest},
	{"10 aggregate: a burst stays on the faster link, a lasting backlog spills",
	 test_aggregate_burst_stays},
	{"11 aggregate: a faster link reported full spills, not onto a full one",
	 test_aggregate_reported_full_spills},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"sched", sched_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
