/* libFuzzer target: the simulator's scenario loader (sim/scenario.c).
 * Any input must give 0 or an error with one "fuzz.ini:LINE: ..." line (or
 * "FILE:LINE: ..." naming an outages_file or signals_file), never a crash, a leak or an
 * out-of-bounds read. Needs sim/scenario.c, core/um3n.c
 * and inih (see the report in sim/README.md, "Fuzz"). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Does the input hold the key word (its errors then may name that file)? */
static bool mentions(const uint8_t *data, size_t size, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= size; i++)
		if (!memcmp(data + i, word, n))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim_scenario sc;
	char err[SIM_ERR_MAX];
	uint64_t at;
	int rc;

	rc = sim_scenario_parse("fuzz.ini", (const char *)data, size, &sc, err, sizeof(err));
	if (rc != 0) {
		bool other_file = mentions(data, size, "outages_file") ||
				  mentions(data, size, "signals_file");

		if ((strncmp(err, "fuzz.ini:", 9) != 0 && !other_file) || strchr(err, '\n'))
			abort(); /* the error contract: one line naming file and line */
		sim_scenario_free(&sc);
		return 0;
	}
	/* A scenario that loads is internally consistent. */
	if (sc.n_links == 0 || sc.n_links > SIM_MAX_LINKS || sc.n_flows > SIM_MAX_FLOWS ||
	    sc.duration_us == 0 || sc.measure_from_us >= sc.duration_us)
		abort();
	for (size_t i = 0; i < sc.n_flows; i++)
		if (sc.flows[i].start_us >= sc.flows[i].stop_us ||
		    sc.flows[i].stop_us > sc.duration_us)
			abort();
	(void)sim_scenario_handover(&sc, &at);
	(void)sim_scenario_set_duration(&sc, sc.duration_us / 2 + 1);
	sim_scenario_free(&sc);
	return 0;
}
