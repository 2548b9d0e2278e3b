"""The runs both testbeds make, on any testbed that fills in a Bed: the Fig. 5
FTP runs, iperf3 through um3n, the handover video test, and the end of a run
(bounds, results.json, plots, the table, the exit status). A testbed module
(emu/mininet/fig5.py, emu/ns3/testbed.py) keeps its topology, its own runs
and its order of runs."""
import json
import os
import shutil
import signal
import subprocess
import time

from . import analysis, apps, bounds, captures, packets, plots
from .daemons import Um3n
from .links import (FTP_ADDR, HA_ADDR, HOME_ADDR, PAPER_MBPS, UPLINKS, VIDEO_ADDR, VIDEO_NET,
                    VIDEO_PORT, uplinks_conf)
from .nodes import have, log, stop_procs

SKIP = 77  # the exit status of a testbed that cannot run here
POLICY = ((VIDEO_NET, "cell"),)  # the paper's policy: video server over cell, the rest the default
# The handover test's video must ride on wifi to be handed over: here its rule says wifi.
HANDOVER_POLICY = ((VIDEO_NET, "wifi"),)
UPS = ("cell", "wifi")


class Bed:
    """What the shared runs need from a testbed. The testbed sets the nodes
    (emu/lib/nodes.py) mn, ha, ftp, video once its hosts exist, and defines
    cut(on): take the wifi away silently (on=True) or give it back."""

    label = "?"  # "Mininet", "ns-3": panel titles and the table's column
    uplink_dev = {}  # the MN's interface of each uplink, {"cell": ..., "wifi": ...}
    video_dev = ""  # the video server's interface
    ha_dev = ""  # the HA's interface towards the MN's uplinks (its care-of side)
    cut_label = ""  # how cut() takes the wifi away, for the handover panel

    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.build_dir, self.out = args.build, args.out  # not "build": a testbed may build itself
        self.pdir = os.path.join(args.out, "pcap")
        self.mn = self.ha = self.ftp = self.video = None

    def cut(self, on):
        raise NotImplementedError


def start_um3n(bed, tag, uplinks, rules=POLICY, default="wifi", one=None, weights_mbps=None):
    """Both daemons started afresh with the uplinks named (one: uplinks = one,
    {uplink: standby kind}; weights_mbps: weight_kbps other than the links'
    rates); raises when the MN does not register (its logs stay in the run's
    tmp)."""
    u = Um3n(bed.build_dir, bed.tmp, bed.mn, bed.ha, HA_ADDR,
             uplinks_conf(uplinks, bed.uplink_dev, weights_mbps), default, list(rules), one=one)
    if not u.start(tag):
        u.stop()
        raise RuntimeError("%s: the MN did not register (logs in %s)" % (tag, bed.tmp))
    return u


def uplink_caps(bed, tag, snaplen=96):
    """tcpdump on each uplink of the MN into pcap/TAG-{cell,wifi}.pcap."""
    paths = [os.path.join(bed.pdir, "%s-%s.pcap" % (tag, l)) for l in UPS]
    caps = [captures.capture(bed.mn, bed.uplink_dev[l], p, snaplen) for l, p in zip(UPS, paths)]
    captures.wait_captures_ready(paths)
    return caps, paths


def fig5_runs(bed, res, aggregate=False, tun=False):
    """The paper's Fig. 5: 3G only, WiFi only, multihoming (FTP from both
    servers at once, the video server's over cell), curl from vsftpd. With
    aggregate, beside the paper: one FTP download spread over both uplinks by
    weight (policy mode aggregate; reported, not bounded). With tun, the MN's
    TUN is captured too (pcap/RUN-tun.pcap)."""
    d = int(bed.args.duration)
    plan = {"3g": (["cell"], "cell", [FTP_ADDR]),
            "wifi": (["wifi"], "wifi", [FTP_ADDR]),
            "multihoming": (["cell", "wifi"], "wifi", [FTP_ADDR, VIDEO_ADDR])}
    if aggregate:
        plan["aggregate"] = (["cell", "wifi"], "wifi", [FTP_ADDR])
    for name, (ups, default, servers) in plan.items():
        rules = list(POLICY)
        if name == "aggregate":
            rules.append(("10.9.1.0/24", "wifi aggregate"))
        u = start_um3n(bed, name, ups, rules=rules, default=default)
        try:
            caps, paths = uplink_caps(bed, name)
            if tun:
                path = os.path.join(bed.pdir, "%s-tun.pcap" % name)
                caps.append(captures.capture(bed.mn, "um3n0", path, 64))
                captures.wait_captures_ready([path])
            dls = [apps.start_ftp_download(bed.mn, s, d, os.path.join(bed.tmp, "curl-%s-%s" % (name, s)))
                   for s in servers]
            per = {s: apps.finish_ftp_download(p) for s, p in zip(servers, dls)}
            stop_procs(caps)
        finally:
            u.stop()
        total = sum(r["goodput_mbps"] for r in per.values())
        on = {l: analysis.pcap_mbps(p) for l, p in zip(UPS, paths)}
        res["runs"][name] = {"goodput_mbps": round(total, 3), "ftp": per, "uplink_mbps": on,
                             "ok": all(r["ok"] for r in per.values()), "reg_s": round(u.reg_s, 2)}
        log("%-12s FTP %.2f Mbit/s (paper %s); on the uplinks: %s" %
            (name, total, PAPER_MBPS.get(name, "-"), on))


def iperf_multihoming(bed, d):
    """With the daemons running (both uplinks): iperf3 TCP from both servers
    at once (video over cell, ftp over wifi). Records and returns the sum,
    runs.multihoming_iperf3."""
    srv = [apps.start_iperf_server(bed.video), apps.start_iperf_server(bed.ftp)]
    time.sleep(0.3)
    outs = [os.path.join(bed.tmp, "ipmh-%s.json" % s) for s in ("video", "ftp")]
    ps = [bed.mn.popen(["iperf3", "-c", s, "-R", "-t", str(d), "-O", "1", "-J"],
                       stdout=open(o, "w"), stderr=subprocess.DEVNULL)
          for s, o in zip((VIDEO_ADDR, FTP_ADDR), outs)]
    for p in ps:
        p.wait(d + 30)
    stop_procs(srv)
    return apps.iperf_sum_mbps(outs)


def iperf_plain(bed, d, extra=()):
    """iperf3 TCP from the ftp server by plain routing (no tunnel)."""
    srv = apps.start_iperf_server(bed.ftp)
    time.sleep(0.3)
    r = apps.iperf_download(bed.mn, FTP_ADDR, d, extra=extra)
    stop_procs([srv])
    return r


# ---------------------------------------------------------------- handover


def sleep_until(t):
    dt = t - time.time()
    if dt > 0:
        time.sleep(dt)


def video_captures(bed, tag):
    """The captures of a video run, pcap/TAG-*.pcap: each uplink of the MN
    ("cell", "wifi"), the video as sent ("send") and as received at the TUN
    ("recv"), and what the HA sends to the cell's care-of address ("ha_cell":
    its first video datagram there after an event is the HA's decision,
    detection_split; with the MN's cell capture, cell_link_losses). Returns
    (procs, paths) once all are capturing."""
    p = {l: os.path.join(bed.pdir, "%s-%s.pcap" % (tag, l)) for l in UPS}
    p["send"] = os.path.join(bed.pdir, "%s-video-send.pcap" % tag)
    p["recv"] = os.path.join(bed.pdir, "%s-video-recv.pcap" % tag)
    p["ha_cell"] = os.path.join(bed.pdir, "%s-ha-cell.pcap" % tag)
    procs = [captures.capture(bed.mn, bed.uplink_dev[l], p[l], 96) for l in UPS]
    procs.append(captures.capture(bed.video, bed.video_dev, p["send"], 1400, "udp port %d" % VIDEO_PORT))
    procs.append(captures.capture(bed.mn, "um3n0", p["recv"], 1400, "udp port %d" % VIDEO_PORT))
    procs.append(captures.capture(bed.ha, bed.ha_dev, p["ha_cell"], 96,
                                  "udp and dst host %s" % UPLINKS["cell"][0]))
    captures.wait_captures_ready(list(p.values()))
    return procs, p


def handover_video(bed, kind, u, clip, d, tag=None):
    """One handover run with a 720p30 stream riding the wifi uplink.
    planned: `um3nctl link wifi signal -85` at 0.4 d, wifi lost 1 s later;
    cut: wifi lost at 0.4 d with no warning (bed.cut). The captures are
    pcap/TAG-*.pcap (default ho-KIND), each run its own. Returns (stats,
    plot panel)."""
    mn = bed.mn
    t_ev, t_back = 0.4 * d, 0.75 * d
    caps, p = video_captures(bed, tag or "ho-" + kind)
    paths, snd, rcv, ha_cell = [p[l] for l in UPS], p["send"], p["recv"], p["ha_cell"]
    sink = apps.start_video_sink(mn)
    events = []
    t0 = time.time()
    try:
        tx = apps.start_video_sender(bed.video, clip, HOME_ADDR, int(d))
        sleep_until(t0 + t_ev)
        if kind == "planned":
            u.ctl("link", "wifi", "signal", "-85")
            events.append((time.time() - t0, "signal -85 dBm"))
            sleep_until(t0 + t_ev + 1.0)
            bed.cut(True)
            events.append((time.time() - t0, "wifi lost"))
        else:
            bed.cut(True)
            events.append((time.time() - t0, "wifi cut (%s)" % bed.cut_label))
        sleep_until(t0 + t_back)
        bed.cut(False)
        if kind == "planned":
            u.ctl("link", "wifi", "signal", "-50")
        events.append((time.time() - t0, "wifi back"))
        tx.wait(d + 20)
        time.sleep(0.5)
    finally:
        bed.cut(False)
        stop_procs([sink] + caps)
    st = analysis.video_stats(snd, rcv)
    st["events_s"] = [[round(t, 3), e] for t, e in events]
    st["t0_unix"] = round(t0, 6)
    # The same figures 1 s before to 3 s after the first event (um3n-sim's
    # handover window): whole-stream losses include random link loss.
    t_ev = t0 + events[0][0]
    w = analysis.video_stats(snd, rcv, t_ev - 1.0, t_ev + 3.0)
    st["window"] = {k: w.get(k) for k in ("gap_ms", "lost_packets", "late_frames", "sent_packets")}
    # What the handover added (um3n-sim's definition and code, same window):
    # the bounds use it, not the longest silence.
    try:
        ho = analysis.handover_figures(snd, rcv, t_ev - 1.0, t_ev, t_ev + 3.0, bed.build_dir)
        st["added_gap_ms"], st["extra_delay_ms"] = ho["added_gap_ms"], ho["extra_delay_ms"]
    except (OSError, RuntimeError, ValueError) as e:
        st["added_gap_ms"] = st["extra_delay_ms"] = None
        st["why_no_added_gap"] = str(e)[-200:]
    st.update(detection_split(ha_cell, t_ev, st["added_gap_ms"]))
    st["lost_on_cell_link"] = cell_link_losses(snd, rcv, ha_cell, paths[0])
    log("handover %-7s gap %s ms, lost %s of %s packets, late frames %s of %s; "
        "in the window -1..+3 s: added gap %s ms (longest silence %s ms; the HA moved the "
        "video to the cell %s ms after the event, %s ms more until the added gap's end), "
        "extra delay %s ms, lost %s, late frames %s" %
        (kind, st.get("gap_ms"), st.get("lost_packets"), st.get("sent_packets"),
         st.get("late_frames"), st.get("frames"), st["added_gap_ms"], st["window"]["gap_ms"],
         st.get("detection_ms"), st.get("after_detection_ms"),
         st["extra_delay_ms"], st["window"]["lost_packets"], st["window"]["late_frames"]))
    series = {"uplink " + l: analysis.pcap_series(p, t0) for l, p in zip(UPS, paths)}
    series["video received (TUN)"] = analysis.pcap_series(rcv, t0)
    pkts = packets.video_packets(snd, rcv, dict(zip(UPS, paths)), t0)
    panel = ("%s handover %s: added gap %s ms (silence %s), lost %s, late frames %s" %
             (bed.label, kind, st.get("added_gap_ms"), st["window"]["gap_ms"], st.get("lost_packets"),
              st.get("late_frames")),
             series, events, pkts, (events[0][0] - 1.0, events[-1][0] + 1.0))
    return st, panel


def detection_split(ha_cell_pcap, t_ev, added_gap_ms):
    """The added gap in two parts (issue 13): detection_ms, from the event
    to the HA's first video datagram to the cell's care-of address (captured
    at the HA), and after_detection_ms, the rest of the added gap: the cell's
    longer path and its queue. The floor of the rest is the cell's extra
    one-way delay over wifi's."""
    t = analysis.first_after(ha_cell_pcap, t_ev)
    out = {"detection_ms": None if t is None else round((t - t_ev) * 1e3, 1)}
    if out["detection_ms"] is not None and added_gap_ms is not None:
        out["after_detection_ms"] = round(added_gap_ms - out["detection_ms"], 1)
    return out


def cell_link_losses(snd, rcv, ha_cell, mn_cell, t_from=0.0, t_to=float("inf")):
    """How many of the video's lost datagrams (sent in [t_from, t_to]) the HA
    did send to the cell and the MN's cell interface never saw: lost on the
    cell link, by its configured random loss (the testbeds' 0.1%) or in its
    radio queue. The bounds allow a few (bounds.LINK_LOSSES): more is no
    random loss but a full queue."""
    lost = {s & 0xFFFF for s, t in packets.lost_video(snd, rcv) if t_from <= t <= t_to}
    at_ha = {s for _t, s in packets.tunnelled_video(ha_cell)}
    at_mn = {s for _t, s in packets.tunnelled_video(mn_cell)}
    return len(lost & (at_ha - at_mn))


def handover_runs(bed, res, clip, one=None):
    """The planned and the cut handover, the daemons afresh for each;
    handover.{planned,cut} and DIR/emu-handover.png. With one = {"cell": KIND}
    (uplinks = one, the cell a hot or cold standby): handover_one.KIND.{planned,
    cut} and DIR/emu-handover-one-KIND.png instead."""
    d = max(8.0, bed.args.duration)
    panels = []
    out, png = res["handover"], "emu-handover.png"
    if one:
        out = res.setdefault("handover_one", {}).setdefault(one["cell"], {})
        png = "emu-handover-one-%s.png" % one["cell"]
    for kind in ("planned", "cut"):
        tag = "ho-" + kind + ("-one-" + one["cell"] if one else "")
        u = start_um3n(bed, tag, ["cell", "wifi"], rules=HANDOVER_POLICY, one=one)
        try:
            st, panel = handover_video(bed, kind, u, clip, d, tag)
            if one:
                st["uplinks_one"] = (u.show() or {}).get("handover")
        finally:
            u.stop()
        out[kind] = st
        panels.append(panel)
    plots.plot_handover(panels, os.path.join(bed.out, png))


def standby_runs(bed, res, clip):
    """The handover mode (uplinks = one) with a hot and with a cold cell, both
    handovers each: the cost of cold standby against hot, measured in one run."""
    for kind in ("hot", "cold"):
        handover_runs(bed, res, clip, one={"cell": kind})
    for kind in ("hot", "cold"):
        for ev in ("planned", "cut"):
            st = res["handover_one"][kind][ev]
            log("uplinks = one, %s cell, %-7s: added gap %s ms, lost %s of %s, late frames %s"
                % (kind, ev, st.get("added_gap_ms"), st.get("lost_packets"),
                   st.get("sent_packets"), st.get("late_frames")))


# ---------------------------------------------------------------- start and end of a run


def missing(build, tools):
    """Why a testbed cannot run here: daemons not built, tools not installed."""
    why = []
    if Um3n.missing(build):
        # Say how to get them: a fresh clone has no build directory yet.
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        why.append("daemons missing in %s/daemons (%s): build them with "
                   "`cmake -S %s -B %s && cmake --build %s -j2` (or point --build or "
                   "UM3N_BUILD at a build that has them)"
                   % (build, ",".join(Um3n.missing(build)), repo, build, build))
    for t in tools:
        if not have(t):
            why.append(t + " missing (run emu/setup.sh)")
    return why


def exit_cleanly_on_sigterm():
    """SIGTERM (a CI time limit) unwinds through the finally blocks, so every
    daemon, namespace and capture a testbed started is cleaned up."""
    def _raise(_sig, _frm):
        raise SystemExit(1)
    signal.signal(signal.SIGTERM, _raise)


def conclude(bed, res, ok, fig5_png, title, notes=()):
    """The end of every testbed run: the bounds into res, DIR/results.json,
    the Fig. 5 plot, the table beside the paper (then the testbed's notes);
    returns the exit status (finish)."""
    checks = bounds.check(res)
    res["bounds"] = [{"check": c, "holds": bool(h)} for c, h in checks]
    res["pass"] = ok and bool(checks) and all(h for _c, h in checks)
    write_json(os.path.join(bed.out, "results.json"), res)
    if res["runs"]:
        plots.plot_fig5(res, os.path.join(bed.out, fig5_png), title)
    if "3g" in res["runs"]:
        print("\n  %-14s %10s %10s" % ("Mbit/s", bed.label, "paper"))
        for n in ("3g", "wifi", "multihoming"):
            print("  %-14s %10.2f %10.2f" % (n, res["runs"].get(n, {}).get("goodput_mbps", 0), PAPER_MBPS[n]))
        for line in notes:
            print("  " + line)
    return finish(res, checks, bed.tmp, bed.out)


def finish(res, checks, tmp, out):
    """Prints the checks, removes tmp when everything passed (unless
    UM3N_KEEP_LOGS), names results.json; returns the exit status."""
    for c, h in checks:
        print("  [%s] %s" % ("ok" if h else "FAIL", c))
    if tmp and res["pass"] and not os.environ.get("UM3N_KEEP_LOGS"):
        subprocess.run(["rm", "-rf", tmp])
    else:
        print("logs kept in", tmp)
    print("results:", os.path.join(out, "results.json"), "PASS" if res["pass"] else "FAIL")
    return 0 if res["pass"] else 1


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def copy_if(src, dst):
    """Copy src to dst (a directory, or a file path ending in .png) if src exists."""
    if os.path.exists(src) and dst:
        os.makedirs(dst if not dst.endswith(".png") else os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)
