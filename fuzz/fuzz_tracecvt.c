/* libFuzzer target: um3n-trace's converters (sim/tracecvt.c: NYU CSV, Norway
 * HSDPA logs, "time rate" in any unit, mahimahi) and its report on what
 * sim/trace.c then reads. tracecvt.c is included (its main renamed) so that
 * its static functions are reached without a file or a process.
 * Byte 0 picks --from, byte 1 --unit, byte 2 --scale; the rest is the input.
 * Checks: an error names the input; a conversion keeps the input's lines one
 * for one (plus the closing line of an HSDPA log), so the simulator's errors
 * name the input's lines; the report's figures are computed without
 * tripping tracecvt.c's asserts. The report's windows are a 256th of the
 * trace (at least 1 ms): the tool's 1 s windows over a trace of 10^9 s would
 * make one input take minutes. */
#define main um3n_trace_main
int um3n_trace_main(int argc, char **argv);
#include "../sim/tracecvt.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sim_trace_format sim_fmt[] = {
		SIM_TRACE_AUTO,    SIM_TRACE_MAHIMAHI,  SIM_TRACE_TIME_MBPS,
		SIM_TRACE_CSV_BPS, SIM_TRACE_TIME_MBPS,
	};
	static const double units[] = {1e6, 1e3, 1, 8e6, 8e3, 8};
	struct opts o = {.in = "fuzz.trace", .outage_us = 200000};
	struct conv c = {0};
	struct sim_trace t;
	size_t in_lines;
	static bool quiet;
	char *in;

	if (size < 3)
		return 0;
	if (!quiet && !freopen("/dev/null", "w", stdout)) /* the report's text */
		abort();
	quiet = true;
	o.from = (enum in_format)(data[0] % 5);
	o.unit_bps = units[data[1] % 6];
	o.scale = 0.001 + data[2] / 16.0;
	data += 3;
	size -= 3;
	in_lines = count_lines((const char *)data, size) + (size && data[size - 1] != '\n');
	c.o = &o;
	c.name = o.in;
	c.fmt = o.from;
	/* NUL-terminated, as slurp() gives it to convert() */
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (convert(&c, in, size) != 0) {
		free(in);
		if (strncmp(c.err, "fuzz.trace:", 11) != 0)
			abort();
		free(c.out.buf);
		return 0;
	}
	free(in);
	if (c.line_no != in_lines || count_lines(c.out.buf ? c.out.buf : "", c.out.len) !=
					     in_lines + (c.fmt == IN_HSDPA && c.seen_data))
		abort(); /* one output line per input line */
	if (sim_trace_parse(o.in, c.out.buf ? c.out.buf : "", c.out.len, sim_fmt[c.fmt], o.scale,
			    &t, c.err, sizeof(c.err)) == 0) {
		o.window_us = t.period_us / 256 > 1000 ? t.period_us / 256 : 1000;
		report(&o, &t, &c);
		sim_trace_free(&t);
	} else if (strncmp(c.err, "fuzz.trace", 10) != 0) {
		abort();
	}
	free(c.out.buf);
	return 0;
}
