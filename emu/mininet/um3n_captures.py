"""Captures and plots of the emulation testbeds (emu/mininet/fig5.py,
emu/ns3/testbed.py, emu/ns3/compare_sim.py): a small pcap reader, the video
analysis (lost packets, late frames, longest gap, as um3n-sim defines them),
per-uplink throughput, and the Fig. 5 and handover plots (matplotlib under
/usr/bin/python3; without it, no plot). um3n_apps re-exports all of it."""
import struct

VIDEO_PORT = 5004
PAPER_MBPS = {"3g": 3.61, "wifi": 14.67, "multihoming": 17.82}
PLAYOUT_MS = 150  # receiver playout delay, as um3n-sim's video flows (sim/README.md)
FRAME_MS = 1000.0 / 30


def _log(*a):
    print("[emu]", *a, flush=True)


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        _log("matplotlib missing: no plot")
        return None


# ---------------------------------------------------------------- captures


def read_pcap(path):
    """Yield (t_s, ip_packet_bytes) from a classic pcap (Ethernet, raw IP or Linux SLL)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:  # Ethernet
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            pkt = pkt[14:]
        elif linktype == 113:  # Linux cooked
            if len(pkt) < 16 or pkt[14:16] != b"\x08\x00":
                continue
            pkt = pkt[16:]
        elif linktype not in (101, 12, 228):
            continue
        if pkt and pkt[0] >> 4 == 4:
            yield t, pkt


def _udp_payload(ip, port):
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    if dport != port:
        return None
    return ip[ihl + 8:]


def _ts_frame_starts(payload):
    """True when this RTP/MPEG-TS datagram holds the start of a video PES
    (payload_unit_start on the first PID that carries a PES with a video
    stream id 0xE0-0xEF)."""
    body = payload[12:]
    for i in range(0, len(body) - 187, 188):
        ts = body[i:i + 188]
        if ts[0] != 0x47 or not ts[1] & 0x40:
            continue
        afc = (ts[3] >> 4) & 3
        p = 4
        if afc & 2:
            p += 1 + ts[4]
        if afc & 1 and p + 4 <= 188 and ts[p:p + 3] == b"\x00\x00\x01" and 0xE0 <= ts[p + 3] <= 0xEF:
            return True
    return False


def video_stats(send_pcap, recv_pcap, t_from=None, t_to=None):
    """Lost packets, late frames and the longest gap of the RTP video flow.
    A frame = the datagrams from one holding a video PES start to the next; it
    is late when not complete (every datagram in) by the send time of its
    first datagram + PLAYOUT_MS + one frame time (33 ms), as um3n-sim defines
    it; a frame with a lost datagram is late. Window [t_from, t_to] in
    send-capture seconds limits what is counted (None = all but the last 0.5 s)."""
    sent = {}  # seq -> (t, starts_frame)
    order = []
    for t, ip in read_pcap(send_pcap):
        pl = _udp_payload(ip, VIDEO_PORT)
        if pl is None or len(pl) < 12 or pl[0] >> 6 != 2:
            continue
        seq = struct.unpack("!H", pl[2:4])[0]
        ext = seq if not order else _unwrap(seq, order[-1])
        if ext in sent:
            continue
        sent[ext] = (t, len(pl) >= 12 + 188 and _ts_frame_starts(pl))
        order.append(ext)
    recv = {}
    last = None
    for t, ip in read_pcap(recv_pcap):
        pl = _udp_payload(ip, VIDEO_PORT)
        if pl is None or len(pl) < 12:
            continue
        seq = struct.unpack("!H", pl[2:4])[0]
        ext = seq if last is None else _unwrap(seq, last)
        last = ext
        recv.setdefault(ext, t)
    if not order:
        return {"ok": False, "why": "no video packets in the sender capture"}
    t_end = sent[order[-1]][0]
    lo = t_from if t_from is not None else sent[order[0]][0]
    hi = t_to if t_to is not None else t_end - 0.5
    win = [s for s in order if lo <= sent[s][0] <= hi]
    lost = [s for s in win if s not in recv]
    # frames
    frames, cur = [], []
    for s in order:
        if sent[s][1] and cur:
            frames.append(cur)
            cur = []
        cur.append(s)
    late = total = 0
    worst_ms = 0.0
    for fr in frames:
        t_send = sent[fr[0]][0]
        if not (lo <= t_send <= hi):
            continue
        total += 1
        due = t_send + (PLAYOUT_MS + FRAME_MS) / 1000.0
        if any(s not in recv for s in fr):
            late += 1
            continue
        done = max(recv[s] for s in fr)
        worst_ms = max(worst_ms, (done - t_send) * 1000)
        if done > due:
            late += 1
    arr = sorted(recv[s] for s in win if s in recv)
    gap = max((b - a for a, b in zip(arr, arr[1:])), default=0.0) * 1000
    delays = sorted((recv[s] - sent[s][0]) * 1000 for s in win if s in recv)
    return {"ok": True, "sent_packets": len(win), "received_packets": len(win) - len(lost),
            "lost_packets": len(lost), "frames": total, "late_frames": late,
            "gap_ms": round(gap, 1),
            "owd_p50_ms": round(delays[len(delays) // 2], 1) if delays else None,
            "frame_delay_max_ms": round(worst_ms, 1),
            "playout_ms": PLAYOUT_MS}


def _unwrap(seq16, last_ext):
    base = last_ext & ~0xFFFF
    cand = [base - 0x10000 + seq16, base + seq16, base + 0x10000 + seq16]
    return min(cand, key=lambda c: abs(c - last_ext))


def pcap_series(path, t0, bin_s=0.1):
    """Bytes per bin (as Mbit/s) of a capture, times relative to t0."""
    bins = {}
    for t, ip in read_pcap(path):
        length = struct.unpack("!H", ip[2:4])[0]
        k = int((t - t0) / bin_s)
        bins[k] = bins.get(k, 0) + length
    if not bins:
        return [], []
    ks = range(min(0, min(bins)), max(bins) + 1)
    return [k * bin_s for k in ks], [bins.get(k, 0) * 8 / bin_s / 1e6 for k in ks]


def trim_pcap(src, dst, snaplen, t_from=None, t_to=None):
    """Copy a capture keeping records in [t_from, t_to] (unix s) cut to
    snaplen bytes; the records keep their original length, so a replay
    (um3n-sim) still sees the real packet sizes. Returns the record count."""
    with open(src, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return 0
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    div = 1e9 if data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
    hdr = bytearray(data[:24])
    hdr[16:20] = struct.pack(e + "I", snaplen)
    out, off, n = [bytes(hdr)], 24, 0
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / div
        if (t_from is not None and t < t_from) or (t_to is not None and t > t_to):
            continue
        keep = body[:snaplen]
        out.append(struct.pack(e + "IIII", sec, frac, len(keep), orig) + keep)
        n += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return n


def pcap_bytes(path):
    n = 0
    for _t, ip in read_pcap(path):
        n += struct.unpack("!H", ip[2:4])[0]
    return n


def pcap_mbps(path, min_bytes=100000):
    """Mean Mbit/s of a capture (both directions, outer IP bytes) over its
    busy span; 0 for a capture holding only probes."""
    n, t_first, t_last = 0, None, None
    for t, ip in read_pcap(path):
        n += struct.unpack("!H", ip[2:4])[0]
        t_first = t if t_first is None else t_first
        t_last = t
    if n < min_bytes or not t_first or t_last - t_first < 0.5:
        return 0.0
    return round(n * 8 / (t_last - t_first) / 1e6, 3)


# ---------------------------------------------------------------- plots


def plot_fig5(results, path, title):
    plt = _pyplot()
    if plt is None:
        return
    names = ["3g", "wifi", "multihoming"]
    labels = ["3G only", "WiFi only", "multihoming"]
    meas = [results["runs"].get(n, {}).get("goodput_mbps", 0) for n in names]
    paper = [PAPER_MBPS[n] for n in names]
    fig, ax = plt.subplots(figsize=(6, 4))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], paper, 0.4, label="paper (Fig. 5)", color="#999999")
    ax.bar([i + 0.2 for i in x], meas, 0.4, label="measured (FTP, curl)", color="#1f77b4")
    extra = results.get("mptcp", {}).get("goodput_mbps")
    if extra:
        ax.bar([2.6], [extra], 0.3, label="Linux MPTCP (iperf3)", color="#ff7f0e")
        ax.text(2.6, extra + 0.2, "%.2f" % extra, ha="center", fontsize=8)
    for i, v in enumerate(meas):
        ax.text(i + 0.2, v + 0.2, "%.2f" % v, ha="center", fontsize=8)
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels)
    ax.set_ylabel("goodput (Mbit/s)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_handover(panels, path):
    """panels: [(title, {label: (xs, ys)}, [(t, event label)])]"""
    plt = _pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.6 * len(panels)), squeeze=False)
    for ax, (title, series, events) in zip(axes[:, 0], panels):
        for label, (xs, ys) in series.items():
            ax.plot(xs, ys, label=label, lw=1)
        for i, (t, lab) in enumerate(events):
            ax.axvline(t, color="k", ls="--", lw=0.8)
            # staggered so labels of close events do not overlap
            ax.text(t, ax.get_ylim()[1] * (0.92 - 0.12 * (i % 3)), " " + lab, fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("Mbit/s")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
