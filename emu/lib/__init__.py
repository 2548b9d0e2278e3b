"""emu.lib: what the emulation testbeds (emu/mininet, emu/ns3) and the
scripts around them (emu/ns3/compare_sim.py, ci/report.py) share.

  links      the testbed in numbers: uplink rates, delays, loss, addresses,
             the paper's Fig. 5 figures (the one place they are written)
  nodes      hosts (a Mininet host or an `ip netns` namespace) and processes
  daemons    um3n-mn / um3n-ha with a generated configuration, um3nctl
  apps       vsftpd + curl, iperf3, the ffmpeg video sender and its sink
  captures   tcpdump, the pcap reader and trimmer
  analysis   video figures (lost packets, late frames, gap), uplink throughput
  hometric   handover figures (added gap, extra delay, stall) by um3n-sim's
             own code (sim/hometric.c through build/sim/um3n-hometric)
  packets    per-packet send/arrival/link records (um3n-sim pcaps, testbed video)
  plots      Fig. 5, handover (per packet and per link) and delay CDF plots
  bounds     the pass/fail bounds of a testbed run
  runs       the runs every testbed makes, and the end of a run

How to import it (the one way): the repository root on sys.path, then
`from emu.lib import ...`. An entry script does it in its first lines:

    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    REPO = <the repository root, from __file__>
    sys.path.insert(0, REPO)
    from emu.lib import links, runs  # noqa: E402

and a script loaded by path with no __file__ (`mn --custom emu/mininet/topo.py`)
gets it from PYTHONPATH=<repository root>. No script reaches into another
testbed's folder. Python: /usr/bin/python3 (Debian's, with Mininet, scapy and
matplotlib); nothing here imports Mininet.
"""
