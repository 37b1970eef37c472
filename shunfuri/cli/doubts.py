"""`shunfuri doubts`: bank orders the bank may have paid that we have no answer for."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir
from shunfuri.clock import wall_now


def _age(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@app.command()
def doubts(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    include_in_flight: Annotated[
        bool, typer.Option("--all", help="Also orders still in their first bank call")
    ] = False,
) -> None:
    """Transfers in doubt (sent, no definitive answer yet) and those needing attention,
    oldest first: age since first sent, attempts, last error. Exit status 1 when any
    needs attention (staff: POST /v1/admin/transfers/{id}/inquire)."""
    from shunfuri.db.session import session_factory
    from shunfuri.services.orders.doubts import list_doubts
    from shunfuri.settings import get_settings

    use_data_dir(data_dir)
    get_settings()
    wall = wall_now()
    with session_factory()() as session:
        found = [d.as_dict(wall) for d in list_doubts(session, include_in_flight=include_in_flight)]
    if as_json:
        for item in found:
            typer.echo(json.dumps(item, ensure_ascii=False))
    elif not found:
        typer.echo("nothing in doubt")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("kind", "id", "member", "amount", "bank", "status", "age", "attempts",
                      "next attempt (real time)", "last error")
        for d in found:
            table.add_row(
                d["kind"], d["id"], str(d["member_id"]), f"{d['amount']:,}", d["bank_code"],
                d["status"], _age(d["age_seconds"]), str(d["attempts"]),
                d["next_attempt_at"] or "-", d["last_error"] or "-",
            )
        Console(width=200).print(table)
    if any(d["status"] == "needs_attention" for d in found):
        raise typer.Exit(1)
