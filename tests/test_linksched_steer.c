/* sched_steer: the ATSSS steering modes beside the original three
 * (smallest-delay, load-balance, priority), the rules' rtt_ms / loss_pct
 * thresholds in every mode and their fallback, and the flow hash the
 * load-balance split uses. */
#include <string.h>

#include "linkmon.h"
#include "linksched.h"
#include "testutil.h"
#include "wire.h"

#define UP UM3N_LS_UP
#define DG UM3N_LS_DEGRADED
#define FL UM3N_LS_FAILED
#define CELL UM3N_CLASS_CELL
#define WIFI UM3N_CLASS_WIFI
#define WIRED UM3N_CLASS_WIRED

/* n links of the given classes, all UP, 10 Mbit/s, no delay measured yet. */
static void links3(struct um3n_linksched *s, size_t n, const uint8_t *classes)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->links[i].present = true;
		s->links[i].state = UP;
		s->links[i].link_class = classes[i];
		s->links[i].weight_kbps = 10000;
	}
	um3n_linksched_update(s);
}

static int pick(struct um3n_linksched *s, const struct um3n_policy_rule *r, uint64_t now_us,
		uint32_t flow)
{
	uint8_t out[UM3N_MAX_LINKS];
	size_t n = um3n_linksched_pick(s, r, 1000, now_us, flow, out);

	CU_ASSERT(n <= 1);
	return n ? out[0] : -1;
}

static void test_smallest_delay(void)
{
	static const uint8_t cls[] = {CELL, WIFI, WIRED};
	struct um3n_policy_rule r = {.link_class = WIFI, .mode = UM3N_MODE_SMALLEST_DELAY};
	struct um3n_linksched s;

	links3(&s, 3, cls);
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1); /* all equal: the class decides */
	s.links[0].delay_us = 20000;
	s.links[1].delay_us = 45000;
	s.links[2].delay_us = 30000;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 0);
	s.links[0].delay_us = 50000; /* measurements change: so does the choice */
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 2);
	s.links[2].state = DG; /* fading: after every UP link whatever its delay */
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1);
	s.links[1].state = FL;
	s.links[0].state = FL;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 2); /* DEGRADED still beats nothing */
	s.links[2].state = FL;
	um3n_linksched_update(&s);
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), -1);
}

static uint32_t udp_hash(uint32_t src, uint16_t sport, uint16_t dport)
{
	struct um3n_ip_info ip = {.version = 4, .proto = 17, .header_len = 20, .total_len = 28};
	uint8_t pkt[28] = {0};

	um3n_addr_from_v4(&ip.src, src);
	um3n_addr_from_v4(&ip.dst, 0x0a090101u);
	um3n_put16(pkt + 20, sport);
	um3n_put16(pkt + 22, dport);
	return um3n_linksched_flow_hash(&ip, pkt, sizeof(pkt));
}

static void test_flow_hash(void)
{
	CU_ASSERT_EQUAL(udp_hash(0x0a000001u, 5000, 80), udp_hash(0x0a000001u, 5000, 80));
	CU_ASSERT_NOT_EQUAL(udp_hash(0x0a000001u, 5000, 80), udp_hash(0x0a000001u, 5001, 80));
	CU_ASSERT_NOT_EQUAL(udp_hash(0x0a000001u, 5000, 80), udp_hash(0x0a000002u, 5000, 80));
}

/* 20,000 flows of consecutive ports: counts per link of rule r. */
static void split(struct um3n_linksched *s, const struct um3n_policy_rule *r, unsigned *count)
{
	memset(count, 0, sizeof(unsigned) * UM3N_MAX_LINKS);
	for (unsigned f = 0; f < 20000; f++) {
		uint32_t h = udp_hash(0x0a000001u, (uint16_t)(10000 + f), 443);
		int l = pick(s, r, f, h);

		CU_ASSERT_FATAL(l >= 0);
		CU_ASSERT_EQUAL(pick(s, r, f + 1000000, h), l); /* a flow keeps its link */
		count[l]++;
	}
}

static void test_load_balance(void)
{
	static const uint8_t cls[] = {CELL, WIFI, WIRED};
	struct um3n_policy_rule r = {.link_class = WIFI, .mode = UM3N_MODE_LOAD_BALANCE, .pct = 70};
	struct um3n_linksched s;
	unsigned c[UM3N_MAX_LINKS];

	links3(&s, 2, cls);
	split(&s, &r, c);
	test_check(c[1] > 13700 && c[1] < 14300, __FILE__, __LINE__, "wifi %u of 20000", c[1]);
	CU_ASSERT_EQUAL(c[0] + c[1], 20000);
	links3(&s, 3, cls); /* the other 30% shared by the other two links */
	split(&s, &r, c);
	test_check(c[1] > 13700 && c[1] < 14300 && c[0] > 2700 && c[0] < 3300 && c[2] > 2700 &&
			   c[2] < 3300,
		   __FILE__, __LINE__, "cell %u wifi %u wired %u", c[0], c[1], c[2]);
	r.pct = 0;
	split(&s, &r, c);
	CU_ASSERT_EQUAL(c[1], 0);
	r.pct = 100;
	split(&s, &r, c);
	CU_ASSERT_EQUAL(c[1], 20000);
	r.pct = 70;
	s.links[1].state = FL; /* no link of the class: every flow on the others */
	um3n_linksched_update(&s);
	split(&s, &r, c);
	CU_ASSERT_EQUAL(c[0] + c[2], 20000);
	links3(&s, 1, cls + 1); /* the class's link alone takes every flow */
	r.pct = 10;
	split(&s, &r, c);
	CU_ASSERT_EQUAL(c[0], 20000);
}

static void test_priority(void)
{
	static const uint8_t cls[] = {CELL, WIFI, WIRED};
	struct um3n_policy_rule r = {.link_class = WIFI, .mode = UM3N_MODE_PRIORITY};
	struct um3n_linksched s;
	unsigned c[UM3N_MAX_LINKS] = {0};
	int first_overflow = -1;

	links3(&s, 3, cls);
	s.links[0].priority = 1; /* overflow order after wifi: cell (1) then wired (2) */
	s.links[2].priority = 2;
	um3n_linksched_update(&s);
	/* A burst at one instant: wifi until its backlog passes 5 ms (about six
	 * 1 kB packets at 10 Mbit/s), then cell, then wired. */
	for (int i = 0; i < 60; i++) {
		int l = pick(&s, &r, 1000, 0);

		CU_ASSERT_FATAL(l >= 0);
		c[l]++;
		if (l != 1 && first_overflow < 0)
			first_overflow = i;
	}
	test_check(first_overflow >= 5 && first_overflow <= 7, __FILE__, __LINE__,
		   "first overflow at packet %d", first_overflow);
	CU_ASSERT_EQUAL(c[0] + c[1] + c[2], 60);
	CU_ASSERT_TRUE(c[0] >= 6 && c[2] >= 6); /* all full: earliest finish, all used */
	/* ...which keeps their backlogs within a packet of each other. */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE(s.links[i].vfinish_ns + 1000000 > s.links[(i + 1) % 3].vfinish_ns);
	/* Backlogs drained: the first link again. */
	CU_ASSERT_EQUAL(pick(&s, &r, 2000000, 0), 1);
	/* At a rate the class's link can carry, it carries everything. */
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 100; i++)
		c[pick(&s, &r, 3000000 + (uint64_t)i * 1000, 0)]++;
	CU_ASSERT_EQUAL(c[1], 100);
}

static void test_thresholds(void)
{
	static const uint8_t cls[] = {CELL, WIFI, WIRED};
	struct um3n_policy_rule r = {.link_class = WIFI, .mode = UM3N_MODE_PREFER, .rtt_ms = 150};
	struct um3n_linksched s;
	uint8_t out[UM3N_MAX_LINKS];

	links3(&s, 3, cls);
	s.links[1].srtt_us = 200000; /* wifi over 150 ms: excluded */
	s.links[0].srtt_us = 60000;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 0);
	r.rtt_ms = 0;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1); /* no threshold: the class's link */
	r.loss_pct = 5;
	s.links[1].loss_permille = 51;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 0);
	s.links[1].loss_permille = 50; /* exactly at the threshold: kept */
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1);
	/* Every link over: the thresholds are ignored. */
	for (int i = 0; i < 3; i++)
		s.links[i].loss_permille = 100;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1);
	/* Unmeasured (0) never excludes. */
	s.links[1].loss_permille = 0;
	r.mode = UM3N_MODE_SMALLEST_DELAY;
	s.links[0].delay_us = 1000;
	s.links[1].delay_us = 9000;
	s.links[2].delay_us = 5000;
	CU_ASSERT_EQUAL(pick(&s, &r, 0, 0), 1);
	/* Redundant: only the links within. */
	r.mode = UM3N_MODE_REDUNDANT;
	s.links[2].loss_permille = 0;
	CU_ASSERT_EQUAL(um3n_linksched_pick(&s, &r, 1000, 0, 0, out), 2);
	CU_ASSERT_TRUE(out[0] == 1 && out[1] == 2);
	/* Aggregate: never on an excluded link, and every link left present. */
	r.mode = UM3N_MODE_AGGREGATE;
	for (int i = 0; i < 50; i++)
		CU_ASSERT_NOT_EQUAL(pick(&s, &r, (uint64_t)i, 0), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE(s.links[i].present);
	/* Load-balance: the class's link excluded, its share goes to the rest. */
	r.mode = UM3N_MODE_LOAD_BALANCE;
	r.pct = 100;
	r.loss_pct = 0;
	r.rtt_ms = 100;
	CU_ASSERT_NOT_EQUAL(pick(&s, &r, 0, 12345), 1);
}

static CU_TestInfo steer_tests[] = {
	{"01 smallest-delay: the usable link with the smallest delay", test_smallest_delay},
	{"02 flow hash: per 5-tuple", test_flow_hash},
	{"03 load-balance: per-flow split at pct", test_load_balance},
	{"04 priority: fill the class's link, overflow by priority", test_priority},
	{"05 rtt_ms / loss_pct thresholds and their fallback", test_thresholds},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"sched_steer", steer_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
