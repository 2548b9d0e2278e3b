"""Captures: tcpdump on a testbed host, and a small reader and trimmer of
classic pcap files (what tcpdump, um3n-sim and the testbeds write)."""
import os
import struct
import subprocess
import time


def capture(node, dev, path, snaplen=128, filt=""):
    argv = ["tcpdump", "-i", dev, "-s", str(snaplen), "-U", "-n", "-w", path]
    if filt:
        argv += filt.split()
    p = node.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p


def wait_captures_ready(paths, timeout=3):
    t0 = time.time()
    while time.time() - t0 < timeout and not all(os.path.exists(p) for p in paths):
        time.sleep(0.05)
    time.sleep(0.3)


# Classic pcap magics as read from the file: little-endian ones, nanosecond ones.
_LITTLE = (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
_NANO = (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")


def pcap_records(path):
    """(header, endian, records) of a classic pcap file, or None when it is
    shorter than its 24-byte header. records yields (t_s, sec, frac, data,
    orig_len) for each record, data being its incl_len captured bytes. The one
    pcap parser of emu/ and ci/report.py."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    e = "<" if data[:4] in _LITTLE else ">"
    div = 1e9 if data[:4] in _NANO else 1e6

    def records():
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
            body = data[off + 16:off + 16 + incl]
            off += 16 + incl
            yield sec + frac / div, sec, frac, body, orig
    return data[:24], e, records()


def read_pcap(path):
    """Yield (t_s, ip_packet_bytes) of the IPv4 packets in a classic pcap
    (Ethernet, raw IP or Linux SLL)."""
    pc = pcap_records(path)
    if pc is None:
        return
    hdr, endian, records = pc
    linktype = struct.unpack(endian + "I", hdr[20:24])[0]
    for t, _sec, _frac, pkt, _orig in records:
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


def trim_pcap(src, dst, snaplen, t_from=None, t_to=None):
    """Copy a capture keeping records in [t_from, t_to] (unix s) cut to
    snaplen bytes; the records keep their original length, so a replay
    (um3n-sim) still sees the real packet sizes. Returns the record count."""
    pc = pcap_records(src)
    if pc is None:
        return 0
    hdr, e, records = pc
    hdr = bytearray(hdr)
    hdr[16:20] = struct.pack(e + "I", snaplen)
    out, n = [bytes(hdr)], 0
    for t, sec, frac, body, orig in records:
        if (t_from is not None and t < t_from) or (t_to is not None and t > t_to):
            continue
        keep = body[:snaplen]
        out.append(struct.pack(e + "IIII", sec, frac, len(keep), orig) + keep)
        n += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return n
