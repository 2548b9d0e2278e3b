"""Bandwidth traces (traces/links/) as per-second capacities, in Mbit/s, for
the runs that replay them through a link and the scripts that compare a
run's goodput with them. Formats as um3n-sim reads them (sim/README.md):
mahimahi (one integer ms per line, a 1500-byte delivery opportunity each;
the trace loops at its last stamp) and csv (SECOND,BYTES_PER_SECOND)."""
import csv
import os

TRACES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "traces", "links")


def mahimahi_per_second(path):
    stamps = [int(x) for x in open(path) if x.strip() and not x.startswith("#")]
    secs = [0.0] * ((stamps[-1] + 999) // 1000)
    for ms in stamps:
        secs[min(max(ms - 1, 0) // 1000, len(secs) - 1)] += 1500 * 8 / 1e6
    return secs


def csv_per_second(path):
    out = []
    for row in csv.reader(open(path)):
        if row and row[0].strip().isdigit():
            out.append(int(row[1]) * 8 / 1e6)
    return out


def per_second(path, fmt):
    """One period of the trace, Mbit/s per second (index t % len at time t)."""
    if fmt == "mahimahi":
        return mahimahi_per_second(path)
    if fmt == "csv":
        return csv_per_second(path)
    raise ValueError("%s: trace format %s not read here (mahimahi, csv)" % (path, fmt))


def at(caps, t):
    return caps[int(t) % len(caps)]
