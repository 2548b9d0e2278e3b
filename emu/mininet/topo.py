"""The paper's Fig. 4 testbed as a Mininet Topo (no switches, no controller).

       mn                       core                 ha                       inet
 +--------------+  cell 3.61 Mbit/s  +--------+                 +----------+          +---------+
 | mn-cell      |==================| core-  |  core-ha   ha-dn | um3n-ha  | ha-up    | in-ha   |--- ftp   10.9.1.1
 | 10.1.1.2     |                  | cell   |------------------| 10.3.0.2 |----------| 10.9.0.1|
 | mn-wifi      |==================| core-  | 10.3.0.1         | (down)   | 10.9.0.2 |         |--- video 10.9.2.1
 | 10.1.2.2     |  wifi 14.67 Mbit/s | wifi   |                  +----------+  (up)    +---------+
 | um3n0 10.200.0.2 (TUN, um3n-mn) |
 +--------------+   policy: video server (10.9.2.0/24) over cell, everything else over wifi

Rates with TCLink bw= (htb), numbers from emu/lib/links.py. Delay/loss (cell
~50 ms one way, 0.1 % loss; wifi 5 ms) only where the kernel has netem: Um3nTopo(netem=False) gives the
rate-only testbed (the build machine's kernel has no netem).

Load it in the Mininet CLI, from the repository root (mn loads this file by
path: emu.lib comes from PYTHONPATH, see emu/lib/__init__.py):
  sudo env PYTHONPATH=$PWD mn --custom emu/mininet/topo.py --topo um3n --controller none
  sudo env PYTHONPATH=$PWD mn --custom emu/mininet/topo.py --topo um3n,netem=True --controller none
(every host is a router with its routes set by RoutedHost; the daemons are
started by fig5.py, or by hand with daemons/examples-style configs).
"""
from mininet.link import TCLink
from mininet.node import Node
from mininet.topo import Topo

from emu.lib.links import CELL_DELAY_MS, CELL_LOSS, CELL_MBPS, WIFI_DELAY_MS, WIFI_LOSS, WIFI_MBPS


class RoutedHost(Node):
    """A host that forwards IPv4 and installs `routes` (list of `ip route add` argument strings)."""

    def config(self, routes=(), **params):
        r = super().config(**params)
        self.cmd("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0")
        for rt in routes:
            self.cmd("ip route add " + rt)
        return r


class Um3nTopo(Topo):
    """MN (cell + wifi uplinks) -> core router -> HA -> inet router -> FTP and video servers."""

    def build(self, netem=False, cell_mbps=CELL_MBPS, wifi_mbps=WIFI_MBPS):
        h = lambda name, routes: self.addHost(name, cls=RoutedHost, ip=None, routes=routes)  # noqa: E731
        mn = h("mn", ["10.3.0.2/32 via 10.1.1.1 dev mn-cell metric 10",
                      "10.3.0.2/32 via 10.1.2.1 dev mn-wifi metric 20",
                      # plain routing (baselines without um3n): wifi by default,
                      # each source address out of its own uplink
                      "default via 10.1.2.1 dev mn-wifi"])
        core = h("core", ["10.9.0.0/16 via 10.3.0.2"])
        ha = h("ha", ["10.1.0.0/16 via 10.3.0.1", "10.9.0.0/16 via 10.9.0.1"])
        inet = h("inet", ["default via 10.9.0.2"])
        ftp = h("ftp", ["default via 10.9.1.254"])
        video = h("video", ["default via 10.9.2.254"])
        cell = dict(bw=cell_mbps)
        wifi = dict(bw=wifi_mbps)
        if netem:
            cell.update(delay="%dms" % CELL_DELAY_MS, loss=100 * CELL_LOSS)
            wifi.update(delay="%dms" % WIFI_DELAY_MS)
            if WIFI_LOSS:
                wifi.update(loss=100 * WIFI_LOSS)
        self.addLink(mn, core, cls=TCLink, intfName1="mn-cell", intfName2="core-cell",
                     params1={"ip": "10.1.1.2/24"}, params2={"ip": "10.1.1.1/24"}, **cell)
        self.addLink(mn, core, cls=TCLink, intfName1="mn-wifi", intfName2="core-wifi",
                     params1={"ip": "10.1.2.2/24"}, params2={"ip": "10.1.2.1/24"}, **wifi)
        self.addLink(core, ha, intfName1="core-ha", intfName2="ha-dn",
                     params1={"ip": "10.3.0.1/24"}, params2={"ip": "10.3.0.2/24"})
        self.addLink(ha, inet, intfName1="ha-up", intfName2="in-ha",
                     params1={"ip": "10.9.0.2/24"}, params2={"ip": "10.9.0.1/24"})
        self.addLink(inet, ftp, intfName1="in-ftp", intfName2="ftp-eth0",
                     params1={"ip": "10.9.1.254/24"}, params2={"ip": "10.9.1.1/24"})
        self.addLink(inet, video, intfName1="in-video", intfName2="video-eth0",
                     params1={"ip": "10.9.2.254/24"}, params2={"ip": "10.9.2.1/24"})


def shaped_interfaces(net):
    """(host, interface, Mbit/s) of every rate-shaped radio interface."""
    return [(net[n], "%s-%s" % (n, l), r) for n in ("mn", "core")
            for l, r in (("cell", CELL_MBPS), ("wifi", WIFI_MBPS))]


def bound_queues(net, ms=80):
    """Without netem Mininet leaves htb's leaf queue at txqueuelen (1000
    packets = 3.3 s at 3.61 Mbit/s): a queue longer than the MN's
    dead_after_ms makes a busy uplink look dead. Hold ~ms of traffic."""
    for host, intf, mbps in shaped_interfaces(net):
        pkts = max(10, int(mbps * 1e6 * ms / 1000 / 12000))
        host.cmd("tc qdisc add dev %s parent 5:1 handle 10: pfifo limit %d" % (intf, pkts))


topos = {"um3n": Um3nTopo}
