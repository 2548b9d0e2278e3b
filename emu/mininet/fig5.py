#!/usr/bin/python3
"""The paper's Fig. 5 in Mininet with the real um3n daemons and real applications.

  sudo python3 emu/mininet/fig5.py [--duration S] [--out DIR] [--build DIR]

Topology: emu/mininet/topo.py (Um3nTopo). Runs, each with the daemons started
afresh with the uplinks it names:
  3g           MN with only the cell uplink: vsftpd download with curl
  wifi         MN with only the wifi uplink: the same download
  multihoming  both uplinks, policy video server -> cell, rest -> wifi:
               FTP downloads from the FTP server and from the video server at once
then, beside them: iperf3 TCP through um3n on both uplinks at once, iperf3
UDP through um3n over wifi, plain routing without um3n (iperf3 TCP from each
uplink's own address), and a 720p30 ffmpeg stream to the MN over the cell
uplink (its policy) with lost packets / late frames / longest gap, and the
handover video test of emu/ns3 (planned: signal -85 dBm then wifi lost; cut:
wifi silently blackholed in the core router), and the paper's AP-off check
(emu/lib/apoff.py: video over cell by its rule, FTP over wifi, wifi lost).
Delay and loss need netem: detected; without it the testbed is rate-only and
says so. Writes DIR/results.json, DIR/pcap/*.pcap (each uplink),
DIR/emu-fig5.png, DIR/emu-handover.png. Exit 0 only when the bounds hold, 77 when it cannot run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)  # the one way to emu.lib: emu/lib/__init__.py
from emu.lib import apoff, apps, captures, links, runs  # noqa: E402
from emu.lib.analysis import pcap_bytes, video_stats  # noqa: E402
from emu.lib.nodes import MnHost, NsNode, has_netem, have, kill_namespace_procs, log, stop_procs  # noqa: E402


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30, help="seconds per run (default 30)")
    ap.add_argument("--out", default=os.path.join(REPO, "results", "emu-mininet"))
    ap.add_argument("--build", default=os.environ.get("UM3N_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--no-extras", action="store_true", help="only the three Fig. 5 runs")
    return ap.parse_args()


def netem_probe():
    """netem in a throwaway namespace (never touch the host's qdiscs)."""
    ns = "u3nm%d-probe" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        return has_netem(NsNode(ns))
    finally:
        subprocess.run(["ip", "netns", "del", ns])


class MininetBed(runs.Bed):
    """Um3nTopo's hosts for the shared runs; the wifi is cut in the core
    router (no netem here): a blackhole route to the MN's wifi address and a
    blackhole rule for what arrives from it. No carrier event reaches the MN:
    it must notice by itself, as with ns-3's error rate 1.0."""

    label = "Mininet"
    uplink_dev = {"cell": "mn-cell", "wifi": "mn-wifi"}
    video_dev = "video-eth0"
    ha_dev = "ha-dn"
    cut_label = "blackhole in the core router"

    def __init__(self, args, tmp, net):
        super().__init__(args, tmp)
        self.net = net
        self.mn, self.ha, self.ftp, self.video, self.core = (MnHost(net[n]) for n in
                                                             ("mn", "ha", "ftp", "video", "core"))

    def cut(self, on):
        verb = "add" if on else "del"
        wifi_addr = links.UPLINKS["wifi"][0]
        self.core.run(["ip", "route", verb, "blackhole", wifi_addr + "/32"], check=on, quiet=not on)
        self.core.run(["ip", "rule", verb, "iif", "core-wifi", "blackhole", "pref", "100"], check=on, quiet=not on)


def extra_runs(bed, res):
    d = int(bed.args.duration)
    mn = bed.mn
    # Plain routing, no tunnel: iperf3 from each uplink's own address, the
    # default route pointed at that uplink for the run.
    for l in ("cell", "wifi"):
        src, gw = links.UPLINKS[l][:2]
        mn.run(["ip", "route", "replace", "default", "via", gw, "dev", bed.uplink_dev[l]], check=False)
        r = runs.iperf_plain(bed, d, extra=("-B", src))
        res["runs"]["plain_%s_iperf3" % l] = r
        log("plain routing %s (no um3n): iperf3 TCP %.2f Mbit/s" % (l, r["goodput_mbps"]))
    mn.run(["ip", "route", "replace", "default", "via", links.UPLINKS["wifi"][1], "dev", "mn-wifi"], check=False)
    # um3n: iperf3 TCP to both servers at once, and UDP over wifi; video on cell.
    u = runs.start_um3n(bed, "extras", ["cell", "wifi"])
    try:
        mh = runs.iperf_multihoming(bed, d)
        res["runs"]["multihoming_iperf3"] = {"goodput_mbps": mh}
        srv = apps.start_iperf_server(bed.ftp)
        time.sleep(0.3)
        p = mn.run(["iperf3", "-c", links.FTP_ADDR, "-R", "-u", "-b", "14M", "-t", str(min(d, 10)), "-J"],
                   check=False, timeout=d + 30)
        stop_procs([srv])
        try:
            s = json.loads(p.stdout)["end"]["sum"]
            res["runs"]["udp_wifi_iperf3"] = {"offered_mbps": 14.0, "goodput_mbps": round(s["bits_per_second"] / 1e6, 3),
                                              "lost_percent": round(s["lost_percent"], 2)}
        except (ValueError, KeyError):
            res["runs"]["udp_wifi_iperf3"] = {"ok": False}
        log("um3n iperf3 TCP both servers %.2f Mbit/s; UDP over wifi %s" % (mh, res["runs"]["udp_wifi_iperf3"]))
        if have("ffmpeg"):
            res["video"] = video_run(bed, d)
    finally:
        u.stop()


def video_run(bed, d):
    """A 720p30 stream from the video server to the MN while the daemons run:
    the policy puts it on cell."""
    clip = apps.video_clip(os.path.join(bed.build_dir, "emu-cache"))
    snd, rcv = os.path.join(bed.pdir, "video-send.pcap"), os.path.join(bed.pdir, "video-recv.pcap")
    caps, paths = runs.uplink_caps(bed, "video")
    caps += [captures.capture(bed.video, bed.video_dev, snd, 1400, "udp port %d" % links.VIDEO_PORT),
             captures.capture(bed.mn, "um3n0", rcv, 1400, "udp port %d" % links.VIDEO_PORT)]
    captures.wait_captures_ready([snd, rcv])
    sink = apps.start_video_sink(bed.mn)
    tx = apps.start_video_sender(bed.video, clip, links.HOME_ADDR, min(d, 10))
    tx.wait(d + 30)
    time.sleep(0.5)
    stop_procs([sink] + caps)
    st = video_stats(snd, rcv)
    st["uplink_bytes"] = {l: pcap_bytes(p) for l, p in zip(runs.UPS, paths)}
    log("video over cell: lost %s of %s, late frames %s of %s, gap %s ms, uplink bytes %s" %
        (st.get("lost_packets"), st.get("sent_packets"), st.get("late_frames"), st.get("frames"),
         st.get("gap_ms"), st["uplink_bytes"]))
    return st


def main():
    runs.exit_cleanly_on_sigterm()
    a = parse()
    if os.geteuid() != 0:
        print("SKIP: emu/mininet needs root (Mininet)")
        return runs.SKIP
    try:
        from mininet.log import setLogLevel
        from mininet.net import Mininet
    except ImportError:
        print("SKIP: Mininet is not installed for /usr/bin/python3 (run emu/setup.sh)")
        return runs.SKIP
    from topo import Um3nTopo, bound_queues
    why = runs.missing(a.build, ("tcpdump", "curl", "vsftpd", "iperf3", "mnexec"))
    if why:
        print("SKIP: " + "; ".join(why))
        return runs.SKIP
    if not have("ffmpeg"):
        print("SKIP: emu/mininet video run: ffmpeg missing (emu/setup.sh)")
    netem, why_not = netem_probe()
    if netem:
        log("netem available: cell %d ms / %g %% loss, wifi %d ms, rates by htb" %
            (links.CELL_DELAY_MS, 100 * links.CELL_LOSS, links.WIFI_DELAY_MS))
    else:
        log("NO NETEM on this kernel (%s): rate-only testbed (htb bw=), no delay or loss" % why_not)
    os.makedirs(os.path.join(a.out, "pcap"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="um3n-mininet.")
    rate_only = " (rate only: no netem)"
    res = {"emulator": "Mininet (TCLink htb)", "duration_s": a.duration, "netem": netem,
           "links": {"cell": "%g Mbit/s" % links.CELL_MBPS + (", %d ms, %g%% loss" % (
                         links.CELL_DELAY_MS, 100 * links.CELL_LOSS) if netem else rate_only),
                     "wifi": "%g Mbit/s" % links.WIFI_MBPS + (", %d ms" % links.WIFI_DELAY_MS if netem else rate_only)},
           "paper_mbps": links.PAPER_MBPS, "runs": {}, "handover": {}}
    setLogLevel("warning")
    net = Mininet(topo=Um3nTopo(netem=netem), controller=None, autoSetMacs=True, waitConnected=False)
    bed = MininetBed(a, tmp, net)
    ok = False
    t_start = time.time()
    procs = []
    try:
        net.start()
        if not netem:
            bound_queues(net)
        procs += [apps.start_ftp_server(bed.ftp, links.FTP_ADDR, tmp),
                  apps.start_ftp_server(bed.video, links.VIDEO_ADDR, tmp)]
        time.sleep(0.3)
        runs.fig5_runs(bed, res)
        if not a.no_extras:
            extra_runs(bed, res)
            if have("ffmpeg"):
                clip = apps.video_clip(os.path.join(a.build, "emu-cache"))
                runs.handover_runs(bed, res, clip)
                apoff.apoff_run(bed, res, runs, clip)
        ok = True
    except Exception as e:
        res["error"] = repr(e)
        log("ERROR:", e)
    finally:
        stop_procs(procs)
        for h in net.hosts:
            kill_namespace_procs(MnHost(h), keep=(h.pid,))
        net.stop()
    res["wall_s"] = round(time.time() - t_start, 1)
    rc = runs.conclude(bed, res, ok, "emu-fig5.png", "Mininet + um3n daemons, %ds per run%s" %
                       (a.duration, "" if netem else " (rate only: no netem)"),
                       notes=() if netem else ("(rate only: this kernel has no netem, so no delay or loss)",))
    if res["runs"] and os.path.abspath(a.out) == os.path.join(REPO, "results", "emu-mininet"):
        runs.copy_if(os.path.join(a.out, "emu-fig5.png"), os.path.join(REPO, "results"))
        runs.copy_if(os.path.join(a.out, "emu-handover.png"), os.path.join(REPO, "results", "emu-mininet-handover.png"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
