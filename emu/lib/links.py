#!/usr/bin/python3
"""The paper's testbed (Fig. 4) in numbers: the two radio uplinks, the
addresses and the paper's Fig. 5 figures. The one place they are written for
emu/ (both testbeds, emu/netns.sh) and ci/report.py.

The link rates are the paper's measured single-link throughputs (3G 3.61,
WiFi 14.67 Mbit/s): the testbeds shape the uplinks to them and the MN's
scheduler weighs the uplinks by them (weight_kbps). Multihoming's 17.82 is a
measurement of the paper, not a sum.

  emu/lib/links.py --sh     prints CELL_KBIT=... WIFI_KBIT=... for a shell's eval
"""
import sys

CELL_KBIT = 3610
WIFI_KBIT = 14670
CELL_MBPS = CELL_KBIT / 1000
WIFI_MBPS = WIFI_KBIT / 1000
# One way, each direction. Only where the kernel has netem (Mininet) or in ns-3.
CELL_DELAY_MS, WIFI_DELAY_MS = 50, 5
CELL_LOSS, WIFI_LOSS = 0.001, 0  # fraction of packets
NS3_QUEUE = "30p"  # the ns-3 radio devices' queue

PAPER_MBPS = {"3g": CELL_MBPS, "wifi": WIFI_MBPS, "multihoming": 17.82}

# Addresses: the same plan in both testbeds and in emu/netns.sh.
HOME_ADDR = "10.200.0.2"  # the MN's home address (its TUN, um3n0)
HA_ADDR = "10.3.0.2"
FTP_ADDR = "10.9.1.1"
VIDEO_ADDR = "10.9.2.1"
VIDEO_NET = "10.9.2.0/24"  # the policy rule's prefix: the video server
SERVERS_NET = "10.9.0.0/16"
VIDEO_PORT = 5004  # RTP; RTCP on the next port

# name -> (MN address, gateway, class, priority, weight_kbps)
UPLINKS = {"cell": ("10.1.1.2", "10.1.1.1", "cell", 1, CELL_KBIT),
           "wifi": ("10.1.2.2", "10.1.2.1", "wifi", 0, WIFI_KBIT)}


def ns3_spec(mbps, delay_ms, loss):
    """um3n-ns3's "rate,delay,loss" link argument (emu/ns3/testbed.py --cell/--wifi)."""
    return "%gMbps,%gms,%g" % (mbps, delay_ms, loss)


NS3_CELL = ns3_spec(CELL_MBPS, CELL_DELAY_MS, CELL_LOSS)  # "3.61Mbps,50ms,0.001"
NS3_WIFI = ns3_spec(WIFI_MBPS, WIFI_DELAY_MS, WIFI_LOSS)  # "14.67Mbps,5ms,0"


def uplinks_conf(names, devs, weights_mbps=None):
    """Um3n's uplink tuples (name, interface, class, priority, weight_kbps) for
    the uplinks named, on the testbed's interfaces devs {name: interface};
    weights_mbps {name: Mbit/s} instead of the links' rates where given."""
    w = weights_mbps or {}
    return [(n, devs[n]) + UPLINKS[n][2:4] + (int(w[n] * 1000) if n in w else UPLINKS[n][4],)
            for n in names]


if __name__ == "__main__":
    if sys.argv[1:] != ["--sh"]:
        sys.exit(__doc__)
    print("CELL_KBIT=%d WIFI_KBIT=%d" % (CELL_KBIT, WIFI_KBIT))
