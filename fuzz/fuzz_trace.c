/* libFuzzer target: the simulator's bandwidth-trace loaders (sim/trace.c).
 * Byte 0 picks the format, byte 1 the scale; the rest is the trace text. A
 * trace that loads must give a consistent capacity curve: time_for is the
 * inverse of capacity_at. Needs sim/trace.c and core/um3n.c, libm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_curve(const struct sim_trace *t, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
		uint64_t u = 0;

		memcpy(&u, data + i, 8);
		u = 1 + u % (4 * t->period_ubits);
		uint64_t at = sim_trace_time_for(t, u);

		if (sim_trace_capacity_at(t, at) < u ||
		    (at && sim_trace_capacity_at(t, at - 1) >= u))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sim_trace_format fmts[] = {SIM_TRACE_AUTO, SIM_TRACE_MAHIMAHI,
						     SIM_TRACE_TIME_MBPS, SIM_TRACE_CSV_BPS};
	struct sim_trace t;
	char err[300];
	double scale;

	if (size < 2)
		return 0;
	scale = 0.25 + data[1] / 32.0;
	if (sim_trace_parse("fuzz.trace", (const char *)data + 2, size - 2, fmts[data[0] % 4],
			    scale, &t, err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.trace", 10) != 0)
			abort();
		return 0;
	}
	if (t.n == 0 || t.period_us == 0 || t.period_ubits == 0)
		abort();
	check_curve(&t, data + 2, size - 2);
	sim_trace_free(&t);
	return 0;
}
