"""`shunfuri loadtest SCENARIO`: registered on the `shunfuri` app when `shunfuri.cli.main` runs.

Locust and matplotlib are the optional `loadtest` extra (the service does not need
them); without them the command says how to install them instead of failing on an import.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from loadtests.context import DEFAULT_HISTORY, DEFAULT_PGBENCH_S, DEFAULT_PREFER_WAIT_S
from shunfuri.cli.main import app

EXTRA = "loadtest"
EXTRA_MODULES = ("locust", "matplotlib")


def missing_extra() -> list[str]:
    """The load-test extra's modules that cannot be imported here."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def extra_hint(missing: list[str]) -> str:
    return (
        f"shunfuri loadtest needs the `{EXTRA}` extra, which is not installed here "
        f"(missing: {', '.join(missing)}).\n"
        f"Install it with:  pip install 'shunfuri[{EXTRA}]'\n"
        f"or, in a checkout:  make install  (uv sync --all-extras), "
        f"or  .uv/bin/uv sync --extra {EXTRA}"
    )


# Each option of `shunfuri loadtest`, named, so the command's signature stays short.
ScenarioArg = Annotated[
    str, typer.Argument(help="instant | ramp | batch | distributed | web | apply")
]
RateArg = Annotated[float | None, typer.Option(help="transfers/s offered (ramp: first step)")]
DurationArg = Annotated[float | None, typer.Option(help="seconds of steady load (ramp: per step)")]
UsersArg = Annotated[int | None, typer.Option(help="Locust users (default: one per transfer/s)")]
HostArg = Annotated[
    str | None, typer.Option(help="target a running system instead of starting one")
]
CountArg = Annotated[int | None, typer.Option(help="batch: scheduled transfers to put in place")]
WorkersArg = Annotated[int | None, typer.Option(help="distributed: Locust worker processes")]
SpeedArg = Annotated[float | None, typer.Option(help="simulated clock speed (batch default 20)")]
ApiWorkersArg = Annotated[int | None, typer.Option(help="passed to `shunfuri up`")]
WorkerConcurrencyArg = Annotated[int | None, typer.Option(help="passed to `shunfuri up`")]
KeepDbArg = Annotated[bool, typer.Option(help="keep the load database after the run")]
EmbeddedArg = Annotated[
    bool,
    typer.Option(
        help="run the system on the embedded defaults (private PostgreSQL and Redis); "
        "the default when no LOADTEST_DATABASE_URL is set and nothing answers on :5432"
    ),
]
WebRateArg = Annotated[
    float | None, typer.Option(help="web: page requests/s of the members on the pages")
]
ApplyRateArg = Annotated[float | None, typer.Option(help="apply: applications/s (default 5)")]
BaselineArg = Annotated[
    bool, typer.Option(help="apply: first run the transfers alone, for comparison")
]
OutArg = Annotated[
    Path | None, typer.Option(help="results folder (default loadtests/results/<stamp>)")
]
PreferWaitArg = Annotated[
    int,
    typer.Option(
        min=0,
        max=30,
        help="`Prefer: wait=N` on POST /v1/transfers: the answer is final in one round "
        "trip; 0 = POST, then GET ?wait= (the two-request way)",
    ),
]
HistoryArg = Annotated[
    int,
    typer.Option(
        min=0,
        help="past transfers put in the database before the run, as a lender's tables "
        "hold (0: start on empty tables)",
    ),
]
PgbenchSecondsArg = Annotated[
    float,
    typer.Option(
        min=1,
        help="seconds of the transfer-shaped pgbench that every result is quoted with "
        "(shorter: a rougher figure, as in the smoke tests)",
    ),
]


@app.command()
def loadtest(
    scenario: ScenarioArg = "instant",
    rate: RateArg = None,
    duration: DurationArg = None,
    users: UsersArg = None,
    host: HostArg = None,
    count: CountArg = None,
    workers: WorkersArg = None,
    speed: SpeedArg = None,
    api_workers: ApiWorkersArg = None,
    worker_concurrency: WorkerConcurrencyArg = None,
    keep_db: KeepDbArg = False,
    embedded: EmbeddedArg = False,
    web_rate: WebRateArg = None,
    apply_rate: ApplyRateArg = None,
    baseline: BaselineArg = True,
    out: OutArg = None,
    prefer_wait: PreferWaitArg = DEFAULT_PREFER_WAIT_S,
    history: HistoryArg = DEFAULT_HISTORY,
    pgbench_seconds: PgbenchSecondsArg = DEFAULT_PGBENCH_S,
) -> None:
    """Load-test the transfer pipeline with Locust; exits non-zero when a target is missed."""
    missing = missing_extra()
    if missing:
        typer.echo(extra_hint(missing), err=True)
        raise typer.Exit(2)
    from loadtests import report, scenarios
    from loadtests.runner import Options, console, execute

    try:
        chosen = scenarios.get(scenario)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="SCENARIO") from None
    opts = Options(
        scenario=chosen,
        rate=rate if rate is not None else chosen.rate,
        duration=duration if duration is not None else (chosen.duration or 60),
        users=users,
        host=host,
        count=count or chosen.count,
        workers=workers if workers is not None else chosen.workers,
        speed=speed,
        api_workers=api_workers,
        worker_concurrency=worker_concurrency,
        keep_db=keep_db,
        embedded=embedded,
        out=out,
        web_rate=web_rate,
        apply_rate=apply_rate,
        baseline=baseline,
        prefer_wait=prefer_wait,
        history=history,
        pgbench_seconds=pgbench_seconds,
    )
    summary, rows, folder = execute(opts)
    report.print_verdict(summary, rows, chosen, console=console)
    console.print(f"results: {folder}")
    raise typer.Exit(0 if summary["ok"] else 1)
