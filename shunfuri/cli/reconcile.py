"""`shunfuri reconcile`: exit 0 only when the ledger and the bank agree."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir
from shunfuri.clock import wall_now


@app.command()
def reconcile(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Compare our settled ledger and repayments with the bank simulator's record of
    payments and collections."""
    from shunfuri.db.session import engine_for
    from shunfuri.services.operations import invariants
    from shunfuri.services.operations.reconcile import reconcile as run
    from shunfuri.settings import get_settings

    use_data_dir(data_dir)
    settings = get_settings()
    ours = engine_for(settings.resolved_database_url)
    report = run(ours, engine_for(settings.resolved_bank_database_url))
    broken = {
        name: len(rows)
        for name, rows in invariants.check(ours, wall=wall_now()).items()
        if name != "stale_accepted"
    }
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "invariants": broken}))
    else:
        typer.echo(
            f"ledger {report.ledger}  bank paid {report.bank_paid}  in flight {report.in_flight}\n"
            f"missing {report.missing}  doubled {report.doubled}  mismatched {report.mismatched}\n"
            f"repayments {report.repayments.ours}  bank collected {report.repayments.bank}  "
            f"in flight {report.repayments.in_flight}  missing {report.repayments.missing}  "
            f"doubled {report.repayments.doubled}  mismatched {report.repayments.mismatched}\n"
            + "  ".join(f"{k} {v}" for k, v in broken.items())
        )
    if not report.clean or any(broken.values()):
        raise typer.Exit(1)
