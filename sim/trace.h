/* Bandwidth traces for simulated links.
 *
 * Three real-world formats (see traces/README.md):
 *  - mahimahi: one integer millisecond per line, each a delivery opportunity
 *    for 1500 bytes; the file loops with period = last timestamp;
 *  - two-column "time_s Mbit/s": the rate on a line holds until the next
 *    line's time; period = last time (the last rate is an end marker);
 *  - CSV "second,bytes_per_second": one row per second, consecutive seconds.
 *
 * Every format becomes one curve: cumulative capacity B(t) in "micro-bits"
 * (bits x 1e6, so a constant rate r bit/s gives exactly B(t) = t_us * r with
 * integers). Mahimahi is a step curve, the others piecewise linear. A link
 * asks "how much capacity by time t" and "when is capacity u reached"; both
 * loop over the period. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define SIM_UBITS_PER_BYTE 8000000ULL /* 8 bits x 1e6 */
#define SIM_MAHIMAHI_OPPORTUNITY_BYTES 1500
#define SIM_TRACE_MAX_POINTS 10000000 /* refuse absurd files before allocating */

enum sim_trace_format {
	SIM_TRACE_AUTO = 0,
	SIM_TRACE_MAHIMAHI = 1,
	SIM_TRACE_TIME_MBPS = 2,
	SIM_TRACE_CSV_BPS = 3,
};

enum sim_trace_shape { SIM_TRACE_STEP = 1, SIM_TRACE_LINEAR = 2 };

struct sim_trace {
	enum sim_trace_shape shape;
	enum sim_trace_format format; /* as loaded (never AUTO) */
	size_t n;
	uint64_t *t_us; /* point times within one period, ascending */
	uint64_t *cum;  /* capacity (ubits) reached at t_us[i] */
	uint64_t *rate; /* LINEAR: bit/s from t_us[i] to t_us[i+1] */
	uint64_t period_us;
	uint64_t period_ubits; /* capacity of one period, > 0 */
};

/* Parses "mahimahi" | "mbps" | "csv" | "auto". Returns 0 or UM3N_EINVAL. */
int sim_trace_format_parse(const char *name, enum sim_trace_format *fmt);
const char *sim_trace_format_name(enum sim_trace_format fmt);

/* Loads a trace from a file / a memory buffer; rates are multiplied by scale
 * (> 0). `name` is used in messages. On error, err receives one line
 * "NAME:LINE: what was expected" (or "NAME: ..." when not tied to a line).
 * Errors: UM3N_EINVAL (malformed, empty, no capacity), UM3N_ENOENT (cannot
 * open), UM3N_ENOMEM, UM3N_ETOOBIG (more than SIM_TRACE_MAX_POINTS points). */
int sim_trace_load(const char *path, enum sim_trace_format fmt, double scale, struct sim_trace *out,
		   char *err, size_t errcap);
int sim_trace_parse(const char *name, const char *buf, size_t len, enum sim_trace_format fmt,
		    double scale, struct sim_trace *out, char *err, size_t errcap);
void sim_trace_free(struct sim_trace *t);

/* Capacity (ubits) delivered in [0, t_us]. */
uint64_t sim_trace_capacity_at(const struct sim_trace *t, uint64_t t_us);
/* Earliest time at which capacity reaches `ubits` (0 for 0). */
uint64_t sim_trace_time_for(const struct sim_trace *t, uint64_t ubits);
/* Mean rate over one period in bit/s. */
double sim_trace_mean_bps(const struct sim_trace *t);

#endif
