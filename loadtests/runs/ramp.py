"""`ramp`: step the offered rate up on one system; the knee is the highest step that holds.

A step that Locust itself could not drive (a Locust process near a whole core, see
`loadtests/cpu.py`) is marked `locust_limited`; when the step past the knee is, the knee
is the load generator's ceiling, not the system's, and the summary says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests import chart, report
from loadtests.context import Run
from loadtests.figures import collect, cpu_figures, finish
from loadtests.locust_run import console, run_locust
from loadtests.scenarios import RAMP_MIN_DELIVERED, RAMP_P99_LIMIT_MS
from loadtests.seeding import create_members, members_file, members_needed

LOCUST_CEILING = "Locust itself is near a core: this is the load generator's ceiling, not ours"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of the ramp, as summary.json's `steps[]` holds it."""

    rate: float
    holds: bool
    why: str
    settled_per_s: float
    accepted_per_s: float
    failed: int
    client: dict
    server: dict
    locust_exit_code: int
    cpu: dict | None
    cpu_ms_per_settled: dict | None
    locust_limited: bool


def drive(run: Run) -> dict:
    opts = run.opts
    steps = [s for s in opts.scenario.steps if s >= opts.rate] or [opts.rate]
    members = create_members(
        run.target,
        members_needed(int(max(steps)), sum(steps) / len(steps), opts.duration * len(steps)),
        opts.scenario.payees,
    )
    mfile = members_file(run.out / "members.json", members)
    results: list[Step] = []
    all_samples: list[dict] = []
    for rate in steps:
        step, samples = _one_step(run, rate, mfile)
        results.append(step)
        all_samples.extend(samples)
        console.print(_line(step))
        if not step.holds:
            break
    held = [s for s in results if s.holds]
    knee = held[-1] if held else None
    # Top-level figures: the knee step's (the highest rate that held), else the first step.
    chosen = knee or results[0]
    summary, _ = collect(_folder(run, chosen.rate), "ramp", speed=run.target.speed)
    if knee:
        summary["failed"] = sum(s.failed for s in held)
    summary["cpu"] = chosen.cpu
    summary["cpu_ms_per_settled"] = chosen.cpu_ms_per_settled
    summary["steps"] = [asdict(s) for s in results]
    summary["knee"] = knee_summary(results)
    chart.latency(all_samples, run.out / "accept_to_settled.png",
                  title="ramp: accept -> settled across all steps")
    report.write_samples(run.out / "samples.csv", all_samples)
    return summary


def _folder(run: Run, rate: float) -> Path:
    return run.out / f"step-{int(rate):04d}"


def _one_step(run: Run, rate: float, mfile: Path) -> tuple[Step, list[dict]]:
    folder = _folder(run, rate)
    lr = run_locust(run, folder=folder, members_file=mfile, users=max(1, math.ceil(rate)),
                    rate=rate, seconds=run.opts.duration, label=f"ramp {rate:g}/s")
    summary, samples = collect(folder, "ramp", speed=run.target.speed)
    finish(run.target, summary, samples, folder)
    figures = cpu_figures(lr, samples)
    limited = bool(figures["cpu"] and figures["cpu"]["locust_limited"])
    holds, why = step_holds(summary, samples, rate)
    if not holds and limited:
        why = f"{why}; {LOCUST_CEILING}"
    step = Step(
        rate=rate, holds=holds, why=why,
        settled_per_s=summary["settled_per_s"], accepted_per_s=summary["accepted_per_s"],
        failed=summary["failed"], client=summary["accept_to_settled_ms"]["client"],
        server=summary["accept_to_settled_ms"]["server"], locust_exit_code=lr.returncode,
        cpu=figures["cpu"], cpu_ms_per_settled=figures["cpu_ms_per_settled"],
        locust_limited=limited,
    )
    return step, samples


def knee_summary(steps: list[Step]) -> dict:
    """The knee, and whether Locust bounded it: the step that broke (or, when every step
    held, the last one) had a Locust process near a core."""
    held = [s for s in steps if s.holds]
    knee = held[-1] if held else None
    broke = next((s for s in steps if not s.holds), None)
    bounding = broke or (steps[-1] if steps else None)
    limited = bool(bounding and bounding.locust_limited)
    note = ""
    if limited and bounding is not None:
        note = (f"at {bounding.rate:g}/s {LOCUST_CEILING}; the knee is at least "
                f"{knee.rate if knee else 0:g}/s (run Locust distributed or on another "
                "machine to find the system's)")
    return {
        "rate": knee.rate if knee else None,
        "settled_per_s": knee.settled_per_s if knee else None,
        "limited_by_locust": limited,
        "locust_limited_steps": [s.rate for s in steps if s.locust_limited],
        "note": note,
    }


def _line(step: Step) -> str:
    per = (step.cpu_ms_per_settled or {}).get("total")
    cpu = f", {per:g} ms CPU/transfer" if per is not None else ""
    locust = " [Locust near a core]" if step.locust_limited else ""
    verdict = "holds" if step.holds else "KNEE PASSED: " + step.why
    return (f"  step {step.rate:g}/s: settled {step.settled_per_s}/s, p99 client "
            f"{step.client['p99']} ms, failed {step.failed}{cpu}{locust} -> {verdict}")


def step_holds(summary: dict, samples: list[dict], rate: float) -> tuple[bool, str]:
    client = summary["accept_to_settled_ms"]["client"]
    if summary["failed"]:
        return False, f"{summary['failed']} failed"
    if client["p99"] is None or client["p99"] > RAMP_P99_LIMIT_MS:
        return False, f"p99 {client['p99']} ms > {RAMP_P99_LIMIT_MS:.0f} ms"
    if summary["settled_per_s"] < RAMP_MIN_DELIVERED * rate:
        return False, f"settled {summary['settled_per_s']}/s < {RAMP_MIN_DELIVERED:.0%} of offered"
    if growing_backlog(samples):
        return False, "latency grows through the step (backlog)"
    return True, ""


def growing_backlog(samples: list[dict]) -> bool:
    """Latency in the last third of a step well above the first third: the queue grows."""
    done = [s for s in samples if s["client_ms"] is not None]
    if len(done) < 30:
        return False
    third = len(done) // 3
    first = report.percentile([s["client_ms"] for s in done[:third]], 50) or 0
    last = report.percentile([s["client_ms"] for s in done[-third:]], 50) or 0
    return last > max(3 * first, first + 200)
