"""Handover figures (added gap, extra delay, lost; stall for closed-loop
flows) of a flow measured in an emulator, computed by the simulator's own code:
sim/hometric.c through its CLI um3n-hometric (definitions in sim/hometric.h and
sim/README.md), so that every results file means the same by them.

  figures(pkts, t_from, t_at, t_to)   pkts: [(send_s, recv_s or None)] in send order
  ping_packets(path, interval_s)      the packets of a `ping -D` log
  tcp_packets(pcap, dport)            a TCP flow's data at its receiver, in stream
                                      order (closed loop: figures(..., closed=True))

Self-test (ctest hometric_py): the cases of tests/hometric_vectors.txt through
this module and um3n-hometric must give the figures the C tests check:
  /usr/bin/python3 -m emu.lib.hometric --selftest VECTORS [--bin um3n-hometric]
Figures of a ping log, and a TCP flow's longest stall (emu/netns.sh):
  /usr/bin/python3 -m emu.lib.hometric --ping LOG --interval S --window FROM AT TO
  /usr/bin/python3 -m emu.lib.hometric --tcp PCAP --port DPORT --window FROM AT TO
"""
import argparse
import bisect
import json
import os
import re
import struct
import subprocess
import sys

from .captures import read_pcap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The JSON name of each figure the vector file names (microseconds there, ms here).
KEYS = {"base_us": "base_ms", "silence_us": "silence_ms", "added_gap_us": "added_gap_ms",
        "stall_us": "stall_ms", "extra_p50_us": ("extra_delay_ms", "p50"),
        "extra_p99_us": ("extra_delay_ms", "p99"), "extra_max_us": ("extra_delay_ms", "max"),
        "sent": "sent", "lost": "lost"}


def binary(build=None):
    """um3n-hometric of the build (UM3N_HOMETRIC overrides; build defaults
    to UM3N_BUILD, else <repo>/build)."""
    if os.environ.get("UM3N_HOMETRIC"):
        return os.environ["UM3N_HOMETRIC"]
    build = build or os.environ.get("UM3N_BUILD") or os.path.join(REPO, "build")
    return os.path.join(build, "sim", "um3n-hometric")


def figures_us(pkts, window, closed=False, binary_path=None, name="flow"):
    """pkts: [(send_us, recv_us or None)] (integers >= 0), window (from, at,
    to) in us. Returns um3n-hometric's JSON object; raises RuntimeError when it fails."""
    lines = ["case %s" % name, "window %d %d %d" % tuple(window)]
    if closed:
        lines.append("closed")
    lines += ["pkt %d %s" % (s, "-" if r is None else "%d" % r) for s, r in pkts]
    lines.append("end")
    p = subprocess.run([binary_path or binary()], input="\n".join(lines) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("um3n-hometric: %s" % p.stderr.strip())
    return json.loads(p.stdout)


def figures(pkts, t_from, t_at, t_to, closed=False, build=None):
    """pkts: [(send_s, recv_s or None)] on one clock (seconds, e.g. capture
    times), in send order (stream order when closed). The handover window
    [t_from, t_to] around the event at t_at, as in um3n-sim. Returns the figures
    (ms): base_ms, silence_ms, added_gap_ms (or stall_ms), extra_delay_ms.{p50,
    p99,max}, sent, lost."""
    if not pkts:
        return {"sent": 0, "lost": 0}
    t0 = min([t_from] + [s for s, _r in pkts])
    us = lambda t: int(round((t - t0) * 1e6))  # noqa: E731
    r = figures_us([(us(s), None if rv is None else max(us(rv), 0)) for s, rv in pkts],
                   (us(t_from), us(t_at), us(t_to)), closed, binary(build))
    r.pop("case", None)
    return r


def ping_packets(path, interval_s):
    """(send_s, recv_s or None) of each echo request in a `ping -D` log: a
    reply's send time is its timestamp less its round-trip time; a request
    without a reply was sent on the schedule between its answered neighbours
    (interval_s apart after the last answered one)."""
    got = {}
    for line in open(path, errors="replace"):
        m = re.search(r"^\[([0-9.]+)\].*icmp_seq=(\d+).*time=([0-9.]+) ms", line)
        if m:
            t, seq, rtt = float(m.group(1)), int(m.group(2)), float(m.group(3)) / 1000
            got.setdefault(seq, (t - rtt, t))
    if not got:
        return []
    known = sorted(got)
    out, k = [], 0
    for seq in range(known[0], known[-1] + 1):
        if seq in got:
            out.append(got[seq])
            k += 1
            continue
        a, b = known[k - 1], known[k]  # answered neighbours: a < seq < b
        sa, sb = got[a][0], got[b][0]
        out.append((sa + (sb - sa) * (seq - a) / (b - a), None))
    out.sort(key=lambda p: p[0])  # measured send times jitter around the schedule
    return out


def tcp_packets(path, dport):
    """The data of the TCP flow to dport in a capture at its receiver, as
    closed-loop packets: one per distinct segment start, in stream order, each
    'delivered' when a segment first covered its first byte (a retransmission
    cut differently still counts). Send time = that delivery: only the stall
    is meant to be read (hometric.h)."""
    segs, base = [], None
    for t, ip in read_pcap(path):
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        if ip[9] != 6 or len(tcp) < 20 or struct.unpack("!H", tcp[2:4])[0] != dport:
            continue
        seq = struct.unpack("!I", tcp[4:8])[0]
        plen = struct.unpack("!H", ip[2:4])[0] - ihl - (tcp[12] >> 4) * 4
        if plen <= 0:
            continue
        base = seq if base is None else base
        rel = (seq - base) & 0xFFFFFFFF
        if rel < 1 << 31:  # not from before the first segment seen
            segs.append((t, rel, rel + plen))
    starts = sorted({a for _t, a, _e in segs})
    when = [None] * len(starts)
    nxt = list(range(len(starts) + 1))  # the next start not yet covered

    def find(i):
        while nxt[i] != i:
            nxt[i] = nxt[nxt[i]]
            i = nxt[i]
        return i
    for t, a, e in sorted(segs):
        i = find(bisect.bisect_left(starts, a))
        while i < len(starts) and starts[i] < e:
            when[i], nxt[i] = t, i + 1
            i = find(i + 1)
    return [(w, w) for w in when]


# ---------------------------------------------------------------- self-test


def read_vectors(path):
    """The cases of tests/hometric_vectors.txt: [(name, window, closed, pkts, expects)]."""
    cases, c = [], None
    for n, raw in enumerate(open(path), 1):
        w = raw.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "case":
            c = {"name": w[1], "window": (0, 0, 0), "closed": False, "pkts": [], "expect": {}}
        elif w[0] == "window":
            c["window"] = tuple(int(x) for x in w[1:4])
        elif w[0] == "closed":
            c["closed"] = True
        elif w[0] == "pkt":
            c["pkts"].append((int(w[1]), None if w[2] == "-" else int(w[2])))
        elif w[0] == "cbr":
            first, step, count, delay = (int(x) for x in w[1:5])
            c["pkts"] += [(first + k * step, first + k * step + delay) for k in range(count)]
        elif w[0] in ("lose", "delay"):
            a, b = int(w[1]), int(w[2])
            c["pkts"] = [(s, (None if w[0] == "lose" else s + int(w[3])) if a <= s < b else r)
                         for s, r in c["pkts"]]
        elif w[0] == "expect":
            c["expect"][w[1]] = int(w[2])
        elif w[0] == "end":
            cases.append(c)
        else:
            raise ValueError("%s:%d: unknown line %r" % (path, n, raw.strip()))
    return cases


def selftest(vectors, binary_path):
    bad = n = 0
    for c in read_vectors(vectors):
        r = figures_us(c["pkts"], c["window"], c["closed"], binary_path, c["name"])
        wrong = 0
        for key, want in sorted(c["expect"].items()):
            k = KEYS[key]
            v = r[k[0]][k[1]] if isinstance(k, tuple) else r.get(k)
            got = v if key in ("sent", "lost") else int(round(v * 1000))
            n += 1
            if got != want:
                print("FAIL %s: %s = %s, expected %s" % (c["name"], key, got, want))
                wrong += 1
        print("%s %s (%d figures)" % ("ok  " if not wrong else "FAIL", c["name"], len(c["expect"])))
        bad += wrong
    print("hometric self-test: %d figures, %d wrong" % (n, bad))
    return 1 if bad or n == 0 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--selftest", metavar="VECTORS")
    ap.add_argument("--bin", default=None, help="um3n-hometric (default: the build's)")
    ap.add_argument("--ping", metavar="LOG")
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--tcp", metavar="PCAP")
    ap.add_argument("--port", type=int, default=5201)
    ap.add_argument("--window", nargs=3, type=float, metavar=("FROM", "AT", "TO"))
    a = ap.parse_args()
    if a.bin:
        os.environ["UM3N_HOMETRIC"] = a.bin
    if a.selftest:
        return selftest(a.selftest, binary())
    if a.ping and a.window:
        print(json.dumps(figures(ping_packets(a.ping, a.interval), *a.window), sort_keys=True))
        return 0
    if a.tcp and a.window:
        print(json.dumps(figures(tcp_packets(a.tcp, a.port), *a.window, closed=True), sort_keys=True))
        return 0
    ap.print_usage(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main())
