/* Link event schedules of any length (issue 19): the signal points of a link
 * from `signal` keys and `signals_file`, and the outages of a link from
 * `outage` keys, from a file of one outage per line (`outages_file`, e.g.
 * exported from a real connectivity log) and generated over the run from
 * `flap = PERIOD_S DUTY` (periodic) or `onoff = MEAN_UP_S MEAN_DOWN_S`
 * (exponential up and down times drawn from the seed). All end up in the
 * link spec's one table, in that order, which sim/link.c reduces to their
 * union; sim/README.md describes the keys. */
#ifndef SIM_SCHEDULE_H
#define SIM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SIM_SCHEDULE_MAX \
	1000000 /* outages (24 MB) or signal points per link: a flap of 0.6 s for a week */

/* Appends o to l's outages. Errors: UM3N_ENOMEM, UM3N_EINVAL (the link has
 * SIM_SCHEDULE_MAX already). */
int sim_schedule_add(struct sim_link_spec *l, const struct sim_outage *o);
/* Appends the outages of a file: lines "START-END [cut|carrier]" as the
 * outage key, blank lines and '#' or ';' comments skipped. Errors (err set to
 * "PATH:LINE: what was expected"): UM3N_ENOENT (cannot open), UM3N_EINVAL,
 * UM3N_ENOMEM. */
int sim_schedule_read_file(struct sim_link_spec *l, const char *path, char *err, size_t errcap);
/* Appends one signal point; times must increase over the link's points.
 * Errors: UM3N_ESTATE (not after the last), UM3N_EINVAL (SIM_SCHEDULE_MAX
 * already), UM3N_ENOMEM. */
int sim_schedule_add_signal(struct sim_link_spec *l, const struct sim_signal *sg);
/* The `signal` key: "T:DBM[, T:DBM ...]" appended; NULL, or what was expected. */
const char *sim_schedule_add_signals(struct sim_link_spec *l, const char *v);
/* signals_file: lines "TIME_S DBM" (or "TIME_S:DBM"), comments as above, times
 * increasing after the link's signal keys. Errors as sim_schedule_read_file. */
int sim_schedule_read_signals(struct sim_link_spec *l, const char *path, char *err, size_t errcap);
/* Generates the flap and on/off outages of every link over [0, duration_us)
 * of sc, drawn from seed (on/off) — after --duration, before the event
 * jitter; once (a second call adds nothing). Errors (err set to
 * "SCENARIO:LINE: ..."): UM3N_EINVAL (more than SIM_SCHEDULE_MAX), UM3N_ENOMEM. */
int sim_schedule_expand(struct sim_scenario *sc, uint64_t seed, char *err, size_t errcap);

#endif
