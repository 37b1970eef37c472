"""`shunfuri`: run the system, quote availability, reconcile, list doubts, load-test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Shunfuri - asynchronous transfer queue for cash advances.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder of the private PostgreSQL and Redis used when DATABASE_URL / "
        "BROKER_URL are unset. Default: ./.shunfuri",
    ),
]


def use_data_dir(data_dir: Path | None, *, database: bool = True) -> None:
    """Point every later `get_settings()` (and child process) at this data folder.

    With `database` and no DATABASE_URL, the folder's private PostgreSQL runs for the
    rest of the command: a running `shunfuri up` already has it up; otherwise it is
    started here and stopped when the command ends."""
    if data_dir is not None:
        os.environ["SHUNFURI_DATA_DIR"] = str(data_dir.resolve())
    from shunfuri.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    if database and not settings.database_url:
        from shunfuri.embedded import embedded_database

        embedded_database(settings.data_dir)


@app.command()
def up(
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="API bind address")] = "127.0.0.1",
    api_workers: Annotated[
        int | None, typer.Option(min=1, help="uvicorn processes (default: one per two cores)")
    ] = None,
    worker_concurrency: Annotated[int, typer.Option(help="Celery processes for instant")] = 2,
) -> None:
    """Start the whole system in the foreground; Ctrl-C (or SIGTERM) stops all of it."""
    from shunfuri.cli.up import default_api_workers, run_system

    use_data_dir(data_dir, database=False)  # `up` starts (and stops) its own servers
    raise typer.Exit(
        run_system(
            port=port, host=host, api_workers=api_workers or default_api_workers(),
            worker_concurrency=worker_concurrency,
        )
    )


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Bring the database to the newest schema (idempotent)."""
    from shunfuri.db.migrate import upgrade
    from shunfuri.settings import get_settings

    use_data_dir(data_dir)
    upgrade(get_settings().resolved_database_url)
    typer.echo("database schema is up to date")


@app.command("bank-simulator")
def bank_simulator(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8081,
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Run the bank simulator (an HTTP bank that records what it paid)."""
    import uvicorn

    use_data_dir(data_dir)
    uvicorn.run(
        "simulators.bank:create_app", factory=True, host=host, port=port,
        log_level="warning", access_log=False,
    )


@app.command("bureau-simulator")
def bureau_simulator(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8082,
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    data_dir: DataDir = None,
) -> None:
    """Run the credit bureau simulator (records set over HTTP, inquiries answered)."""
    import uvicorn

    use_data_dir(data_dir)
    uvicorn.run(
        "simulators.bureau:create_app", factory=True, host=host, port=port,
        log_level="warning", access_log=False,
    )


@app.command("clock")
def clock_cmd(
    spec: Annotated[
        str, typer.Argument(help="ISO instant[@speed], e.g. 2026-12-02T09:29:50+09:00@1")
    ],
    data_dir: DataDir = None,
) -> None:
    """Move the simulated clock of a running `shunfuri up` (started with SHUNFURI_CLOCK)."""
    from shunfuri.clock import parse_clock_spec, write_control
    from shunfuri.settings import get_settings

    use_data_dir(data_dir, database=False)
    settings = get_settings()
    if settings.env == "production":
        typer.echo("the simulated clock is refused in production", err=True)
        raise typer.Exit(2)
    try:
        start, speed = parse_clock_spec(spec)
    except ValueError as exc:
        typer.echo(f"validation_error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_control(settings.data_dir.resolve() / "clock.json", start, speed)
    typer.echo(f"simulated clock set to {start.isoformat()} x{speed:g}")


# Sub-command modules register themselves on import (kept out of this file so each
# stays small and named for what it holds).
SUBCOMMANDS = (
    "shunfuri.cli.quote", "shunfuri.cli.reconcile", "shunfuri.cli.members",
    "shunfuri.cli.doubts", "shunfuri.cli.mail", "shunfuri.cli.staff", "loadtests.cli",
    "cluster.cli",
)


def main() -> None:
    for module in SUBCOMMANDS:
        try:
            __import__(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    app()


if __name__ == "__main__":
    # Run through the importable module, so sub-commands registered on
    # `shunfuri.cli.main.app` (not on this `__main__` copy) are there too.
    from shunfuri.cli.main import main as _main

    _main()
