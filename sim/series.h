/* Per-second time series written as they go (timeseries.csv): a column per
 * link and per flow, bytes per second turned into Mbit/s. Rows are kept in
 * memory only while their second can still receive bytes (a window of
 * SIM_SERIES_WINDOW seconds behind the latest one) and then appended to a
 * temporary file, so memory does not grow with the simulated duration. */
#ifndef SIM_SERIES_H
#define SIM_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_SERIES_WINDOW 64 /* seconds held open: samples may come this late */

struct sim_series {
	FILE *tmp;
	size_t n_cols, n_secs;
	uint64_t first;  /* the oldest second held open */
	uint64_t *bytes; /* [SIM_SERIES_WINDOW][n_cols] */
	int err;         /* first write error (UM3N_ENOENT) */
};

/* header: the CSV's first line, without its newline. Errors: UM3N_ENOMEM,
 * UM3N_ENOENT (no temporary file). */
int sim_series_init(struct sim_series *s, size_t n_cols, size_t n_secs, const char *header);
void sim_series_free(struct sim_series *s);
/* bytes for column col in second sec; sec is at most SIM_SERIES_WINDOW - 1
 * seconds older than the latest second added; seconds >= n_secs are ignored. */
void sim_series_add(struct sim_series *s, uint64_t sec, size_t col, uint64_t bytes);
/* Writes the remaining rows (up to n_secs) and copies everything to path.
 * Errors: UM3N_ENOENT (cannot write). */
int sim_series_write(struct sim_series *s, const char *path);

#endif
