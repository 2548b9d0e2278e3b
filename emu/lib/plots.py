"""The testbeds' and the simulator's plots (matplotlib under /usr/bin/python3;
without it, no plot): Fig. 5 beside the paper, each handover (every packet's
one-way delay, link and loss beside per-link throughput), one-way delay CDFs,
aggregation's shares against the links' capacity."""
from .links import PAPER_MBPS
from .nodes import log


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        log("matplotlib missing: no plot")
        return None


def plot_fig5(results, path, title):
    plt = _pyplot()
    if plt is None:
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


LINK_COLORS = {"wifi": "#1f77b4", "cell": "#ff7f0e", "wired": "#2ca02c"}
FLOW_MARKERS = ("o", "^", "s", "D", "v")
FLOW_COLORS = ("k", "#9467bd", "#8c564b", "#e377c2")  # none of them a link's


def _link_color(link, i):
    return LINK_COLORS.get(link, "C%d" % (3 + i))


def _events(ax, events):
    for i, (t, lab) in enumerate(events):
        ax.axvline(t, color="k", ls="--", lw=0.8)
        # staggered so labels of close events do not overlap
        ax.text(t, ax.get_ylim()[1] * (0.92 - 0.12 * (i % 3)), " " + lab, fontsize=7)


def _packets(ax, pkts, events, window):
    """One dot per packet: its one-way delay at its arrival time, coloured by
    the link that carried it, shaped by flow; a lost packet is an x on top at
    its send time; the longest gap without an arrival is annotated."""
    from .packets import longest_gap
    t0, t1 = window
    flows = sorted({p.flow for p in pkts})
    # None: no capture of the link that carried it
    links = sorted({p.link for p in pkts if p.link}) + [None]
    got = [p for p in pkts if p.recv_s is not None and t0 <= p.recv_s <= t1]
    # Lost: sent in the window, never arrived (the last 0.5 s may be in flight).
    lost = [p for p in pkts if p.recv_s is None and t0 <= p.send_s <= t1]
    top = max([(p.recv_s - p.send_s) * 1e3 for p in got] + [1.0]) * 1.25
    for fi, f in enumerate(flows):
        for li, link in enumerate(links):
            pts = [p for p in got if p.flow == f and p.link == link]
            if pts:
                ax.scatter([p.recv_s for p in pts], [(p.recv_s - p.send_s) * 1e3 for p in pts],
                           s=5, marker=FLOW_MARKERS[fi % len(FLOW_MARKERS)],
                           color=_link_color(link, li) if link else "#999999",
                           label="%s via %s" % (f, link or "?"),
                           linewidths=0)
    if lost:
        ax.scatter([p.send_s for p in lost], [top] * len(lost), s=18, marker="x", color="red",
                   label="lost (at send time): %d" % len(lost))
    ax.set_ylim(0, top * 1.12)
    ax.set_xlim(t0, t1)
    _events(ax, events)
    gap, a, b = longest_gap(pkts, t0, t1)
    if gap > 0:
        y = top * 0.8
        ax.annotate("", xy=(a, y), xytext=(b, y),
                    arrowprops={"arrowstyle": "<->", "color": "k", "lw": 0.9})
        ax.text(b, y, " gap %.0f ms" % (gap * 1e3), va="center", fontsize=7,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_ylabel("one-way delay (ms)")
    ax.legend(fontsize=6, loc="upper right", markerscale=2, ncol=2)


def plot_handover(panels, path):
    """panels: [(title, {label: (xs, ys)}, [(t, event label)])], each with
    optionally (..., packets, (t0, t1)): then a per-packet one-way delay panel
    (emu.lib.packets records) beside the throughput one."""
    plt = _pyplot()
    if plt is None:
        return
    cols = 2 if any(len(p) > 3 and p[3] for p in panels) else 1
    fig, axes = plt.subplots(len(panels), cols, figsize=(7 * cols, 2.8 * len(panels)),
                             squeeze=False)
    for row, panel in zip(axes, panels):
        title, series, events = panel[:3]
        ax = row[-1]
        for label, (xs, ys) in series.items():
            ax.plot(xs, ys, label=label, lw=1, drawstyle="steps-mid",
                    color=LINK_COLORS.get(label))
        _events(ax, events)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("Mbit/s")
        ax.legend(fontsize=7, loc="upper right")
        if cols == 2:
            if len(panel) > 3 and panel[3]:
                ax.set_xlim(*panel[4])
                _packets(row[0], panel[3], events, panel[4])
                row[0].set_title("every packet: one-way delay, link, losses", fontsize=9)
            else:
                row[0].set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_owd_cdfs(runs, path):
    """runs: [(title, packets)]: per run, the CDF of one-way delay of each
    flow (solid) and of the packets each link carried (dashed)."""
    plt = _pyplot()
    if plt is None:
        return
    from matplotlib import ticker
    n = len(runs)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (title, pkts) in zip(axes.flat, runs):
        got = [p for p in pkts if p.recv_s is not None]
        groups = [(f, "-", FLOW_COLORS[i % len(FLOW_COLORS)], [p for p in got if p.flow == f])
                  for i, f in enumerate(sorted({p.flow for p in got}))]
        groups += [("via " + link, "--", _link_color(link, i),
                    [p for p in got if p.link == link])
                   for i, link in enumerate(sorted({p.link for p in got if p.link}))]
        for label, ls, color, ps in groups:
            d = sorted((p.recv_s - p.send_s) * 1e3 for p in ps)
            if d:
                ax.plot(d, [(i + 1) / len(d) for i in range(len(d))], ls=ls, color=color,
                        label="%s (p50 %.1f, p99 %.1f ms)" %
                        (label, d[len(d) // 2], d[min(len(d) - 1, int(len(d) * 0.99))]))
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % v))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("one-way delay (ms)")
        ax.set_ylabel("fraction of packets")
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=6, loc="lower right")
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_shares(panels, path):
    """Per panel (title, {link: Mbit/s per second carried}, {link: capacity
    per second}): what each link carried against what it could, over time
    (a flow aggregated over links whose rates follow traces)."""
    plt = _pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 3.2 * len(panels)), sharex=True,
                             squeeze=False)
    for ax, (title, got, cap) in zip(axes[:, 0], panels):
        for i, l in enumerate(sorted(cap)):
            c = _link_color(l, i)
            ax.plot(range(len(cap[l])), cap[l], color=c, ls=":", label=l + " capacity")
            ax.plot(range(len(got[l])), got[l], color=c, label=l + " carried")
        ax.set_title(title)
        ax.set_ylabel("Mbit/s")
        ax.legend(fontsize=7, ncol=4)
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    log("plot:", path)
