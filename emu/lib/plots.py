"""The testbeds' plots (matplotlib under /usr/bin/python3; without it, no
plot): Fig. 5 beside the paper, and throughput around each handover."""
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


def plot_handover(panels, path):
    """panels: [(title, {label: (xs, ys)}, [(t, event label)])]"""
    plt = _pyplot()
    if plt is None:
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
