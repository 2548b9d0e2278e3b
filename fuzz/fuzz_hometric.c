/* libFuzzer target: the handover figures' text format and computation
 * (sim/hometric.c, issue 14), as um3n-hometric reads them from the
 * emulators. Every case that reads must compute, and its figures must keep
 * the definitions' invariants: an added gap or a stall lies inside a silence,
 * lost <= sent, extra delay p50 <= p99 <= max. Needs sim/hometric.c and
 * core/um3n.c. */
#include <stdio.h>
#include <stdlib.h>

#include "hometric.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_hometric_case c = {0};
	const char *why = "";
	unsigned line = 0;
	FILE *f;

	if (size == 0 || size > 4096)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	while (sim_hometric_read_case(f, &c, &line, &why) == 1) {
		struct sim_hometric r;

		if (c.n > 20000) /* the reader allows millions; keep each run short */
			break;
		if (sim_hometric_compute(c.pkts, c.n, &c.w, c.closed, &r))
			abort();
		if (r.lost > r.sent || r.added_gap_us > r.silence_us ||
		    r.extra_p50_us > r.extra_p99_us || r.extra_p99_us > r.extra_max_us ||
		    r.added_gap_us > c.w.to_us - c.w.from_us)
			abort();
	}
	sim_hometric_case_free(&c);
	fclose(f);
	return 0;
}
