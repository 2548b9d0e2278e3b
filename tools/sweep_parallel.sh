#!/usr/bin/env bash
# A tiny sweep (2 x 2 grid points x 3 seeds of handover-cut, 22 s each) with GNU
# parallel, then again with the serial engine: 12 rows, all ok, identical
# tables from both engines, the seeds vary the handover gap (event_jitter_ms),
# summary.csv's mean and 95% CI match a recomputation, the plot is drawn.
# usage: sweep_parallel.sh UM3N_SIM SCENARIOS_DIR       (exit 77 = skipped)
set -euo pipefail
sim=$1 scenarios=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v parallel >/dev/null || { echo "SKIP: GNU parallel missing (ci/deps.sh installs it)"; exit 77; }
tmp=$(mktemp -d /tmp/um3n-sweep-par.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$here/sweep_tiny.sh" "$scenarios" > "$tmp/tiny.ini"
fail() { echo "FAIL: $*"; exit 1; }

"$here/um3n-sweep" run "$tmp/tiny.ini" --sim "$sim" --results "$tmp/par" --engine parallel --jobs 2
"$here/um3n-sweep" run "$tmp/tiny.ini" --sim "$sim" --results "$tmp/ser" --engine serial
d=$tmp/par/sweep-tiny
"$here/sweep_check.py" "$d" 12 || fail "tables of the parallel run"
cmp "$d/runs.csv" "$tmp/ser/sweep-tiny/runs.csv" || fail "parallel and serial runs.csv differ"
cmp "$d/summary.csv" "$tmp/ser/sweep-tiny/summary.csv" || fail "summary.csv differ"
# GNU parallel ran every task, and they succeeded
[[ $(awk 'NR > 1 && $7 == 0' "$d/parallel.log" | wc -l) -ge 2 ]] || fail "parallel.log"
[[ -s $tmp/par/sweep-tiny-gap.png ]] || fail "no plot"
# any figure against any parameter, on demand
"$here/um3n-sweep" plot "$d" --x mn.probe_interval_ms --y probes.bytes_per_s \
	--where mn.dead_after_ms=45 --out "$tmp/p.png" || fail "plot command"
[[ -s $tmp/p.png ]] || fail "plot command wrote no png"
# a varied parameter left free is an error, exit 2, one line
set +e
err=$("$here/um3n-sweep" plot "$d" --x mn.probe_interval_ms --y handover.gap_ms 2>&1)
rc=$?
set -e
[[ $rc -eq 2 && $err == *"mn.dead_after_ms"* && $(wc -l <<<"$err") -eq 1 ]] || fail "free parameter: $rc $err"
# a run that fails (a value out of range) is reported: exit 1, its row says so, the error shown
sed -e 's/^seeds = 1..3$/seeds = 1/' -e 's/= 45, 150$/= 0, 45/' "$tmp/tiny.ini" >"$tmp/bad.ini"
set +e
err=$("$here/um3n-sweep" run "$tmp/bad.ini" --sim "$sim" --results "$tmp/bad" --jobs 2 2>&1)
rc=$?
set -e
[[ $rc -eq 1 && $err == *"2 runs failed"*"dead_after_ms: expected milliseconds"* ]] ||
	fail "failed runs: rc $rc: $err"
[[ $(grep -c ',exit 2,' "$tmp/bad/sweep-tiny/runs.csv") -eq 2 &&
	$(grep -c ',ok,' "$tmp/bad/sweep-tiny/runs.csv") -eq 2 ]] || fail "runs.csv of the failed runs"
echo "sweep_parallel: OK"
