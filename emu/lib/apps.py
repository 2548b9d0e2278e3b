"""The applications of the testbeds, run on their hosts (emu/lib/nodes.py):
vsftpd + curl (FTP), iperf3, and a 720p30 H.264 video in RTP/MPEG-TS over UDP
from ffmpeg with a receiver sink at the MN."""
import json
import os
import subprocess

from .links import VIDEO_PORT

PY = "/usr/bin/python3"


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


_CURL_FMT = "%{size_download} %{time_total} %{time_starttransfer} %{speed_download}"


def _curl_argv(addr, duration_s, interface=None):
    argv = ["curl", "-4", "-s", "-o", "/dev/null", "--max-time", str(duration_s), "-w", _CURL_FMT,
            "ftp://%s/big.bin" % addr]
    if interface:
        argv[1:1] = ["--interface", interface]
    return argv


def _curl_result(out, returncode):
    """Goodput from curl's own size_download/time figures (time from the start
    of the transfer)."""
    try:
        size, total, start, speed = (float(x) for x in out.split())
    except ValueError:
        return {"ok": False, "curl_exit": returncode, "goodput_mbps": 0.0}
    xfer = max(1e-3, total - start)
    # curl exits 28 when --max-time ends the (endless) download: expected.
    return {"ok": returncode in (0, 28) and size > 0, "curl_exit": returncode,
            "bytes": int(size), "time_s": round(total, 3),
            "goodput_mbps": round(size * 8 / xfer / 1e6, 3),
            "curl_speed_mbps": round(speed * 8 / 1e6, 3)}


def ftp_download(node, addr, duration_s, interface=None):
    """curl downloads ftp://addr/big.bin for duration_s."""
    p = node.run(_curl_argv(addr, duration_s, interface), check=False, quiet=True,
                 timeout=duration_s + 30)
    return _curl_result(p.stdout, p.returncode)


def start_ftp_download(node, addr, duration_s, out_path):
    f = open(out_path, "w")
    p = node.popen(_curl_argv(addr, duration_s), stdout=f, stderr=subprocess.DEVNULL)
    p.out_path, p.out_file = out_path, f
    return p


def finish_ftp_download(p):
    p.wait()
    p.out_file.close()
    with open(p.out_path) as f:
        return _curl_result(f.read(), p.returncode)


def start_iperf_server(node):
    return node.popen(["iperf3", "-s", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def iperf_download(node, addr, duration_s, wrapper=(), extra=()):
    """iperf3 -R (server sends to the MN, as FTP); received Mbit/s."""
    argv = list(wrapper) + ["iperf3", "-c", addr, "-R", "-t", str(duration_s), "-O", "1", "-J"] + list(extra)
    p = node.run(argv, check=False, quiet=True, timeout=duration_s + 30)
    try:
        d = json.loads(p.stdout)
        return {"ok": "error" not in d, "goodput_mbps": round(_iperf_mbps(d), 3),
                "error": d.get("error")}
    except (ValueError, KeyError):
        return {"ok": False, "goodput_mbps": 0.0, "error": (p.stderr or p.stdout)[-200:]}


def _iperf_mbps(report):
    return report["end"]["sum_received"]["bits_per_second"] / 1e6


def iperf_sum_mbps(paths):
    """Received Mbit/s summed over iperf3 -J reports of flows run at once; a
    report that is missing or broken counts 0."""
    total = 0.0
    for path in paths:
        try:
            with open(path) as f:
                total += _iperf_mbps(json.load(f))
        except (OSError, ValueError, KeyError):
            pass
    return round(total, 3)

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

