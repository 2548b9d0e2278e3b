#!/usr/bin/python3
"""ctest sim_packets: the per-packet records the plots draw (emu/lib/packets.py,
via ci/report.py --packets) against the simulator's own metrics: each flow's
one-way delay p50/p99 and lost packets, the handover gap, the link each packet
took around a WiFi cut; the testbeds' video records from the ns-3 captures
against that run's gap; then the handover and CDF plots are drawn from them.

usage: sim_packets.py UM3N-SIM SCENARIO_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from emu.lib import packets, plots  # noqa: E402

failures = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
    if not ok:
        failures.append(what)


def run(sim, ini, out, *args):
    subprocess.run([sim, ini, "--out", out, "--snaplen", "128", *args], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["/usr/bin/python3", os.path.join(REPO, "ci", "report.py"), "--packets", out,
                    ini], check=True)
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f), packets.read_csv(os.path.join(out, "packets.csv.gz"))


def pct(d, q):  # nearest rank, as sim/metrics.c
    return d[min(len(d) - 1, int(len(d) * q))]


def against_metrics(name, m, pk, end_s):
    for flow, fm in m["flows"].items():
        d = sorted((p.recv_s - p.send_s) * 1e3 for p in pk if p.flow == flow and p.recv_s)
        check(f"{name} {flow}: p50 {pct(d, 0.5):.3f} ms = metrics",
              abs(pct(d, 0.5) - fm["owd_p50_ms"]) < 0.002, str(fm["owd_p50_ms"]))
        check(f"{name} {flow}: p99 {pct(d, 0.99):.3f} ms = metrics",
              abs(pct(d, 0.99) - fm["owd_p99_ms"]) < 0.002, str(fm["owd_p99_ms"]))
        lost = sum(1 for p in pk if p.flow == flow and p.recv_s is None
                   and p.send_s < end_s - 0.5)
        check(f"{name} {flow}: {lost} lost = metrics", lost == fm["lost_packets"],
              str(fm["lost_packets"]))


def main():
    sim, scen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="um3n-packets.") as tmp:
        out = os.path.join(tmp, "cut")
        m, pk = run(sim, os.path.join(scen, "handover-cut.ini"), out, "--duration", "25")
        against_metrics("handover-cut", m, pk, 25)
        gap = packets.longest_gap(pk, 19, 24)
        check(f"handover-cut gap {gap[0] * 1e3:.3f} ms = metrics",
              abs(gap[0] * 1e3 - m["handover"]["gap_ms"]) < 0.002, str(m["handover"]["gap_ms"]))
        before = {p.link for p in pk if p.recv_s and 15 < p.recv_s < 19.9}
        after = {p.link for p in pk if p.recv_s and 20.5 < p.recv_s < 24}
        check("before the cut every packet came over wifi, after it over cell",
              before == {"wifi"} and after == {"cell"}, f"{before} {after}")
        # Sent into the dead wifi, re-sent over cell: the copy that arrived is cell's.
        resent = [p.link for p in pk if p.recv_s and 20.0 <= p.send_s < 20.05]
        check(f"{len(resent)} packets sent into the cut arrived over cell",
              resent and set(resent) == {"cell"}, str(resent))
        # Random loss on a single link: lost packets marked as the metrics count them.
        ini = os.path.join(tmp, "lossy.ini")
        with open(ini, "w") as f:
            f.write("[sim]\nduration_s = 6\n[link wifi]\nrate_mbps = 10\ndelay_ms = 5\n"
                    "loss = 5%\n[flow v]\ntype = cbr\nserver = 10.9.1.10\nrate_mbps = 1\n"
                    "packet_bytes = 1000\nstart_s = 1\n[flow u]\ntype = cbr\n"
                    "server = 10.9.1.11\ndirection = up\nrate_mbps = 0.2\npacket_bytes = 200\n"
                    "start_s = 1\n")
        m2, pk2 = run(sim, ini, os.path.join(tmp, "lossy"))
        against_metrics("5% loss", m2, pk2, 6)
        check("5% loss: some lost", m2["flows"]["v"]["lost_packets"] > 10)
        # The testbeds' video (emu/ns3 captures in traces/captures, README there):
        # the same records from RTP sequence numbers, the gap as the run measured it.
        cap = os.path.join(REPO, "traces", "captures")
        with open(os.path.join(cap, "results.json")) as f:
            ho = json.load(f)["handover"]["cut"]
        pk3 = packets.video_packets(os.path.join(cap, "ns3-video-720p30-send.pcap"),
                                    os.path.join(cap, "ns3-video-720p30-recv-cut.pcap"),
                                    {"wifi": os.path.join(cap, "ns3-wifi-uplink-cut.pcap")},
                                    ho["t0_unix"])
        g3 = packets.longest_gap(pk3, 0, 1e9)
        check(f"ns-3 capture: gap {g3[0] * 1e3:.1f} ms = the run's", round(g3[0] * 1e3, 1) ==
              ho["gap_ms"] and abs(g3[1] - ho["events_s"][0][0]) < 0.3,
              f"{ho['gap_ms']} at {g3[1]}")
        wifi = [p for p in pk3 if p.link == "wifi"]
        check(f"ns-3 capture: {len(wifi)} packets matched to the wifi uplink capture",
              len(wifi) > 50 and all(p.send_s < ho["events_s"][0][0] for p in wifi))
        png = os.path.join(tmp, "handover.png")
        plots.plot_handover([("cut", {"wifi": ([19, 20], [1, 0])}, [(20, "wifi cut")], pk,
                              (19, 24)), ("lossy", {}, [], pk2, (1, 5)),
                             ("ns-3", {}, [(4, "cut")], pk3, (3, 8))], png)
        cdf = os.path.join(tmp, "owd.png")
        plots.plot_owd_cdfs([("cut", pk), ("lossy", pk2)], cdf)
        check("plots drawn", all(os.path.getsize(p) > 10000 for p in (png, cdf)))
    print("sim_packets:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
