"""emu/lib/analysis.payload_share against hand-built captures (run by ctest
as emu_payload): plain TCP with MPTCP's DSS option, TCP in keyed and
unkeyed tunnel data, probes, the reverse direction's ACKs and cut records."""
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from emu.lib.analysis import _tcp_payload, payload_share  # noqa: E402

SRV, MN = bytes([10, 9, 1, 1]), bytes([10, 1, 2, 2])


def ipv4(src, dst, proto, body, total=None):
    n = total or 20 + len(body)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, n, 0, 0, 64, proto, 0, src, dst) + body


def tcp(payload, opt=12):
    hdr = struct.pack("!HHIIBBHHH", 5201, 40000, 0, 0, ((20 + opt) // 4) << 4, 0x10, 0, 0, 0)
    return hdr + b"\x01" * opt + b"x" * payload


def tunnel(inner, keyed=True, nh=47):
    gre = struct.pack("!HH", 0x3000 if keyed else 0x1000, 0x0800) + b"\0" * (8 if keyed else 4)
    return struct.pack("!HHHH", 434, 434, 8 + 4 + len(gre) + len(inner), 0) + \
        bytes([4, nh, 0, 0]) + (gre if nh == 47 else b"") + inner


def write_pcap(path, packets, snaplen=96):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, p in enumerate(packets):
            cut = p[:snaplen]
            f.write(struct.pack("<IIII", i, 0, len(cut), len(p)) + cut)


def check(name, got, want):
    ok = abs(got - want) < 1e-4
    print("%s %s: %s (expected %s)" % ("ok" if ok else "FAIL", name, got, want))
    return ok


def main():
    mptcp = ipv4(SRV, MN, 6, tcp(1420, opt=40))  # timestamps, DSS: 1500 bytes (as captured)
    keyed = ipv4(SRV, MN, 17, tunnel(ipv4(SRV, MN, 6, tcp(1404))))  # 44 + 1456
    plain = ipv4(SRV, MN, 17, tunnel(ipv4(SRV, MN, 6, tcp(1404)), keyed=False))
    probe = ipv4(SRV, MN, 17, tunnel(ipv4(SRV, MN, 1, b"\0" * 56), nh=4))
    ack = ipv4(MN, SRV, 6, tcp(0))
    ok = check("mptcp length", len(mptcp), 1500) & check("keyed length", len(keyed), 1500)
    ok &= check("mptcp payload", _tcp_payload(mptcp), 1420)
    ok &= check("keyed payload", _tcp_payload(keyed), 1404)
    ok &= check("unkeyed payload", _tcp_payload(plain), 1404)
    ok &= check("probe", _tcp_payload(probe) is None, True)
    ok &= check("cut short", _tcp_payload(keyed[:50]) is None, True)
    ok &= check("cut in the IP header", _tcp_payload(keyed[:12]) is None, True)
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.pcap"), os.path.join(d, "b.pcap")
        write_pcap(a, [mptcp] * 3 + [ack] * 5)
        ok &= check("mptcp share, ACKs the other way", payload_share([a]), 1420 / 1500)
        write_pcap(b, [keyed, keyed, probe, plain] + [ack] * 9)
        want = 3 * 1404 / (2 * 1500 + len(probe) + len(plain))
        ok &= check("tunnel share with a probe", payload_share([b]), round(want, 4))
        ok &= check("two captures", payload_share([a, b]),
                    round((3 * 1420 + 3 * 1404) / (4500 + 3000 + len(probe) + len(plain)), 4))
        write_pcap(a, [mptcp, b"\x45\0\x05\xdc", mptcp], snaplen=1500)
        ok &= check("a record cut inside its IP header", payload_share([a]), 1420 / 1500)
        write_pcap(a, [])
        ok &= check("empty", payload_share([a]), 0.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
