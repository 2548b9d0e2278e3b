#!/usr/bin/python3
"""The paper's Fig. 4 testbed with ns-3 radio links (TapBridge) and the real
um3n daemons in network namespaces. Run through emu/ns3/run.sh.

   P-mn                         P-sim: um3n-ns3                     P-ha               P-inet           servers
 +-----------+  tap-cell 10.1.1.2 -- cell p2p 3.61M 50ms --+                                    +-- ftp   10.9.1.1
 | um3n-mn   |                                           [router]-- 1G --tap-ha 10.3.0.2 ==veth== inet 10.9.0.1 --+
 | um3n0     |  tap-wifi 10.1.2.2 -- wifi p2p 14.67M 5ms --+        (um3n-ha, uplink 10.9.0.2)    +-- video 10.9.2.1
 | 10.200.0.2|
 +-----------+   policy: video server (10.9.2.0/24) over cell, everything else over wifi

Runs: 3g (cell only), wifi (wifi only), multihoming (both, FTP downloads from
both servers at once), MPTCP baseline (mptcpize iperf3 over both links without
um3n, with um3n's iperf3 multihoming figure beside it), plain-routing wifi
baseline, and two handovers of a 720p30 video stream (planned: signal -85 dBm
then wifi lost; cut: wifi error rate 1.0); --only standby adds them with
uplinks = one, --only apoff the paper's AP-off check (video over cell by its
rule, FTP over wifi, the wifi lost: the video must not suffer). Writes DIR/results.json, pcaps,
plots; exit 0 only when the bounds hold, 77 when it cannot run here.
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
sys.path.insert(0, REPO)  # the one way to emu.lib: emu/lib/__init__.py
from emu.lib import aggruns, aggtrace, apoff, apps, links, runs  # noqa: E402
from emu.lib.captures import read_pcap, trim_pcap  # noqa: E402
from emu.lib.nodes import NsNode, have, kill_namespace_procs, log, stop_procs  # noqa: E402


def run_number(text):
    """--seed: ns-3's RngRun, a positive integer."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("a run number is an integer >= 1, not %r" % text)
    return n


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30, help="seconds per run (default 30)")
    ap.add_argument("--out", default=os.path.join(REPO, "results", "emu-ns3"))
    ap.add_argument("--build", default=os.environ.get("UM3N_BUILD", os.path.join(REPO, "build")))
    ap.add_argument("--cell", default=links.NS3_CELL, help="rate,delay,loss (%(default)s)")
    ap.add_argument("--wifi", default=links.NS3_WIFI, help="rate,delay,loss (%(default)s)")
    ap.add_argument("--queue", default=links.NS3_QUEUE, help="radio device queue (%(default)s)")
    ap.add_argument("--qdisc", default="fq_codel", choices=("fq_codel", "none"),
                    help="queue disc before the radio downlinks' device queues (%(default)s, ns-3's default)")
    ap.add_argument("--only", default="", help="comma list of: fig5,mptcp,handover,aggregate,aggregate-two,aggregate-trace,standby,apoff (default: the first four)")
    ap.add_argument("--cc", default="cubic,bbr", help="aggregate runs: congestion controls")
    ap.add_argument("--no-mptcp", action="store_true", help="aggregate and aggregate-trace runs: without the MPTCP baseline")
    ap.add_argument("--keep-captures", default="", help="copy small captures to this dir")
    ap.add_argument("--seed", type=run_number, default=1,
                    help="ns-3's run number (RngRun): which packets the links' loss rates drop (default 1)")
    return ap.parse_args()


class Testbed(runs.Bed):
    """The namespaces, ns-3 between them; the wifi is cut by an error rate of
    1.0 on ns-3's wifi link (a tap is never set down: ns-3 aborts)."""

    label = "ns-3"
    uplink_dev = {"cell": "tap-cell", "wifi": "tap-wifi"}
    video_dev = "eth0"
    ha_dev = "tap-ha"
    cut_label = "ns-3 error rate 1.0"

    def __init__(self, args, tmp):
        super().__init__(args, tmp)
        self.p = "u3s%d" % os.getpid()
        self.names = {r: "%s-%s" % (self.p, r) for r in ("mn", "ha", "inet", "ftp", "video", "sim")}
        self.nodes = {r: NsNode(n, r) for r, n in self.names.items()}
        self.mn, self.ha, self.ftp, self.video = (self.nodes[r] for r in ("mn", "ha", "ftp", "video"))
        self.inet, self.sim_ns = self.nodes["inet"], self.nodes["sim"]
        self.procs = []
        self.sim = None

    def cut(self, on):
        self.ns3("wifi loss %s" % ("1.0" if on else "0"))

    # ------------------------------------------------------------ topology
    def build(self):
        for r, ns in self.names.items():
            subprocess.run(["ip", "netns", "add", ns], check=True)
            n = self.nodes[r]
            n.run(["ip", "link", "set", "lo", "up"])
            # No IPv6: the taps' router solicitations would only be noise in
            # the captures (the testbed is IPv4, as the paper's).
            n.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                   "net.ipv4.conf.default.rp_filter=0", "net.ipv6.conf.all.disable_ipv6=1",
                   "net.ipv6.conf.default.disable_ipv6=1"])
        self.veth(self.ha, "ha-up", "10.9.0.2/24", self.inet, "in-ha", "10.9.0.1/24")
        self.veth(self.inet, "in-ftp", "10.9.1.254/24", self.ftp, "eth0", links.FTP_ADDR + "/24")
        self.veth(self.inet, "in-video", "10.9.2.254/24", self.video, "eth0", links.VIDEO_ADDR + "/24")
        self.ftp.run(["ip", "route", "add", "default", "via", "10.9.1.254"])
        self.video.run(["ip", "route", "add", "default", "via", "10.9.2.254"])
        self.inet.run(["ip", "route", "add", "default", "via", "10.9.0.2"])
        self.ha.run(["ip", "route", "add", "10.9.0.0/16", "via", "10.9.0.1"])
        self.start_ns3()
        self.adopt_tap("tap-cell", self.mn, "10.1.1.2/24")
        self.adopt_tap("tap-wifi", self.mn, "10.1.2.2/24")
        self.adopt_tap("tap-ha", self.ha, "10.3.0.2/24")
        self.ha.run(["ip", "route", "add", "10.1.0.0/16", "via", "10.3.0.1", "dev", "tap-ha", "onlink"])
        mn = self.mn
        mn.run(["ip", "route", "add", "10.3.0.2/32", "via", "10.1.1.1", "dev", "tap-cell", "onlink", "metric", "10"])
        mn.run(["ip", "route", "add", "10.3.0.2/32", "via", "10.1.2.1", "dev", "tap-wifi", "onlink", "metric", "20"])
        # Plain routing (baselines without um3n): default over wifi, and each
        # source address out of its own uplink (what MPTCP subflows need).
        mn.run(["ip", "route", "add", "default", "via", "10.1.2.1", "dev", "tap-wifi", "onlink"])
        for i, (dev, src, gw) in enumerate((("tap-cell", "10.1.1.2", "10.1.1.1"),
                                            ("tap-wifi", "10.1.2.2", "10.1.2.1"))):
            mn.run(["ip", "rule", "add", "from", src, "table", str(100 + i)])
            mn.run(["ip", "route", "add", "default", "via", gw, "dev", dev, "onlink", "table", str(100 + i)])

    def veth(self, n1, d1, a1, n2, d2, a2):
        subprocess.run(["ip", "link", "add", d1, "netns", n1.ns, "type", "veth", "peer", "name", d2,
                        "netns", n2.ns], check=True)
        for n, d, a in ((n1, d1, a1), (n2, d2, a2)):
            n.run(["ip", "addr", "add", a, "dev", d])
            n.run(["ip", "link", "set", d, "up"])

    def start_ns3(self):
        a = self.args
        (cr, cd, cl), (wr, wd, wl) = a.cell.split(","), a.wifi.split(",")
        self.ctl = os.path.join(self.tmp, "ns3.ctl")
        os.mkfifo(self.ctl)
        self.ns3_stats = os.path.join(self.tmp, "ns3-stats.json")
        self.ns3_log = open(os.path.join(self.tmp, "ns3.log"), "w")
        binary = os.path.join(a.build, "emu", "ns3", "um3n-ns3")
        self.sim = self.sim_ns.popen([binary, "--cellRate=" + cr, "--cellDelay=" + cd, "--cellLoss=" + cl,
                                      "--wifiRate=" + wr, "--wifiDelay=" + wd, "--wifiLoss=" + wl,
                                      "--queue=" + a.queue, "--qdisc=" + a.qdisc, "--ctl=" + self.ctl,
                                      "--stats=" + self.ns3_stats, "--RngRun=%d" % a.seed],
                                     stdout=self.ns3_log, stderr=subprocess.STDOUT)
        # Keep a writer open so the simulator's non-blocking reads never see EOF churn.
        self.ctl_w = open(self.ctl, "w")
        t0 = time.time()
        while time.time() - t0 < 15:
            p = self.sim_ns.run(["ip", "-o", "link"], check=False, quiet=True)
            if all(t in p.stdout for t in ("tap-cell", "tap-wifi", "tap-ha")):
                break
            if self.sim.poll() is not None:
                raise RuntimeError("um3n-ns3 exited: " + open(self.ns3_log.name).read()[-500:])
            time.sleep(0.1)
        else:
            raise RuntimeError("um3n-ns3 did not create its taps")
        time.sleep(0.3)

    def adopt_tap(self, tap, node, addr):
        # Moving the tap drops its address and state; ns-3 keeps its fd. The
        # tap is never set down afterwards (ns-3 aborts on that).
        self.sim_ns.run(["ip", "link", "set", tap, "netns", node.ns])
        node.run(["ip", "addr", "add", addr, "dev", tap])
        node.run(["ip", "link", "set", tap, "arp", "off"])
        node.run(["ip", "link", "set", tap, "up"])

    def ns3(self, cmd):
        self.ctl_w.write(cmd + "\n")
        self.ctl_w.flush()

    def cleanup(self):
        stop_procs(self.procs)
        if self.sim and self.sim.poll() is None:
            try:
                self.ns3("quit")
                self.sim.wait(5)
            except Exception:
                pass
            stop_procs([self.sim])
        if getattr(self, "ctl_w", None):
            try:
                self.ctl_w.close()
            except OSError:
                pass
        for r, ns in self.names.items():
            kill_namespace_procs(self.nodes[r])
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def mptcp_runs(tb, res):
    d = int(tb.args.duration)
    # um3n multihoming with iperf3 (the same tool as the MPTCP baseline).
    u = runs.start_um3n(tb, "iperf-mh", ["cell", "wifi"])
    try:
        mh = runs.iperf_multihoming(tb, d)
    finally:
        u.stop()
    res["runs"]["multihoming_iperf3"] = {"goodput_mbps": mh}
    # Plain routing over wifi, no tunnel: what um3n's encapsulation costs.
    plain = runs.iperf_plain(tb, d)
    res["runs"]["plain_wifi_iperf3"] = plain
    # Linux kernel MPTCP, an endpoint on each uplink, over the same ns-3 links.
    aggruns.mptcp_setup(tb)
    r = aggruns.mptcp_captured(tb, runs, "mptcp", d)
    r["um3n_multihoming_iperf3_mbps"] = mh
    res["mptcp"] = r
    log("MPTCP (mptcpize iperf3) %.2f Mbit/s, uplinks %s; um3n multihoming iperf3 %.2f; plain wifi %.2f"
        % (r["goodput_mbps"], r["uplink_mbps"], mh, plain["goodput_mbps"]))


def keep_captures(out, res, dst):
    """Small captures of this run for traces/captures/ (simulator replay
    inputs): see traces/captures/README.md."""
    os.makedirs(dst, exist_ok=True)
    pdir = os.path.join(out, "pcap")
    kept = {}
    cut = res["handover"].get("cut")
    if cut:
        t_cut = cut["t0_unix"] + cut["events_s"][0][0]
        for name, src, snap, lo, hi in (
                ("ns3-video-720p30-send.pcap", "ho-cut-video-send.pcap", 256, None, None),
                ("ns3-video-720p30-recv-cut.pcap", "ho-cut-video-recv.pcap", 64, None, None),
                ("ns3-wifi-uplink-cut.pcap", "ho-cut-wifi.pcap", 96, t_cut - 1.0, t_cut + 1.0)):
            kept[name] = trim_pcap(os.path.join(pdir, src), os.path.join(dst, name), snap, lo, hi)
    tun = os.path.join(pdir, "wifi-tun.pcap")
    if os.path.exists(tun):
        ts = [t for t, _ in read_pcap(tun)]
        if ts:
            mid = (ts[0] + ts[-1]) / 2
            kept["ns3-ftp-wifi-tun.pcap"] = trim_pcap(tun, os.path.join(dst, "ns3-ftp-wifi-tun.pcap"),
                                                      64, mid - 1.5, mid + 1.5)
    runs.write_json(os.path.join(dst, "results.json"), res)
    log("captures kept in %s: %s" % (dst, kept))
    return kept


def sim_compare(a, res):
    """um3n-sim replaying this run's video capture over the same links (see
    compare_sim.py); a report, not a bound."""
    sim = os.path.join(a.build, "sim", "um3n-sim")
    if not os.access(sim, os.X_OK):
        return {"skipped": "um3n-sim not built"}
    runs.write_json(os.path.join(a.out, "results.json"), res)
    p = subprocess.run([apps.PY, os.path.join(HERE, "compare_sim.py"), "--ns3", a.out, "--sim", sim],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    print(p.stdout.rstrip())
    try:
        return json.load(open(os.path.join(a.out, "sim-compare", "sim-compare.json")))
    except (OSError, ValueError):
        return {"failed": p.stdout[-300:]}


def main():
    runs.exit_cleanly_on_sigterm()
    a = parse()
    if os.geteuid() != 0:
        print("SKIP: emu/ns3 needs root (network namespaces, taps)")
        return runs.SKIP
    why = runs.missing(a.build, ("tcpdump", "curl", "vsftpd", "iperf3"))
    if not os.access(os.path.join(a.build, "emu", "ns3", "um3n-ns3"), os.X_OK):
        why.append("um3n-ns3 not built (libns3-dev missing? run emu/setup.sh)")
    if why:
        print("SKIP: " + "; ".join(why))
        return runs.SKIP
    only = set(a.only.split(",")) if a.only else {"fig5", "mptcp", "handover", "aggregate"}
    skipped = {}
    for part, tool in (("handover", "ffmpeg"), ("standby", "ffmpeg"), ("apoff", "ffmpeg"), ("mptcp", "mptcpize"),
                       ("aggregate", "mptcpize")):
        if part in only and not have(tool):
            only.discard(part)
            skipped[part] = tool + " missing (emu/setup.sh)"
            print("SKIP: emu/ns3 %s runs: %s" % (part, skipped[part]))
    if not only:
        print("SKIP: nothing left to run")
        return runs.SKIP
    os.makedirs(os.path.join(a.out, "pcap"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="um3n-ns3.")
    tb = Testbed(a, tmp)
    res = {"emulator": "ns-3 3.37 TapBridge", "duration_s": a.duration, "seed": a.seed,
           "links": {"cell": a.cell, "wifi": a.wifi, "queue": a.queue, "qdisc": a.qdisc},
           "paper_mbps": links.PAPER_MBPS, "runs": {}, "handover": {}, "skipped": skipped}
    ok = False
    t_start = time.time()
    try:
        clip = apps.video_clip(os.path.join(a.build, "emu-cache")) \
            if only & {"handover", "standby", "apoff"} else None
        tb.build()
        tb.procs += [apps.start_ftp_server(tb.ftp, links.FTP_ADDR, tmp),
                     apps.start_ftp_server(tb.video, links.VIDEO_ADDR, tmp)]
        time.sleep(0.3)
        if "fig5" in only:
            runs.fig5_runs(tb, res, tun=True)
        if "mptcp" in only:
            mptcp_runs(tb, res)
        if "handover" in only:
            runs.handover_runs(tb, res, clip)
        if "standby" in only:
            runs.standby_runs(tb, res, clip)
        if "apoff" in only:
            apoff.apoff_run(tb, res, runs, clip)
        if "aggregate" in only:
            aggruns.aggregate_runs(tb, res, runs, ccs=a.cc.split(","), mptcp=not a.no_mptcp)
        if "aggregate-two" in only:
            for cc in a.cc.split(","):
                aggruns.two_flows_run(tb, res, runs, cc)
        if "aggregate-trace" in only:
            for cc in a.cc.split(","):
                aggtrace.trace_runs(tb, res, runs, cc)
        if a.keep_captures:
            res["captures_kept"] = keep_captures(a.out, res, a.keep_captures)
        ok = True
    except Exception as e:  # report, clean up, fail
        res["error"] = repr(e)
        log("ERROR:", e)
    finally:
        tb.cleanup()
    try:
        res["ns3_stats"] = json.load(open(tb.ns3_stats))
    except (OSError, ValueError, AttributeError):
        pass
    res["wall_s"] = round(time.time() - t_start, 1)
    if ok and "cut" in res["handover"]:
        res["sim_compare"] = sim_compare(a, res)
    notes = []
    for cc, agg in sorted(res.get("aggregate", {}).items()):
        cap = ("; headers allow %.1f%%" % (100 * agg["header_cap"])) if "header_cap" in agg else ""
        notes.append("%-14s %10.2f %10s   (one iperf3 %s flow, policy mode aggregate: %.0f%% of "
                     "3g + wifi, %.0f%% of MPTCP%s)" % ("aggregate", agg["goodput_mbps"], "-", cc,
                                                       100 * agg["of_sum"], 100 * agg["of_mptcp"], cap))
    if "mptcp" in res:
        notes.append("%-14s %10.2f %10s   (um3n iperf3 multihoming %.2f)" %
                     ("Linux MPTCP", res["mptcp"]["goodput_mbps"], "-",
                      res["runs"]["multihoming_iperf3"]["goodput_mbps"]))
    rc = runs.conclude(tb, res, ok, "emu-ns3-fig5.png", "ns-3 TapBridge + um3n daemons, %ds per run" % a.duration,
                       notes)
    if os.path.abspath(a.out) == os.path.join(REPO, "results", "emu-ns3"):
        for f in ("emu-ns3-fig5.png", "emu-handover.png"):
            runs.copy_if(os.path.join(a.out, f), os.path.join(REPO, "results"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
