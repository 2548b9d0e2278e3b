/* um3n daemons — the uplinks' up_command and down_command (issue 16): the
 * handover execution of `uplinks = one` beyond opening and closing a socket,
 * e.g. connecting a modem (`mmcli -m 0 --simple-connect=...`) or `ip link set
 * wwan0 up` when the handover manager brings a cold uplink up, and the
 * reverse when it releases it.
 *
 * The engine says which uplinks it wants (um3n_mn_link_wanted); the daemon
 * reports that after every drain (d_upcmd_sync). An uplink wanted and not yet
 * brought up gets its up_command; one no longer wanted that was brought up
 * (or tried) gets its down_command. One command per uplink runs at a time,
 * never through a shell, killed at command_timeout_ms (dspawn.h). The socket
 * of an uplink with an up_command opens only once the command succeeded
 * (d_upcmd_ready): its duration counts in the handover time. A failed
 * up_command is retried while the uplink is still wanted, after 1 s doubled
 * per failure up to 64 s (the handover manager also gives the target up after
 * its bring-up time and backs off on its own); the first failure of a streak
 * is logged as a warning, the rest at debug level, the recovery once. */
#ifndef UM3N_DUPCMD_H
#define UM3N_DUPCMD_H

#include <stdbool.h>
#include <stdint.h>

#include "dspawn.h"

enum d_upcmd_kind { D_UPCMD_NONE = 0, D_UPCMD_UP, D_UPCMD_DOWN };

struct d_upcmd {
	const char *name; /* the uplink's, for the log */
	const struct d_spawn_cmd *up, *down;
	uint32_t timeout_ms;
	struct d_spawn run;
	int running;   /* enum d_upcmd_kind */
	bool up_done;  /* up_command succeeded, no down_command since */
	bool tried_up; /* an up_command ran (whatever it gave) since the last down */
	uint32_t fails;
	uint64_t retry_at_us;
	/* for `show` */
	uint64_t up_runs, up_failed, down_runs, down_failed;
	uint32_t last_up_ms; /* how long the last successful up_command took */
};

void d_upcmd_init(struct d_upcmd *u, const char *name, const struct d_spawn_cmd *up,
		  const struct d_spawn_cmd *down, uint32_t timeout_ms);
/* Starts the command the uplink's wanted state calls for, if any (returns
 * true when one started: watch u->run.pidfd). */
bool d_upcmd_sync(struct d_upcmd *u, bool wanted, uint64_t now_us);
/* The pidfd was readable, or a deadline passed: collects the command if it
 * ended (true then). */
bool d_upcmd_poll(struct d_upcmd *u, uint64_t now_us);
/* The uplink's carrier went down by itself: the next want runs up_command again. */
void d_upcmd_carrier_lost(struct d_upcmd *u);
/* May the uplink's socket be opened (no up_command, or it succeeded)? */
bool d_upcmd_ready(const struct d_upcmd *u);
/* The earliest time d_upcmd_poll or d_upcmd_sync has work (UINT64_MAX: none). */
uint64_t d_upcmd_next_us(const struct d_upcmd *u);
/* Daemon exit: kill what runs. */
void d_upcmd_stop(struct d_upcmd *u);

#endif
