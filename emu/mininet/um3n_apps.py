"""Shared pieces of the um3n emulation testbeds (Mininet and ns-3 TapBridge).

Both testbeds have the same hosts (mn, ha, inet router, ftp and video servers)
and run the same real programs on them; only how a host runs a command
differs (a Mininet Host, or `ip netns exec`). This module holds:
  * Node adapters (NsNode, MnHost) with popen/run,
  * Um3n: writes mn.conf/ha.conf (um3n.conf(5)), starts/stops the daemons,
    waits for registration, runs um3nctl,
  * the applications: vsftpd + curl (FTP), iperf3, ffmpeg 720p30 H.264
    in RTP/MPEG-TS over UDP with a receiver sink, tcpdump captures,
  * analysis of the video captures (lost packets, late frames, longest gap)
    and of per-uplink captures (throughput over time), and the plots.
Use /usr/bin/python3 (Mininet, matplotlib).
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import time

PY = "/usr/bin/python3"
HOME_ADDR = "10.200.0.2"
FTP_ADDR = "10.9.1.1"
VIDEO_ADDR = "10.9.2.1"
VIDEO_PORT = 5004
PAPER_MBPS = {"3g": 3.61, "wifi": 14.67, "multihoming": 17.82}
PLAYOUT_MS = 150  # receiver playout delay, as um3n-sim's video flows (sim/README.md)
FRAME_MS = 1000.0 / 30


def log(*a):
    print("[emu]", *a, flush=True)


# ---------------------------------------------------------------- nodes


class Node:
    """Something that runs commands: prefix() is put before each argv."""

    name = "?"

    def prefix(self):
        return []

    def popen(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.Popen(self.prefix() + list(argv), **kw)

    def run(self, argv, check=True, timeout=120, quiet=False):
        p = subprocess.run(self.prefix() + list(argv), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError("%s: %s failed (%d): %s" % (self.name, " ".join(argv),
                                                           p.returncode, p.stderr.strip()))
        if not quiet and p.returncode != 0:
            log("%s: %s -> %d %s" % (self.name, " ".join(argv), p.returncode, p.stderr.strip()))
        return p

    def sh(self, cmd, check=True):
        return self.run(["sh", "-c", cmd], check=check)


class NsNode(Node):
    """A network namespace made with `ip netns add`."""

    def __init__(self, ns, name=None):
        self.ns = ns
        self.name = name or ns

    def prefix(self):
        return ["ip", "netns", "exec", self.ns]


class MnHost(Node):
    """A Mininet host: commands enter its namespace with mnexec."""

    def __init__(self, host):
        self.host = host
        self.name = host.name

    def prefix(self):
        return ["mnexec", "-a", str(self.host.pid)]


def stop_procs(procs, timeout=3.0):
    """SIGTERM, then SIGKILL, every Popen we started (by pid, never by name)."""
    for p in procs:
        if p and p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    end = time.time() + timeout
    for p in procs:
        if not p:
            continue
        try:
            p.wait(max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def have(tool):
    """Is tool on PATH (or in the sbin directories root's PATH may lack)?"""
    return bool(shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin"))


def _netns_inode(pid):
    try:
        return os.stat("/proc/%d/ns/net" % pid).st_ino
    except OSError:
        return None


def kill_namespace_procs(node, keep=()):
    """End what is left inside a namespace we made (vsftpd's per-session
    processes call setsid, so killing the listener does not end them): by pid,
    found through the namespace, never by name."""
    if isinstance(node, NsNode):
        p = subprocess.run(["ip", "netns", "pids", node.ns], stdout=subprocess.PIPE, text=True)
        pids = [int(x) for x in p.stdout.split()]
    else:
        ino = _netns_inode(node.host.pid)
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit() and
                _netns_inode(int(d)) == ino] if ino else []
    pids = [x for x in pids if x not in keep and x != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if sig == signal.SIGTERM:
            time.sleep(0.3)


def has_netem(node):
    """Can this kernel add a netem qdisc? (it cannot on the build machine)"""
    p = node.run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
                 check=False, quiet=True)
    if p.returncode == 0:
        node.run(["tc", "qdisc", "del", "dev", "lo", "root"], check=False, quiet=True)
        return True, ""
    return False, (p.stderr.strip().splitlines() or ["?"])[0]


# ---------------------------------------------------------------- daemons


class Um3n:
    """The real um3n-mn / um3n-ha daemons with a generated configuration."""

    def __init__(self, build, tmp, mn, ha, ha_addr, uplinks, default_class, rules,
                 dead_after_ms=100, log_level="info"):
        self.bin = os.path.join(build, "daemons")
        self.tmp, self.mn, self.ha, self.ha_addr = tmp, mn, ha, ha_addr
        self.uplinks = uplinks  # [(name, interface, class, priority, weight_kbps)]
        self.default_class, self.rules = default_class, rules
        self.dead_after_ms, self.log_level = dead_after_ms, log_level
        self.mn_proc = self.ha_proc = None
        self.mn_sock = os.path.join(tmp, "mn.sock")
        self.ha_sock = os.path.join(tmp, "ha.sock")

    @staticmethod
    def missing(build):
        return [b for b in ("um3n-mn", "um3n-ha", "um3nctl")
                if not os.access(os.path.join(build, "daemons", b), os.X_OK)]

    def _write(self, tag):
        # UM3N_EMU_BREAK=policy|handover breaks the daemons on purpose, to show
        # that the bounds catch it: every rule sends to wifi, or failure
        # detection is slowed to 5 s.
        brk = os.environ.get("UM3N_EMU_BREAK", "")
        rules = [(p, "wifi") for p, _c in self.rules] if brk == "policy" else self.rules
        dead = 5000 if brk == "handover" else self.dead_after_ms
        key = os.path.join(self.tmp, "mn.key")
        if not os.path.exists(key):
            fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, os.urandom(32).hex().encode())
            os.close(fd)
        mn = ["[mn]", "home_address = " + HOME_ADDR, "home_agent = " + self.ha_addr,
              "port = 434", "spi = 256", "key_file = " + key, "lifetime = 300",
              "tun = um3n0", "probe_interval_ms = 20",
              "dead_after_ms = %d" % dead,
              "control_socket = " + self.mn_sock, "log_level = " + self.log_level]
        for name, dev, cls, prio, kbps in self.uplinks:
            mn += ["[uplink %s]" % name, "interface = " + dev, "class = " + cls,
                   "priority = %d" % prio, "weight_kbps = %d" % kbps]
        mn += ["[policy]", "default = " + self.default_class]
        mn += ["rule = %s %s" % r for r in rules]
        ha = ["[ha]", "address = " + self.ha_addr, "port = 434", "tun = um3nha0",
              "max_lifetime = 600", "keepalive = 110",
              "dead_after_ms = %d" % dead,
              "control_socket = " + self.ha_sock, "log_level = " + self.log_level,
              "[mn %s]" % HOME_ADDR, "spi = 256", "key_file = " + key]
        self.mn_conf = os.path.join(self.tmp, "mn-%s.conf" % tag)
        self.ha_conf = os.path.join(self.tmp, "ha.conf")
        with open(self.mn_conf, "w") as f:
            f.write("\n".join(mn) + "\n")
        with open(self.ha_conf, "w") as f:
            f.write("\n".join(ha) + "\n")

    def start(self, tag, timeout=10):
        """Start both daemons; True once every uplink is registered."""
        self._write(tag)
        for s in (self.mn_sock, self.ha_sock):
            if os.path.exists(s):
                os.unlink(s)
        self.ha_log = open(os.path.join(self.tmp, "ha-%s.log" % tag), "w")
        self.mn_log = open(os.path.join(self.tmp, "mn-%s.log" % tag), "w")
        self.ha_proc = self.ha.popen([os.path.join(self.bin, "um3n-ha"), "-f", "-c", self.ha_conf],
                                     stdout=self.ha_log, stderr=subprocess.STDOUT)
        time.sleep(0.2)
        self.mn_proc = self.mn.popen([os.path.join(self.bin, "um3n-mn"), "-f", "-c", self.mn_conf],
                                     stdout=self.mn_log, stderr=subprocess.STDOUT)
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.registered():
                self.reg_s = time.time() - t0
                # Traffic to the servers enters the tunnel.
                self.mn.run(["ip", "route", "replace", "10.9.0.0/16", "dev", "um3n0"])
                return True
            if self.mn_proc.poll() is not None or self.ha_proc.poll() is not None:
                break
            time.sleep(0.1)
        return False

    def show(self, which="mn"):
        node, sock = (self.mn, self.mn_sock) if which == "mn" else (self.ha, self.ha_sock)
        p = node.run([os.path.join(self.bin, "um3nctl"), "-s", sock, "show", "-j"],
                     check=False, quiet=True, timeout=10)
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout)
        except ValueError:
            return None

    def registered(self):
        d = self.show()
        return bool(d and d.get("uplinks") and
                    all(u.get("reg_state") == "registered" for u in d["uplinks"]))

    def ctl(self, *args):
        return self.mn.run([os.path.join(self.bin, "um3nctl"), "-s", self.mn_sock] + list(args),
                           check=False, timeout=10)

    def stop(self):
        stop_procs([self.mn_proc, self.ha_proc])
        self.mn_proc = self.ha_proc = None
        for f in (getattr(self, "mn_log", None), getattr(self, "ha_log", None)):
            if f:
                f.close()
        self.mn.run(["ip", "route", "del", "10.9.0.0/16"], check=False, quiet=True)


# ---------------------------------------------------------------- applications


VSFTPD_CONF = """listen=YES
listen_address={addr}
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root={root}
local_enable=NO
write_enable=NO
ftp_username={user}
nopriv_user=nobody
secure_chroot_dir={empty}
pasv_enable=YES
pasv_min_port=40000
pasv_max_port=40100
isolate=NO
isolate_network=NO
seccomp_sandbox=NO
xferlog_enable=NO
use_localtime=NO
hide_ids=YES
"""


def _ftp_user():
    """vsftpd changes into the anonymous user's home before anon_root: use
    Debian's 'ftp' user (home /srv/ftp) when there is one."""
    import pwd
    try:
        if os.path.isdir(pwd.getpwnam("ftp").pw_dir):
            return "ftp"
    except KeyError:
        pass
    return "nobody"


def start_ftp_server(node, addr, tmp, size_mb=1024):
    """vsftpd serving /big.bin (a sparse file: reads cost no disk)."""
    d = os.path.join(tmp, "ftp-" + node.name)
    root, empty = os.path.join(d, "root"), os.path.join(d, "empty")
    os.makedirs(root, exist_ok=True)
    os.makedirs(empty, exist_ok=True)
    # vsftpd serves anonymous users as nobody: every directory above the
    # root must be searchable (mkdtemp makes the run's tmp 0700).
    os.chmod(tmp, 0o711)
    os.chmod(d, 0o755)
    os.chmod(root, 0o755)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.truncate(size_mb << 20)
    conf = os.path.join(d, "vsftpd.conf")
    with open(conf, "w") as f:
        f.write(VSFTPD_CONF.format(addr=addr, root=root, empty=empty, user=_ftp_user()))
    os.chmod(conf, 0o644)
    return node.popen(["vsftpd", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ftp_download(node, addr, duration_s, interface=None):
    """curl downloads ftp://addr/big.bin for duration_s; goodput from curl's own
    size_download/time figures (time from the start of the transfer)."""
    fmt = "%{size_download} %{time_total} %{time_starttransfer} %{speed_download}"
    argv = ["curl", "-4", "-s", "-o", "/dev/null", "--max-time", str(duration_s), "-w", fmt,
            "ftp://%s/big.bin" % addr]
    if interface:
        argv[1:1] = ["--interface", interface]
    p = node.run(argv, check=False, quiet=True, timeout=duration_s + 30)
    try:
        size, total, start, speed = (float(x) for x in p.stdout.split())
    except ValueError:
        return {"ok": False, "curl_exit": p.returncode, "goodput_mbps": 0.0}
    xfer = max(1e-3, total - start)
    # curl exits 28 when --max-time ends the (endless) download: expected.
    return {"ok": p.returncode in (0, 28) and size > 0, "curl_exit": p.returncode,
            "bytes": int(size), "time_s": round(total, 3),
            "goodput_mbps": round(size * 8 / xfer / 1e6, 3),
            "curl_speed_mbps": round(speed * 8 / 1e6, 3)}


def start_ftp_download(node, addr, duration_s, out_path):
    fmt = "%{size_download} %{time_total} %{time_starttransfer} %{speed_download}"
    f = open(out_path, "w")
    p = node.popen(["curl", "-4", "-s", "-o", "/dev/null", "--max-time", str(duration_s),
                    "-w", fmt, "ftp://%s/big.bin" % addr], stdout=f, stderr=subprocess.DEVNULL)
    p.out_path, p.out_file = out_path, f
    return p


def finish_ftp_download(p):
    p.wait()
    p.out_file.close()
    try:
        size, total, start, speed = (float(x) for x in open(p.out_path).read().split())
    except ValueError:
        return {"ok": False, "curl_exit": p.returncode, "goodput_mbps": 0.0}
    xfer = max(1e-3, total - start)
    return {"ok": p.returncode in (0, 28) and size > 0, "curl_exit": p.returncode,
            "bytes": int(size), "time_s": round(total, 3),
            "goodput_mbps": round(size * 8 / xfer / 1e6, 3),
            "curl_speed_mbps": round(speed * 8 / 1e6, 3)}


def start_iperf_server(node):
    return node.popen(["iperf3", "-s", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def iperf_download(node, addr, duration_s, wrapper=(), extra=()):
    """iperf3 -R (server sends to the MN, as FTP); received Mbit/s."""
    argv = list(wrapper) + ["iperf3", "-c", addr, "-R", "-t", str(duration_s), "-O", "1", "-J"] + list(extra)
    p = node.run(argv, check=False, quiet=True, timeout=duration_s + 30)
    try:
        d = json.loads(p.stdout)
        return {"ok": "error" not in d,
                "goodput_mbps": round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 3),
                "error": d.get("error")}
    except (ValueError, KeyError):
        return {"ok": False, "goodput_mbps": 0.0, "error": (p.stderr or p.stdout)[-200:]}


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


# ---------------------------------------------------------------- video


def video_clip(cache_dir, seconds=20):
    """A 720p30 H.264 test pattern in MPEG-TS, encoded once and cached: live
    encoding on a busy 2-core machine would add sender jitter to the figures.
    Single-frame VBV (bufsize = rate/fps) and periodic intra refresh keep every
    frame small, as low-latency video does, so no I-frame burst dwarfs the cell link."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, "testsrc-720p30-%ds.ts" % seconds)
    if os.path.exists(path):
        return path
    tmp = path + ".part.ts"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                    "-tune", "zerolatency", "-pix_fmt", "yuv420p",
                    "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "50k",
                    "-x264-params", "intra-refresh=1:keyint=60",
                    "-f", "mpegts", tmp], check=True, timeout=300)
    os.rename(tmp, path)
    return path


def start_video_sender(node, clip, dst, duration_s):
    """ffmpeg sends the clip in real time (-re), looped, as RTP/MPEG-TS over UDP."""
    url = "rtp://%s:%d?pkt_size=1328" % (dst, VIDEO_PORT)
    return node.popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
                       "-i", clip, "-t", str(duration_s), "-c", "copy", "-f", "rtp_mpegts", url],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


SINK = r"""
import socket, select, sys
ss = []
for port in (%d, %d):  # RTP and RTCP
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port)); ss.append(s)
n = 0
while True:
    r, _, _ = select.select(ss, [], [])
    for s in r:
        s.recv(65536); n += 1
""" % (VIDEO_PORT, VIDEO_PORT + 1)


def start_video_sink(node):
    """The MN's receiver: takes the datagrams (so no ICMP errors go back); the
    figures come from the capture at the MN's TUN."""
    return node.popen([PY, "-c", SINK], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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


# ---------------------------------------------------------------- handover


def _sleep_until(t):
    dt = t - time.time()
    if dt > 0:
        time.sleep(dt)


def handover_video(kind, u, mn, video, video_dev, uplink_devs, clip, d, pdir, cut, label):
    """One handover run with a 720p30 stream riding the wifi uplink.
    planned: `um3nctl link wifi signal -85` at 0.4 d, wifi lost 1 s later;
    cut: wifi lost at 0.4 d with no warning. cut(True/False) takes the wifi
    away / gives it back (the testbed's way: ns-3 error rate, or routes).
    Returns (stats, plot panel)."""
    t_ev, t_back = 0.4 * d, 0.75 * d
    paths = [os.path.join(pdir, "ho-%s-%s.pcap" % (kind, l)) for l in ("cell", "wifi")]
    caps = [capture(mn, dev, p, 96) for dev, p in zip(uplink_devs, paths)]
    snd = os.path.join(pdir, "ho-%s-video-send.pcap" % kind)
    rcv = os.path.join(pdir, "ho-%s-video-recv.pcap" % kind)
    caps.append(capture(video, video_dev, snd, 1400, "udp port %d" % VIDEO_PORT))
    caps.append(capture(mn, "um3n0", rcv, 1400, "udp port %d" % VIDEO_PORT))
    wait_captures_ready(paths + [snd, rcv])
    sink = start_video_sink(mn)
    events = []
    t0 = time.time()
    try:
        tx = start_video_sender(video, clip, HOME_ADDR, int(d))
        _sleep_until(t0 + t_ev)
        if kind == "planned":
            u.ctl("link", "wifi", "signal", "-85")
            events.append((time.time() - t0, "signal -85 dBm"))
            _sleep_until(t0 + t_ev + 1.0)
            cut(True)
            events.append((time.time() - t0, "wifi lost"))
        else:
            cut(True)
            events.append((time.time() - t0, "wifi cut (%s)" % label))
        _sleep_until(t0 + t_back)
        cut(False)
        if kind == "planned":
            u.ctl("link", "wifi", "signal", "-50")
        events.append((time.time() - t0, "wifi back"))
        tx.wait(d + 20)
        time.sleep(0.5)
    finally:
        cut(False)
        stop_procs([sink] + caps)
    st = video_stats(snd, rcv)
    st["events_s"] = [[round(t, 3), e] for t, e in events]
    st["t0_unix"] = round(t0, 6)
    # The same figures 1 s before to 3 s after the first event (um3n-sim's
    # handover window): whole-stream losses include random link loss.
    w = video_stats(snd, rcv, t0 + events[0][0] - 1.0, t0 + events[0][0] + 3.0)
    st["window"] = {k: w.get(k) for k in ("gap_ms", "lost_packets", "late_frames", "sent_packets")}
    log("handover %-7s gap %s ms, lost %s of %s packets, late frames %s of %s; "
        "in the window -1..+3 s: gap %s ms, lost %s, late frames %s" %
        (kind, st.get("gap_ms"), st.get("lost_packets"), st.get("sent_packets"),
         st.get("late_frames"), st.get("frames"), st["window"]["gap_ms"],
         st["window"]["lost_packets"], st["window"]["late_frames"]))
    series = {"uplink " + l: pcap_series(p, t0) for l, p in zip(("cell", "wifi"), paths)}
    series["video received (TUN)"] = pcap_series(rcv, t0)
    panel = ("handover %s: gap %s ms, lost %s, late frames %s" %
             (kind, st.get("gap_ms"), st.get("lost_packets"), st.get("late_frames")), series, events)
    return st, panel


def fig5_bounds(runs):
    """The Fig. 5 bounds both testbeds share: (description, holds) pairs, loose
    enough for a loaded 2-core CI box, tight enough to catch a broken policy."""
    g = lambda n: runs.get(n, {}).get("goodput_mbps", 0)  # noqa: E731
    if not all(n in runs for n in ("3g", "wifi", "multihoming")):
        return []
    mh = runs["multihoming"].get("uplink_mbps", {})
    return [
        ("3g > 50%% of 3.61 (%.2f)" % g("3g"), g("3g") > 1.8),
        ("wifi > 50%% of 14.67 (%.2f)" % g("wifi"), g("wifi") > 7.3),
        ("multihoming > wifi + 50%% of 3g (%.2f > %.2f)" % (g("multihoming"), g("wifi") + 0.5 * g("3g")),
         g("multihoming") > g("wifi") + 0.5 * g("3g")),
        ("multihoming uses both uplinks (cell %.2f, wifi %.2f Mbit/s)" % (mh.get("cell", 0), mh.get("wifi", 0)),
         mh.get("cell", 0) > 1.0 and mh.get("wifi", 0) > 5.0),
    ]


def handover_bounds(h):
    """Bounds shared by both testbeds: loose enough for a loaded 2-core CI
    box, tight enough to catch a broken handover."""
    b = []
    if "planned" in h:
        p = h["planned"]
        b.append(("planned handover: gap < 250 ms (%s)" % p.get("gap_ms"), p.get("ok") and p["gap_ms"] < 250))
        b.append(("planned handover: lost <= 1%% of %s (%s)" % (p.get("sent_packets"), p.get("lost_packets")),
                  p.get("ok") and p["lost_packets"] <= max(3, p["sent_packets"] // 100)))
    if "cut" in h:
        c = h["cut"]
        b.append(("cut handover: gap < 1000 ms (%s)" % c.get("gap_ms"), c.get("ok") and c["gap_ms"] < 1000))
        b.append(("cut handover: video delivered after the cut (%s of %s packets)" %
                  (c.get("received_packets"), c.get("sent_packets")),
                  c.get("ok") and c["received_packets"] > 0.8 * c["sent_packets"]))
    return b


# ---------------------------------------------------------------- plots


def plot_fig5(results, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot")
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
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot")
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


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def copy_if(src, dst):
    """Copy src to dst (a directory, or a file path ending in .png) if src exists."""
    if os.path.exists(src) and dst:
        os.makedirs(dst if not dst.endswith(".png") else os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)
