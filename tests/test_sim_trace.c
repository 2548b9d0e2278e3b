/* Bandwidth traces: the three real formats against their published means,
 * the capacity curve's arithmetic, and malformed input -> FILE:LINE errors. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "trace.h"

#ifndef UM3N_SIM_TRACES
#define UM3N_SIM_TRACES "traces"
#endif

/* 1: the mean rates the traces README gives (within 2%). */
static void test_trace_real_means(void)
{
	static const struct {
		const char *file;
		enum sim_trace_format fmt;
		double mbps;
	} cases[] = {
		{"TMobile-UMTS-driving.down", SIM_TRACE_MAHIMAHI, 2.02},
		{"TMobile-UMTS-driving.up", SIM_TRACE_AUTO, 0.94},
		{"Verizon-LTE-short.down", SIM_TRACE_AUTO, 5.03},
		{"Verizon-LTE-short.up", SIM_TRACE_MAHIMAHI, 5.95},
		{"bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log", SIM_TRACE_TIME_MBPS, 2.79},
		{"norway_bus_7", SIM_TRACE_AUTO, 3.04},
		{"23_2_wifi.csv", SIM_TRACE_CSV_BPS, 14.73},
		{"23_2_cellular.csv", SIM_TRACE_AUTO, 0.76},
	};
	char path[512], err[300];
	size_t done = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim_trace t;
		double mean;

		snprintf(path, sizeof(path), "%s/links/%s", UM3N_SIM_TRACES, cases[i].file);
		if (access(path, R_OK) != 0) {
			fprintf(stderr, "  (skipped: %s absent)\n", path);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(sim_trace_load(path, cases[i].fmt, 1.0, &t, err, sizeof(err)),
				      0);
		mean = sim_trace_mean_bps(&t) / 1e6;
		if (mean < cases[i].mbps * 0.98 || mean > cases[i].mbps * 1.02)
			fprintf(stderr, "  %s: mean %.3f Mbit/s, expected %.2f\n", cases[i].file,
				mean, cases[i].mbps);
		CU_ASSERT_TRUE(mean > cases[i].mbps * 0.98 && mean < cases[i].mbps * 1.02);
		/* Loops: after k periods exactly k periods of capacity. */
		CU_ASSERT_EQUAL(sim_trace_capacity_at(&t, 3 * t.period_us),
				3 * t.period_ubits + sim_trace_capacity_at(&t, 0));
		sim_trace_free(&t);
		done++;
	}
	fprintf(stderr, "  %zu real traces checked\n", done);
}

/* time_for is the inverse of capacity_at: the first instant reaching u. */
static void check_inverse(const struct sim_trace *t, uint64_t seed)
{
	struct um3n_prng rng;

	um3n_prng_seed(&rng, seed);
	for (int i = 0; i < 2000; i++) {
		uint64_t u = 1 + um3n_prng_below(&rng, 3 * t->period_ubits);
		uint64_t at = sim_trace_time_for(t, u);

		CU_ASSERT_TRUE_FATAL(sim_trace_capacity_at(t, at) >= u);
		CU_ASSERT_TRUE_FATAL(at == 0 || sim_trace_capacity_at(t, at - 1) < u);
	}
}

/* 2: curves of each shape: exact values and the inverse property. */
static void test_trace_curves(void)
{
	static const char mbps[] = "0.0 8\n1.0 0\n2.0 16\n3.0 1\n";
	static const char csv[] = "1,1000000\n2,0\n3,500000\n";
	static const char mahi[] = "0\n5\n5\n5\n100\n";
	struct sim_trace t;
	char err[200];

	CU_ASSERT_EQUAL_FATAL(sim_trace_parse("m", mbps, strlen(mbps), SIM_TRACE_AUTO, 1.0, &t, err,
					      sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(t.format, SIM_TRACE_TIME_MBPS);
	CU_ASSERT_EQUAL(t.period_us, 3000000);
	CU_ASSERT_EQUAL(sim_trace_capacity_at(&t, 500000), 500000ULL * 8000000);
	CU_ASSERT_EQUAL(sim_trace_capacity_at(&t, 1500000), 8000000ULL * 1000000);
	/* 1 MB = 8 Mbit is reached exactly at 1.0 s; one ubit more waits through
	 * the idle second and takes 1/16 us at 16 Mbit/s (rounded up). */
	CU_ASSERT_EQUAL(sim_trace_time_for(&t, 1000000ULL * SIM_UBITS_PER_BYTE), 1000000);
	CU_ASSERT_EQUAL(sim_trace_time_for(&t, 1000000ULL * SIM_UBITS_PER_BYTE + 1), 2000001);
	check_inverse(&t, 1);
	sim_trace_free(&t);

	CU_ASSERT_EQUAL_FATAL(sim_trace_parse("c", csv, strlen(csv), SIM_TRACE_AUTO, 2.0, &t, err,
					      sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(t.format, SIM_TRACE_CSV_BPS);
	CU_ASSERT_EQUAL(t.period_us, 3000000);
	CU_ASSERT_EQUAL(t.period_ubits, 3000000ULL * SIM_UBITS_PER_BYTE); /* scaled x2 */
	check_inverse(&t, 2);
	sim_trace_free(&t);

	CU_ASSERT_EQUAL_FATAL(sim_trace_parse("h", mahi, strlen(mahi), SIM_TRACE_AUTO, 1.0, &t, err,
					      sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(t.format, SIM_TRACE_MAHIMAHI);
	CU_ASSERT_EQUAL(t.period_us, 100000);
	CU_ASSERT_EQUAL(sim_trace_capacity_at(&t, 4999), 1500ULL * SIM_UBITS_PER_BYTE);
	CU_ASSERT_EQUAL(sim_trace_capacity_at(&t, 5000), 4 * 1500ULL * SIM_UBITS_PER_BYTE);
	CU_ASSERT_EQUAL(sim_trace_time_for(&t, 2 * 1500ULL * SIM_UBITS_PER_BYTE), 5000);
	check_inverse(&t, 3);
	sim_trace_free(&t);
}

/* 3: malformed input: one error "NAME:LINE: ..." pointing at the bad line. */
static void test_trace_malformed(void)
{
	static const struct {
		const char *text;
		enum sim_trace_format fmt;
		const char *prefix;
	} cases[] = {
		{"0\n5\nabc\n", SIM_TRACE_MAHIMAHI, "bad.trace:3: "},
		{"0\n5\n3\n", SIM_TRACE_MAHIMAHI, "bad.trace:3: "},
		{"0\n5\n-1\n", SIM_TRACE_MAHIMAHI, "bad.trace:3: "},
		{"0.0 1.5\n1.0\n", SIM_TRACE_TIME_MBPS, "bad.trace:2: "},
		{"0.0 1.5\n2.0 1\n1.5 2\n", SIM_TRACE_TIME_MBPS, "bad.trace:3: "},
		{"0.0 1.5\n1.0 nan\n", SIM_TRACE_TIME_MBPS, "bad.trace:2: "},
		{"0.0 1.5 7\n", SIM_TRACE_TIME_MBPS, "bad.trace:1: "},
		{"1,100\n2,100\n4,100\n", SIM_TRACE_CSV_BPS, "bad.trace:3: "},
		{"1,100\n2;100\n", SIM_TRACE_CSV_BPS, "bad.trace:2: "},
		{"1,100\n2,-5\n", SIM_TRACE_CSV_BPS, "bad.trace:2: "},
		{"", SIM_TRACE_AUTO, "bad.trace: "},
		{"0\n0\n", SIM_TRACE_MAHIMAHI, "bad.trace: "},
		{"0 0\n1 0\n", SIM_TRACE_AUTO, "bad.trace: "},
		{"0\n1\x00\n", SIM_TRACE_MAHIMAHI, "bad.trace:2: "},
	};
	static const size_t lens[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
	char err[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim_trace t;
		size_t len = lens[i] ? lens[i] : strlen(cases[i].text);
		int rc = sim_trace_parse("bad.trace", cases[i].text, len, cases[i].fmt, 1.0, &t,
					 err, sizeof(err));

		if (rc == 0 || strncmp(err, cases[i].prefix, strlen(cases[i].prefix)) != 0)
			fprintf(stderr, "  case %zu: rc %d err '%s'\n", i + 1, rc, err);
		CU_ASSERT_NOT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(strncmp(err, cases[i].prefix, strlen(cases[i].prefix)), 0);
		CU_ASSERT_PTR_NULL(t.t_us);
	}
	/* A long line is an error too, not a silent split. */
	{
		char long_line[600];
		struct sim_trace t;

		memset(long_line, '1', sizeof(long_line) - 2);
		long_line[sizeof(long_line) - 2] = '\n';
		long_line[sizeof(long_line) - 1] = '\0';
		CU_ASSERT_NOT_EQUAL(sim_trace_parse("long", long_line, strlen(long_line),
						    SIM_TRACE_MAHIMAHI, 1.0, &t, err, sizeof(err)),
				    0);
		CU_ASSERT_EQUAL(strncmp(err, "long:1: ", 8), 0);
	}
	CU_ASSERT_NOT_EQUAL(sim_trace_load("/nonexistent/trace", SIM_TRACE_AUTO, 1.0,
					   &(struct sim_trace){0}, err, sizeof(err)),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/trace"));
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"1 real traces: published mean rates", test_trace_real_means},
		{"2 capacity curves and their inverse", test_trace_curves},
		{"3 malformed traces name file and line", test_trace_malformed},
		CU_TEST_INFO_NULL,
	};
	static const struct test_suite suites[] = {{"sim_trace", tests}, {NULL, NULL}};

	return test_main(suites);
}
