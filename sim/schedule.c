/* Outage schedules: the table, the file reader and the generators. */
#include "schedule.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_values.h"

int sim_schedule_add(struct sim_link_spec *l, const struct sim_outage *o)
{
	assert(o->end_us > o->start_us);
	if (l->n_outages == SIM_SCHEDULE_MAX)
		return UM3N_EINVAL;
	if (l->n_outages == l->cap_outages) {
		size_t cap = l->cap_outages ? l->cap_outages * 2 : 16;
		struct sim_outage *n = realloc(l->outages, cap * sizeof(*n));

		if (!n)
			return UM3N_ENOMEM;
		l->outages = n;
		l->cap_outages = cap;
	}
	l->outages[l->n_outages++] = *o;
	return 0;
}

/* The line without its comment and surrounding blanks (in place). */
static char *trim(char *s)
{
	char *e;

	s[strcspn(s, "#;\r\n")] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int sim_schedule_add_signal(struct sim_link_spec *l, const struct sim_signal *sg)
{
	if (l->n_signals && sg->t_us <= l->signals[l->n_signals - 1].t_us)
		return UM3N_ESTATE;
	if (l->n_signals == SIM_SCHEDULE_MAX)
		return UM3N_EINVAL;
	if (l->n_signals == l->cap_signals) {
		size_t cap = l->cap_signals ? l->cap_signals * 2 : 16;
		struct sim_signal *n = realloc(l->signals, cap * sizeof(*n));

		if (!n)
			return UM3N_ENOMEM;
		l->signals = n;
		l->cap_signals = cap;
	}
	l->signals[l->n_signals++] = *sg;
	return 0;
}

/* What went wrong with adding one entry, for "expected ..." (NULL if rc is 0). */
static const char *add_why(int rc, const char *what)
{
	switch (rc) {
	case 0: return NULL;
	case UM3N_ESTATE: return "times in increasing order";
	case UM3N_EINVAL: return what;
	default: return "memory (out of memory)";
	}
}

static const char *add_outage_line(struct sim_link_spec *l, const char *s, int *rc)
{
	struct sim_outage o;
	const char *why = sim_parse_outage(s, &o);

	if (why)
		return *rc = UM3N_EINVAL, why;
	*rc = sim_schedule_add(l, &o);
	return add_why(*rc, "at most 1000000 outages per link");
}

static const char *add_signal_line(struct sim_link_spec *l, const char *s, int *rc)
{
	struct sim_signal sg;
	const char *why = sim_parse_signal(s, &sg);

	if (why)
		return *rc = UM3N_EINVAL, why;
	*rc = sim_schedule_add_signal(l, &sg);
	return add_why(*rc, "at most 1000000 signal points per link");
}

const char *sim_schedule_add_signals(struct sim_link_spec *l, const char *v)
{
	char tmp[4096], *save = NULL, *tok;
	size_t before = l->n_signals;

	if (strlen(v) >= sizeof(tmp))
		return "a shorter list (use several signal keys or signals_file)";
	strcpy(tmp, v);
	for (tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int rc;
		const char *why;

		if (!strchr(tok, ':'))
			return "TIME_S:DBM pairs";
		if ((why = add_signal_line(l, tok, &rc)) != NULL)
			return why;
	}
	return l->n_signals > before ? NULL : "TIME_S:DBM pairs";
}

typedef const char *line_fn(struct sim_link_spec *l, const char *s, int *rc);

/* Reads path line by line into l through fn; shared by both file keys. */
static int read_lines(struct sim_link_spec *l, const char *path, line_fn *fn, char *err,
		      size_t errcap)
{
	FILE *f = fopen(path, "r");
	char buf[256];
	unsigned line = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errcap, "%s:0: cannot open: %s", path, strerror(errno));
		return UM3N_ENOENT;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		const char *why;
		char *s;

		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			snprintf(err, errcap, "%s:%u: expected a line shorter than %zu bytes", path,
				 line, sizeof(buf));
			rc = UM3N_EINVAL;
			break;
		}
		s = trim(buf);
		if (*s != '\0' && (why = fn(l, s, &rc)) != NULL)
			snprintf(err, errcap, "%s:%u: expected %s", path, line, why);
	}
	fclose(f);
	return rc;
}

int sim_schedule_read_file(struct sim_link_spec *l, const char *path, char *err, size_t errcap)
{
	return read_lines(l, path, add_outage_line, err, errcap);
}

int sim_schedule_read_signals(struct sim_link_spec *l, const char *path, char *err, size_t errcap)
{
	return read_lines(l, path, add_signal_line, err, errcap);
}

/* An exponential duration of the given mean, at least 1 µs. */
static uint64_t exp_us(struct um3n_prng *rng, uint64_t mean_us)
{
	double u = (double)um3n_prng_below(rng, UINT64_C(1) << 53) / (double)(UINT64_C(1) << 53);
	double d = -(double)mean_us * log1p(-u);

	return d < 1 ? 1 : d > 1e15 ? (uint64_t)1e15 : (uint64_t)d;
}

static int expand_link(struct sim_link_spec *l, size_t i, uint64_t duration_us, uint64_t seed)
{
	int rc;

	if (l->flap_period_us) {
		uint64_t up = (uint64_t)llround((double)l->flap_period_us * l->flap_duty);

		assert(up > 0 && up < l->flap_period_us);
		for (uint64_t p = 0; p + up < duration_us; p += l->flap_period_us) {
			struct sim_outage o = {p + up, p + l->flap_period_us, l->flap_carrier};

			if ((rc = sim_schedule_add(l, &o)) != 0)
				return rc;
		}
	}
	if (l->onoff_up_us) {
		struct um3n_prng rng;
		uint64_t t = 0;

		/* a stream per link ("onoff" + index): links flap independently */
		um3n_prng_seed(&rng, seed ^ 0x6f6e6f6666ULL ^ ((uint64_t)i << 48));
		for (;;) {
			struct sim_outage o;

			o.start_us = t + exp_us(&rng, l->onoff_up_us);
			if (o.start_us >= duration_us)
				break;
			o.end_us = o.start_us + exp_us(&rng, l->onoff_down_us);
			o.carrier = l->onoff_carrier;
			if ((rc = sim_schedule_add(l, &o)) != 0)
				return rc;
			t = o.end_us;
		}
	}
	return 0;
}

int sim_schedule_expand(struct sim_scenario *sc, uint64_t seed, char *err, size_t errcap)
{
	for (size_t i = 0; i < sc->n_links; i++) {
		struct sim_link_spec *l = &sc->links[i];
		int rc;

		if (l->expanded)
			continue;
		l->expanded = true;
		rc = expand_link(l, i, sc->duration_us, seed);
		if (rc == UM3N_EINVAL)
			snprintf(err, errcap,
				 "%s:%d: [link %s]: expected at most %d outages per link over the "
				 "run (flap or onoff too frequent)",
				 sc->path, l->line, l->name, SIM_SCHEDULE_MAX);
		else if (rc)
			snprintf(err, errcap, "%s:%d: out of memory", sc->path, l->line);
		if (rc)
			return rc;
	}
	return 0;
}
