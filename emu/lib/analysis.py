"""Analysis of the testbeds' captures: the video flow's lost packets, late
frames and longest gap (as um3n-sim defines them), its handover figures (added
gap, extra delay: um3n-sim's own code, hometric.py), and per-uplink throughput."""
import struct

from . import hometric
from .captures import read_pcap
from .links import VIDEO_PORT
from .packets import tunnel_inner

PLAYOUT_MS = 150  # receiver playout delay, as um3n-sim's video flows (sim/README.md)
FRAME_MS = 1000.0 / 30


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
    sent, order, recv = _video_packets(send_pcap, recv_pcap)
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


def handover_figures(send_pcap, recv_pcap, t_from, t_at, t_to, build=None):
    """The video flow's handover figures over [t_from, t_to] (send-capture
    seconds) around the event at t_at, as um3n-sim's metrics.json has them:
    added_gap_ms, extra_delay_ms.{p50,p99,max} (and silence_ms, the longest
    silence, lost, sent), by sim/hometric.c (hometric.py)."""
    sent, order, recv = _video_packets(send_pcap, recv_pcap)
    pkts = sorted((sent[s][0], recv.get(s)) for s in order)
    r = hometric.figures(pkts, t_from, t_at, t_to, build=build)
    return {"added_gap_ms": r.get("added_gap_ms"), "extra_delay_ms": r.get("extra_delay_ms"),
            "silence_ms": r.get("silence_ms"), "lost_packets": r.get("lost"),
            "sent_packets": r.get("sent"), "window_s": [round(t_from - t_at, 3), round(t_to - t_at, 3)]}


def _video_packets(send_pcap, recv_pcap):
    """The RTP video datagrams: sent {ext_seq: (t, starts_frame)}, their send
    order, and recv {ext_seq: first arrival t}."""
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
    return sent, order, recv


def _unwrap(seq16, last_ext):
    base = last_ext & ~0xFFFF
    cand = [base - 0x10000 + seq16, base + seq16, base + 0x10000 + seq16]
    return min(cand, key=lambda c: abs(c - last_ext))


def first_after(path, t, min_len=1000):
    """The time of the first IPv4 packet of at least min_len bytes (IP total
    length) at or after t in a capture, or None: the first tunnelled video
    datagram, not a probe or an ACK."""
    for tp, ip in read_pcap(path):
        if tp >= t and len(ip) >= 4 and struct.unpack("!H", ip[2:4])[0] >= min_len:
            return tp
    return None


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


def _tcp_payload(ip):
    """TCP payload bytes of an IPv4 packet, plain or inside um3n's tunnel data
    (packets.tunnel_inner); None for anything else or a record cut too short."""
    if len(ip) >= 20 and ip[9] == 17:
        ip = tunnel_inner(ip) or b""
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    ihl = (ip[0] & 15) * 4
    if len(ip) < ihl + 13:
        return None
    return struct.unpack("!H", ip[2:4])[0] - ihl - (ip[ihl + 12] >> 4) * 4


def payload_share(paths):
    """The TCP payload carried in captures, as a share of the IP bytes sent
    the same way (each capture's busiest direction, by outer source address:
    its headers, the tunnel's own, probes): how much of a link's capacity a
    tunnel, or MPTCP, can give its flow. 0 when empty."""
    wire = payload = 0
    for path in paths:
        by_src = {}
        for _t, ip in read_pcap(path):
            if len(ip) < 20:  # a record cut inside its IP header
                continue
            w, p = by_src.get(ip[12:16], (0, 0))
            by_src[ip[12:16]] = (w + struct.unpack("!H", ip[2:4])[0],
                                 p + max(_tcp_payload(ip) or 0, 0))
        w, p = max(by_src.values(), default=(0, 0))
        wire, payload = wire + w, payload + p
    return round(payload / wire, 4) if wire else 0.0
