"""Pictures of one load-tests/run: for every phase JSON in the results directory that has
a latency distribution (`latencyCurveMicros`, from the driver's HDR histograms), a
percentile plot beside it (NAME-latency.png); for a fleet phase (storm, steady) also
its timeline (NAME-timeline.png): requests, 200s, 503s, STS calls and throttled calls
per second, and the server's threads. 800x500 pixels at 100 dpi.

    python3 load-tests/python/plot.py load-tests/results/<run>
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter  # noqa: E402

SIZE = (8, 5)
DPI = 100


def nines(p):
    """x position of percentile p: 1/(1 - p), so 90, 99, 99.9 are evenly spaced."""
    return 1 / max(1e-6, 1 - p / 100)


def latency_plot(phase, path):
    curve = [row for row in phase["latencyCurveMicros"] if row[0] < 100]
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    ax.plot([nines(p) for p, _ in curve], [v / 1000 for _, v in curve], marker=".")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [0, 50, 90, 99, 99.9, 99.99, 99.999]
    ax.xaxis.set_major_locator(FixedLocator([nines(p) for p in ticks]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{100 - 100 / x:g}%"))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.set_xlabel("percentile")
    what = "time to credentials" if phase.get("storm") else "latency"
    ax.set_ylabel(f"{what} (ms)")
    rate = phase["requestsPerSecond"]
    ax.set_title(f"{phase['label']}: {phase['server']}, {phase['mode']}, {rate:,.0f} req/s")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def timeline_plot(phase, path):
    storm = phase["storm"]
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    rows = storm["timeline"]
    x = [r[0] for r in rows]
    ax.plot(x, [r[1] for r in rows], label="requests/s")
    ax.plot(x, [r[2] for r in rows], label="200/s")
    ax.plot(x, [r[3] for r in rows], label="503/s")
    sts = storm.get("stsTimeline") or []
    if sts:
        ax.plot([r[0] for r in sts], [r[1] for r in sts], label="STS calls/s")
        ax.plot([r[0] for r in sts], [r[2] for r in sts], label="throttled/s")
    ax.set_xlabel("seconds since the first arrival")
    ax.set_ylabel("per second")
    ax.grid(True, alpha=0.3)
    series = storm.get("serverSeries") or []
    if series:
        threads = ax.twinx()
        threads.plot([r[0] for r in series], [r[1] for r in series], color="grey", linestyle=":", label="server threads")
        threads.set_ylabel("server threads")
        threads.set_ylim(bottom=0)
        lines = ax.get_legend_handles_labels()
        more = threads.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize="small")
    else:
        ax.legend(loc="upper right", fontsize="small")
    done = storm.get("secondsUntilAll")
    ax.set_title(
        f"{phase['label']}: {storm['clients']:,} clients in {storm['arrivalSeconds']:g} s, "
        + (f"all served by {done:.1f} s" if done is not None else f"{storm['clientsWithCredentials']:,} served")
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main():
    out = sys.argv[1]
    for name in sorted(os.listdir(out)):
        if not name.endswith(".json") or name == "report.json" or name.startswith("micro"):
            continue
        try:
            with open(os.path.join(out, name)) as f:
                phase = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(phase, dict) or not phase.get("latencyCurveMicros"):
            continue
        base = os.path.join(out, name[: -len(".json")])
        latency_plot(phase, base + "-latency.png")
        print(f"  {base}-latency.png")
        if phase.get("storm"):
            timeline_plot(phase, base + "-timeline.png")
            print(f"  {base}-timeline.png")


if __name__ == "__main__":
    main()
