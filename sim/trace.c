/* Bandwidth trace loaders (mahimahi, "time Mbit/s", "second,bytes/s" CSV) and
 * the capacity curve links integrate over. */
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "um3n.h"

#define LINE_MAX_CHARS 256
#define UBITS_LIMIT (1ULL << 62)   /* keeps k * period arithmetic far from overflow */
#define TIME_LIMIT_US (1ULL << 50) /* ~35 years: plenty, and no overflow below */

struct parser {
	const char *name;
	const char *buf;
	size_t len, pos;
	size_t line_no;
	char line[LINE_MAX_CHARS];
	char *err;
	size_t errcap;
	double scale;
	struct sim_trace *t;
	size_t cap;
	/* CSV / mbps state */
	double first_time, prev_time;
	long long first_sec, prev_sec;
	double prev_rate_bps;
};

static int fail(struct parser *p, bool with_line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, bool with_line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errcap) {
		if (with_line)
			snprintf(p->err, p->errcap, "%s:%zu: %s", p->name, p->line_no, msg);
		else
			snprintf(p->err, p->errcap, "%s: %s", p->name, msg);
	}
	return UM3N_EINVAL;
}

int sim_trace_format_parse(const char *name, enum sim_trace_format *fmt)
{
	static const struct {
		const char *name;
		enum sim_trace_format fmt;
	} names[] = {
		{"auto", SIM_TRACE_AUTO},
		{"mahimahi", SIM_TRACE_MAHIMAHI},
		{"mbps", SIM_TRACE_TIME_MBPS},
		{"csv", SIM_TRACE_CSV_BPS},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*fmt = names[i].fmt;
			return 0;
		}
	return UM3N_EINVAL;
}

const char *sim_trace_format_name(enum sim_trace_format fmt)
{
	switch (fmt) {
	case SIM_TRACE_MAHIMAHI: return "mahimahi";
	case SIM_TRACE_TIME_MBPS: return "mbps";
	case SIM_TRACE_CSV_BPS: return "csv";
	default: return "auto";
	}
}

/* Next line into p->line without its newline/CR. 1 = got a line, 0 = end,
 * negative = error (line too long or NUL byte). */
static int next_line(struct parser *p)
{
	size_t n = 0;

	if (p->pos >= p->len)
		return 0;
	p->line_no++;
	while (p->pos < p->len && p->buf[p->pos] != '\n') {
		char c = p->buf[p->pos++];

		if (c == '\0')
			return fail(p, true, "expected text, found a NUL byte");
		if (n + 1 >= sizeof(p->line))
			return fail(p, true, "expected a line shorter than %d characters",
				    LINE_MAX_CHARS);
		p->line[n++] = c;
	}
	if (p->pos < p->len)
		p->pos++; /* the newline */
	while (n > 0 && (p->line[n - 1] == '\r' || p->line[n - 1] == ' ' || p->line[n - 1] == '\t'))
		n--;
	p->line[n] = '\0';
	return 1;
}

static bool line_is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == '#';
}

static int push_point(struct parser *p, uint64_t t_us, uint64_t cum, uint64_t rate)
{
	struct sim_trace *t = p->t;

	if (t->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		uint64_t *a, *b, *c;

		if (cap > SIM_TRACE_MAX_POINTS)
			cap = SIM_TRACE_MAX_POINTS;
		if (t->n >= cap) {
			fail(p, true, "expected at most %d points", SIM_TRACE_MAX_POINTS);
			return UM3N_ETOOBIG;
		}
		a = realloc(t->t_us, cap * sizeof(*a));
		if (a)
			t->t_us = a;
		b = realloc(t->cum, cap * sizeof(*b));
		if (b)
			t->cum = b;
		c = realloc(t->rate, cap * sizeof(*c));
		if (c)
			t->rate = c;
		if (!a || !b || !c)
			return UM3N_ENOMEM;
		p->cap = cap;
	}
	t->t_us[t->n] = t_us;
	t->cum[t->n] = cum;
	t->rate[t->n] = rate;
	t->n++;
	return 0;
}

/* Strict number parsers: the whole token must be a finite number. */
static bool parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end == '\0' && errno == 0;
}

static int add_capacity(struct parser *p, uint64_t base, double add, uint64_t *out)
{
	if (add < 0 || add >= (double)(UBITS_LIMIT - base))
		return fail(p, true, "expected a trace with less total capacity (overflow)");
	*out = base + (uint64_t)llround(add);
	return 0;
}

static int mahimahi_line(struct parser *p)
{
	struct sim_trace *t = p->t;
	uint64_t ms, cum = t->n ? t->cum[t->n - 1] : 0;
	double unit = (double)SIM_MAHIMAHI_OPPORTUNITY_BYTES * SIM_UBITS_PER_BYTE * p->scale;
	int rc;

	if (!parse_u64(p->line, &ms) || ms > TIME_LIMIT_US / 1000)
		return fail(p, true, "expected one integer timestamp in milliseconds, got '%s'",
			    p->line);
	if (t->n && ms * 1000 < t->t_us[t->n - 1])
		return fail(p, true, "expected timestamps in non-decreasing order");
	rc = add_capacity(p, cum, unit, &cum);
	return rc ? rc : push_point(p, ms * 1000, cum, 0);
}

/* Splits "a<sep>b" into two tokens (sep = ',' or whitespace). */
static bool split2(char *line, bool csv, char **a, char **b)
{
	char *s = line, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (csv) {
		e = strchr(s, ',');
		if (!e || strchr(e + 1, ','))
			return false;
		*e = '\0';
		*a = s;
		*b = e + 1;
		while (**b == ' ')
			(*b)++;
		return true;
	}
	e = s + strcspn(s, " \t");
	if (*e == '\0')
		return false;
	*e++ = '\0';
	while (*e == ' ' || *e == '\t')
		e++;
	if (*e == '\0' || e[strcspn(e, " \t")] != '\0')
		return false;
	*a = s;
	*b = e;
	return true;
}

/* Closes the previous linear segment at t_us and opens one at rate_bps. */
static int linear_point(struct parser *p, uint64_t t_us, double rate_bps)
{
	struct sim_trace *t = p->t;
	uint64_t cum = 0, rate = (uint64_t)llround(rate_bps);
	int rc;

	if (t->n) {
		uint64_t dt = t_us - t->t_us[t->n - 1];

		rc = add_capacity(p, t->cum[t->n - 1], (double)dt * (double)t->rate[t->n - 1],
				  &cum);
		if (rc)
			return rc;
	}
	return push_point(p, t_us, cum, rate);
}

static int mbps_line(struct parser *p)
{
	char *a, *b;
	double ts, mbps;

	if (!split2(p->line, false, &a, &b) || !parse_double(a, &ts) || !parse_double(b, &mbps))
		return fail(p, true, "expected 'TIME_S MBIT_PER_S' (two numbers)");
	if (ts < 0 || mbps < 0 || mbps > 1e6 || ts > 1e9)
		return fail(p, true, "expected a time >= 0 and a rate in [0, 1e6] Mbit/s");
	if (p->t->n == 0)
		p->first_time = ts;
	else if (ts <= p->prev_time)
		return fail(p, true, "expected times in increasing order");
	p->prev_time = ts;
	return linear_point(p, (uint64_t)llround((ts - p->first_time) * 1e6),
			    mbps * 1e6 * p->scale);
}

static int csv_line(struct parser *p)
{
	char *a, *b;
	uint64_t sec;
	double bytes;

	if (!split2(p->line, true, &a, &b) || !parse_u64(a, &sec) || !parse_double(b, &bytes))
		return fail(p, true, "expected 'SECOND,BYTES_PER_SECOND'");
	if (bytes < 0 || bytes > 1e11 || sec > 1000000000ULL)
		return fail(p, true, "expected bytes per second in [0, 1e11]");
	if (p->t->n == 0)
		p->first_sec = (long long)sec;
	else if ((long long)sec != p->prev_sec + 1)
		return fail(p, true, "expected second %lld after %lld", p->prev_sec + 1,
			    p->prev_sec);
	p->prev_sec = (long long)sec;
	return linear_point(p, (uint64_t)(p->prev_sec - p->first_sec) * 1000000ULL,
			    bytes * 8 * p->scale);
}

static enum sim_trace_format detect(const char *line)
{
	const char *s = line;

	if (strchr(line, ','))
		return SIM_TRACE_CSV_BPS;
	while (*s == ' ' || *s == '\t')
		s++;
	s += strcspn(s, " \t");
	while (*s == ' ' || *s == '\t')
		s++;
	return *s ? SIM_TRACE_TIME_MBPS : SIM_TRACE_MAHIMAHI;
}

/* Seals the curve: period, capacity of a period, sanity. */
static int finish(struct parser *p, enum sim_trace_format fmt)
{
	struct sim_trace *t = p->t;
	int rc;

	if (t->n == 0)
		return fail(p, false, "expected at least one data line (empty trace)");
	if (fmt == SIM_TRACE_CSV_BPS) {
		/* The last row covers one more second: close it with an end point. */
		p->line_no++;
		rc = linear_point(p, t->t_us[t->n - 1] + 1000000ULL, 0);
		if (rc)
			return rc;
	}
	t->shape = fmt == SIM_TRACE_MAHIMAHI ? SIM_TRACE_STEP : SIM_TRACE_LINEAR;
	t->period_us = t->t_us[t->n - 1];
	t->period_ubits = t->cum[t->n - 1];
	if (t->period_us == 0)
		return fail(p, false, "expected a trace longer than 0 ms");
	if (t->period_ubits == 0)
		return fail(p, false, "expected a trace with some capacity (all rates are 0)");
	return 0;
}

int sim_trace_parse(const char *name, const char *buf, size_t len, enum sim_trace_format fmt,
		    double scale, struct sim_trace *out, char *err, size_t errcap)
{
	struct parser p = {.name = name,
			   .buf = buf,
			   .len = len,
			   .err = err,
			   .errcap = errcap,
			   .scale = scale,
			   .t = out};
	int rc = 0, got;

	memset(out, 0, sizeof(*out));
	if (err && errcap)
		err[0] = '\0';
	if (!(scale > 0) || scale > 1e6)
		return fail(&p, false, "expected a scale in (0, 1e6]");
	while ((got = next_line(&p)) > 0) {
		if (line_is_blank(p.line))
			continue;
		if (fmt == SIM_TRACE_AUTO)
			fmt = detect(p.line);
		if (fmt == SIM_TRACE_MAHIMAHI)
			rc = mahimahi_line(&p);
		else if (fmt == SIM_TRACE_TIME_MBPS)
			rc = mbps_line(&p);
		else
			rc = csv_line(&p);
		if (rc)
			break;
	}
	if (got < 0)
		rc = got;
	if (rc == 0)
		rc = finish(&p, fmt == SIM_TRACE_AUTO ? SIM_TRACE_MAHIMAHI : fmt);
	out->format = fmt;
	if (rc)
		sim_trace_free(out);
	return rc;
}

int sim_trace_load(const char *path, enum sim_trace_format fmt, double scale, struct sim_trace *out,
		   char *err, size_t errcap)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
		return UM3N_ENOENT;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errcap, "%s: cannot read", path);
		return UM3N_ENOENT;
	}
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		snprintf(err, errcap, "%s: cannot read", path);
		return buf ? UM3N_ENOENT : UM3N_ENOMEM;
	}
	fclose(f);
	rc = sim_trace_parse(path, buf, (size_t)size, fmt, scale, out, err, errcap);
	free(buf);
	return rc;
}

void sim_trace_free(struct sim_trace *t)
{
	free(t->t_us);
	free(t->cum);
	free(t->rate);
	memset(t, 0, sizeof(*t));
}

/* Last index i with t_us[i] <= tw, or -1. */
static long last_at_or_before(const struct sim_trace *t, uint64_t tw)
{
	size_t lo = 0, hi = t->n; /* answer in [lo-1, hi-1] */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->t_us[mid] <= tw)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* First index i with cum[i] >= u (exists because u <= period_ubits). */
static size_t first_cum_at_least(const struct sim_trace *t, uint64_t u)
{
	size_t lo = 0, hi = t->n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->cum[mid] >= u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static uint64_t capacity_within(const struct sim_trace *t, uint64_t tw)
{
	long i = last_at_or_before(t, tw);

	if (i < 0)
		return 0;
	if (t->shape == SIM_TRACE_STEP || (size_t)i + 1 >= t->n)
		return t->cum[i];
	return t->cum[i] + (tw - t->t_us[i]) * t->rate[i];
}

uint64_t sim_trace_capacity_at(const struct sim_trace *t, uint64_t t_us)
{
	uint64_t k = t_us / t->period_us;

	return k * t->period_ubits + capacity_within(t, t_us - k * t->period_us);
}

/* Time within a period at which capacity reaches u, 0 < u <= period_ubits. */
static uint64_t time_within(const struct sim_trace *t, uint64_t u)
{
	size_t j = first_cum_at_least(t, u);
	uint64_t need, r;

	if (t->shape == SIM_TRACE_STEP || j == 0)
		return t->t_us[j];
	/* Segment j-1 carries the capacity from cum[j-1] (< u) to cum[j] (>= u). */
	need = u - t->cum[j - 1];
	r = t->rate[j - 1];
	return t->t_us[j - 1] + (need + r - 1) / r;
}

uint64_t sim_trace_time_for(const struct sim_trace *t, uint64_t ubits)
{
	uint64_t k;

	if (ubits == 0)
		return 0;
	k = (ubits - 1) / t->period_ubits;
	return k * t->period_us + time_within(t, ubits - k * t->period_ubits);
}

double sim_trace_mean_bps(const struct sim_trace *t)
{
	return t->period_us ? (double)t->period_ubits / (double)t->period_us : 0;
}
