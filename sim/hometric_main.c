/* um3n-hometric: the handover figures of sim/hometric.c for flows measured
 * elsewhere (the emulators' captures, through emu/lib/hometric.py), so that
 * every results file computes them with the simulator's code. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hometric.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: um3n-hometric [--check] [FILE]\n"
	"Reads flows (cases) in the format of tests/hometric_vectors.txt from FILE\n"
	"(default standard input) and prints one JSON line per case:\n"
	"  {\"case\": NAME, \"base_ms\", \"silence_ms\", \"added_gap_ms\",\n"
	"   \"extra_delay_ms\": {\"p50\", \"p99\", \"max\"}, \"sent\", \"lost\"}\n"
	"(closed-loop cases: \"stall_ms\" instead of the added gap and extra delay).\n"
	"Definitions: sim/hometric.h. --check compares each case's expect lines\n"
	"and exits 1 when one differs. Exit 2: bad usage or input (FILE:LINE: what).\n";

static double ms(int64_t us) { return (double)us / 1000.0; }

static void print_json(const struct sim_hometric_case *c, const struct sim_hometric *r)
{
	printf("{\"case\": \"%s\", \"base_ms\": %.3f, \"silence_ms\": %.3f, ", c->name,
	       ms((int64_t)r->base_us), ms((int64_t)r->silence_us));
	if (r->closed)
		printf("\"stall_ms\": %.3f, ", ms((int64_t)r->stall_us));
	else
		printf("\"added_gap_ms\": %.3f, \"extra_delay_ms\": {\"p50\": %.3f, \"p99\": "
		       "%.3f, \"max\": %.3f}, ",
		       ms((int64_t)r->added_gap_us), ms(r->extra_p50_us), ms(r->extra_p99_us),
		       ms(r->extra_max_us));
	printf("\"sent\": %" PRIu64 ", \"lost\": %" PRIu64 "}\n", r->sent, r->lost);
}

/* Returns the number of expect lines that did not hold. */
static int check(const struct sim_hometric_case *c, const struct sim_hometric *r)
{
	int bad = 0;

	for (size_t i = 0; i < c->n_expect; i++) {
		int64_t v;

		if (sim_hometric_get(r, c->expect_key[i], &v)) {
			printf("FAIL %s: no figure %s\n", c->name, c->expect_key[i]);
			bad++;
		} else if (v != c->expect[i]) {
			printf("FAIL %s: %s = %" PRId64 ", expected %" PRId64 "\n", c->name,
			       c->expect_key[i], v, c->expect[i]);
			bad++;
		}
	}
	if (!bad)
		printf("ok   %s (%zu figures)\n", c->name, c->n_expect);
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sim_hometric_case c = {0};
	const char *path = "-", *why = "";
	unsigned line = 0;
	bool checking = false;
	int opt, rc, bad = 0;
	FILE *f = stdin;

	while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (opt == 'c') {
			checking = true;
			continue;
		}
		fputs(usage_text, opt == 'h' ? stdout : stderr);
		return opt == 'h' ? 0 : EXIT_USAGE;
	}
	if (argc - optind > 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		path = argv[optind];
		f = fopen(path, "r");
		if (!f) {
			fprintf(stderr, "%s: cannot read\n", path);
			return EXIT_USAGE;
		}
	}
	while ((rc = sim_hometric_read_case(f, &c, &line, &why)) == 1) {
		struct sim_hometric r;

		if (sim_hometric_compute(c.pkts, c.n, &c.w, c.closed, &r)) {
			fprintf(stderr, "um3n-hometric: out of memory\n");
			bad = -1;
			break;
		}
		if (checking)
			bad += check(&c, &r);
		else
			print_json(&c, &r);
	}
	if (rc < 0 && line)
		fprintf(stderr, "%s:%u: expected %s\n", path, line, why);
	sim_hometric_case_free(&c);
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		return EXIT_USAGE;
	return bad ? 1 : 0; /* a figure not as expected, or out of memory */
}
