#!/usr/bin/python3
"""One TCP flow over an aggregate rule against the cell link's one-way delay
(issue 11): for each delay and round, emu/ns3/run.sh --only aggregate (3G
only, WiFi only and aggregate through the tunnel, back to back in one
testbed run, per congestion control), then the medians over the rounds in a
table, DIR/emu-aggregate.json and a plot, DIR/emu-aggregate.png.

  emu/ns3/aggregate_sweep.py [--delays 5,25,50,100,200] [--rounds 3]
                             [--cc cubic,bbr] [--duration 15] [--out DIR]

Needs root and what emu/ns3/run.sh needs; takes about rounds x delays x
(congestion controls x 3 runs x (duration + 6 s)). UM3N_NETNS_LOCK=FILE runs
each testbed under flock FILE (machines shared with other namespace tests).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, REPO)
from emu.lib import links  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delays", default="5,25,50,100,200")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cc", default="cubic,bbr")
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--out", default=os.path.join(REPO, "results", "emu-aggregate"))
    ap.add_argument("--build", default=os.environ.get("UM3N_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--plot-only", action="store_true", help="plot DIR/emu-aggregate.json again")
    ap.add_argument("--collect", action="store_true",
                    help="no runs: summarise the DIR/dDELAY-rROUND/results.json there are (an interrupted sweep)")
    return ap.parse_args()


def one_run(a, delay, rnd):
    out = os.path.join(a.out, "d%d-r%d" % (delay, rnd))
    cell = links.ns3_spec(links.CELL_MBPS, delay, links.CELL_LOSS)
    argv = [os.path.join(HERE, "run.sh"), "--only", "aggregate", "--no-mptcp", "--cc", a.cc,
            "--duration", str(a.duration), "--cell", cell, "--out", out, "--build", a.build]
    lock = os.environ.get("UM3N_NETNS_LOCK")  # shared machines: one testbed at a time
    if lock:
        argv = ["flock", "-o", lock] + argv
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with open(os.path.join(out, "results.json")) as f:
            return json.load(f).get("aggregate", {})
    except (OSError, ValueError):
        return {}


def summarise(raw, ccs):
    """Medians per delay and congestion control of 3g, wifi and aggregate."""
    table = {}
    for delay, rounds in raw.items():
        for cc in ccs:
            got = [r[cc] for r in rounds if cc in r]
            if not got:
                continue
            med = {k: round(statistics.median(g[k] for g in got), 3)
                   for k in ("3g_mbps", "wifi_mbps", "goodput_mbps")}
            med["of_wifi"] = round(med["goodput_mbps"] / med["wifi_mbps"], 3) if med["wifi_mbps"] else 0
            med["rounds"] = len(got)
            med["each"] = [g["goodput_mbps"] for g in got]
            table.setdefault(cc, {})[delay] = med
    return table


def plot(table, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(table), figsize=(5.5 * len(table), 4), squeeze=False)
    for ax, (cc, rows) in zip(axes[0], sorted(table.items())):
        ds = sorted(rows, key=int)
        x = [int(d) for d in ds]
        for key, label, style in (("goodput_mbps", "aggregate (one flow)", "o-"),
                                  ("wifi_mbps", "WiFi only", "s--"), ("3g_mbps", "3G only", "^:")):
            ax.plot(x, [rows[d][key] for d in ds], style, label=label)
        ax.plot(x, [rows[d]["wifi_mbps"] + rows[d]["3g_mbps"] for d in ds], color="grey",
                linewidth=0.8, label="WiFi + 3G")
        ax.set_xscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([str(v) for v in x])
        ax.set_xlabel("cell one-way delay (ms); WiFi 5 ms")
        ax.set_ylabel("TCP goodput (Mbit/s), median of %d" % max(r["rounds"] for r in rows.values()))
        ax.set_title("%s, ns-3 TapBridge + um3n daemons" % cc)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    a = parse()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "emu-aggregate.json")
    ccs = a.cc.split(",")
    if a.plot_only:
        with open(path) as f:
            res = json.load(f)
    elif a.collect:
        raw = {}
        for d in [int(x) for x in a.delays.split(",")]:
            for rnd in range(1, a.rounds + 1):
                try:
                    with open(os.path.join(a.out, "d%d-r%d" % (d, rnd), "results.json")) as f:
                        got = json.load(f).get("aggregate", {})
                except (OSError, ValueError):
                    continue
                if got:
                    raw.setdefault(str(d), []).append(got)
        res = {"duration_s": a.duration, "rounds": a.rounds, "raw": raw, "table": summarise(raw, ccs),
               "collected": True}
        with open(path, "w") as f:
            json.dump(res, f, indent=2, sort_keys=True)
    else:
        raw = {}
        for rnd in range(1, a.rounds + 1):
            for d in [int(x) for x in a.delays.split(",")]:
                raw.setdefault(str(d), []).append(one_run(a, d, rnd))
                print("round %d, cell %d ms: %s" % (rnd, d, {cc: v.get("goodput_mbps") for cc, v in raw[str(d)][-1].items()}),
                      flush=True)
        res = {"duration_s": a.duration, "rounds": a.rounds, "raw": raw, "table": summarise(raw, ccs)}
        with open(path, "w") as f:
            json.dump(res, f, indent=2, sort_keys=True)
    print("\n  %-6s %8s %8s %8s %10s %9s %7s" % ("cc", "cell ms", "3G", "WiFi", "aggregate", "of WiFi",
                                             "rounds"))
    for cc, rows in sorted(res["table"].items()):
        for d in sorted(rows, key=int):
            r = rows[d]
            print("  %-6s %8s %8.2f %8.2f %10.2f %8.0f%% %7d" % (cc, d, r["3g_mbps"], r["wifi_mbps"],
                                                                r["goodput_mbps"], 100 * r["of_wifi"],
                                                                r["rounds"]))
    if res["table"]:
        plot(res["table"], os.path.join(a.out, "emu-aggregate.png"))
        print("plot:", os.path.join(a.out, "emu-aggregate.png"))
    return 0 if res["table"] else 1


if __name__ == "__main__":
    sys.exit(main())
