#!/usr/bin/python3
"""Checks a finished tiny sweep (sweep_tiny.sh) directory: runs.csv has one ok row per
run, the seeds vary the handover gap, summary.csv's means and 95% confidence intervals
match a recomputation (t quantile from a table, not the tool's), the probe cost follows
the probe interval, the grid's scenarios carry the values.
usage: sweep_check.py DIR RUNS"""
import csv
import math
import os
import sys

T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 9: 2.262157, 29: 2.045230}


def main(d, nruns):
    errors = []
    with open(os.path.join(d, "runs.csv"), encoding="utf-8") as f:
        runs = list(csv.DictReader(f))
    with open(os.path.join(d, "summary.csv"), encoding="utf-8") as f:
        summary = list(csv.DictReader(f))
    if len(runs) != nruns or any(r["status"] != "ok" for r in runs):
        errors.append(f"expected {nruns} ok runs, got {[r['status'] for r in runs]}")
    for s in summary:
        pts = [r for r in runs if r["point"] == s["point"]]
        if int(s["n"]) != len(pts):
            errors.append(f"point {s['point']}: n {s['n']} for {len(pts)} runs")
        for m in ("handover.gap_ms", "probes.bytes_per_s", "flows.video.owd_p99_ms"):
            xs = [float(r[m]) for r in pts]
            mean = sum(xs) / len(xs)
            sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
            ci = T975[len(xs) - 1] * sd / math.sqrt(len(xs))
            if abs(float(s[m + ".mean"]) - mean) > 1e-5 * max(1, abs(mean)) or \
                    abs(float(s[m + ".ci95"]) - ci) > 1e-5 * max(1, ci):
                errors.append(f"point {s['point']} {m}: {s[m + '.mean']} ± {s[m + '.ci95']}, "
                              f"expected {mean:.6g} ± {ci:.6g}")
        if len({r["handover.gap_ms"] for r in pts}) < 2:
            errors.append(f"point {s['point']}: the seeds do not change the handover gap")
    cost = {}
    for s in summary:
        cost.setdefault(s["mn.probe_interval_ms"], []).append(float(s["probes.bytes_per_s.mean"]))
    if not all(c > 0 for cs in cost.values() for c in cs):
        errors.append(f"probe cost not measured: {cost}")
    elif not 4 < min(cost["5"]) / max(cost["30"]) < 7:
        errors.append(f"probe cost at 5 ms is not about 6 times that at 30 ms: {cost}")
    with open(os.path.join(d, "scenarios", "p0000.ini"), encoding="utf-8") as f:
        text = f.read()
    for sec, line in (("[mn]", "dead_after_ms = 45"), ("[ha]", "dead_after_ms = 45"),
                      ("[mn]", "probe_interval_ms = 5"), ("[sim]", "event_jitter_ms = 30")):
        part = text[text.find(sec):]
        part = part[: part.find("\n[", 1)] if "\n[" in part else part
        if sec not in text or line not in part:
            errors.append(f"scenarios/p0000.ini: no '{line}' in {sec}")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
