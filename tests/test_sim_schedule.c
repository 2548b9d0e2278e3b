/* Link event schedules (sim/schedule.c, issue 19): outages and signal points
 * from a file, any number of outage and signal keys, flap and on/off generated from the seed, and bad
 * lines of a schedule file as "FILE:LINE: ...". */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "schedule.h"
#include "testutil.h"

static struct sim_scenario sc;
static char err[SIM_ERR_MAX];

static int parse(const char *text)
{
	sim_scenario_free(&sc);
	return sim_scenario_parse("/tmp/t.ini", text, strlen(text), &sc, err, sizeof(err));
}

/* A schedule file in the test's own temporary directory; its path in path. */
static void write_file(char *path, size_t cap, const char *text)
{
	static char dir[64];
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/um3n-sched.XXXXXX");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	}
	snprintf(path, cap, "%s/outages.txt", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* 1: a file of outages, with comments and blank lines, after the keys. */
static void test_schedule_file(void)
{
	char path[128], text[512];

	write_file(path, sizeof(path),
		   "# exported from a connectivity log\n10-11\n\n  20.5-22 carrier ; cell lost\n"
		   "30-end\n");
	snprintf(text, sizeof(text),
		 "[link cell]\nrate_mbps = 3\noutage = 5-6\noutages_file = %s\n", path);
	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL_FATAL(sc.links[0].n_outages, 4);
	CU_ASSERT_EQUAL(sc.links[0].outages[0].start_us, 5000000);
	CU_ASSERT_EQUAL(sc.links[0].outages[1].end_us, 11000000);
	CU_ASSERT_EQUAL(sc.links[0].outages[2].start_us, 20500000);
	CU_ASSERT_TRUE(sc.links[0].outages[2].carrier);
	CU_ASSERT_FALSE(sc.links[0].outages[1].carrier);
	CU_ASSERT_EQUAL(sc.links[0].outages[3].end_us, UINT64_MAX);
	unlink(path);
}

/* 2: a bad line names the schedule file and its line; a missing file line 0. */
static void test_schedule_file_errors(void)
{
	char path[128], text[512], want[256];

	write_file(path, sizeof(path), "1-2\n# fine\n3-2\n");
	snprintf(text, sizeof(text), "[link cell]\nrate_mbps = 3\noutages_file = %s\n", path);
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:3: expected an end time after the start", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	write_file(path, sizeof(path), "1-2 cut extra\n");
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:1: expected START-END", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	unlink(path);
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:0: cannot open", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	/* an earlier error in the scenario stays the one reported */
	CU_ASSERT_EQUAL(parse("[link cell]\nrate_mbps = x\noutages_file = /nonexistent\n"),
			UM3N_EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "/tmp/t.ini:2: ", 14), 0);
}

/* 3: more outage keys than the old cap of 16. */
static void test_schedule_many_keys(void)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "[link cell]\nrate_mbps = 3\n");

	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "outage = %d-%d.5\n", i, i);
	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL(sc.links[0].n_outages, 100);
	CU_ASSERT_EQUAL(sc.links[0].outages[99].start_us, 99000000);
}

/* 4: flap = PERIOD_S DUTY: up DUTY of each period, down the rest, to the end. */
static void test_schedule_flap(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("[sim]\nduration_s = 60\n[link cell]\nrate_mbps = 3\nflap = 10 "
				    "0.9 carrier\n"),
			      0);
	CU_ASSERT_EQUAL(sc.links[0].n_outages, 0); /* generated after --duration */
	CU_ASSERT_EQUAL_FATAL(sim_schedule_expand(&sc, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(sc.links[0].n_outages, 6);
	for (size_t i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(sc.links[0].outages[i].start_us, i * 10000000 + 9000000);
		CU_ASSERT_EQUAL(sc.links[0].outages[i].end_us, (i + 1) * 10000000);
		CU_ASSERT_TRUE(sc.links[0].outages[i].carrier);
	}
	CU_ASSERT_EQUAL_FATAL(sim_schedule_expand(&sc, 1, err, sizeof(err)), 0); /* once */
	CU_ASSERT_EQUAL(sc.links[0].n_outages, 6);
	/* a week of 0.5 s flaps is more than a link holds: an error, not 10 GB */
	CU_ASSERT_EQUAL_FATAL(
		parse("[sim]\nduration_s = 604800\n[link cell]\nrate_mbps = 3\nflap = 0.5 0.5\n"),
		0);
	CU_ASSERT_EQUAL(sim_schedule_expand(&sc, 1, err, sizeof(err)), UM3N_EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "/tmp/t.ini:3: [link cell]: expected at most", 43), 0);
	CU_ASSERT_EQUAL(parse("[link cell]\nrate_mbps = 3\nflap = 10 1\n"), UM3N_EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "/tmp/t.ini:3: flap: expected a duty", 35), 0);
	CU_ASSERT_EQUAL(parse("[link cell]\nrate_mbps = 3\nflap = 10\n"), UM3N_EINVAL);
	CU_ASSERT_EQUAL(parse("[link cell]\nrate_mbps = 3\nonoff = 10 0\n"), UM3N_EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "/tmp/t.ini:3: onoff: expected a mean down", 41), 0);
}

/* 5: onoff: exponential up and down times of the given means, from the seed. */
/* Field by field: a struct's padding bytes are not part of its value (they
 * differ between copies on aarch64, so memcmp would). */
static bool same_outages(const struct sim_outage *a, const struct sim_outage *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].start_us != b[i].start_us || a[i].end_us != b[i].end_us ||
		    a[i].carrier != b[i].carrier)
			return false;
	return true;
}

static void test_schedule_onoff(void)
{
	const char *text = "[sim]\nduration_s = 100000\n[link cell]\nrate_mbps = 3\n"
			   "onoff = 10 2\n[link wifi]\nrate_mbps = 3\nonoff = 10 2\n";
	static struct sim_outage first[64];
	double up = 0, down = 0, prev_end = 0;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL_FATAL(sim_schedule_expand(&sc, 7, err, sizeof(err)), 0);
	n = sc.links[0].n_outages;
	CU_ASSERT_TRUE(fabs((double)n - 1e5 / 12) < 0.03 * 1e5 / 12);
	for (size_t i = 0; i < n; i++) {
		const struct sim_outage *o = &sc.links[0].outages[i];

		up += (double)o->start_us / 1e6 - prev_end;
		down += (double)(o->end_us - o->start_us) / 1e6;
		prev_end = (double)o->end_us / 1e6;
		CU_ASSERT_FALSE_FATAL(o->carrier);
	}
	CU_ASSERT_DOUBLE_EQUAL(up / (double)n, 10, 0.3);
	CU_ASSERT_DOUBLE_EQUAL(down / (double)n, 2, 0.06);
	/* the links draw streams of their own */
	CU_ASSERT_NOT_EQUAL(sc.links[0].outages[0].start_us, sc.links[1].outages[0].start_us);
	memcpy(first, sc.links[0].outages, sizeof(first));
	CU_ASSERT_EQUAL_FATAL(parse(text), 0); /* same seed, same schedule */
	CU_ASSERT_EQUAL_FATAL(sim_schedule_expand(&sc, 7, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sc.links[0].n_outages, n);
	CU_ASSERT_TRUE(same_outages(first, sc.links[0].outages, sizeof(first) / sizeof(first[0])));
	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL_FATAL(sim_schedule_expand(&sc, 8, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(same_outages(first, sc.links[0].outages, sizeof(first) / sizeof(first[0])));
	sim_scenario_free(&sc);
}

/* 6: signal points: keys then a file, any number, in order, bad lines FILE:LINE. */
static void test_schedule_signals(void)
{
	char path[128], text[512], want[256];
	FILE *f;

	write_file(path, sizeof(path), "");
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("# dBm from a drive log\n", f);
	for (int i = 0; i < 5000; i++)
		fprintf(f, i % 2 ? "%d.5 %d\n" : "%d.5:%d ; colon form\n", 10 + i, -60 - i % 30);
	fclose(f);
	snprintf(text, sizeof(text),
		 "[link wifi]\nrate_mbps = 3\nsignal = 1:-50, 2:-55\nsignal = 3:-70\n"
		 "signals_file = %s\n",
		 path);
	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL_FATAL(sc.links[0].n_signals, 5003); /* no cap of 64 any more */
	CU_ASSERT_EQUAL(sc.links[0].signals[2].dbm, -70);
	CU_ASSERT_EQUAL(sc.links[0].signals[3].t_us, 10500000);
	CU_ASSERT_EQUAL(sc.links[0].signals[4].dbm, -61);
	CU_ASSERT_EQUAL(sc.links[0].signals[5002].t_us, 5009500000ULL);
	/* the file's first time must come after the keys' last */
	snprintf(text, sizeof(text),
		 "[link wifi]\nrate_mbps = 3\nsignal = 20:-50\nsignals_file = %s\n", path);
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:2: expected times in increasing order", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	write_file(path, sizeof(path), "1 -50\n2 -40 extra\n");
	snprintf(text, sizeof(text), "[link wifi]\nrate_mbps = 3\nsignals_file = %s\n", path);
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:2: expected TIME_S:DBM", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	write_file(path, sizeof(path), "1 -50\n2 -200\n");
	CU_ASSERT_EQUAL(parse(text), UM3N_EINVAL);
	snprintf(want, sizeof(want), "%s:2: expected TIME_S:DBM with dBm in [-150, 0]", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	/* the key: order, syntax */
	CU_ASSERT_EQUAL(parse("[link wifi]\nrate_mbps = 3\nsignal = 2:-50, 1:-60\n"), UM3N_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "increasing order"));
	CU_ASSERT_EQUAL(parse("[link wifi]\nrate_mbps = 3\nsignal = 2 -50\n"), UM3N_EINVAL);
	CU_ASSERT_EQUAL(parse("[link wifi]\nrate_mbps = 3\nsignal = ,\n"), UM3N_EINVAL);
	unlink(path);
	sim_scenario_free(&sc);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 outages from a file", test_schedule_file},
		{"2 bad schedule lines: FILE:LINE", test_schedule_file_errors},
		{"3 more outage keys than 16", test_schedule_many_keys},
		{"4 flap = PERIOD_S DUTY", test_schedule_flap},
		{"5 onoff: means and seeds", test_schedule_onoff},
		{"6 signal points: keys, file, any number", test_schedule_signals},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_schedule", tests}, {NULL, NULL}};

	return test_main(suites);
}
