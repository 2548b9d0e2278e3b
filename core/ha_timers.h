/* Every deadline of the HA engine, in the manner of WireGuard's timers.c: the
 * engine calls a named hook when something happened, and only these hooks
 * write a deadline. Time is uint64_t microseconds; UM3N_TIME_NONE is "none".
 *
 * The deadlines, and the one wake-up that covers them all:
 *   binding expiry     b->expires_us                  set by ha_timers_binding_updated
 *   binding silence    b->lm.last_heard_us + dead_after_us, plus the MN's
 *                      probe interval when that is longer (idle probing:
 *                      b->peer_probe_us, ha_timers_probe_interval)
 *                      (last_heard_us written by       ha_timers_binding_updated,
 *                                                      ha_timers_heard)
 *   rec->wake_us       per MN record, the earliest of the above (of its
 *                      bindings) that may need acting on: a lower bound, so a
 *                      scan of the record may find nothing due. Lowered by
 *                      every hook that sets a deadline; cleared when the
 *                      record's scan is due (ha_timers_scan_due), which
 *                      re-arms, per binding it keeps, ha_timers_binding_kept
 *                      (expiry) and ha_timers_watch_silence (silence, probed
 *                      bindings heard lately). A binding heard again after a
 *                      quiet spell asks for a scan of its MN at once (its
 *                      siblings may be silent).
 *   reorder hold       an MN's earliest held packet   set by ha_timers_reorder_held
 *   (and pacer)        (reorder queue or pacer.h)     (um3n_datapath_deadline)
 * The records' wake-ups are a min-heap in the binding cache (bcache.h): a due
 * scan visits only the records due, O(log n) each, whatever max_mns is.
 * A binding that failed over keeps no silence deadline: it is already FAILED,
 * and the next datagram from it (ha_timers_heard) re-arms one.
 * um3n_ha_next_wake_us() is ha_timers_next_wake(), the heap's minimum. Every
 * binding passed to a hook lies in a record of ha->cache. */
#ifndef UM3N_HA_TIMERS_H
#define UM3N_HA_TIMERS_H

#include "ha_int.h"

void ha_timers_init(struct um3n_ha *ha);

/* Hook: a request for b was accepted with lifetime_s (> 0) at now_us. Sets
 * its expiry, counts the request as hearing from it, and wants a scan at the
 * expiry and at the silence deadline. */
void ha_timers_binding_updated(struct um3n_ha *ha, struct um3n_binding *b, uint64_t now_us,
			       uint16_t lifetime_s);
/* Hook: a datagram arrived on bound binding b. After a quiet spell (nothing
 * for dead_after_us) wants a scan now: its siblings may be silent too. */
void ha_timers_heard(struct um3n_ha *ha, struct um3n_binding *b, uint64_t now_us);
/* Hook: the MN's probe on b says its next comes within interval_us (0: an
 * older MN that does not say). A shorter interval brings the silence
 * deadline forward (the MN woke from idle probing). */
void ha_timers_probe_interval(struct um3n_ha *ha, struct um3n_binding *b, uint64_t interval_us,
			      uint64_t now_us);
/* Hook: FAILED binding b was heard again: judge its silence afresh. */
void ha_timers_heard_after_failure(struct um3n_ha *ha, const struct um3n_binding *b,
				   uint64_t now_us);

/* A record whose scan is due at now_us, its wake-up cleared (the scan re-arms
 * it through the two hooks below for what it keeps), or NULL: call until NULL. */
struct um3n_mn_rec *ha_timers_scan_due(struct um3n_ha *ha, uint64_t now_us);
/* Hook (scan): bound binding b stays: its expiry is still ahead. */
void ha_timers_binding_kept(struct um3n_ha *ha, const struct um3n_binding *b, uint64_t now_us);
/* Hook (scan): probed binding b was heard lately: wake at its silence deadline. */
void ha_timers_watch_silence(struct um3n_ha *ha, const struct um3n_binding *b, uint64_t now_us);

/* Hook: an MN's held packets of aggregate rules (reorder.h) are due at
 * deadline_us (UM3N_TIME_NONE: none held): wants a scan then, which releases
 * them (um3n_datapath_timeout) and calls this again. The pacer's next
 * release (pacer.h) comes this way too (um3n_datapath_deadline). */
void ha_timers_reorder_held(struct um3n_ha *ha, struct um3n_mn_rec *rec, uint64_t deadline_us);

/* Queries. */
bool ha_timers_expired(const struct um3n_binding *b, uint64_t now_us);
/* Bound and heard within dead_after_us. */
bool ha_timers_heard_lately(const struct um3n_ha *ha, const struct um3n_binding *b,
			    uint64_t now_us);
uint64_t ha_timers_next_wake(const struct um3n_ha *ha);

#endif
