"""The bounds of the testbeds' runs: (description, holds) pairs, loose enough
for a loaded 2-core CI box, tight enough to catch a broken policy or handover.
The descriptions are what results.json's "bounds" list holds."""
from .links import CELL_MBPS, WIFI_MBPS


def fig5_bounds(runs):
    """Each single uplink above half its rate; multihoming above wifi + half of
    3g, on both uplinks."""
    g = lambda n: runs.get(n, {}).get("goodput_mbps", 0)  # noqa: E731
    if not all(n in runs for n in ("3g", "wifi", "multihoming")):
        return []
    mh = runs["multihoming"].get("uplink_mbps", {})
    return [
        ("3g > 50%% of %g (%.2f)" % (CELL_MBPS, g("3g")), g("3g") > 0.5 * CELL_MBPS),
        ("wifi > 50%% of %g (%.2f)" % (WIFI_MBPS, g("wifi")), g("wifi") > 0.5 * WIFI_MBPS),
        ("multihoming > wifi + 50%% of 3g (%.2f > %.2f)" % (g("multihoming"), g("wifi") + 0.5 * g("3g")),
         g("multihoming") > g("wifi") + 0.5 * g("3g")),
        ("multihoming uses both uplinks (cell %.2f, wifi %.2f Mbit/s)" % (mh.get("cell", 0), mh.get("wifi", 0)),
         mh.get("cell", 0) > 1.0 and mh.get("wifi", 0) > 5.0),
    ]


def video_bounds(v):
    """The video stream over the cell uplink (its policy), Mininet's run."""
    ub = v.get("uplink_bytes", {})
    return [("video rides the cell uplink (cell %s B, wifi %s B)" % (ub.get("cell"), ub.get("wifi")),
             ub.get("cell", 0) > 4 * ub.get("wifi", 1)),
            ("video: lost <= 1%% (%s of %s)" % (v.get("lost_packets"), v.get("sent_packets")),
             v.get("ok") and v["lost_packets"] <= max(3, v["sent_packets"] // 100))]


def mptcp_bounds(m):
    """The Linux MPTCP baseline (ns-3's run) ran: a report beside um3n, not a race."""
    g = m.get("goodput_mbps", 0)
    return [("MPTCP baseline ran (%.2f Mbit/s)" % g, g > 1.0)]


def aggregate_bounds(agg):
    """One TCP flow over an aggregate rule (issue 11), per congestion control
    run: above wifi-only + 50% of 3g-only (the issue's check), both through the
    tunnel in the same run, with the cell link carrying more than 25% of
    3g-only. The testbed runs ns-3 in real time on a shared 2-core box; a
    loaded run gave 15.3 of a 17.2 sum in stop 21, and the bound sat at 25%
    until stop 36. With the pacer and the probes' drain, CI's emu stages gave
    16.4-16.9 against a bound of about 15.4. Fails with the receiver's reorder
    queue off (UM3N_EMU_BREAK=reorder): the flow then keeps to the wifi link
    (cell share near 0, goodput at or below wifi-only)."""
    b = []
    for cc in sorted(agg):
        a = agg[cc]
        want = a["wifi_mbps"] + 0.5 * a["3g_mbps"]
        cell = a.get("runs", {}).get("aggregate", {}).get("uplink_mbps", {}).get("cell", 0.0)
        b.append(("aggregate %s: one flow > wifi + 50%% of 3g (%.2f > %.2f)" % (cc, a["goodput_mbps"], want),
                  a["goodput_mbps"] > want))
        b.append(("aggregate %s: cell carries > 25%% of 3g (%.2f > %.2f)" % (cc, cell, 0.25 * a["3g_mbps"]),
                  cell > 0.25 * a["3g_mbps"]))
    return b


def two_flows_bounds(two):
    """Two flows over one aggregate rule, a lossy cell link: neither starves
    (each above a quarter of the pair's goodput) and neither stalls for 1 s."""
    b = []
    for cc in sorted(two):
        f = two[cc]["flows"]
        tot = sum(x["goodput_mbps"] for x in f)
        b.append(("aggregate %s: two flows, each > 25%% of %.2f (%s)" %
                  (cc, tot, [x["goodput_mbps"] for x in f]),
                  len(f) == 2 and all(x["goodput_mbps"] > 0.25 * tot for x in f)))
        b.append(("aggregate %s: two flows, longest stall < 1000 ms (%s)" %
                  (cc, [x["longest_stall_ms"] for x in f]),
                  len(f) == 2 and all(x["longest_stall_ms"] < 1000 for x in f)))
    return b


# The cut's added gap, measured then given a margin for a loaded CI box
# (issue 13; the bound was a loose 1000 ms): ns-3 146-183 ms, Mininet 82 ms
# (no delays there); a cold cell's cut 272-310 ms (it registers first).
CUT_MS = 300
COLD_CUT_MS = 500


def _added_below(st, limit):
    g = st.get("added_gap_ms")
    return bool(st.get("ok")) and g is not None and g < limit


def handover_bounds(h):
    """The planned handover loses (almost) nothing and adds a gap < 250 ms; the
    cut one adds < CUT_MS and the video goes on. The gaps are added gaps (um3n-sim's
    handover.added_gap_ms, window -1..+3 s), not the longest silence."""
    b = []
    if "planned" in h:
        p = h["planned"]
        b.append(("planned handover: added gap < 250 ms (%s)" % p.get("added_gap_ms"), _added_below(p, 250)))
        b.append(("planned handover: lost <= 1%% of %s (%s)" % (p.get("sent_packets"), p.get("lost_packets")),
                  p.get("ok") and p["lost_packets"] <= max(3, p["sent_packets"] // 100)))
    if "cut" in h:
        c = h["cut"]
        b.append(("cut handover: added gap < %d ms (%s)" % (CUT_MS, c.get("added_gap_ms")),
                  _added_below(c, CUT_MS)))
        b.append(("cut handover: video delivered after the cut (%s of %s packets)" %
                  (c.get("received_packets"), c.get("sent_packets")),
                  c.get("ok") and c["received_packets"] > 0.8 * c["sent_packets"]))
    return b


# The ns-3 testbed's cut (issue 13): the part of the added gap after the HA's
# decision is the cell's longer path (45 ms more one-way than wifi) and its
# queue; the goal is that floor + 30 ms. CUT_AFTER_MS adds a margin for a
# loaded CI box (ns-3 runs in real time there).
CELL_EXTRA_MS = 45
CUT_AFTER_MS = CELL_EXTRA_MS + 30 + 40


def cut_split_bounds(h):
    """The cut's added gap split at the HA's decision (runs.detection_split):
    the part after it stays near the cell's extra delay."""
    c = h.get("cut", {})
    a = c.get("after_detection_ms")
    if "detection_ms" not in c:
        return []
    return [("cut handover: after the HA's decision (%s ms after the cut) the added gap grows "
             "< %d ms (%s)" % (c.get("detection_ms"), CUT_AFTER_MS, a),
             a is not None and a < CUT_AFTER_MS)]


# The cell link's own losses the video may suffer in a check that wants "no
# loss" (runs.cell_link_losses): the testbeds' cell drops 0.1% of packets at
# random, 0.3-1 expected over a run's datagrams on the cell; 3 or more (1-2%
# likely by chance) means its queue overflowed.
LINK_LOSSES = 2


def apoff_ftp_bound(a):
    """The FTP's part of the AP-off check: with the wifi lost it moves onto
    the cell and takes more than half of what the video leaves of it. Before
    stop 26 the moved traffic's AQM judged its whole sojourn: in Mininet's
    zero-delay links the FTP then took 0.3-1.5 of the 2.3 Mbit/s left, since
    1.8-2.1 (ns-3 testbed 1.9). There the moved BBR flow's window (8-22
    packets in ss) is above the AQM's 20 ms limit (6 packets at 3.61
    Mbit/s), so a quarter to a third of its packets are dropped by design
    (the HA's drops.aqm) and the 3 s measured vary: 43 runs of stop 30 gave
    1.21-2.41 (median 1.95), one CI run 0.52
    (apoff.apoff_run runs again once when this fails)."""
    before, during = a.get("cell_mbps_before", 0), a.get("cell_mbps_during", 0)
    half = before + 0.5 * max(0.0, CELL_MBPS - before)
    return ("AP off: the FTP goes on over the cell, with more than half of what the video leaves (cell "
            "%.2f Mbit/s with the wifi off, %.2f before, > %.2f)" % (during, before, half),
            during > half and a.get("ftp", {}).get("ok", False))


def apoff_bounds(a):
    """The paper's AP-off check (emu/lib/apoff.py): the video, which rides
    the cell by its rule, loses nothing in the window -1..+3 s around the cut
    beyond what the cell link's configured random loss took
    (runs.cell_link_losses, at most LINK_LOSSES), and no frame is late but
    those; the FTP goes on over the cell (apoff_ftp_bound)."""
    if not a:
        return []
    w = a.get("window", {})
    link = w.get("lost_on_cell_link") or 0
    lost, late = w.get("lost_packets"), w.get("late_frames")
    return [
        ("AP off: video in -1..+3 s lost nothing but the cell's random loss (%s of %s, %s on the "
         "cell link, <= %d), late frames %s" % (lost, w.get("sent_packets"), link, LINK_LOSSES, late),
         lost is not None and late is not None and lost - link == 0 and link <= LINK_LOSSES and
         late <= link),
        apoff_ftp_bound(a),
    ]


def standby_bounds(one):
    """uplinks = one (issue 16): a planned handover to a cold cell loses no
    video packet (make-before-break: the cell registers before the traffic
    moves), nor to a hot one, beyond the datagrams the cell link's configured
    random loss took (sent by the HA, never seen at the MN's cell interface,
    at most LINK_LOSSES: CI at stop 22 lost one so); a cut adds < 1 s either way and the video
    goes on (a hot cell's cut adds < CUT_MS, a cold one's < COLD_CUT_MS)."""
    b = []
    for kind in sorted(one):
        p, c = one[kind].get("planned"), one[kind].get("cut")
        if p:  # the cell's random loss (0.1%) is the link's, not the handover's
            link = p.get("lost_on_cell_link") or 0
            b.append(("uplinks = one, %s cell: planned handover loses nothing but the cell's random "
                      "loss (%s of %s, %s on the cell link, <= %d)" %
                      (kind, p.get("lost_packets"), p.get("sent_packets"), link, LINK_LOSSES),
                      p.get("ok") and p["lost_packets"] - link == 0 and link <= LINK_LOSSES))
        if c:
            limit = CUT_MS if kind == "hot" else COLD_CUT_MS
            b.append(("uplinks = one, %s cell: cut adds < %d ms (%s)" % (kind, limit, c.get("added_gap_ms")),
                      _added_below(c, limit)))
            b.append(("uplinks = one, %s cell: video delivered after the cut (%s of %s)" %
                      (kind, c.get("received_packets"), c.get("sent_packets")),
                      c.get("ok") and c["received_packets"] > 0.8 * c["sent_packets"]))
    return b


def trace_bounds(tr):
    """One flow aggregated over the real-trace pair (issue 11): with the rates
    measured, at least the goodput of the traces' means as fixed weights in
    the same run, and the cell's share nearer its share of the capacity
    (measured, CUBIC 30 s: 12.93 against 9.57 Mbit/s, 12.1 against 26.6
    points)."""
    b = []
    for cc, r in sorted(tr.items()):
        yes, no = r.get("yes", {}), r.get("no", {})
        g1, g0 = yes.get("goodput_mbps", 0), no.get("goodput_mbps", 0)
        e1, e0 = yes.get("share_error_points"), no.get("share_error_points")
        b.append(("aggregate over traces %s: measured rates >= fixed weights (%.2f >= %.2f Mbit/s)"
                  % (cc, g1, g0), g1 > 0 and g1 >= g0))
        b.append(("aggregate over traces %s: cell share nearer its capacity's (%s < %s points)"
                  % (cc, e1, e0), e1 is not None and e0 is not None and e1 < e0))
    return b


def check(res):
    """Every bound that applies to a testbed's results (runs, video, mptcp,
    handover: what the testbed ran)."""
    b = fig5_bounds(res["runs"])
    if res.get("video"):
        b += video_bounds(res["video"])
    if "mptcp" in res:
        b += mptcp_bounds(res["mptcp"])
    return b + handover_bounds(res.get("handover", {})) + aggregate_bounds(res.get("aggregate", {})) + \
        two_flows_bounds(res.get("aggregate_two_flows", {})) + standby_bounds(res.get("handover_one", {})) + \
        cut_split_bounds(res.get("handover", {})) + apoff_bounds(res.get("apoff")) + \
        trace_bounds(res.get("aggregate_trace", {}))
