"""`shunfuri reconcile`: exit 0 only when the ledger and the bank agree (1: they do not;
2: the bank's statement could not be read)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir
from shunfuri.clock import wall_now

if TYPE_CHECKING:
    from shunfuri.settings import Settings


def bank_url(explicit: str | None, settings: Settings) -> str:
    """The bank to ask: `--bank-url`, else SHUNFURI_BANK_URL, else the one a running
    `shunfuri up` on the data folder started (it writes its port to `ports.env`), else
    the settings' default."""
    if explicit:
        return explicit
    if "bank_url" in settings.model_fields_set:
        return settings.bank_url
    ports = settings.data_dir / "ports.env"
    if ports.is_file():
        for line in ports.read_text().splitlines():
            name, _, value = line.partition("=")
            if name == "SHUNFURI_BANK_URL" and value:
                return value
    return settings.bank_url


@app.command()
def reconcile(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    bank: Annotated[str | None, typer.Option(
        "--bank-url", help="The bank's statement API. Default: SHUNFURI_BANK_URL, else "
        "the bank of the `shunfuri up` running on the data folder")] = None,
) -> None:
    """Compare our settled ledger and repayments with the bank's statement of payments
    and collections (asked over HTTP, every day it booked)."""
    from shunfuri.db.session import engine_for
    from shunfuri.gateway.base import TransientBankError
    from shunfuri.gateway.http import HttpBankGateway
    from shunfuri.services.operations import invariants
    from shunfuri.services.operations.reconcile import reconcile as run
    from shunfuri.settings import get_settings

    use_data_dir(data_dir)
    settings = get_settings()
    ours = engine_for(settings.resolved_database_url)
    url = bank_url(bank, settings)
    try:
        report = run(ours, HttpBankGateway(url, timeout=30))
    except TransientBankError as exc:
        typer.echo(f"the bank's statement could not be read ({url}): {exc}", err=True)
        raise typer.Exit(2) from exc
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
