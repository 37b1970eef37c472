"""`apply`: people applying to become members beside the instant scenario's API load.

Two Locust runs on the same system: first the API users alone (`baseline`, unless
`--no-baseline`), then the same API load with applicants beside it. summary.json's
transfer figures at the top are the second run's API users; `apply` holds the applicants'
decision latency and application -> first 瞬フリ settled; `baseline` the first run's
transfer figures, and `beside` the two p99s side by side.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence

from loadtests import report
from loadtests.context import Run
from loadtests.databases import decision_ms, pg_counters, pg_per_transfer
from loadtests.figures import collect, cpu_figures, finish
from loadtests.locust_run import run_locust
from loadtests.scenarios import APPLY_JOURNEY_S, TEN_SECONDS_MS
from loadtests.seeding import create_members, members_file, members_needed


def drive(run: Run) -> dict:
    opts = run.opts
    api_users = opts.users or max(1, math.ceil(opts.rate))
    apply_rate = opts.apply_rate if opts.apply_rate is not None else (
        opts.scenario.extra["apply_rate"])
    apply_users = max(1, math.ceil(apply_rate * APPLY_JOURNEY_S))
    runs = 2 if opts.baseline else 1
    members = create_members(
        run.target, members_needed(api_users, opts.rate, opts.duration * runs),
        opts.scenario.payees)
    mfile = members_file(run.out / "members.json", members)
    baseline = _baseline(run, mfile, api_users) if opts.baseline else None
    pg_before = pg_counters(run.target.database_url)
    total = api_users + apply_users
    lr = run_locust(
        run, folder=run.out, members_file=mfile, users=total,
        # Locust spreads the offered rate over every user; the API users must offer
        # `opts.rate` on their own, so the per-user rate is taken over the API users.
        rate=opts.rate * total / api_users, seconds=opts.duration, label="apply",
        extra_env={
            "LOADTEST_APPLY_USERS": str(apply_users),
            "LOADTEST_APPLY_USER_RATE": f"{apply_rate / apply_users:.6f}",
        },
    )
    summary, samples = collect(run.out, "apply", speed=run.target.speed)
    journeys = read_journeys(run)
    report.write_samples(run.out / "apply-samples.csv", journeys)
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": api_users,
            "duration_s_requested": opts.duration,
            "locust_exit_code": lr.returncode,
            # per transfer the API users saw settle; the applicants' work is in the CPU
            **cpu_figures(lr, samples),
            "postgres": pg_per_transfer(
                pg_before, pg_counters(run.target.database_url), summary["accepted"]
            ),
            "apply": {
                **summarise_journeys(journeys), "users": apply_users,
                "offered_per_s": apply_rate,
                # as stamped: received -> decided, without the client's round trips
                "decision_ms_server": report.distribution(decision_ms(
                    run.target.database_url, [r["application_id"] for r in journeys],
                    run.target.speed)),
            },
            "baseline": baseline,
            "beside": beside(summary, baseline),
        }
    )
    return finish(run.target, summary, samples, run.out)


def _baseline(run: Run, mfile, api_users: int) -> dict:  # type: ignore[no-untyped-def]
    """The API users alone, for `duration` seconds: the transfers' figures to compare."""
    folder = run.out / "baseline"
    lr = run_locust(run, folder=folder, members_file=mfile, users=api_users,
                    rate=run.opts.rate, seconds=run.opts.duration,
                    label="apply: the transfers alone first")
    summary, samples = collect(folder, "baseline", speed=run.target.speed)
    report.write_samples(folder / "samples.csv", samples)
    keys = ("accepted", "settled", "failed", "settled_per_s", "within_10s_ratio",
            "accept_to_settled_ms", "accept_ms")
    return {**{k: summary[k] for k in keys}, "locust_exit_code": lr.returncode,
            **cpu_figures(lr, samples)}


def read_journeys(run: Run) -> list[dict]:
    """Every applicant's journey (`apply-samples-*.csv`, one file per Locust process)."""
    rows: list[dict] = []
    for path in sorted((run.out / "samples").glob("apply-samples-*.csv")):
        with path.open(newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return sorted(rows, key=lambda r: float(r["started_at"]))


def _ms(row: dict, key: str) -> float | None:
    value = row.get(key)
    return float(value) if value not in (None, "") else None


def summarise_journeys(rows: Sequence[dict]) -> dict:
    """The applicants' figures: every decision here is automatic (nobody screens during a
    load test), so `decision_ms` is the automatic decision's latency as the applicant sees
    it, from sending the application to reading the decision."""
    decided = [r for r in rows if _ms(r, "decision_ms") is not None]
    decision = [_ms(r, "decision_ms") for r in decided]
    first = [_ms(r, "to_first_settled_ms") for r in rows
             if _ms(r, "to_first_settled_ms") is not None]
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"] or "unknown"] = by_status.get(r["status"] or "unknown", 0) + 1
    starts = [float(r["started_at"]) for r in rows]
    span = max(starts) - min(starts) if len(starts) > 1 else 0.0
    return {
        "applications": len(rows),
        "applications_per_s": round((len(rows) - 1) / span, 2) if span else 0.0,
        "decided": len(decided),
        "undecided": len(rows) - len(decided),
        "by_status": by_status,
        "decision_ms": report.distribution(decision),  # type: ignore[arg-type]
        "decided_within_10s_ratio": round(
            sum(1 for d in decision if d is not None and d <= TEN_SECONDS_MS) / len(rows), 6)
        if rows else 0.0,
        "contracted": sum(1 for r in rows if r["contracted"] == "1"),
        "first_settled": len(first),
        "to_first_settled_ms": report.distribution(first),  # type: ignore[arg-type]
    }


def beside(summary: dict, baseline: dict | None) -> dict:
    """The transfers' p99s with the applicants and without them, and their ratio."""
    out: dict = {}
    for side in ("client", "server"):
        with_ = summary["accept_to_settled_ms"][side]["p99"]
        alone = baseline["accept_to_settled_ms"][side]["p99"] if baseline else None
        out[f"p99_{side}_ms"] = {"alone": alone, "with_applicants": with_}
        out[f"p99_{side}_ratio"] = (round(with_ / alone, 3)
                                    if with_ is not None and alone else None)
    return out
