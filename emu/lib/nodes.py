"""Hosts and processes of the testbeds: a Node runs commands on a testbed
host (NsNode: a namespace from `ip netns add`; MnHost: a Mininet host), and
the helpers that start, find and end processes (by pid, never by name)."""
import os
import shutil
import signal
import subprocess
import time


def log(*a):
    print("[emu]", *a, flush=True)


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

