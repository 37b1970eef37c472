"""From raw samples to summary.json, the latency chart and the verdict table.

Percentiles are computed here from every transfer's raw sample (nearest-rank on the
sorted values, exact to the microsecond), not from Locust's histogram.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from loadtests.scenarios import TEN_SECONDS_MS, Scenario, Target


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of values <= it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def distribution(values: Sequence[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {
        "count": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values) if values else None),
        "mean": r(sum(values) / len(values) if values else None),
    }


def read_samples(folder: Path, pattern: str = "samples-*.csv") -> list[dict]:
    """Every `samples-*.csv` in `folder` (one per Locust process), numbers parsed."""
    rows: list[dict] = []
    for path in sorted(folder.glob(pattern)):
        with path.open(newline="") as fh:
            for raw in csv.DictReader(fh):
                rows.append(_parse(raw))
    rows.sort(key=lambda r: r["started_at"])
    return rows


def _parse(raw: dict) -> dict:
    def num(key: str) -> float | None:
        value = raw.get(key)
        return float(value) if value not in (None, "") else None

    row = dict(raw)
    row["started_at"] = float(raw["started_at"])
    row["accept_ms"] = num("accept_ms")
    row["client_ms"] = num("client_ms")
    row["server_ms"] = num("server_ms")
    row["polls"] = int(raw.get("polls") or 0)
    return row


def write_samples(path: Path, rows: Iterable[dict]) -> None:
    """The merged samples, one file (the chart's and the reader's input)."""
    rows = list(rows)
    if not rows:
        path.write_text("")
        return
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def summarise(samples: Sequence[dict], *, scenario: str, extra_failed: int = 0) -> dict:
    """The transfer figures of summary.json.

    `accepted` counts transfers the API answered 202 (every sample); `settled` those that
    reached `settled`; `failed` transfers not settled within 10 s or ended otherwise, plus
    `extra_failed` (failed requests Locust counted that produced no sample, e.g. a refused
    POST or a failed login).
    """
    settled = [s for s in samples if s["status"] == "settled"]
    on_time = [
        s for s in settled if s["client_ms"] is not None and s["client_ms"] <= TEN_SECONDS_MS
    ]
    late_or_lost = len(samples) - len(on_time)
    client = [s["client_ms"] for s in settled if s["client_ms"] is not None]
    server = [s["server_ms"] for s in settled if s["server_ms"] is not None]
    accept = [s["accept_ms"] for s in samples if s["accept_ms"] is not None]
    if settled:
        first = min(s["started_at"] for s in samples)
        last = max(s["started_at"] + (s["client_ms"] or 0) / 1000.0 for s in settled)
        span = max(last - first, 1e-9)
        offered_span = max(max(s["started_at"] for s in samples) - first, 1e-9)
    else:
        span = offered_span = 0.0
    one_trip = sum(1 for s in settled if s["polls"] == 0)
    by_status: dict[str, int] = {}
    for s in samples:
        by_status[s["status"] or "unknown"] = by_status.get(s["status"] or "unknown", 0) + 1
    return {
        "scenario": scenario,
        "accepted": len(samples),
        "settled": len(settled),
        "failed": late_or_lost + extra_failed,
        "by_status": by_status,
        "settled_per_s": round(len(settled) / span, 2) if span else 0.0,
        "accepted_per_s": round(len(samples) / offered_span, 2) if offered_span else 0.0,
        "duration_s": round(span, 3),
        "within_10s_ratio": round(len(on_time) / len(samples), 6) if samples else 0.0,
        "accept_to_settled_ms": {
            "server": distribution(server),
            "client": distribution(client),
        },
        "accept_ms": distribution(accept),
        # settled seen in the POST's own answer (`Prefer: wait`), no `GET ?wait=` needed
        "settled_in_one_round_trip": one_trip,
        "one_round_trip_ratio": round(one_trip / len(settled), 6) if settled else 0.0,
    }


def lookup(summary: dict, dotted: str):  # type: ignore[no-untyped-def]
    value = summary
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def verdict(summary: dict, targets: Sequence[Target]) -> list[dict]:
    rows = []
    for target in targets:
        value = lookup(summary, target.metric)
        rows.append(
            {
                "target": target.label,
                "metric": target.metric,
                "op": target.op,
                "limit": target.limit,
                "value": value,
                "ok": target.holds(value),
            }
        )
    return rows


def print_verdict(summary: dict, rows: Sequence[dict], scenario: Scenario, console=None) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    pg = summary.get("pgbench_tps")
    title = (
        f"{scenario.name}: {summary.get('accepted', 0)} accepted, "
        f"{summary.get('settled', 0)} settled at {summary.get('settled_per_s', 0)}/s"
        + (f"  (pgbench {pg:.0f} TPS)" if isinstance(pg, int | float) else "")
    )
    table = Table(title=title)
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("", justify="center")
    for row in rows:
        value = row["value"]
        shown = (
            "n/a" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        )
        table.add_row(row["target"], shown, "[green]PASS[/]" if row["ok"] else "[red]MISS[/]")
    console.print(table)
    cpu = cpu_table(summary)
    if cpu is not None:
        console.print(cpu)
    note = (summary.get("knee") or {}).get("note")
    if note:
        console.print(f"[yellow]{note}[/]")


# (summary.json's process group, the column's header: short enough for 80 columns)
CPU_COLUMNS = (("api", "api"), ("workers", "workers"), ("postgresql", "pg"), ("redis", "redis"),
               ("bank simulator", "bank"), ("locust", "locust"))


def cpu_table(summary: dict):  # type: ignore[no-untyped-def]
    """CPU milliseconds per settled transfer, in all and by process: one row for the run,
    or one per ramp step (a step whose Locust was near a core is marked)."""
    from rich.table import Table

    if summary.get("steps"):
        rows = [(f"{s['rate']:g}/s", s.get("cpu_ms_per_settled"), s.get("locust_limited"))
                for s in summary["steps"]]
    elif summary.get("cpu_ms_per_settled"):
        cpu = summary.get("cpu") or {}
        rows = [(summary.get("scenario", ""), summary["cpu_ms_per_settled"],
                 cpu.get("locust_limited"))]
    else:
        return None
    table = Table(title="CPU ms per settled transfer (steady window)",
                  caption="pg = PostgreSQL, bank = bank simulator; limited = a Locust process "
                  "near a whole core: the load generator's ceiling, not the system's")
    for col in ("run", "total", *(header for _, header in CPU_COLUMNS), "limited"):
        table.add_column(col, justify="right", no_wrap=True)
    for label, per, limited in rows:
        per = per or {}
        by = per.get("by_process") or {}
        table.add_row(label, _ms(per.get("total")),
                      *(_ms(by.get(key)) for key, _ in CPU_COLUMNS),
                      "[red]yes[/]" if limited else "no")
    return table


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def locust_rows(stats_csv: Path) -> dict[str, dict]:
    """Locust's `_stats.csv` as {"TYPE name": {requests, failures, p50, p99, max, rps}}."""
    if not stats_csv.exists():
        return {}
    out = {}
    with stats_csv.open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = f"{row['Type']} {row['Name']}".strip()

            def f(col: str, row: dict = row) -> float | None:
                try:
                    return float(row[col])
                except (KeyError, ValueError, TypeError):
                    return None

            out[key] = {
                "requests": int(f("Request Count") or 0),
                "failures": int(f("Failure Count") or 0),
                "p50": f("50%"),
                "p95": f("95%"),
                "p99": f("99%"),
                "max": f("Max Response Time"),
                "rps": f("Requests/s"),
            }
    return out


def locust_json_rows(path: Path) -> dict[str, dict]:
    """Locust's `--json-file` (written after the last user stopped) in `locust_rows`' shape."""
    if not path.exists():
        return {}
    out = {}
    for entry in json.loads(path.read_text() or "[]"):
        times = {float(k): int(v) for k, v in entry.get("response_times", {}).items()}
        values: list[float] = []
        for ms, n in sorted(times.items()):
            values.extend([ms] * n)
        span = max(entry.get("last_request_timestamp", 0) - entry.get("start_time", 0), 1e-9)
        out[f"{entry['method']} {entry['name']}"] = {
            "requests": entry["num_requests"],
            "failures": entry["num_failures"],
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "max": entry.get("max_response_time"),
            "rps": round(entry["num_requests"] / span, 2),
        }
    return out


def locust_json_all(
    path: Path, *, prefix: str, exclude: tuple[str, ...] = ()
) -> list[float]:
    """Every response time (ms) of the Locust rows whose name starts with `prefix` and
    contains none of `exclude`."""
    if not path.exists():
        return []
    values: list[float] = []
    for entry in json.loads(path.read_text() or "[]"):
        name = entry["name"]
        if not name.startswith(prefix) or any(x in name for x in exclude):
            continue
        for ms, n in entry.get("response_times", {}).items():
            values.extend([float(ms)] * int(n))
    return values


def write_summary(path: Path, summary: dict) -> None:
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
