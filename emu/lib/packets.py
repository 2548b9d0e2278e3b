"""Per-packet records for the plots: when each packet of a flow was sent, when
it arrived (None: lost), and the link that carried the copy that arrived.

Two sources, one record type:
  sim_packets      a um3n-sim run's pcaps: the probe header of generated
                   traffic (sim/pkt.h: "UM3S", flow id, sequence, send time)
                   in the TUN pcaps and, inside the tunnel, in the link pcaps
  video_packets    a testbed's RTP video: the sender's and the MN's TUN
                   captures (matched by RTP sequence, as analysis.video_stats)
                   and the uplink captures for the link
The link of an arrived packet is the link of the last copy that went on the
air before it arrived: a copy is re-sent on another link only after the first
was lost to a failover, and links are FIFO.
"""
import bisect
import collections
import configparser
import gzip
import os
import struct

from .captures import pcap_records, read_pcap
from .links import VIDEO_PORT

Packet = collections.namedtuple("Packet", "flow seq send_s recv_s link")

_PROBE_MAGIC = b"UM3S"
_PROBE_LEN = 24  # the bytes read here: magic, flow, frame_pkts, seq, frame, send_us


def _udp_payload(ip):
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    hl = (ip[0] & 15) * 4
    return ip[hl + 8:] if len(ip) >= hl + 8 else None


def tunnel_inner(outer):
    """The inner IPv4 packet of an um3n tunnel-data datagram (ARCHITECTURE.md
    §4: 4-byte RFC 3519 header, then GRE with S, or K and S), else None."""
    u = _udp_payload(outer)
    if not u or len(u) < 4 or u[0] != 4:
        return None
    if u[1] == 4:
        return u[4:]
    if u[1] != 47 or len(u) < 12:
        return None
    return u[16:] if u[4:6] == b"\x30\x00" else u[12:]


def _probe(ip):
    """(flow id, sequence, send time s) of a generated packet, else None."""
    p = _udp_payload(ip) if ip else None
    if not p or len(p) < _PROBE_LEN or p[:4] != _PROBE_MAGIC:
        return None
    flow, seq, send_us = struct.unpack("!H", p[4:6])[0], struct.unpack("!I", p[8:12])[0], \
        struct.unpack("!Q", p[16:24])[0]
    return flow, seq, send_us / 1e6


def _raw_records(path):
    pc = pcap_records(path) if os.path.exists(path) else None
    if pc is None:
        return
    for t, _sec, _frac, data, _orig in pc[2]:
        yield t, data


def scenario_flows(ini):
    """[(name, 'up' or 'down')] in the scenario's order (= the flow id), and
    the core delay in s (servers <-> HA), from a um3n-sim scenario file."""
    cp = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";", "#"))
    cp.read(ini)
    flows = [(s.split(None, 1)[1], cp[s].get("direction", "down"))
             for s in cp.sections() if s.startswith("flow ")]
    core = float(cp["sim"].get("core_delay_ms", 0)) / 1e3 if cp.has_section("sim") else 0.0
    return flows, core


def _link_copies(copies, key, t, link):
    copies.setdefault(key, []).append((t, link))


def _taken(copies, recv_t):
    """The link of the last copy on the air at or before recv_t."""
    if not copies:
        return None
    i = bisect.bisect_right([t for t, _ in copies], recv_t)
    return copies[max(i - 1, 0)][1]


def sim_packets(run_dir, flows, core_s=0.0):
    """Packets of a um3n-sim run (pcaps in run_dir, kept with a snaplen of at
    least 100 bytes); flows as scenario_flows gives them."""
    sent, recv, copies = {}, {}, {}
    for tun, at_mn in (("mn-tun.pcap", True), ("ha-tun.pcap", False)):
        for t, ip in _raw_records(os.path.join(run_dir, tun)):
            pr = _probe(ip)
            if pr is None or pr[0] >= len(flows):
                continue
            key = pr[:2]
            sent.setdefault(key, pr[2])
            # The receiving TUN: the MN's for a downlink flow, the HA's for an
            # uplink one (its packets reach the server core_s later).
            if (flows[pr[0]][1] == "down") == at_mn:
                recv.setdefault(key, t + (0.0 if at_mn else core_s))
    for name in sorted(os.listdir(run_dir)):
        if name.startswith("link-") and name.endswith(".pcap"):
            for t, outer in _raw_records(os.path.join(run_dir, name)):
                pr = _probe(tunnel_inner(outer))
                if pr is not None:
                    _link_copies(copies, pr[:2], t, name[5:-5])
    for c in copies.values():
        c.sort()
    out = []
    for key in sorted(sent):
        r = recv.get(key)
        link = _taken(copies.get(key), r) if r is not None else None
        out.append(Packet(flows[key[0]][0], key[1], sent[key], r, link))
    return out


def _rtp_seq(payload):
    return struct.unpack("!H", payload[2:4])[0] if len(payload) >= 12 else None


def _unwrap(seq16, last):
    if last is None:
        return seq16
    base = last & ~0xFFFF
    return min((base - 0x10000 + seq16, base + seq16, base + 0x10000 + seq16),
               key=lambda c: abs(c - last))


def _video_seqs(path):
    last = None
    for t, ip in read_pcap(path):
        p = _udp_payload(ip)
        if p is None or struct.unpack("!H", ip[(ip[0] & 15) * 4 + 2:(ip[0] & 15) * 4 + 4])[0] \
                != VIDEO_PORT or _rtp_seq(p) is None:
            continue
        last = _unwrap(_rtp_seq(p), last)
        yield t, last


def lost_video(send_pcap, recv_pcap):
    """[(extended sequence, send t)] of the video datagrams sent and never
    received."""
    recv = {s for _t, s in _video_seqs(recv_pcap)}
    sent = {}
    for t, s in _video_seqs(send_pcap):
        sent.setdefault(s, t)
    return sorted((s, t) for s, t in sent.items() if s not in recv)


def tunnelled_video(path):
    """(t, 16-bit RTP sequence) of the tunnelled video datagrams in a capture
    of an uplink or of the HA's side (a snaplen keeping the inner RTP header)."""
    for t, outer in read_pcap(path):
        ip = tunnel_inner(outer)
        p = _udp_payload(ip) if ip else None
        if p is None or struct.unpack("!H", ip[(ip[0] & 15) * 4 + 2:(ip[0] & 15) * 4 + 4])[0] \
                != VIDEO_PORT or _rtp_seq(p) is None:
            continue
        yield t, _rtp_seq(p)


def video_packets(send_pcap, recv_pcap, link_pcaps, t0=0.0, flow="video"):
    """Packets of a testbed's RTP video (times relative to t0). link_pcaps:
    {link: capture of that uplink} holding the tunnelled packets (a snaplen
    that keeps the inner RTP header: 96 bytes on Ethernet)."""
    sent, recv, copies = {}, {}, {}
    for t, s in _video_seqs(send_pcap):
        sent.setdefault(s, t)
    for t, s in _video_seqs(recv_pcap):
        recv.setdefault(s, t)
    for link, path in link_pcaps.items():
        for t, seq in tunnelled_video(path):
            _link_copies(copies, seq, t, link)
    for c in copies.values():
        c.sort()
    out = []
    for s in sorted(sent):
        r = recv.get(s)
        link = _taken(copies.get(s & 0xFFFF), r) if r is not None else None
        out.append(Packet(flow, s, sent[s] - t0, None if r is None else r - t0, link))
    return out


def write_csv(pkts, path):
    """The records as gzip'd CSV (flow,seq,send_s,recv_s,link; recv_s and link
    empty for a lost packet)."""
    with gzip.open(path, "wt") as f:
        f.write("flow,seq,send_s,recv_s,link\n")
        for p in pkts:
            f.write("%s,%d,%.6f,%s,%s\n" % (p.flow, p.seq, p.send_s,
                                            "" if p.recv_s is None else "%.6f" % p.recv_s,
                                            p.link or ""))


def read_csv(path):
    out = []
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            flow, seq, send_s, recv_s, link = line.rstrip("\n").split(",")
            out.append(Packet(flow, int(seq), float(send_s),
                              float(recv_s) if recv_s else None, link or None))
    return out


def longest_gap(pkts, t0, t1):
    """(gap s, start, end): the longest interval without an arrival of a flow,
    clipped to [t0, t1], the largest over flows (um3n-sim's handover gap)."""
    best = (0.0, t0, t0)
    by_flow = {}
    for p in pkts:
        if p.recv_s is not None:
            by_flow.setdefault(p.flow, []).append(p.recv_s)
    for arr in by_flow.values():
        arr.sort()
        for a, b in zip(arr, arr[1:]):
            a, b = max(a, t0), min(b, t1)
            if b - a > best[0]:
                best = (b - a, a, b)
    return best
