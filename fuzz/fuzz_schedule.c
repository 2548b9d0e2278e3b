/* libFuzzer target: schedule files (sim/schedule.c): a link's `outages_file`
 * (one "START-END [carrier]" per line, comments, blanks) and the same bytes
 * as its `signals_file` ("TIME_S DBM" per line).
 * Checks: an error is one line naming the file and a line number; a file
 * that loads gives outages that each end after they start and signal points
 * in increasing time within [-150, 0] dBm, no more than the file has lines. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "scenario.h"
#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) != 0 || err[n] != ':' || strchr(err, '\n'))
		abort();
}

static void check_signals(const struct sim_link_spec *l, size_t lines)
{
	if (l->n_signals > lines || l->n_signals > l->cap_signals)
		abort();
	for (size_t i = 0; i < l->n_signals; i++)
		if ((i && l->signals[i].t_us <= l->signals[i - 1].t_us) ||
		    l->signals[i].dbm < -150 || l->signals[i].dbm > 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_link_spec l;
	char err[512] = "";
	const char *path = fuzz_file(data, size);
	size_t lines = 1;

	memset(&l, 0, sizeof(l));
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (sim_schedule_read_file(&l, path, err, sizeof(err)) != 0) {
		check_err(err, path);
	} else {
		if (l.n_outages > lines || l.n_outages > l.cap_outages)
			abort();
		for (size_t i = 0; i < l.n_outages; i++)
			if (l.outages[i].end_us <= l.outages[i].start_us)
				abort();
	}
	if (sim_schedule_read_signals(&l, path, err, sizeof(err)) != 0)
		check_err(err, path);
	else
		check_signals(&l, lines);
	free(l.outages);
	free(l.signals);
	return 0;
}
