/* Private to the simulated world: world.c (the topology: builds and frees it)
 * and world_run.c (the event loop). Calls go one way: world.c -> world_run.c;
 * only world_run.c knows the event kinds. */
#ifndef SIM_WORLD_INT_H
#define SIM_WORLD_INT_H

#include "world.h"

/* Queues the scenario's own events (carrier up at 0, outages, signal changes,
 * each flow's start, the end) on the empty heap, once w is fully built. */
void world_run_schedule(struct sim_world *w);

#endif
