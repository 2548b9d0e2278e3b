/* um3n-trace: look at a bandwidth trace before a run, and convert the common
 * formats into one um3n-sim reads (sim/README.md, "Trace formats").
 *
 * Formats in (auto-detected from the first data line, or --from):
 *   mahimahi  one integer ms per line, a 1500-byte delivery opportunity each
 *   mbps      "TIME_S RATE" per line, RATE in --unit (Mbit/s by default)
 *   csv       "SECOND,BYTES_PER_SECOND" (the NYU multipath traces), an optional
 *             header line first
 *   hsdpa     the raw Norway HSDPA logs (Riiser et al.): six columns, the
 *             second a time in ms, the fifth the bytes received in the last
 *             interval, the sixth that interval in ms
 * Every conversion keeps the input's lines one for one (comments and blank
 * lines too), so the simulator's own parser (trace.c) reads the result with
 * the input's line numbers: the report below is what um3n-sim will use, and
 * an error names the input line. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "um3n.h"

#define EXIT_USAGE 2
#define LINE_CAP 256
#define ERR_CAP 320
#define OUTAGES_SHOWN 20

enum in_format { IN_AUTO, IN_MAHIMAHI, IN_MBPS, IN_CSV, IN_HSDPA };

struct opts {
	const char *in, *out;
	enum in_format from;
	double unit_bps; /* bit/s per unit of an mbps-format rate */
	double scale;
	uint64_t outage_us, window_us;
};

struct text {
	char *buf;
	size_t len, cap;
};

static const char usage_text[] =
	"usage: um3n-trace [--from auto|mahimahi|mbps|csv|hsdpa] [--unit U] [--scale X]\n"
	"                  [--outage-ms N] [--window-ms N] [-o OUT] TRACE\n"
	"Reports a bandwidth trace's length, mean, min and max rate (over --window-ms\n"
	"windows, 1000) and its outages (no capacity for at least --outage-ms, 200) as\n"
	"um3n-sim will use it; with -o writes it in a format um3n-sim reads (`trace = OUT`).\n"
	"--unit: rate unit of the mbps format: Mbps (default), kbps, bps, MBps, kBps, Bps.\n";

static int usage_error(const char *what)
{
	fprintf(stderr, "um3n-trace: %s (--help)\n", what);
	return EXIT_USAGE;
}

static bool num(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && *v >= min && *v <= max;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"from", required_argument, NULL, 'f'},
		{"unit", required_argument, NULL, 'u'},
		{"scale", required_argument, NULL, 's'},
		{"outage-ms", required_argument, NULL, 'g'},
		{"window-ms", required_argument, NULL, 'w'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const froms[] = {"auto", "mahimahi", "mbps", "csv", "hsdpa"};
	static const struct {
		const char *name;
		double bps;
	} units[] = {{"Mbps", 1e6}, {"kbps", 1e3}, {"bps", 1},
		     {"MBps", 8e6}, {"kBps", 8e3}, {"Bps", 8}};
	double v;
	int c;
	size_t i;

	*o = (struct opts){.unit_bps = 1e6, .scale = 1, .outage_us = 200000, .window_us = 1000000};
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			for (i = 0; i < 5 && strcmp(optarg, froms[i]); i++)
				;
			if (i == 5)
				return usage_error(
					"--from: expected auto, mahimahi, mbps, csv or hsdpa");
			o->from = (enum in_format)i;
			break;
		case 'u':
			for (i = 0; i < 6 && strcmp(optarg, units[i].name); i++)
				;
			if (i == 6)
				return usage_error(
					"--unit: expected Mbps, kbps, bps, MBps, kBps or Bps");
			o->unit_bps = units[i].bps;
			break;
		case 's':
			if (!num(optarg, 1e-3, 1e3, &o->scale))
				return usage_error("--scale: expected a number in [0.001, 1000]");
			break;
		case 'g':
		case 'w':
			if (!num(optarg, 1, 1e7, &v))
				return usage_error(
					"--outage-ms/--window-ms: expected ms in [1, 1e7]");
			*(c == 'g' ? &o->outage_us : &o->window_us) = (uint64_t)(v * 1000);
			break;
		case 'o': o->out = optarg; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("expected one TRACE file");
	o->in = argv[optind];
	return 0;
}

static bool put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *b = realloc(t->buf, cap);

		if (!b)
			return false;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return true;
}

static char *slurp(const char *path, size_t *len, char *err)
{
	FILE *f = fopen(path, "rb");
	struct text t = {0};
	char chunk[65536];
	size_t n;

	if (!f) {
		snprintf(err, ERR_CAP, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (!put(&t, chunk, n)) {
			snprintf(err, ERR_CAP, "%s: out of memory", path);
			break;
		}
	fclose(f);
	if (!t.buf && !err[0])
		put(&t, "", 0);
	*len = t.len;
	return err[0] ? (free(t.buf), NULL) : t.buf;
}

/* Splits a line into at most max whitespace- (or comma-) separated fields. */
static size_t fields(char *line, char **f, size_t max, bool comma)
{
	size_t n = 0;
	char *save = NULL;

	for (char *tok = strtok_r(line, comma ? "," : " \t", &save); tok;
	     tok = strtok_r(NULL, comma ? "," : " \t", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (n == max)
			return max + 1;
		f[n++] = tok;
	}
	return n;
}

static bool numeric(const char *s)
{
	double v;

	return num(s, -1e300, 1e300, &v);
}

static enum in_format detect(const char *line)
{
	char copy[LINE_CAP], *f[8];
	size_t n;

	snprintf(copy, sizeof(copy), "%s", line);
	if (strchr(copy, ','))
		return IN_CSV;
	n = fields(copy, f, 7, false);
	return n == 6 ? IN_HSDPA : n == 2 ? IN_MBPS : IN_MAHIMAHI;
}

struct conv {
	const struct opts *o;
	const char *name;
	enum in_format fmt;
	struct text out;
	size_t line_no;
	bool seen_data;
	double t0_ms, prev_ms; /* hsdpa: the first and the previous line's time */
	bool changed;          /* some line differs from the input's */
	char err[ERR_CAP];
};

static int bad(struct conv *c, const char *what)
{
	snprintf(c->err, sizeof(c->err), "%s:%zu: expected %s", c->name, c->line_no, what);
	return -1;
}

static int emit(struct conv *c, const char *s)
{
	assert(strlen(s) < LINE_CAP * 2 && !strchr(s, '\n')); /* one line per input line */
	if (!put(&c->out, s, strlen(s)) || !put(&c->out, "\n", 1)) {
		snprintf(c->err, sizeof(c->err), "%s: out of memory", c->name);
		return -1;
	}
	return 0;
}

/* hsdpa: TIME_MS (second field) and BYTES over INTERVAL_MS (fifth, sixth)
 * ending at that time. The interval's rate starts at the previous line's
 * time, so line i becomes "TIME(i-1) RATE(i)" (the first a comment) and one
 * line "TIME(last) 0" ends the trace: the lines still match the input's. */
static int hsdpa_line(struct conv *c, char *line)
{
	char *f[8], buf[LINE_CAP];
	double ms, bytes, iv, mbps;

	assert(c->fmt == IN_HSDPA && (!c->seen_data || c->prev_ms >= c->t0_ms));
	if (fields(line, f, 7, false) != 6 || !num(f[1], 0, 1e15, &ms) ||
	    !num(f[4], 0, 1e12, &bytes) || !num(f[5], 0, 1e9, &iv) || iv <= 0)
		return bad(c, "six columns: UNIX_S TIME_MS LAT LON BYTES INTERVAL_MS (HSDPA log)");
	if (!c->seen_data) {
		c->t0_ms = c->prev_ms = ms;
		return emit(c, "# HSDPA log: each rate starts at the previous line's time");
	}
	if (ms <= c->prev_ms)
		return bad(c, "times in increasing order");
	mbps = bytes * 8 / iv / 1e3;
	if (mbps > 1e6)
		return bad(c, "a rate of at most 1e6 Mbit/s");
	snprintf(buf, sizeof(buf), "%.9g %.9g", (c->prev_ms - c->t0_ms) / 1e3, mbps);
	c->prev_ms = ms;
	return emit(c, buf);
}

static int data_line(struct conv *c, char *line)
{
	char copy[LINE_CAP], *f[4], buf[LINE_CAP];
	double t, r;

	snprintf(copy, sizeof(copy), "%s", line);
	c->changed |= c->fmt == IN_HSDPA || (c->fmt == IN_MBPS && c->o->unit_bps != 1e6);
	if (c->fmt == IN_HSDPA)
		return hsdpa_line(c, copy);
	if (c->fmt == IN_CSV && !c->seen_data && !numeric(fields(copy, f, 3, true) ? f[0] : "")) {
		c->changed = true;
		return emit(c, "# (header)"); /* the NYU CSV's header line */
	}
	if (c->fmt == IN_MBPS && c->o->unit_bps != 1e6) {
		if (fields(copy, f, 3, false) != 2 || !num(f[0], 0, 1e9, &t) ||
		    !num(f[1], 0, 1e15, &r))
			return bad(c, "'TIME_S RATE' (two numbers)");
		snprintf(buf, sizeof(buf), "%s %.9g", f[0], r * c->o->unit_bps / 1e6);
		return emit(c, buf);
	}
	return emit(c, line); /* read as it is by trace.c, which checks it */
}

/* Converts the input line by line into c->out. */
static int convert(struct conv *c, const char *in, size_t len)
{
	char line[LINE_CAP];
	size_t pos = 0;

	if (memchr(in, '\0', len)) {
		snprintf(c->err, sizeof(c->err), "%s: expected text, found a NUL byte", c->name);
		return -1;
	}
	while (pos < len) {
		size_t n = strcspn(in + pos, "\n");
		char *s = line;

		c->line_no++;
		if (n >= sizeof(line))
			return bad(c, "a line shorter than 256 characters");
		memcpy(line, in + pos, n);
		line[n] = '\0';
		pos += n + (pos + n < len);
		while (n && strchr("\r \t", line[n - 1]))
			line[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#') {
			if (emit(c, line))
				return -1;
			continue;
		}
		if (c->fmt == IN_AUTO)
			c->fmt = detect(s);
		if (data_line(c, s))
			return -1;
		c->seen_data = true;
	}
	if (c->fmt == IN_HSDPA && c->seen_data) { /* the last time ends the trace */
		char buf[LINE_CAP];

		snprintf(buf, sizeof(buf), "%.9g 0", (c->prev_ms - c->t0_ms) / 1e3);
		return emit(c, buf);
	}
	return 0;
}

/* Capacity in bit/s between a and b (a < b), within one period. */
static double rate_between(const struct sim_trace *t, uint64_t a, uint64_t b)
{
	assert(a < b);
	return (double)(sim_trace_capacity_at(t, b) - sim_trace_capacity_at(t, a)) /
	       (double)(b - a);
}

static void report_outage(uint64_t a, uint64_t b, size_t *n, uint64_t *total)
{
	if (*n < OUTAGES_SHOWN)
		printf("  %.3f-%.3f s (%.3f s)\n", a / 1e6, b / 1e6, (b - a) / 1e6);
	(*n)++;
	*total += b - a;
}

/* Intervals with no capacity of at least min_us: gaps between delivery
 * opportunities (mahimahi) or runs of zero-rate segments (the others). */
static void outages(const struct sim_trace *t, uint64_t min_us)
{
	size_t n = 0;
	uint64_t total = 0, start = 0;
	bool in = false;

	printf("outages (no capacity for >= %.0f ms):\n", min_us / 1e3);
	for (size_t i = 0; i < t->n; i++) {
		uint64_t a = i ? t->t_us[i - 1] : 0, b = t->t_us[i];

		if (t->shape == SIM_TRACE_STEP) {
			if (b - a >= min_us)
				report_outage(a, b, &n, &total);
			continue;
		}
		if (i > 0 && t->rate[i - 1] == 0) {
			if (!in)
				start = a;
			in = true;
		} else if (in) {
			if (a - start >= min_us)
				report_outage(start, a, &n, &total);
			in = false;
		}
	}
	if (in && t->period_us - start >= min_us)
		report_outage(start, t->period_us, &n, &total);
	if (n > OUTAGES_SHOWN)
		printf("  ... %zu more\n", n - OUTAGES_SHOWN);
	printf("  %zu outage%s, %.3f s in all (%.1f %% of the trace)\n", n, n == 1 ? "" : "s",
	       total / 1e6, 100.0 * (double)total / (double)t->period_us);
}

static void report(const struct opts *o, const struct sim_trace *t, const struct conv *c)
{
	static const char *const names[] = {"auto", "mahimahi", "mbps", "csv", "hsdpa"};
	double lo = INFINITY, hi = 0;
	uint64_t w = o->window_us < t->period_us ? o->window_us : t->period_us;

	/* trace.c's finish(): a loaded trace has points, a length and capacity. */
	assert(t->n > 0 && t->period_us > 0 && t->period_ubits > 0 && w > 0);

	/* Windows that fit whole into one period; the trace loops after it. */
	for (uint64_t a = 0; a + w <= t->period_us; a += w) {
		double r = rate_between(t, a, a + w);

		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	printf("trace: %s (%s%s, %zu points)\n", o->in, names[c->fmt],
	       c->changed ? ", converted" : "", t->n);
	printf("length: %.3f s (um3n-sim loops it)\n", t->period_us / 1e6);
	printf("mean: %.3f Mbit/s\n", sim_trace_mean_bps(t) / 1e6);
	printf("min: %.3f Mbit/s, max: %.3f Mbit/s (over %.0f ms windows)\n", lo / 1e6, hi / 1e6,
	       w / 1e3);
	outages(t, o->outage_us);
}

int main(int argc, char **argv)
{
	static const enum sim_trace_format sim_fmt[] = {
		SIM_TRACE_AUTO,    SIM_TRACE_MAHIMAHI,  SIM_TRACE_TIME_MBPS,
		SIM_TRACE_CSV_BPS, SIM_TRACE_TIME_MBPS,
	};
	struct opts o;
	struct conv c = {0};
	struct sim_trace t;
	char err[ERR_CAP] = "";
	char *in;
	size_t len;
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	in = slurp(o.in, &len, err);
	if (!in) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	c.o = &o;
	c.name = o.in;
	c.fmt = o.from;
	rc = convert(&c, in, len);
	free(in);
	if (rc == 0 && sim_trace_parse(o.in, c.out.buf ? c.out.buf : "", c.out.len, sim_fmt[c.fmt],
				       o.scale, &t, c.err, sizeof(c.err)) != 0)
		rc = -1;
	if (rc) {
		fprintf(stderr, "%s\n", c.err);
		free(c.out.buf);
		return EXIT_USAGE;
	}
	report(&o, &t, &c);
	sim_trace_free(&t);
	if (o.out) {
		FILE *f = fopen(o.out, "w");

		if (!f || fwrite(c.out.buf, 1, c.out.len, f) != c.out.len || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write: %s\n", o.out, strerror(errno));
			free(c.out.buf);
			return 1;
		}
		printf("wrote %s (trace_format = %s)\n", o.out,
		       sim_trace_format_name(sim_fmt[c.fmt]));
	}
	free(c.out.buf);
	return 0;
}
