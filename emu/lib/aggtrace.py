"""One TCP flow aggregated over a real-trace pair in the ns-3 testbed: the
cell and WiFi links' rates follow traces/links/ second by second (set through
the simulator's control FIFO), and the flow runs twice, with the rates the
daemons measure (rate_estimate = yes, core/rateest.c) and with the traces'
mean rates as fixed weights (rate_estimate = no), then once on the WiFi
link alone (no aggregate rule): the floor that issue 11 says aggregation
must never fall below; and, unless --no-mptcp, Linux MPTCP over the same
replayed links without the tunnel, the baseline it is measured against. Per second: each uplink's
capacity and what it carried (captures on the MN's uplinks), so that the
shares can be seen to follow the capacity (issue 11). The testbed's radio
queues are 30 packets, so a rate near 0 would hold a packet for seconds and
fail the link; rates are floored at FLOOR_MBPS."""
import os
import threading
import time

from . import apps, linktraces, links, plots
from .aggruns import AGG_RULE, iperf_mptcp, mptcp_setup
from .analysis import payload_share, pcap_series
from .nodes import have, log, stop_procs
from .tcpinfo import Sampler

PAIR = {"cell": ("Verizon-LTE-short.down", "mahimahi"), "wifi": ("23_2_wifi.csv", "csv")}
FLOOR_MBPS = 0.5


def _caps():
    return {l: [max(c, FLOOR_MBPS) for c in
                linktraces.per_second(os.path.join(linktraces.TRACES, f), fmt)]
            for l, (f, fmt) in PAIR.items()}


def _replay(bed, caps, t0, d, stop):
    """Sets both links' rates at each second from t0 until d seconds or stop."""
    for t in range(d + 2):
        if stop.is_set():
            return
        for l in caps:
            bed.ns3("%s rate %.3fMbps" % (l, linktraces.at(caps[l], t)))
        delay = t0 + t + 1 - time.time()
        if delay > 0 and stop.wait(delay):
            return


def _replayed(bed, runs, tag, caps, d, download):
    """Runs download() (-> iperf3 result dict) while the links replay caps,
    with captures on the MN's uplinks: adds their per-second series and the
    capacity's."""
    stop = threading.Event()
    pcaps, paths = runs.uplink_caps(bed, tag)
    try:
        t0 = time.time()
        th = threading.Thread(target=_replay, args=(bed, caps, t0, d, stop))
        th.start()
        r = download()
    finally:
        stop.set()
        stop_procs(pcaps)
    th.join()
    series = {}
    for l, p in zip(runs.UPS, paths):
        _ts, mbps = pcap_series(p, t0, bin_s=1.0)
        series[l] = [round(x, 3) for x in mbps[:d]]
    r["uplink_series_mbps"] = series
    r["payload_share"] = payload_share(paths)
    r["capacity_series_mbps"] = {l: [round(caps[l][t % len(caps[l])], 3) for t in range(d)]
                                 for l in caps}
    return r


def _one(bed, runs, tag, caps, d, cc, estimate, aggregate=True):
    os.environ["UM3N_EMU_RATE_ESTIMATE"] = estimate
    weights = {l: sum(c) / len(c) for l, c in caps.items()}
    rules = list(runs.POLICY) + ([AGG_RULE] if aggregate else [])
    try:
        u = runs.start_um3n(bed, tag, ["cell", "wifi"], rules=rules, weights_mbps=weights)
    finally:
        del os.environ["UM3N_EMU_RATE_ESTIMATE"]
    try:
        srv = apps.start_iperf_server(bed.ftp)
        time.sleep(0.3)

        def download():
            tcp = Sampler(bed.ftp, links.HOME_ADDR).start()
            r = apps.iperf_download(bed.mn, links.FTP_ADDR, d, extra=("-C", cc))
            r["sender_tcp"] = tcp.stop()
            return r
        r = _replayed(bed, runs, tag, caps, d, download)
        stop_procs([srv])
        show = u.show("ha") or {}
    finally:
        u.stop()
    r["ha_rates"] = [b.get("rate") for m in show.get("bindings", []) for b in m.get("links", [])]
    return r


def _mptcp(bed, runs, caps, d, cc):
    """Linux MPTCP over the same replayed links, no tunnel: the baseline
    aggregation is measured against (aggruns.iperf_mptcp)."""
    mptcp_setup(bed)
    return _replayed(bed, runs, "aggtr-%s-mptcp" % cc, caps, d,
                     lambda: iperf_mptcp(bed, d, extra=("-C", cc)))


def share_error(r, skip=2):
    """Mean |cell share of what the uplinks carried - cell share of the
    capacity| in points, over the seconds after the first `skip`."""
    up, cap = r["uplink_series_mbps"], r["capacity_series_mbps"]
    err, n = 0.0, 0
    for t in range(skip, min(len(up["cell"]), len(up["wifi"]), len(cap["cell"]))):
        got, avail = up["cell"][t] + up["wifi"][t], cap["cell"][t] + cap["wifi"][t]
        if got > 0 and avail > 0:
            err += abs(up["cell"][t] / got - cap["cell"][t] / avail)
            n += 1
    return round(100 * err / n, 1) if n else None


def trace_runs(bed, res, runs, cc="cubic"):
    """res["aggregate_trace"][cc][yes|no]: goodput, per-second series, the
    share error; [wifi_alone]: the same download on the WiFi link alone;
    [mptcp]: Linux MPTCP over both links, no tunnel (not with --no-mptcp); the
    links' rates are put back to the testbed's after."""
    d = int(bed.args.duration)
    caps = _caps()
    out = res.setdefault("aggregate_trace", {}).setdefault(cc, {})
    try:
        for est in ("yes", "no"):
            r = _one(bed, runs, "aggtr-%s-%s" % (cc, est), caps, d, cc, est)
            r["share_error_points"] = share_error(r)
            r["capacity_mbps"] = round(sum(sum(c[:d]) for c in r["capacity_series_mbps"].values()) / d, 3)
            out[est] = r
            log("aggregate over traces, %s, rate_estimate = %s: %.2f Mbit/s of %.2f, cell share "
                "%s points off its capacity share; sender cwnd p50 %s, srtt p50 %s ms"
                % (cc, est, r["goodput_mbps"], r["capacity_mbps"], r["share_error_points"],
                   r["sender_tcp"].get("cwnd_p50"), r["sender_tcp"].get("rtt_ms_p50")))
        r = _one(bed, runs, "aggtr-%s-wifi" % cc, caps, d, cc, "yes", aggregate=False)
        out["wifi_alone"] = r
        log("over traces, %s, WiFi alone: %.2f Mbit/s (aggregate with rates measured: %.2f); "
            "sender cwnd p50 %s, srtt p50 %s ms" % (cc, r["goodput_mbps"], out["yes"]["goodput_mbps"],
                                                    r["sender_tcp"].get("cwnd_p50"),
                                                    r["sender_tcp"].get("rtt_ms_p50")))
        if not bed.args.no_mptcp and have("mptcpize"):
            r = _mptcp(bed, runs, caps, d, cc)
            out["mptcp"] = r
            log("over traces, %s, Linux MPTCP (no tunnel): %.2f Mbit/s (aggregate %.2f, WiFi alone "
                "%.2f); busiest subflow's cwnd p50 %s, srtt p50 %s ms; TCP payload per byte "
                "sent %.4f (aggregate %.4f)"
                % (cc, r["goodput_mbps"], out["yes"]["goodput_mbps"],
                   out["wifi_alone"]["goodput_mbps"], r["sender_tcp"].get("cwnd_p50"),
                   r["sender_tcp"].get("rtt_ms_p50"), r["payload_share"],
                   out["yes"]["payload_share"]))
    finally:
        (cr, _cd, _cl), (wr, _wd, _wl) = bed.args.cell.split(","), bed.args.wifi.split(",")
        bed.ns3("cell rate " + cr)
        bed.ns3("wifi rate " + wr)
    titles = {"yes": "rate_estimate = yes", "no": "rate_estimate = no", "wifi_alone": "WiFi alone",
              "mptcp": "Linux MPTCP"}
    plots.plot_shares([("%s, %s: %.2f Mbit/s" % (cc, titles[e], out[e]["goodput_mbps"]),
                        out[e]["uplink_series_mbps"], out[e]["capacity_series_mbps"])
                       for e in ("yes", "no", "wifi_alone", "mptcp") if e in out],
                      os.path.join(bed.out, "emu-aggregate-trace-%s.png" % cc))
    return out


def write_testbed_traces(out_dir, start_s=1):
    """The rates _replay gives the testbed's links, as um3n-sim's mbps traces
    (TIME_S MBIT_PER_S) in out_dir/LINK.1s.mbps, second 0 of the replay at
    start_s (a scenario's flow start), one period of each trace: what
    traces/scenarios/ns3-aggregate-trace-testbed.ini plays (traces/README.md)."""
    caps = _caps()
    os.makedirs(out_dir, exist_ok=True)
    for link, c in caps.items():
        with open(os.path.join(out_dir, "%s.1s.mbps" % link), "w") as f:
            f.write("# %s per second, floored at %g Mbit/s (emu/lib/aggtrace.py)\n"
                    % (PAIR[link][0], FLOOR_MBPS))
            for t in range(start_s):  # before the replay: its first second
                f.write("%d %.3f\n" % (t, c[0]))
            for t in range(len(c)):
                f.write("%d %.3f\n" % (t + start_s, linktraces.at(c, t)))


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m emu.lib.aggtrace OUT_DIR (writes the testbed's per-second traces)")
    write_testbed_traces(sys.argv[1])
