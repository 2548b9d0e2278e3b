"""The sender's view of a TCP flow during a run: Linux's tcp_info as `ss -tin`
prints it, sampled a few times a second on the sending node (issue 11: why
one aggregated BBR flow sometimes gets WiFi's rate and sometimes the sum;
BBR's window is twice its bandwidth estimate times the smallest round trip it
saw, so a min_rtt learnt on the fast link alone caps what the flow keeps in
flight over the slow one). Only the busiest connection of the node counts:
iperf3's control connection shares the data connection's port."""
import re
import statistics
import threading
import time

_FIELDS = {
    "cwnd": re.compile(r"\bcwnd:(\d+)"),
    "rtt_ms": re.compile(r"\brtt:([\d.]+)/"),
    "minrtt_ms": re.compile(r"\bminrtt:([\d.]+)"),
    "bbr_bw_mbps": re.compile(r"bbr:\(bw:(\d+)bps"),
    "bbr_mrtt_ms": re.compile(r"bbr:\(bw:\d+bps,mrtt:([\d.]+)"),
    "delivery_mbps": re.compile(r"\bdelivery_rate (\d+)bps"),
    "bytes_acked": re.compile(r"\bbytes_acked:(\d+)"),
    "retrans": re.compile(r"\bretrans:\d+/(\d+)"),
    "unacked": re.compile(r"\bunacked:(\d+)"),
}
_SCALE = {"bbr_bw_mbps": 1e-6, "delivery_mbps": 1e-6}


def parse_ss(text):
    """ss -tin output -> one dict per connection with the fields found (the
    info line follows its connection's line)."""
    conns, cur = [], None
    for line in text.splitlines():
        if line.startswith(("ESTAB", "SYN", "FIN", "CLOSE", "LAST", "TIME")):
            cur = {}
            conns.append(cur)
        elif cur is not None and line[:1].isspace():
            for k, rx in _FIELDS.items():
                m = rx.search(line)
                if m:
                    cur[k] = float(m.group(1)) * _SCALE.get(k, 1)
    return conns


def busiest(conns):
    """The connection that has delivered the most (None without any)."""
    conns = [c for c in conns if "bytes_acked" in c]
    return max(conns, key=lambda c: c["bytes_acked"]) if conns else None


class Sampler:
    """Samples node's busiest TCP connection to dst every period_s in a
    thread, from start() to stop(); summary() gives medians of the samples."""

    def __init__(self, node, dst, period_s=0.25):
        self.node, self.dst, self.period = node, dst, period_s
        self.samples, self._stop = [], threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._t.start()
        return self

    def _run(self):
        t0 = time.time()
        while not self._stop.wait(self.period):
            p = self.node.run(["ss", "-tinH", "dst", self.dst], check=False, quiet=True, timeout=5)
            c = busiest(parse_ss(p.stdout))
            if c:
                c["t_s"] = round(time.time() - t0, 2)
                self.samples.append(c)

    def stop(self):
        self._stop.set()
        self._t.join(10)
        return self.summary()

    def summary(self):
        """Medians over the samples (the first second's slow start included:
        medians shrug it off), the last min_rtt, and the retransmissions."""
        s = self.samples
        if not s:
            return {}
        out = {"samples": len(s)}
        for k in ("cwnd", "rtt_ms", "bbr_bw_mbps", "bbr_mrtt_ms", "delivery_mbps", "unacked"):
            v = [x[k] for x in s if k in x]
            if v and 2 * len(v) >= len(s):  # not the control connection's before the data's
                out[k + "_p50"] = round(statistics.median(v), 3)
        for k in ("minrtt_ms", "retrans"):
            if k in s[-1]:
                out[k] = s[-1][k]
        keys = ("t_s", "cwnd", "rtt_ms", "minrtt_ms", "bbr_bw_mbps", "retrans")
        out["series"] = {k: [x.get(k) for x in s] for k in keys if any(k in x for x in s)}
        return out
