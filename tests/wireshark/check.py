#!/usr/bin/python3
"""Check contrib/wireshark/um3n.lua on captures with tshark.

For every PCAP: no expert info at warning or error level (a note is allowed only
for an inner packet cut by the snaplen), no malformed frame, no "Bogus IP version",
no Lua error; every UDP datagram on the um3n port is dissected as um3n; and the
values the dissector shows equal the ones decoded here from the raw UDP payload
(an independent reading of docs/ARCHITECTURE.md §4: fixed fields, the vendor
NVSEs, the UDP tunnel extensions, GRE key and sequence split, probes, repair
requests). Over all
PCAPs together, every field the plugin declares must appear at least once
(except the few listed in ABSENT, which um3n never sends).

usage: check.py LUA PCAP...      exit 0 ok, 1 failure, 77 tshark missing
"""
import ipaddress
import re
import shutil
import subprocess
import sys

PORT = 434
VENDOR = 32473
# Fields um3n itself never writes, so no capture of ours holds them.
ABSENT = {
    "um3n.ext.data": "other vendors' NVSEs and unknown skippable extensions",
    "um3n.inner.src6": "an IPv6 inner packet cut by the snaplen",
    "um3n.inner.dst6": "an IPv6 inner packet cut by the snaplen",
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def tshark(lua, pcap, *args):
    cmd = ["tshark", "-X", "lua_script:" + lua, "-r", pcap, *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{pcap}: tshark exit {r.returncode}: {r.stderr.strip()[:300]}")
    if "Lua" in r.stderr and "rror" in r.stderr:
        fail(f"{pcap}: Lua error: {r.stderr.strip()[:300]}")
    return r.stdout


def u(b, off, n):
    return int.from_bytes(b[off:off + n], "big")


def ip4(b, off):
    return str(ipaddress.IPv4Address(b[off:off + 4]))


def expect_policy(t, e):
    """Chunk 0 of a policy table (core/policy.h): the header, then the rules
    that fit in it; format 2's rules carry pct, loss_pct and rtt_ms."""
    if len(t) < 12:
        return
    for name, at, n in (("format", 0, 1), ("default_class", 1, 1), ("default_mode", 2, 1),
                        ("reserved", 3, 1), ("version", 4, 4), ("rules", 8, 4)):
        e["um3n.policy." + name] = [u(t, at, n)]
    rh = 8 if t[0] >= 2 else 4
    off = 12
    for _ in range(u(t, 8, 4)):
        if len(t) - off < rh or len(t) - off < rh + (t[off + 1] + 7) // 8:
            break
        cols = [("family", 0, 1), ("plen", 1, 1), ("class", 2, 1), ("mode", 3, 1)]
        if rh == 8:
            cols += [("pct", 4, 1), ("loss_pct", 5, 1), ("rtt_ms", 6, 2)]
        for name, at, n in cols:
            e.setdefault("um3n.rule." + name, []).append(u(t, off + at, n))
        off += rh + (t[off + 1] + 7) // 8


def expect_registration(p, e):
    """Registration request/reply: fixed part, then extensions (RFC 5944 §1.9)."""
    req = p[0] == 1
    fixed = 24 if req else 20
    if len(p) < fixed:
        return
    if req:
        e["um3n.flags"] = [p[1]]
        e["um3n.coa"] = [ip4(p, 12)]
    else:
        e["um3n.code"] = [p[1]]
    e["um3n.lifetime"] = [u(p, 2, 2)]
    e["um3n.home_addr"] = [ip4(p, 4)]
    e["um3n.ha_addr"] = [ip4(p, 8)]
    e["um3n.ident"] = [u(p, fixed - 8, 8)]
    off = fixed
    while off + 2 <= len(p):
        ty, ln = p[off], p[off + 1]
        e.setdefault("um3n.ext.type", []).append(ty)
        e.setdefault("um3n.ext.len", []).append(ln)
        if off + 2 + ln > len(p):
            break  # the body is cut by the snaplen: the dissector stops there too
        body = p[off + 2:off + 2 + ln]
        if ty == 134 and u(body, 2, 4) == VENDOR:
            vt, v = u(body, 6, 2), body[8:]
            e.setdefault("um3n.nvse.type", []).append(vt)
            names = {1: ["link.id", "link.class", "link.priority", "link.flags"],
                     3: ["ack.version", "ack.held", "ack.count"],
                     2: ["chunk.version", "chunk.index", "chunk.count"]}[vt]
            sizes = [1, 1, 1, 1] if vt == 1 else [4, 2, 2]
            at = 0
            for name, n in zip(names, sizes):
                e.setdefault("um3n." + name, []).append(u(v, at, n))
                at += n
            if vt == 2 and len(v) >= 8 and u(v, 4, 2) == 0:
                expect_policy(v[8:], e)
            if vt == 1 and len(v) == 8:
                e.setdefault("um3n.link.weight", []).append(u(v, 4, 4))
                e.setdefault("um3n.link.flags.standby", []).append((v[3] >> 1) & 1)
        elif ty == 32:
            e["um3n.auth.spi"] = [u(body, 0, 4)]
        elif ty == 144:
            e["um3n.utun.encap"] = [body[3]]
        elif ty == 44:
            e["um3n.utun.code"] = [body[1]]
            e["um3n.utun.keepalive"] = [u(body, 4, 2)]
        off += 2 + ln


def expect_tunnel(p, e):
    """Tunnel data: RFC 3519 header, GRE S (or K and S), inner packet, probes."""
    e["um3n.tun.nexthdr"] = [p[1]]
    if p[1] == 47:
        flags = u(p, 4, 2)
        e["um3n.gre.flags"] = [flags]
        e["um3n.gre.proto"] = [u(p, 6, 2)]
        s = 8
        if flags == 0x3000:
            key = u(p, 8, 4)
            e["um3n.gre.key"] = [key]
            e["um3n.gre.key.flow"] = [key >> 28]
            e["um3n.gre.key.no_eq"] = [key >> 27 & 1]
            e["um3n.gre.key.counter"] = [key & 0x07FFFFFF]
            s = 12
        seq = u(p, s, 4)
        e["um3n.gre.seq"] = [seq]
        e["um3n.gre.seq.link"] = [seq >> 29]
        e["um3n.gre.seq.counter"] = [seq & 0x1FFFFFFF]
    elif p[1] == 4 and len(p) >= 24 and p[13] == 1:
        icmp = 4 + (p[4] & 15) * 4
        if len(p) >= icmp + 16 and p[icmp] in (0, 8) and p[icmp + 4] == 0x55:
            e["um3n.probe.kind"] = ["request" if p[icmp] == 8 else "reply"]
            e["um3n.probe.link"] = [p[icmp + 5]]
            e["um3n.probe.seq"] = [u(p, icmp + 6, 2)]
            e["um3n.probe.sent_us"] = [u(p, icmp + 8, 8)]
            if u(p, 6, 2) - (icmp - 4) >= 24 and len(p) >= icmp + 24:
                e["um3n.probe.answer_us"] = [u(p, icmp + 16, 8)]
            if u(p, 6, 2) - (icmp - 4) >= 40 and len(p) >= icmp + 40:
                e["um3n.probe.prober_rx_bytes"] = [u(p, icmp + 24, 4)]
                e["um3n.probe.prober_queue_us"] = [u(p, icmp + 28, 4)]
                e["um3n.probe.answerer_rx_bytes"] = [u(p, icmp + 32, 4)]
                e["um3n.probe.answerer_queue_us"] = [u(p, icmp + 36, 4)]
            if u(p, 6, 2) - (icmp - 4) >= 44 and len(p) >= icmp + 44:
                e["um3n.probe.interval_ms"] = [u(p, icmp + 40, 4)]
        elif len(p) >= icmp + 8 and p[icmp] == 253:  # a repair request (core/arq.h)
            n = p[icmp + 4]
            seqs = [u(p, icmp + 8 + 4 * i, 4) for i in range(n)]
            e["um3n.nack.count"] = [n]
            e["um3n.nack.seq"] = seqs
            e["um3n.nack.seq.link"] = [q >> 29 for q in seqs]
            e["um3n.nack.seq.counter"] = [q & 0x1FFFFFFF for q in seqs]


def same(want, got):
    if isinstance(want, int):
        try:
            return int(got, 0) == want
        except ValueError:
            return False
    return str(want) == got


def check_values(pcap, fields, rows):
    """rows: frame, udp ports, protocols, payload hex, then one column per field."""
    seen = set()
    n_um3n = 0
    for row in rows:
        # The first UDP header is the outer one (an inner one may follow).
        no, sport, dport, protos, payload = [c.split("|")[0] for c in row[:5]]
        got = dict(zip(fields, row[5:]))
        seen.update(f for f, v in got.items() if v != "")
        if str(PORT) not in (sport, dport):
            continue
        n_um3n += 1
        if ":um3n" not in protos:
            fail(f"{pcap} frame {no}: port {PORT} but not dissected as um3n ({protos})")
            continue
        p = bytes.fromhex(payload.replace(":", ""))
        e = {"um3n.type": [p[0]]}
        if p[0] in (1, 3):
            expect_registration(p, e)
        elif p[0] == 4:
            expect_tunnel(p, e)
        for f, want in e.items():
            g = got.get(f, "").split("|") if got.get(f, "") != "" else []
            if len(g) != len(want) or not all(same(w, x) for w, x in zip(want, g)):
                fail(f"{pcap} frame {no}: {f} = {g}, the bytes say {want}")
                return seen, n_um3n
    return seen, n_um3n


def check_experts(pcap, rows):
    """rows: frame, protocols, expert severities, expert messages."""
    for no, protos, sev, msg in rows:
        if "_ws.malformed" in protos or "_ws.lua" in protos:
            fail(f"{pcap} frame {no}: malformed ({protos})")
            return
        for s, m in zip(sev.split("|"), msg.split("|")):
            if not s:
                continue
            if int(s, 0) >= 0x00600000:  # warning or error ("Bogus IP version" is one)
                fail(f"{pcap} frame {no}: expert {m!r}")
                return
            if int(s, 0) >= 0x00400000 and not m.startswith("Inner packet cut"):
                fail(f"{pcap} frame {no}: expert note {m!r}")
                return


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1])
        return 2
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed")
        return 77
    lua, pcaps = sys.argv[1], sys.argv[2:]
    src = open(lua).read()
    fields = ["um3n." + f for f in re.findall(r'^field\("([a-z0-9_.]+)"', src, re.M)]
    if len(fields) < 40:
        fail(f"only {len(fields)} field() declarations found in {lua}")
    seen = set()
    for pcap in pcaps:
        before = len(failures)
        args = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E",
                "aggregator=|"]
        for f in ["_ws.expert.severity", "_ws.expert.message", "frame.number", "udp.srcport",
                  "udp.dstport", "frame.protocols", "udp.payload"] + fields:
            args += ["-e", f]
        rows = [line.split("\t") for line in tshark(lua, pcap, *args).splitlines()]
        check_experts(pcap, [(r[2], r[5], r[0], r[1]) for r in rows])
        s, n = check_values(pcap, fields, [r[2:] for r in rows])
        seen |= s
        ok = "ok  " if len(failures) == before else "FAIL"
        print(f"{ok} {pcap}: {len(rows)} frames, {n} on UDP {PORT}")
    missing = [f for f in fields if f not in seen and f not in ABSENT]
    for f in missing:
        fail(f"field {f} appears in no capture")
    print(f"fields: {len(fields)} declared, {len(seen)} seen, {len(ABSENT)} never sent by um3n")
    print("wireshark_lua:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
