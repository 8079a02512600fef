"""The PNG of a run: throughput and p99 of each workload, Tasklane beside the floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(result: dict[str, Any], paths: list[Path]) -> None:
    """Throughput (top) and p99 (bottom, log scale) of each workload, the Tasklane/floor ratio
    over Tasklane's bars; one PNG written to each of ``paths``."""
    m = result["meta"]
    title = (
        f"Tasklane vs floor, {m['users'] * m['tasks_per_user']:,} tasks / {m['users']} "
        f"users, MariaDB, 2 workers each, wrk {m['connections']} connections; "
        f"ratio = Tasklane/floor (median of {m['rounds']} interleaved rounds)"
    )
    summary = result["summary"]
    import matplotlib  # noqa: PLC0415 - bench-only dependency, loaded when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = [w for w in summary if "tasklane" in summary[w] and "floor" in summary[w]]
    x = list(range(len(names)))
    width = 0.38
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True)
    for axis, key, label in (
        (top, "rps", "throughput (requests/s)"),
        (bottom, "p99_ms", "p99 latency (ms, log)"),
    ):
        for offset, server, colour in (
            (-width / 2, "tasklane", "#3b6fb6"),
            (width / 2, "floor", "#b0b0b0"),
        ):
            values = [summary[n][server][key] for n in names]
            bars = axis.bar([i + offset for i in x], values, width, label=server, color=colour)
            if server == "tasklane":
                ratio_key = "rps_ratio" if key == "rps" else "p99_ratio"
                for bar, name in zip(bars, names, strict=True):
                    axis.annotate(
                        f"{summary[name][ratio_key]:.2f}x",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center",
                        va="bottom",
                        fontsize=8,
                    )
        axis.set_ylabel(label)
        axis.grid(axis="y", alpha=0.3)
    bottom.set_yscale("log")
    bottom.set_xticks(x, names)
    top.legend()
    top.set_title(title, fontsize=10)
    fig.tight_layout()
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)
