#!/usr/bin/python3
"""Summarise a ci/reproduce.sh run: a table beside the paper's figures, and the
plots results/fig5.png (bars like the paper's Fig. 5), results/handover.png
(around each handover: every video/voice packet's one-way delay, the link it
took and the losses, beside per-link throughput from the link pcaps) and
results/fig5-owd.png (one-way delay CDFs per flow and per link of each Fig. 5 run).
Each handover shows its added gap beside its longest silence (sim/README.md).

usage: ci/report.py OUT_DIR SCENARIO...   (reads OUT_DIR/sim/<scenario>/)
       ci/report.py --packets RUN_DIR SCENARIO.ini
         writes RUN_DIR/packets.csv.gz, every packet's send and arrival time and
         link, from the run's pcaps (a snaplen of 100 bytes or more), so that
         the pcaps of long runs need not be kept
"""
import configparser
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # the one way to emu.lib: emu/lib/__init__.py
from emu.lib import packets, plots as emu_plots  # noqa: E402
from emu.lib.captures import pcap_records  # noqa: E402
from emu.lib.links import PAPER_MBPS  # noqa: E402

PAPER = {"fig5-" + k: v for k, v in PAPER_MBPS.items()}
BIN_S = 0.1


def load(out, name):
    path = os.path.join(out, "sim", name, "metrics.json")
    with open(path) as f:
        return json.load(f)


def pcap_bins(path, t0, t1):
    """Bytes per BIN_S bin between t0 and t1 from a classic pcap file."""
    bins = [0] * int(round((t1 - t0) / BIN_S))
    pc = pcap_records(path)
    if pc is None:
        return bins
    for t, _sec, _frac, _data, orig in pc[2]:
        k = int((t - t0) / BIN_S)
        if 0 <= k < len(bins):
            bins[k] += orig
    return bins


def scenario_ini(name):
    return os.path.join(REPO, "traces", "scenarios", name + ".ini")


def scenario_handover(name):
    cp = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";", "#"))
    cp.read(scenario_ini(name))
    h = cp["handover"] if cp.has_section("handover") else {}
    at = float(h.get("at_s", 0))
    return at, float(h.get("before_s", 1)), float(h.get("after_s", 3))


def scenario_events(name):
    """What happens to the links (sim/README.md, [link NAME]): each outage's
    start, and the signal dropping below the MN's degraded threshold (-75 dBm,
    signal_degraded_dbm's default)."""
    cp = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";", "#"))
    cp.read(scenario_ini(name))
    ev = []
    for sec in cp.sections():
        if not sec.startswith("link "):
            continue
        link = sec.split(None, 1)[1]
        for o in cp[sec].get("outage", "").splitlines():
            if o.strip():
                kind = o.split()[1] if len(o.split()) > 1 else "cut"
                ev.append((float(o.split("-")[0]), link + (" cut" if kind == "cut" else
                                                           " carrier down")))
        for point in cp[sec].get("signal", "").split(","):
            if ":" in point and float(point.split(":")[1]) < -75:
                ev.append((float(point.split(":")[0]), link + " signal " + point.split(":")[1]
                           + " dBm"))
                break
    return sorted(ev)


def fmt(v, unit=""):
    return "-" if v is None else f"{v:.2f}{unit}"


def table(out, names):
    m = {n: load(out, n) for n in names}
    print()
    print(f"{'experiment':<28}{'paper':>22}{'um3n sim':>22}")
    rows = [("3G only", "fig5-3g"), ("WiFi only", "fig5-wifi"),
            ("Multihoming", "fig5-multihoming")]
    for label, n in rows:
        print(f"{label:<28}{PAPER[n]:>17.2f} Mb/s{m[n]['goodput_mbps']:>17.2f} Mb/s")
    gain = m["fig5-multihoming"]["goodput_mbps"] / m["fig5-wifi"]["goodput_mbps"] - 1
    print(f"{'  gain over WiFi only':<28}{'+21%':>22}{gain * 100:>+21.0f}%")
    if "fig5-aggregate" in m:
        print(f"{'One flow, aggregated':<28}{'-':>22}"
              f"{m['fig5-aggregate']['goodput_mbps']:>17.2f} Mb/s")
    for label, n in (("3G only, real trace", "fig5-trace-3g"),
                     ("WiFi only, real trace", "fig5-trace-wifi"),
                     ("Multihoming, real traces", "fig5-trace-multihoming")):
        if n in m:
            print(f"{label:<28}{'-':>22}{m[n]['goodput_mbps']:>17.2f} Mb/s")
    # Handovers: the added gap (what the handover cost, um3n-sim's
    # handover.added_gap_ms) beside the longest silence (handover.gap_ms).
    for label, n in (("Handover, planned", "handover-planned"),
                     ("Handover, WiFi cut", "handover-cut"),
                     ("WiFi cut, replayed FTP", "handover-cut-ftp")):
        if n not in m:
            continue
        h = m[n].get("handover", {})
        paper = "no visible drops" if n == "handover-planned" else "-"
        ours = (f"added gap {h.get('added_gap_ms', 0):.0f} ms (silence {h.get('gap_ms', 0):.0f}), "
                f"lost {h.get('lost_packets', 0)}")
        if "video" in m[n]:
            ours += f", late {m[n]['video'].get('late_frames', 0)}"
        print(f"{label:<28}{paper:>22}   {ours}")
    mode_table(out, m)
    print()
    return m


def mode_table(out, m):
    """Handover mode (uplinks = one, issue 16): hover.json beside the figures."""
    rows = (("Walk-away, cold cell", "handover-walkaway"),
            ("  return to WiFi", "handover-walkaway-return"),
            ("WiFi cut, hot standby", "handover-hot-cut"),
            ("WiFi cut, cold standby", "handover-cold-cut"),
            ("Flapping signal, 60 s", "handover-flapping"),
            ("Idle 10 min, cold cell", "standby-idle"))
    if not any(n in m for _, n in rows):
        return
    print(f"\n{'handover mode':<28}{'moved after':>14}{'added gap':>12}{'lost':>6}{'late':>6}"
          f"{'handovers':>11}  cell packets")
    for label, n in rows:
        if n not in m:
            continue
        try:
            with open(os.path.join(out, "sim", n, "hover.json")) as f:
                hv = json.load(f)
            with open(os.path.join(out, "sim", n, "extra.json")) as f:
                cell = json.load(f)["links"]["cell"]
        except (OSError, KeyError, ValueError):
            continue
        h = m[n].get("handover", {})
        lost = sum(fl.get("lost_packets", 0) for fl in m[n].get("flows", {}).values())
        print(f"{label:<28}{hv['max_move_ms']:>11} ms{h.get('added_gap_ms', 0):>9.0f} ms"
              f"{lost:>6}{m[n].get('video', {}).get('late_frames', 0):>6}{hv['handovers']:>11}"
              f"  {cell['up']['sent_pkts']} up, {cell['down']['sent_pkts']} down")


def plots(out, m, names):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (apt-get install python3-matplotlib): no plots")
        return
    labels = ["3G only", "WiFi only", "Multihoming"]
    keys = ["fig5-3g", "fig5-wifi", "fig5-multihoming"]
    x = range(len(keys))
    fig, ax = plt.subplots(figsize=(7, 4))
    w = 0.27
    ax.bar([i - w for i in x], [PAPER[k] for k in keys], w, label="paper")
    ax.bar(list(x), [m[k]["goodput_mbps"] for k in keys], w, label="um3n sim")
    tk = ["fig5-trace-3g", "fig5-trace-wifi", "fig5-trace-multihoming"]
    if all(k in m for k in tk):
        ax.bar([i + w for i in x], [m[k]["goodput_mbps"] for k in tk], w,
               label="um3n sim, real traces")
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels)
    ax.set_ylabel("throughput (Mbit/s)")
    ax.set_title("Fig. 5: throughput, single link vs multihoming")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig5.png"), dpi=120)

    hs = [n for n in ("handover-planned", "handover-cut", "handover-cut-ftp") if n in names]
    panels = []
    for n in hs:
        at, before, after = scenario_handover(n)
        t0, t1 = at - before, at + after
        d = os.path.join(out, "sim", n)
        series = {}
        for link in sorted(m[n].get("links", {})):
            p = os.path.join(d, f"link-{link}.pcap")
            if os.path.exists(p):
                b = pcap_bins(p, t0, t1)
                series[link] = ([t0 + (i + 0.5) * BIN_S for i in range(len(b))],
                                [v * 8 / BIN_S / 1e6 for v in b])
        h = m[n].get("handover", {})
        late = (f", late frames {m[n]['video'].get('late_frames', 0)}" if "video" in m[n] else "")
        title = (f"{n}: added gap {h.get('added_gap_ms', 0):.0f} ms "
                 f"(silence {h.get('gap_ms', 0):.0f}), lost {h.get('lost_packets', 0)}{late} "
                 f"(link Mbit/s, {int(BIN_S * 1000)} ms bins)")
        panels.append((title, series, scenario_events(n), run_packets(d), (t0, t1)))
    emu_plots.plot_handover(panels, os.path.join(out, "handover.png"))
    cdfs = [(n, run_packets(os.path.join(out, "sim", n)))
            for n in names if n.startswith("fig5-")]
    cdfs = [(n, p) for n, p in cdfs if p]
    if cdfs:
        emu_plots.plot_owd_cdfs(cdfs, os.path.join(out, "fig5-owd.png"))
    print(f"plots: {out}/fig5.png {out}/handover.png" +
          (f" {out}/fig5-owd.png" if cdfs else ""))


def run_packets(run_dir):
    """The run's packets: packets.csv.gz when there is one, else its pcaps."""
    csv = os.path.join(run_dir, "packets.csv.gz")
    if os.path.exists(csv):
        return packets.read_csv(csv)
    name = os.path.basename(run_dir.rstrip("/"))
    if not os.path.exists(os.path.join(run_dir, "mn-tun.pcap")):
        return []
    flows, core = packets.scenario_flows(scenario_ini(name))
    return packets.sim_packets(run_dir, flows, core)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--packets":
        flows, core = packets.scenario_flows(sys.argv[3])
        pk = packets.sim_packets(sys.argv[2], flows, core)
        packets.write_csv(pk, os.path.join(sys.argv[2], "packets.csv.gz"))
        return 0
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    out, names = sys.argv[1], sys.argv[2:]
    m = table(out, names)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(m, f, indent=1, sort_keys=True)
    plots(out, m, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
