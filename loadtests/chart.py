"""The latency chart of a run: accept -> settled over time, log scale, the 10-second line.

matplotlib is imported when a chart is drawn (it is part of the `loadtest` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loadtests.report import percentile
from loadtests.scenarios import TEN_SECONDS_MS


def latency(samples: Sequence[dict], path: Path, *, title: str) -> None:
    """accept -> settled latency (client and server) over the run, 10-second line drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=110)
    if samples:
        t0 = min(s["started_at"] for s in samples)
        ok = [s for s in samples if s["status"] == "settled"]
        bad = [s for s in samples if s["status"] != "settled"]
        ax.scatter(
            [s["started_at"] - t0 for s in ok],
            [s["client_ms"] for s in ok],
            s=3,
            alpha=0.35,
            label="client (POST sent -> settled seen)",
            color="tab:blue",
        )
        srv = [s for s in ok if s["server_ms"] is not None]
        ax.scatter(
            [s["started_at"] - t0 for s in srv],
            [max(s["server_ms"], 0.01) for s in srv],
            s=3,
            alpha=0.35,
            label="server (settled_at - accepted_at)",
            color="tab:orange",
        )
        if bad:
            ax.scatter(
                [s["started_at"] - t0 for s in bad],
                [max(s["client_ms"] or TEN_SECONDS_MS, 1) for s in bad],
                s=14,
                marker="x",
                color="tab:red",
                label="not settled / failed",
            )
        # rolling p99 of the client latency per second of the run
        buckets: dict[int, list[float]] = {}
        for s in ok:
            buckets.setdefault(int(s["started_at"] - t0), []).append(s["client_ms"])
        xs = sorted(buckets)
        ax.plot(
            xs,
            [percentile(buckets[x], 99) for x in xs],
            color="navy",
            lw=1.2,
            label="client p99 per second",
        )
    ax.axhline(TEN_SECONDS_MS, color="red", lw=1.5, ls="--", label="10 s promise")
    ax.set_yscale("log")
    ax.set_xlabel("seconds since first transfer")
    ax.set_ylabel("accept -> settled (ms, log scale)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper left", fontsize=8, markerscale=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
