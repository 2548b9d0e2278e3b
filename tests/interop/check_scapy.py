#!/usr/bin/python3
"""scapy interop check of the pcap written by write_pcap.c.

scapy must see MobileIPRRQ / MobileIPRRP / MobileIPTunnelData with the values
the writer used; the extensions after the fixed parts are walked here
independently of um3n's decoder (RFC 5944 section 1.9 TLVs, RFC 3115 NVSE with
its 8-bit length), the MN-HA authenticators are recomputed with Python's hmac
over the bytes RFC 5944 section 3.5.1 says they cover, and the GRE header of
tunnel data with next header 47 is decoded with scapy's GRE layer (scapy binds
only next header 4 to IP). Exit 77 when scapy is missing (skipped).
Usage: /usr/bin/python3 check_scapy.py PCAP
"""
import hashlib
import hmac
import sys

try:
    from scapy.all import GRE, ICMP, IP, UDP, Raw, rdpcap
    from scapy.layers.mobileip import MobileIPRRP, MobileIPRRQ, MobileIPTunnelData
except ImportError as exc:
    print(f"SKIP: scapy not available ({exc}); apt-get install python3-scapy")
    sys.exit(77)

KEY = b"um3n-interop-test-key-0123456789"
HOME, HA, COA = "10.99.0.2", "192.0.2.1", "198.51.100.7"
IDENT = 0xE8A1B2C300000001
VENDOR = 32473
RRQ_FIXED, RRP_FIXED = 24, 20

failures = []
passes = 0


def check(ok, what):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def walk_extensions(payload, start):
    """[(type, offset, body)] of RFC 5944 TLVs; the 8-bit length is at offset+1."""
    exts, off = [], start
    while off < len(payload):
        if off + 2 > len(payload):
            return None
        etype, elen = payload[off], payload[off + 1]
        if off + 2 + elen > len(payload):
            return None
        exts.append((etype, off, payload[off + 2:off + 2 + elen]))
        off += 2 + elen
    return exts


def check_nvse(body, vtype, value, what):
    # reserved(2) vendor(4) vendor type(2) value
    check(body[2:6] == VENDOR.to_bytes(4, "big"), f"{what}: NVSE vendor id {VENDOR}")
    check(body[6:8] == vtype.to_bytes(2, "big"), f"{what}: NVSE type {vtype}")
    check(body[8:] == value, f"{what}: NVSE value {body[8:].hex()} != {value.hex()}")


def check_auth(payload, exts, what):
    auth = [e for e in exts if e[0] == 32]
    check(len(auth) == 1, f"{what}: one MN-HA authentication extension")
    if not auth:
        return
    _, off, body = auth[0]
    check(len(body) == 36 and body[:4] == (256).to_bytes(4, "big"), f"{what}: SPI 256, 32 bytes")
    covered = payload[:off + 2 + 4]  # up to and including the SPI
    mac = hmac.new(KEY, covered, hashlib.sha256).digest()
    check(hmac.compare_digest(mac, body[4:]), f"{what}: HMAC-SHA256 authenticator verifies")


def checksums_ok(pkt):
    """IPv4, UDP and ICMP checksums (outer and inner) as scapy recomputes them."""
    fresh = pkt.copy()
    layer = fresh
    while layer:
        if layer.name in ("IP", "UDP", "ICMP") and hasattr(layer, "chksum"):
            layer.chksum = None
        layer = layer.payload if layer.payload else None
    return bytes(fresh) == bytes(pkt)


def check_rrq(pkt):
    check(MobileIPRRQ in pkt, "packet 1 is MobileIPRRQ")
    if MobileIPRRQ not in pkt:
        return
    r = pkt[MobileIPRRQ]
    check(pkt[UDP].dport == 434 and pkt[UDP].sport == 40001, "RRQ ports 40001 -> 434")
    check(r.flags == 0xA2, f"RRQ flags S|D|T (0x{r.flags:02x})")
    check(r.lifetime == 300, "RRQ lifetime 300")
    check((r.homeaddr, r.haaddr, r.coaddr) == (HOME, HA, COA), "RRQ addresses")
    check(r.id == IDENT, "RRQ identification")
    payload = bytes(pkt[UDP].payload)
    exts = walk_extensions(payload, RRQ_FIXED)
    check(exts is not None, "RRQ extensions well formed")
    if not exts:
        return
    check([e[0] for e in exts] == [134, 134, 32, 144], f"RRQ extension order {[e[0] for e in exts]}")
    check_nvse(exts[0][2], 1, bytes([1, 2, 1, 0]), "RRQ link info")
    chunk = bytes([0, 0, 0, 7, 0, 0, 0, 1]) + bytes([1, 0, 0, 0, 1, 4, 24, 203, 0, 113, 2, 0])
    check_nvse(exts[1][2], 2, chunk, "RRQ policy chunk")
    check(exts[3][2] == bytes([0, 0, 0x80, 4, 0, 0]), "RRQ UDP tunnel request F, encap 4")
    check_auth(payload, exts, "RRQ")


def check_rrp(pkt):
    check(MobileIPRRP in pkt, "packet 2 is MobileIPRRP")
    if MobileIPRRP not in pkt:
        return
    r = pkt[MobileIPRRP]
    check(pkt[UDP].sport == 434 and pkt[UDP].dport == 40001, "RRP ports 434 -> 40001")
    check(r.code == 0 and r.lifetime == 300, "RRP code 0 lifetime 300")
    check((r.homeaddr, r.haaddr) == (HOME, HA), "RRP addresses")
    check(r.id == IDENT, "RRP identification")
    payload = bytes(pkt[UDP].payload)
    exts = walk_extensions(payload, RRP_FIXED)
    check(exts is not None, "RRP extensions well formed")
    if not exts:
        return
    check([e[0] for e in exts] == [44, 134, 134, 32], f"RRP extension order {[e[0] for e in exts]}")
    check(exts[0][2] == bytes([0, 0, 0, 0, 0, 20]), "RRP UDP tunnel reply accepted, keepalive 20")
    check_nvse(exts[1][2], 1, bytes([1, 2, 1, 0]), "RRP link info")
    check_nvse(exts[2][2], 3, bytes([0, 0, 0, 7, 0, 1, 0, 1]), "RRP policy ack")
    check_auth(payload, exts, "RRP")


def check_ipip(pkt, no, icmp_type, src, dst):
    check(MobileIPTunnelData in pkt, f"packet {no} is MobileIPTunnelData")
    if MobileIPTunnelData not in pkt:
        return
    t = pkt[MobileIPTunnelData]
    check(t.nexthdr == 4 and t.res == 0, f"packet {no}: next header 4")
    inner = t.payload
    check(isinstance(inner, IP) and ICMP in inner, f"packet {no}: inner IPv4 ICMP")
    if isinstance(inner, IP) and ICMP in inner:
        check((inner.src, inner.dst) == (src, dst), f"packet {no}: inner {inner.src} -> {inner.dst}")
        check(inner[ICMP].type == icmp_type, f"packet {no}: ICMP type {icmp_type}")
        fresh = ICMP(bytes(inner[ICMP]))
        del fresh.chksum
        check(ICMP(bytes(fresh)).chksum == inner[ICMP].chksum, f"packet {no}: ICMP checksum")


def check_gre(pkt, no, key):
    """Packet no: GRE with S (and K with `key` when key is not None)."""
    check(MobileIPTunnelData in pkt, f"packet {no} is MobileIPTunnelData")
    if MobileIPTunnelData not in pkt:
        return
    t = pkt[MobileIPTunnelData]
    check(t.nexthdr == 47, f"packet {no}: next header 47 (GRE)")
    raw = bytes(t.payload)
    gre = GRE(raw)
    seq = getattr(gre, "sequence_number", getattr(gre, "seqence_number", None))
    check(gre.seqnum_present == 1 and gre.chksum_present == 0 and
          gre.key_present == (key is not None),
          f"packet {no}: GRE with the S bit{' and the K bit' if key else ' only'} (RFC 2890)")
    if key is not None:
        check(gre.key == key, f"packet {no}: GRE key {key:#x} (got {gre.key})")
    check(gre.proto == 0x0800 and seq == 5, f"packet {no}: GRE proto IPv4, sequence 5 (got {seq})")
    inner = gre.payload
    ok = isinstance(inner, IP) and UDP in inner
    check(ok, f"packet {no}: GRE carries IPv4 UDP")
    if ok:
        check((inner.src, inner.dst, inner[UDP].dport) == (HOME, "203.0.113.5", 9),
              f"packet {no}: inner 10.99.0.2 -> 203.0.113.5:9")
        check(bytes(inner[UDP].payload) == b"um3n gre payload", f"packet {no}: inner payload")
        check(checksums_ok(inner), f"packet {no}: inner IPv4/UDP checksums")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    pkts = rdpcap(sys.argv[1])
    check(len(pkts) == 6, f"6 packets (got {len(pkts)})")
    if len(pkts) == 6:
        for no, p in enumerate(pkts, 1):
            check(checksums_ok(p), f"packet {no}: outer IPv4/UDP checksums")
        check_rrq(pkts[0])
        check_rrp(pkts[1])
        check_ipip(pkts[2], 3, 8, HOME, HA)
        check_ipip(pkts[3], 4, 0, HA, HOME)
        check_gre(pkts[4], 5, None)
        check_gre(pkts[5], 6, 0x50000007)
    print(f"scapy interop: {passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
