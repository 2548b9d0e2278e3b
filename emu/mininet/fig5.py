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
wifi silently blackholed in the core router).
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
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import um3n_apps as A  # noqa: E402

SKIP = 77


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
        return A.has_netem(A.NsNode(ns))
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def daemons(net, tmp, build, tag, uplinks, rules=(("10.9.2.0/24", "cell"),), default="wifi"):
    ups = {"cell": ("cell", "mn-cell", "cell", 1, 3610), "wifi": ("wifi", "mn-wifi", "wifi", 0, 14670)}
    u = A.Um3n(build, tmp, A.MnHost(net["mn"]), A.MnHost(net["ha"]), "10.3.0.2",
               [ups[x] for x in uplinks], default, list(rules))
    if not u.start(tag):
        u.stop()
        raise RuntimeError("%s: the MN did not register (logs in %s)" % (tag, tmp))
    return u


def uplink_caps(mn, tag, pdir):
    paths = [os.path.join(pdir, "%s-%s.pcap" % (tag, l)) for l in ("cell", "wifi")]
    caps = [A.capture(mn, "mn-" + l, p, 96) for l, p in zip(("cell", "wifi"), paths)]
    A.wait_captures_ready(paths)
    return caps, paths


def fig5_runs(net, tmp, a, res):
    d = int(a.duration)
    mn = A.MnHost(net["mn"])
    pdir = os.path.join(a.out, "pcap")
    plan = {"3g": (["cell"], "cell", [A.FTP_ADDR]),
            "wifi": (["wifi"], "wifi", [A.FTP_ADDR]),
            "multihoming": (["cell", "wifi"], "wifi", [A.FTP_ADDR, A.VIDEO_ADDR])}
    for name, (ups, default, servers) in plan.items():
        u = daemons(net, tmp, a.build, name, ups, default=default)
        try:
            caps, paths = uplink_caps(mn, name, pdir)
            dls = [A.start_ftp_download(mn, s, d, os.path.join(tmp, "curl-%s-%s" % (name, s))) for s in servers]
            per = {s: A.finish_ftp_download(p) for s, p in zip(servers, dls)}
            A.stop_procs(caps)
        finally:
            u.stop()
        on = {l: A.pcap_mbps(p) for l, p in zip(("cell", "wifi"), paths)}
        total = sum(r["goodput_mbps"] for r in per.values())
        res["runs"][name] = {"goodput_mbps": round(total, 3), "ftp": per, "uplink_mbps": on,
                             "ok": all(r["ok"] for r in per.values()), "reg_s": round(u.reg_s, 2)}
        A.log("%-12s FTP %.2f Mbit/s (paper %.2f); on the uplinks: %s" % (name, total, A.PAPER_MBPS[name], on))


def extra_runs(net, tmp, a, res):
    d = int(a.duration)
    mn, ftp, video = (A.MnHost(net[n]) for n in ("mn", "ftp", "video"))
    # Plain routing, no tunnel: iperf3 from each uplink's own address, the
    # default route pointed at that uplink for the run.
    for l, src, gw in (("cell", "10.1.1.2", "10.1.1.1"), ("wifi", "10.1.2.2", "10.1.2.1")):
        srv = A.start_iperf_server(ftp)
        time.sleep(0.3)
        mn.run(["ip", "route", "replace", "default", "via", gw, "dev", "mn-" + l], check=False)
        r = A.iperf_download(mn, A.FTP_ADDR, d, extra=("-B", src))
        A.stop_procs([srv])
        res["runs"]["plain_%s_iperf3" % l] = r
        A.log("plain routing %s (no um3n): iperf3 TCP %.2f Mbit/s" % (l, r["goodput_mbps"]))
    mn.run(["ip", "route", "replace", "default", "via", "10.1.2.1", "dev", "mn-wifi"], check=False)
    # um3n: iperf3 TCP to both servers at once, and UDP over wifi; video on cell.
    u = daemons(net, tmp, a.build, "extras", ["cell", "wifi"])
    try:
        srv = [A.start_iperf_server(video), A.start_iperf_server(ftp)]
        time.sleep(0.3)
        outs = [os.path.join(tmp, "ipmh-%s.json" % s) for s in ("video", "ftp")]
        ps = [mn.popen(["iperf3", "-c", s, "-R", "-t", str(d), "-O", "1", "-J"], stdout=open(o, "w"),
                       stderr=subprocess.DEVNULL) for s, o in zip((A.VIDEO_ADDR, A.FTP_ADDR), outs)]
        for p in ps:
            p.wait(d + 30)
        A.stop_procs(srv)
        mh = A.iperf_sum_mbps(outs)
        res["runs"]["multihoming_iperf3"] = {"goodput_mbps": mh}
        srv = A.start_iperf_server(ftp)
        time.sleep(0.3)
        p = mn.run(["iperf3", "-c", A.FTP_ADDR, "-R", "-u", "-b", "14M", "-t", str(min(d, 10)), "-J"],
                   check=False, timeout=d + 30)
        A.stop_procs([srv])
        try:
            s = json.loads(p.stdout)["end"]["sum"]
            res["runs"]["udp_wifi_iperf3"] = {"offered_mbps": 14.0, "goodput_mbps": round(s["bits_per_second"] / 1e6, 3),
                                              "lost_percent": round(s["lost_percent"], 2)}
        except (ValueError, KeyError):
            res["runs"]["udp_wifi_iperf3"] = {"ok": False}
        A.log("um3n iperf3 TCP both servers %.2f Mbit/s; UDP over wifi %s" % (mh, res["runs"]["udp_wifi_iperf3"]))
        # Video: policy puts the video server on cell.
        if not A.have("ffmpeg"):
            return
        clip = A.video_clip(os.path.join(a.build, "emu-cache"))
        pdir = os.path.join(a.out, "pcap")
        snd, rcv = os.path.join(pdir, "video-send.pcap"), os.path.join(pdir, "video-recv.pcap")
        caps, paths = uplink_caps(mn, "video", pdir)
        caps += [A.capture(video, "video-eth0", snd, 1400, "udp port %d" % A.VIDEO_PORT),
                 A.capture(mn, "um3n0", rcv, 1400, "udp port %d" % A.VIDEO_PORT)]
        A.wait_captures_ready([snd, rcv])
        sink = A.start_video_sink(mn)
        tx = A.start_video_sender(video, clip, A.HOME_ADDR, min(d, 10))
        tx.wait(d + 30)
        time.sleep(0.5)
        A.stop_procs([sink] + caps)
        st = A.video_stats(snd, rcv)
        st["uplink_bytes"] = {l: A.pcap_bytes(p) for l, p in zip(("cell", "wifi"), paths)}
        res["video"] = st
        A.log("video over cell: lost %s of %s, late frames %s of %s, gap %s ms, uplink bytes %s" %
              (st.get("lost_packets"), st.get("sent_packets"), st.get("late_frames"), st.get("frames"),
               st.get("gap_ms"), st["uplink_bytes"]))
    finally:
        u.stop()


def handover_runs(net, tmp, a, res):
    """The handover video test as in emu/ns3, the wifi taken away silently in
    the core router (no netem here): a blackhole route to the MN's wifi
    address and a blackhole rule for what arrives from it. No carrier event
    reaches the MN: it must notice by itself, as with ns-3's error rate 1.0."""
    d = max(8.0, a.duration)
    core = A.MnHost(net["core"])
    clip = A.video_clip(os.path.join(a.build, "emu-cache"))

    def cut(on):
        verb = "add" if on else "del"
        core.run(["ip", "route", verb, "blackhole", "10.1.2.2/32"], check=on, quiet=not on)
        core.run(["ip", "rule", verb, "iif", "core-wifi", "blackhole", "pref", "100"], check=on, quiet=not on)

    panels = []
    for kind in ("planned", "cut"):
        # The video flow must ride on wifi to be handed over: here its rule says wifi.
        u = daemons(net, tmp, a.build, "ho-" + kind, ["cell", "wifi"], rules=(("10.9.2.0/24", "wifi"),))
        try:
            st, panel = A.handover_video(kind, u, A.MnHost(net["mn"]), A.MnHost(net["video"]), "video-eth0",
                                         ("mn-cell", "mn-wifi"), clip, d, os.path.join(a.out, "pcap"), cut,
                                         "blackhole in the core router")
        finally:
            u.stop()
        res["handover"][kind] = st
        panels.append(("Mininet " + panel[0],) + panel[1:])
    A.plot_handover(panels, os.path.join(a.out, "emu-handover.png"))


def bounds(res):
    b = A.fig5_bounds(res["runs"])
    v = res.get("video")
    if v:
        ub = v.get("uplink_bytes", {})
        b.append(("video rides the cell uplink (cell %s B, wifi %s B)" % (ub.get("cell"), ub.get("wifi")),
                  ub.get("cell", 0) > 4 * ub.get("wifi", 1)))
        b.append(("video: lost <= 1%% (%s of %s)" % (v.get("lost_packets"), v.get("sent_packets")),
                  v.get("ok") and v["lost_packets"] <= max(3, v["sent_packets"] // 100)))
    b += A.handover_bounds(res.get("handover", {}))
    return b


def main():
    A.exit_cleanly_on_sigterm()
    a = parse()
    if os.geteuid() != 0:
        print("SKIP: emu/mininet needs root (Mininet)")
        return SKIP
    try:
        from mininet.log import setLogLevel
        from mininet.net import Mininet
    except ImportError:
        print("SKIP: Mininet is not installed for /usr/bin/python3 (run emu/setup.sh)")
        return SKIP
    from topo import Um3nTopo, bound_queues
    why = []
    if A.Um3n.missing(a.build):
        why.append("daemons missing in %s/daemons (%s)" % (a.build, ",".join(A.Um3n.missing(a.build))))
    for t in ("tcpdump", "curl", "vsftpd", "iperf3", "mnexec"):
        if not A.have(t):
            why.append(t + " missing (run emu/setup.sh)")
    if why:
        print("SKIP: " + "; ".join(why))
        return SKIP
    if not A.have("ffmpeg"):
        print("SKIP: emu/mininet video run: ffmpeg missing (emu/setup.sh)")
    netem, why_not = netem_probe()
    if netem:
        A.log("netem available: cell 50 ms / 0.1 % loss, wifi 5 ms, rates by htb")
    else:
        A.log("NO NETEM on this kernel (%s): rate-only testbed (htb bw=), no delay or loss" % why_not)
    os.makedirs(os.path.join(a.out, "pcap"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="um3n-mininet.")
    res = {"emulator": "Mininet (TCLink htb)", "duration_s": a.duration, "netem": netem,
           "links": {"cell": "3.61 Mbit/s" + (", 50 ms, 0.1% loss" if netem else " (rate only: no netem)"),
                     "wifi": "14.67 Mbit/s" + (", 5 ms" if netem else " (rate only: no netem)")},
           "paper_mbps": A.PAPER_MBPS, "runs": {}, "handover": {}}
    setLogLevel("warning")
    net = Mininet(topo=Um3nTopo(netem=netem), controller=None, autoSetMacs=True, waitConnected=False)
    ok = False
    t_start = time.time()
    procs = []
    try:
        net.start()
        if not netem:
            bound_queues(net)
        procs += [A.start_ftp_server(A.MnHost(net["ftp"]), A.FTP_ADDR, tmp),
                  A.start_ftp_server(A.MnHost(net["video"]), A.VIDEO_ADDR, tmp)]
        time.sleep(0.3)
        fig5_runs(net, tmp, a, res)
        if not a.no_extras:
            extra_runs(net, tmp, a, res)
            if A.have("ffmpeg"):
                handover_runs(net, tmp, a, res)
        ok = True
    except Exception as e:
        res["error"] = repr(e)
        A.log("ERROR:", e)
    finally:
        A.stop_procs(procs)
        for h in net.hosts:
            A.kill_namespace_procs(A.MnHost(h), keep=(h.pid,))
        net.stop()
    res["wall_s"] = round(time.time() - t_start, 1)
    checks = bounds(res)
    res["bounds"] = [{"check": c, "holds": bool(h)} for c, h in checks]
    res["pass"] = ok and bool(checks) and all(h for _c, h in checks)
    A.write_json(os.path.join(a.out, "results.json"), res)
    if res["runs"]:
        A.plot_fig5(res, os.path.join(a.out, "emu-fig5.png"),
                    "Mininet + um3n daemons, %ds per run%s" % (a.duration, "" if netem else " (rate only: no netem)"))
        if os.path.abspath(a.out) == os.path.join(REPO, "results", "emu-mininet"):
            A.copy_if(os.path.join(a.out, "emu-fig5.png"), os.path.join(REPO, "results"))
            A.copy_if(os.path.join(a.out, "emu-handover.png"), os.path.join(REPO, "results", "emu-mininet-handover.png"))
    if "3g" in res["runs"]:
        print("\n  %-14s %10s %10s" % ("Mbit/s", "Mininet", "paper"))
        for n in ("3g", "wifi", "multihoming"):
            print("  %-14s %10.2f %10.2f" % (n, res["runs"].get(n, {}).get("goodput_mbps", 0), A.PAPER_MBPS[n]))
        if not netem:
            print("  (rate only: this kernel has no netem, so no delay or loss)")
    return A.finish(res, checks, tmp, a.out)


if __name__ == "__main__":
    sys.exit(main())
