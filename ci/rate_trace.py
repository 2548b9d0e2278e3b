#!/usr/bin/env python3
"""Does aggregation's share per link follow the links' capacity? (issue 11)

Reads the runs of traces/scenarios/aggregate-trace.ini (rates measured,
core/rateest.c) and aggregate-trace-static.ini (the configured weights
only), the per-second goodput of each link from their timeseries.csv, and
each link's capacity per second from the scenario's trace files, as the
simulator replays them (looping). Prints, per run: the flow's goodput
against the capacity of the pair, and how far the cell's share of the
goodput is from its share of the capacity (mean absolute error, in points);
plots results/aggregate-trace.png (capacity and goodput per link over time).

  /usr/bin/python3 ci/rate_trace.py RESULTS_DIR
"""
import configparser
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from emu.lib import linktraces, plots  # noqa: E402  (the testbed's parsers and plots)

SKIP_S = 2  # the flow starts at 1 s; the first full second after it


def capacity(ini_path, link):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
    cp.read(ini_path)
    sec = cp["link " + link]
    path = os.path.join(os.path.dirname(ini_path), sec["trace"])
    return linktraces.per_second(path, sec.get("trace_format", "auto"))


def series(run_dir):
    with open(os.path.join(run_dir, "timeseries.csv")) as f:
        rows = list(csv.DictReader(f))
    return [{k: float(v) for k, v in r.items()} for r in rows]


def judge(rows, cap):
    err, got, avail, n = 0.0, 0.0, 0.0, 0
    for r in rows[SKIP_S:-1]:
        t = int(r["time_s"])
        c = {l: cap[l][t % len(cap[l])] for l in cap}
        g = {l: r["link.%s.mbps" % l] for l in cap}
        if sum(c.values()) <= 0 or sum(g.values()) <= 0:
            continue
        err += abs(g["cell"] / sum(g.values()) - c["cell"] / sum(c.values()))
        got += sum(g.values())
        avail += sum(c.values())
        n += 1
    return got / n, avail / n, 100 * err / n


def plot(runs, cap, path):
    panels = []
    for name, rows in runs:
        t = [int(r["time_s"]) for r in rows]
        panels.append((name, {l: [r["link.%s.mbps" % l] for r in rows] for l in cap},
                       {l: [linktraces.at(cap[l], x) for x in t] for l in cap}))
    plots.plot_shares(panels, path)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "scenarios")
    ini = os.path.join(here, "aggregate-trace.ini")
    cap = {l: capacity(ini, l) for l in ("cell", "wifi")}
    runs = []
    print("| run | goodput Mbit/s | capacity Mbit/s | of capacity | cell share error (points) |")
    print("|---|---|---|---|---|")
    for name in ("aggregate-trace", "aggregate-trace-static"):
        rows = series(os.path.join(out, "sim", name))
        got, avail, err = judge(rows, cap)
        print("| %s | %.2f | %.2f | %.0f%% | %.1f |" % (name, got, avail, 100 * got / avail, err))
        runs.append((name, rows))
    plot(runs, cap, os.path.join(out, "aggregate-trace.png"))


if __name__ == "__main__":
    main()
