#!/usr/bin/env bash
# Prints the tests' tiny sweep file (4 grid points x 3 seeds of handover-cut).
# usage: sweep_tiny.sh SCENARIOS_DIR
cat <<INI
[sweep]
name = tiny
scenario = $1/handover-cut.ini
seeds = 1..3
duration_s = 22
probes = yes
[set]
sim.event_jitter_ms = 30
[vary]
mn.dead_after_ms, ha.dead_after_ms = 45, 150
mn.probe_interval_ms = 5, 30
[plot gap]
x = mn.dead_after_ms
y = handover.gap_ms
series = mn.probe_interval_ms
INI
