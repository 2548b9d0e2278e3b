#!/usr/bin/python3
"""The cross-check of issue 12: um3n-ns3sim (the engines in ns-3's simulated
time, ns-3's TCP) against the ns-3 real-time testbed (the real daemons, Linux
TCP, emu/ns3) on the same link parameters, with um3n-sim (open loop) for
information. Prints one table; the testbed column is filled from the
results.json files of emu/ns3 runs when given (ci/reproduce.sh --emu), else
left empty.

  ci/crosscheck.py --ns3sim DIR [--sim DIR] [--testbed results.json ...]

DIR holds a folder per scenario with its metrics.json (what ci/reproduce.sh
writes under OUT/ns3sim and OUT/sim), and for the closed-loop TCP rows also
folders SCENARIO.seedN of further seeds: one TCP flow's goodput moves by 5 %
and more from seed to seed (ns3-aggregate-cubic: 14.57-16.47 over seeds 1-32),
so those rows compare the median over the seeds with the testbed's median over
its runs. Goals (issue 12): goodput within 5 %, the handover's added gap within
20 ms."""
import argparse
import glob
import json
import os
import statistics

# (row, ns3sim scenario, what, testbed key path, um3n-sim scenario)
ROWS = [
    ("Fig. 5, 3G only", "ns3-fig5-3g", "goodput", ("runs", "3g", "goodput_mbps"), "fig5-3g"),
    ("Fig. 5, WiFi only", "ns3-fig5-wifi", "goodput", ("runs", "wifi", "goodput_mbps"), "fig5-wifi"),
    ("Fig. 5, multihoming", "ns3-fig5-multihoming", "goodput", ("runs", "multihoming", "goodput_mbps"),
     "fig5-multihoming"),
    ("one CUBIC flow, aggregate", "ns3-aggregate-cubic", "goodput",
     ("aggregate", "cubic", "goodput_mbps"), None),
    ("one Reno flow, aggregate", "ns3-aggregate-reno", "goodput",
     ("aggregate", "reno", "goodput_mbps"), None),
    ("one CUBIC flow, trace pair",
     "ns3-aggregate-trace-testbed", "goodput", ("aggregate_trace", "cubic", "yes", "goodput_mbps"),
     None),
    ("cut handover: added gap", "ns3-testbed-cut", "gap", ("handover", "cut", "added_gap_ms"),
     "ns3-testbed-cut"),
]


def metrics(d, scenario):
    try:
        with open(os.path.join(d, scenario, "metrics.json")) as f:
            return json.load(f)
    except (OSError, ValueError, TypeError):
        return None


def median_n(vals):
    """The median of vals and how many there are; (None, 0) for none."""
    return (statistics.median(vals), len(vals)) if vals else (None, 0)


def seeds_figure(d, scenario, what):
    """The median of what over the scenario's folder and its .seedN ones, and how many."""
    dirs = [scenario] + sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, scenario + ".seed*")))
    return median_n([v for v in (figure(metrics(d, s), what) for s in dirs) if v is not None])


def figure(m, what):
    if not m:
        return None
    if what == "gap":
        return (m.get("handover") or {}).get("added_gap_ms")
    return m.get("goodput_mbps")


def testbed(results, path):
    """The median over the testbed runs that have the figure, and how many."""
    vals = []
    for r in results:
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(float(v))
    return median_n(vals)


def verdict(what, ns3, tb):
    if ns3 is None or tb is None:
        return "-"
    if what == "gap":
        d = ns3 - tb
        return "%+.1f ms %s" % (d, "ok" if abs(d) <= 20 else "over 20 ms")
    d = (ns3 - tb) / tb * 100
    return "%+.1f %% %s" % (d, "ok" if abs(d) <= 5 else "over 5 %")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ns3sim", required=True)
    ap.add_argument("--sim")
    ap.add_argument("--testbed", nargs="*", default=[])
    a = ap.parse_args()
    results = []
    for p in a.testbed:
        try:
            with open(p) as f:
                results.append(json.load(f))
        except (OSError, ValueError):
            print("crosscheck: cannot read %s: left out" % p)
    fmt = "  %-28s %14s %14s %10s   %s"
    print("cross-check (issue 12): Mbit/s, or ms for the gap")
    print(fmt % ("", "ns3sim", "testbed", "um3n-sim", "ns3sim against the testbed"))
    for name, scen, what, path, sim_scen in ROWS:
        ns3, ns = seeds_figure(a.ns3sim, scen, what)
        tb, n = testbed(results, path)
        sim = figure(metrics(a.sim, sim_scen), what) if a.sim and sim_scen else None
        show = lambda v: "-" if v is None else "%.2f" % v  # noqa: E731
        print(fmt % (name, show(ns3) + (" (%d)" % ns if ns > 1 else ""),
                     "-" if tb is None else "%.2f (%d)" % (tb, n), show(sim), verdict(what, ns3, tb)))
    print("  (n): the median of n seeds (ns3sim) or n runs (testbed)")
    if not results:
        print("  (testbed: run ci/reproduce.sh --emu, or give --testbed emu-ns3/results.json)")
    # vsftpd sends with the kernel's default congestion control, which a
    # namespace cannot change unless it is in tcp_allowed_congestion_control.
    cc = open("/proc/sys/net/ipv4/tcp_congestion_control").read().strip()
    print("  The testbed's Fig. 5 senders (vsftpd) use this kernel's default congestion control, "
          "%s; ns3sim's use CUBIC: those rows compare unlike TCPs. The aggregate rows are CUBIC "
          "and reno on both (iperf3 -C cubic, -C reno; ns3sim: TcpCubic with Linux's TCP-friendly "
          "region, and TcpLinuxReno, which grow as Linux's do), "
          "each radio downlink behind FqCoDel on both (qdisc = fq_codel; the testbed's "
          "--qdisc); the gap row is UDP video." % cc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
