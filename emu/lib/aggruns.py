"""One TCP flow aggregated over both uplinks (policy mode `aggregate`) against
each uplink alone through the tunnel and against Linux kernel MPTCP over the
same links, with each congestion control asked for (iperf3 -C): issue 11's
measurement. Every figure of one congestion control comes from the same
testbed run, back to back, so they compare as ratios."""
import json
import subprocess
import time

from . import apps, links
from .analysis import payload_share, pcap_mbps
from .tcpinfo import Sampler
from .nodes import log, stop_procs

AGG_RULE = ("10.9.1.0/24", "wifi aggregate")


def mptcp_setup(bed):
    """Kernel MPTCP on the MN and the ftp server, an extra subflow endpoint on
    the cell uplink (the wifi is the default route's)."""
    for n in (bed.mn, bed.ftp):
        n.run(["sysctl", "-qw", "net.mptcp.enabled=1"])
        n.run(["ip", "mptcp", "limits", "set", "subflow", "4", "add_addr_accepted", "4"])
    bed.mn.run(["ip", "mptcp", "endpoint", "flush"], check=False)
    bed.mn.run(["ip", "mptcp", "endpoint", "add", links.UPLINKS["cell"][0], "dev",
                bed.uplink_dev["cell"], "subflow"])


def iperf_mptcp(bed, d, extra=()):
    srv = bed.ftp.popen(["mptcpize", "run", "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    tcp = Sampler(bed.ftp, "10.1.0.0/16").start()  # the subflows go to the uplinks' addresses
    r = apps.iperf_download(bed.mn, links.FTP_ADDR, d, wrapper=("mptcpize", "run"), extra=extra)
    r["sender_tcp"] = tcp.stop()  # the busiest subflow
    stop_procs([srv])
    return r


def _tunnel_run(bed, runs, tag, ups, rules, d, cc):
    """iperf3 -R from the ftp server through um3n with the uplinks ups; the
    goodput, each uplink's Mbit/s on the wire, and the MN's reorder counters."""
    u = runs.start_um3n(bed, tag, ups, rules=rules)
    try:
        caps, paths = runs.uplink_caps(bed, tag)
        srv = apps.start_iperf_server(bed.ftp)
        time.sleep(0.3)
        tcp = Sampler(bed.ftp, links.HOME_ADDR).start()
        r = apps.iperf_download(bed.mn, links.FTP_ADDR, d, extra=("-C", cc))
        r["sender_tcp"] = tcp.stop()
        stop_procs([srv] + caps)
        show = u.show() or {}
        ha_show = u.show("ha") or {}
    finally:
        u.stop()
    r["uplink_mbps"] = {l: pcap_mbps(p) for l, p in zip(runs.UPS, paths)}
    r["payload_share"] = payload_share(paths)
    if "reorder" in show:
        r["reorder"] = show["reorder"]
    if "reorder" in ha_show:
        r["ha_reorder"] = ha_show["reorder"]
    # Repair requests (core/arq.h): the MN's, and the HA's toward this MN.
    if "arq" in show:
        r["arq"] = show["arq"]
    mns = ha_show.get("bindings") or []
    if mns and "arq" in mns[0]:
        r["ha_arq"] = mns[0]["arq"]
    # The HA's rate estimate per downlink (core/rateest.h): its windows and
    # probes say how often the scheduler's shares were moved to look for more.
    if mns:
        r["ha_rate"] = {l.get("class", "?"): l["rate"] for l in mns[0].get("links") or []
                        if isinstance(l, dict) and isinstance(l.get("rate"), dict)}
    return r


def mptcp_captured(bed, runs, tag, d, extra=()):
    """iperf_mptcp with the MN's uplinks captured (pcap/TAG-*.pcap): its wire
    Mbit/s per link and the payload it carries per byte sent
    (analysis.payload_share)."""
    caps, paths = runs.uplink_caps(bed, tag)
    try:
        r = iperf_mptcp(bed, d, extra=extra)
    finally:
        stop_procs(caps)
    r["uplink_mbps"] = {l: pcap_mbps(p) for l, p in zip(runs.UPS, paths)}
    r["payload_share"] = payload_share(paths)
    return r


def _header_cap(one):
    """The aggregated flow's ceiling against MPTCP set by headers alone: its
    TCP payload per byte on the links over MPTCP's (outer IP, UDP and
    tunnel headers and probes against MPTCP's DSS option), and its share of
    MPTCP's goodput within that ceiling. Empty without both captures."""
    a, m = one["aggregate"].get("payload_share"), one["mptcp"].get("payload_share")
    if not a or not m or not one["mptcp"]["goodput_mbps"]:
        return {}
    cap = a / m
    got = one["aggregate"]["goodput_mbps"] / one["mptcp"]["goodput_mbps"]
    return {"header_cap": round(cap, 4), "of_mptcp_capped": round(got / cap, 3)}


def _streams(report):
    """Per stream of an iperf3 -J -i report: goodput and the longest stall
    (consecutive intervals that delivered nothing)."""
    out = {}
    for iv in report.get("intervals", []):
        for st in iv.get("streams", []):
            o = out.setdefault(st["socket"], {"bytes": 0, "stall_s": 0.0, "run_s": 0.0})
            o["bytes"] += st["bytes"]
            o["run_s"] = o["run_s"] + st["seconds"] if st["bytes"] == 0 else 0.0
            o["stall_s"] = max(o["stall_s"], o["run_s"])
    secs = report.get("end", {}).get("sum_received", {}).get("seconds", 0) or 1
    return [{"goodput_mbps": round(o["bytes"] * 8 / secs / 1e6, 3),
             "longest_stall_ms": round(o["stall_s"] * 1000)} for o in out.values()]


def two_flows_run(bed, res, runs, cc="cubic"):
    """Two TCP flows at once over the aggregate rule (iperf3 -P 2, 100 ms
    intervals): each flow's goodput and longest stall, so that a loss in one
    (run the testbed with cell loss, e.g. --cell 3.61Mbps,50ms,0.01) is seen
    not to stall the other."""
    d = int(bed.args.duration)
    u = runs.start_um3n(bed, "agg2-" + cc, ["cell", "wifi"], rules=list(runs.POLICY) + [AGG_RULE])
    try:
        srv = apps.start_iperf_server(bed.ftp)
        time.sleep(0.3)
        p = bed.mn.run(["iperf3", "-c", links.FTP_ADDR, "-R", "-t", str(d), "-O", "1", "-P", "2",
                        "-i", "0.1", "-J", "-C", cc], check=False, quiet=True, timeout=d + 30)
        stop_procs([srv])
        show = u.show() or {}
    finally:
        u.stop()
    try:
        flows = _streams(json.loads(p.stdout))
    except ValueError:
        flows = []
    r = {"cc": cc, "flows": flows, "reorder": show.get("reorder")}
    res.setdefault("aggregate_two_flows", {})[cc] = r
    log("two aggregated %s flows: %s" % (cc, flows))
    return r


def aggregate_runs(bed, res, runs, ccs=("cubic", "bbr"), mptcp=True):
    """res["aggregate"][cc]: goodput_mbps of the aggregated flow, 3g_mbps and
    wifi_mbps (one uplink through the tunnel), mptcp_mbps, and the ratios the
    issue's goals name (to the sum of the single links, to MPTCP)."""
    d = int(bed.args.duration)
    agg = res.setdefault("aggregate", {})
    if mptcp:
        mptcp_setup(bed)
    for cc in ccs:
        one = {}
        one["3g"] = _tunnel_run(bed, runs, "agg-3g-" + cc, ["cell"], runs.POLICY, d, cc)
        one["wifi"] = _tunnel_run(bed, runs, "agg-wifi-" + cc, ["wifi"], runs.POLICY, d, cc)
        one["aggregate"] = _tunnel_run(bed, runs, "agg-" + cc, ["cell", "wifi"],
                                       list(runs.POLICY) + [AGG_RULE], d, cc)
        one["mptcp"] = (mptcp_captured(bed, runs, "agg-%s-mptcp" % cc, d, ("-C", cc))
                        if mptcp else {"goodput_mbps": 0})
        g = {k: one[k]["goodput_mbps"] for k in one}
        total = g["3g"] + g["wifi"]
        agg[cc] = {"goodput_mbps": g["aggregate"], "3g_mbps": g["3g"], "wifi_mbps": g["wifi"],
                   "mptcp_mbps": g["mptcp"],
                   "of_sum": round(g["aggregate"] / total, 3) if total else 0,
                   "of_mptcp": round(g["aggregate"] / g["mptcp"], 3) if g["mptcp"] else 0,
                   "of_wifi": round(g["aggregate"] / g["wifi"], 3) if g["wifi"] else 0,
                   "runs": one}
        agg[cc].update(_header_cap(one))
        log("aggregate %-5s %.2f Mbit/s (uplinks %s); 3g %.2f wifi %.2f sum %.2f; MPTCP %.2f"
            % (cc, g["aggregate"], one["aggregate"]["uplink_mbps"], g["3g"], g["wifi"], total,
               g["mptcp"]))
        if "header_cap" in agg[cc]:
            log("aggregate %-5s TCP payload per byte sent: %.4f through the tunnel, %.4f MPTCP: "
                "at MPTCP's wire rate the tunnel carries at most %.1f%% of its goodput; the flow "
                "got %.1f%% of MPTCP, %.1f%% of that" % (
                    cc, one["aggregate"]["payload_share"], one["mptcp"]["payload_share"],
                    100 * agg[cc]["header_cap"], 100 * agg[cc]["of_mptcp"],
                    100 * agg[cc]["of_mptcp_capped"]))
        t = one["aggregate"].get("sender_tcp", {})
        log("aggregate %-5s sender: cwnd p50 %s, srtt p50 %s ms, min_rtt %s ms, retransmitted %s%s"
            % (cc, t.get("cwnd_p50"), t.get("rtt_ms_p50"), t.get("minrtt_ms"), t.get("retrans"),
               ", BBR bw p50 %s Mbit/s" % t["bbr_bw_mbps_p50"] if "bbr_bw_mbps_p50" in t else ""))
        a = one["aggregate"].get("arq")
        if a:
            log("aggregate %-5s repairs: the MN asked %d, %d repaired, %d unanswered, %d over "
                "budget, %d too late; the HA re-sent %d"
                % (cc, a["asked"], a["repaired"], a["unanswered"], a["over_budget"],
                   a["too_late"], one["aggregate"].get("ha_arq", {}).get("repairs_sent", 0)))
        rates = one["aggregate"].get("ha_rate") or {}
        if rates:
            log("aggregate %-5s the HA's rate estimates: %s" % (cc, "; ".join(
                "%s %s kbit/s, %s probes in %s windows (%s full)"
                % (c, r.get("rate_kbps"), r.get("probes"), r.get("windows"), r.get("full"))
                for c, r in sorted(rates.items()))))
    return agg
