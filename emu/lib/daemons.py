"""The real um3n-mn / um3n-ha daemons on testbed hosts: a generated
configuration (um3n.conf(5)), start and stop, registration, um3nctl."""
import json
import os
import subprocess
import time

from .links import HOME_ADDR, SERVERS_NET
from .nodes import stop_procs


class Um3n:
    """The real um3n-mn / um3n-ha daemons with a generated configuration."""

    def __init__(self, build, tmp, mn, ha, ha_addr, uplinks, default_class, rules,
                 dead_after_ms=100, log_level="info", one=None):
        self.bin = os.path.join(build, "daemons")
        self.tmp, self.mn, self.ha, self.ha_addr = tmp, mn, ha, ha_addr
        self.uplinks = uplinks  # [(name, interface, class, priority, weight_kbps)]
        self.default_class, self.rules = default_class, rules
        self.dead_after_ms, self.log_level = dead_after_ms, log_level
        # uplinks = one (issue 16): None for multihoming, else {uplink: "hot"|"cold"}
        self.one = one
        self.mn_proc = self.ha_proc = None
        self.mn_sock = os.path.join(tmp, "mn.sock")
        self.ha_sock = os.path.join(tmp, "ha.sock")

    @staticmethod
    def missing(build):
        return [b for b in ("um3n-mn", "um3n-ha", "um3nctl")
                if not os.access(os.path.join(build, "daemons", b), os.X_OK)]

    def _write(self, tag):
        # UM3N_EMU_BREAK=policy|handover|reorder|aqm breaks the daemons on
        # purpose, to show that the bounds catch it: every rule sends to wifi,
        # failure detection is slowed to 5 s, the reorder queues are off, or
        # the AQM that keeps moved traffic behind a link's own is off.
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
              "reorder_max_ms = %d" % (0 if brk == "reorder" else 100),
              "control_socket = " + self.mn_sock, "log_level = " + self.log_level]
        aqm = ["aqm_limit_ms = 0"] if brk == "aqm" else []
        # UM3N_EMU_RATE_ESTIMATE=no: aggregation on the configured weights
        # alone, on both ends (core/rateest.c), to compare with the measured.
        rate = os.environ.get("UM3N_EMU_RATE_ESTIMATE")
        if rate:
            aqm += ["rate_estimate = " + rate]
        # UM3N_EMU_ARQ=no: no repair requests on either end (core/arq.c), to
        # compare with them.
        arq = os.environ.get("UM3N_EMU_ARQ")
        if arq:
            aqm += ["arq = " + arq]
        # UM3N_EMU_PACE=0: aggregate rules' TCP data goes at once on both ends
        # instead of through the sender's paced queue (core/pacer.c), to
        # compare with it; another number sets pace_pct.
        pace = os.environ.get("UM3N_EMU_PACE")
        if pace:
            aqm += ["pace_pct = " + pace]
        mn += aqm
        if self.one is not None:
            mn += ["uplinks = one"]
        for name, dev, cls, prio, kbps in self.uplinks:
            mn += ["[uplink %s]" % name, "interface = " + dev, "class = " + cls,
                   "priority = %d" % prio, "weight_kbps = %d" % kbps]
            if self.one and name in self.one:
                mn += ["standby = " + self.one[name]]
        mn += ["[policy]", "default = " + self.default_class]
        mn += ["rule = %s %s" % r for r in rules]
        ha = ["[ha]", "address = " + self.ha_addr, "port = 434", "tun = um3nha0",
              "max_lifetime = 600", "keepalive = 110",
              "dead_after_ms = %d" % dead,
              "reorder_max_ms = %d" % (0 if brk == "reorder" else 100),
              "control_socket = " + self.ha_sock, "log_level = " + self.log_level] + aqm + \
             ["[mn %s]" % HOME_ADDR, "spi = 256", "key_file = " + key]
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
                self.mn.run(["ip", "route", "replace", SERVERS_NET, "dev", "um3n0"])
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
        """Every uplink registered; with uplinks = one, every one but the cold
        standbys, and one of them carries the traffic."""
        d = self.show()
        if not (d and d.get("uplinks")):
            return False
        cold = {n for n, k in (self.one or {}).items() if k == "cold"}
        if self.one is not None and d.get("handover", {}).get("active", "-") == "-":
            return False
        return all(u.get("reg_state") == "registered" for u in d["uplinks"]
                   if u.get("name") not in cold)

    def ctl(self, *args):
        return self.mn.run([os.path.join(self.bin, "um3nctl"), "-s", self.mn_sock] + list(args),
                           check=False, timeout=10)

    def stop(self):
        stop_procs([self.mn_proc, self.ha_proc])
        self.mn_proc = self.ha_proc = None
        for f in (getattr(self, "mn_log", None), getattr(self, "ha_log", None)):
            if f:
                f.close()
        self.mn.run(["ip", "route", "del", SERVERS_NET], check=False, quiet=True)

