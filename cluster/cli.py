"""`shunfuri cluster up|down|status` and `shunfuri nemesis`: registered on the `shunfuri`
app when `shunfuri.cli.main` imports this module (as it does `loadtests.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shunfuri.cli.main import app

cluster_app = typer.Typer(help="The system as hosts in network namespaces (root, Linux).",
                          no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")

ClusterDir = Annotated[
    Path | None,
    typer.Option("--dir", help="The cluster's folder (default: ./.shunfuri/cluster)"),
]


def _where(folder: Path | None):  # type: ignore[no-untyped-def]
    from cluster.hosts import DEFAULT
    from cluster.layout import Layout

    return Layout.at(folder), DEFAULT


@cluster_app.command("up")
def cluster_up(
    folder: ClusterDir = None,
    clock: Annotated[str, typer.Option(help="the business clock's start (SHUNFURI_CLOCK)")] = (
        "2026-12-01T10:00:00+09:00"),
    ttl_minutes: Annotated[float, typer.Option(
        min=1, help="every process of the cluster ends by itself after this long")] = 120,
) -> None:
    """Start PostgreSQL, Redis, two API hosts, three worker hosts, the bank simulator and
    Prometheus, each in its own network namespace; returns once all of them answer."""
    from cluster.up import up

    layout, topology = _where(folder)
    up(layout, topology, clock=clock, ttl_s=ttl_minutes * 60)


@cluster_app.command("down")
def cluster_down(folder: ClusterDir = None) -> None:
    """Stop every process and remove the namespaces, links, rules and the folder."""
    from cluster.up import down

    layout, topology = _where(folder)
    left = down(layout, topology)
    raise typer.Exit(1 if left else 0)


@cluster_app.command("status")
def cluster_status(folder: ClusterDir = None) -> None:
    """Each host's processes: running or not, how many times started."""
    from cluster.up import status

    layout, topology = _where(folder)
    raise typer.Exit(status(layout, topology))


@app.command()
def nemesis(
    seed: Annotated[int, typer.Option(help="the schedule is drawn from this seed alone")],
    minutes: Annotated[float, typer.Option(min=1, help="how long faults are injected")] = 5,
    plan: Annotated[bool, typer.Option("--plan", help="print the schedule and exit")] = False,
    keep: Annotated[bool, typer.Option(
        "--keep", help="leave a cluster this command started running afterwards")] = False,
    strict_promise: Annotated[bool, typer.Option(
        "--strict-promise", help="count the 10-second promise (where worker hosts were to "
        "spare) in the verdict; otherwise it is reported only")] = False,
    folder: ClusterDir = None,
) -> None:
    """Overlapping faults drawn from SEED against the cluster while clients run, then a
    check of their history: exit 0 only at 0 lost, 0 doubled, 0 over limit and every
    other rule kept. Starts (and afterwards removes) a cluster when none is up."""
    layout, topology = _where(folder)
    if plan:
        from cluster.schedule import draw

        typer.echo(draw(seed, minutes, topology).table())
        raise typer.Exit(0)
    from cluster.netns import require_root_linux
    from cluster.run import nemesis_run

    require_root_linux()
    raise typer.Exit(nemesis_run(layout, topology, seed=seed, minutes=minutes, keep=keep,
                                 strict_promise=strict_promise))
