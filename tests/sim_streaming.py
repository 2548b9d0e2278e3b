#!/usr/bin/python3
"""ctest sim_streaming and sim_memory (issue 19): the simulator's metrics in
constant memory.

  percentiles SIM DIR: every shipped scenario (seeds 1 and 7) with the default
      (exact) percentiles and with --histogram (not those longer than 10 min): each flow's one-way delay p50
      and p99 agree within exact / 256 (hist.h's bound) plus the 0.0005 ms of
      metrics.json's rounding; everything else in the outputs is identical
      but the handover figures (their base delay comes from the same sets).
  memory SIM DIR: the trace-driven multihoming scenario without pcaps, 1 and
      10 simulated minutes: the peak RSS (--bench) of the longer run exceeds
      the shorter one's by at most 3 MB (it grew 55 kB per simulated second).

usage: sim_streaming.py percentiles|memory UM3N-SIM SCENARIO_DIR
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
    if not ok:
        failures.append(what)


def run(sim, ini, out, *args):
    return subprocess.run([sim, ini, "--no-pcap", "--out", out, *args], check=True,
                          capture_output=True, text=True).stdout


def percentiles(sim, scenarios, tmp):
    worst = 0.0
    for ini in sorted(glob.glob(os.path.join(scenarios, "*.ini"))):
        name = os.path.basename(ini)[:-4]
        m = re.search(r"^duration_s\s*=\s*([0-9.]+)", open(ini).read(), re.M)
        if m and float(m.group(1)) > 600:  # the day-long ones: ci/reproduce.sh --long
            print(f"skip {name}: {m.group(1)} s")
            continue
        for seed in ("1", "7"):
            a, b = (os.path.join(tmp, f"{name}-{seed}-{m}") for m in ("exact", "hist"))
            run(sim, ini, a, "--seed", seed)
            run(sim, ini, b, "--seed", seed, "--histogram")
            ja = json.load(open(os.path.join(a, "metrics.json")))
            jb = json.load(open(os.path.join(b, "metrics.json")))
            for flow, fa in ja["flows"].items():
                fb = jb["flows"][flow]
                for key in ("owd_p50_ms", "owd_p99_ms"):
                    x, y = fa[key], fb[key]
                    worst = max(worst, abs(x - y) / x if x else 0)
                    check(f"{name} seed {seed} {flow} {key}: exact {x} histogram {y}",
                          abs(x - y) <= x / 256 + 0.0005)
                    fa[key] = fb[key] = 0
            ja.pop("handover", None)
            jb.pop("handover", None)
            check(f"{name} seed {seed}: all else identical", ja == jb)
            same_csv = (open(os.path.join(a, "timeseries.csv")).read() ==
                        open(os.path.join(b, "timeseries.csv")).read())
            check(f"{name} seed {seed}: timeseries.csv identical", same_csv)
    print(f"largest relative difference: {worst * 100:.3f} % (bound {100 / 256:.3f} %)")


def memory(sim, scenarios, tmp):
    ini = os.path.join(scenarios, "fig5-trace-multihoming.ini")
    rss = {}
    for secs in (60, 600):
        out = run(sim, ini, os.path.join(tmp, str(secs)), "--duration", str(secs), "--bench")
        m = re.search(r"peak_rss_mb=([0-9.]+)", out)
        check(f"--bench prints peak_rss_mb ({secs} s)", m is not None, out)
        if m:
            rss[secs] = float(m.group(1))
            print(f"{secs} s simulated: peak RSS {rss[secs]:.1f} MB")
    if len(rss) == 2:
        check(f"10 min ({rss[600]:.1f} MB) within 3 MB of 1 min ({rss[60]:.1f} MB)",
              rss[600] <= rss[60] + 3.0)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("percentiles", "memory"):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory(prefix="um3n-stream.") as tmp:
        (percentiles if sys.argv[1] == "percentiles" else memory)(sys.argv[2], sys.argv[3], tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("passed")


if __name__ == "__main__":
    main()
