"""`shunfuri quote`: the availability answer on the command line, one or many at a time."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer

from shunfuri import catalogue
from shunfuri.cli.main import app
from shunfuri.domain.instants import INSTANT_FORMAT_HINT, InvalidInstant, parse_instant
from shunfuri.errors import ShunfuriError
from shunfuri.services.transfers.availability import quote_json


def _dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(", ", ": "))


def _now() -> datetime:
    from shunfuri.clock import get_clock

    return get_clock().now()


def _field_messages(exc: ShunfuriError) -> str:
    errors = catalogue.fields(exc).get("errors") or []
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors) or catalogue.words(exc)[0]


def _quote_line(line: str) -> dict[str, Any]:
    """One batch line -> its result or `{"error": ...}`; never raises."""
    try:
        request = json.loads(line)
    except (ValueError, RecursionError):
        return {"error": "validation_error", "detail": "each line must be a JSON object"}
    if not isinstance(request, dict):
        return {"error": "validation_error", "detail": "each line must be a JSON object"}
    bank_code, at = request.get("bank_code"), request.get("at")
    if not isinstance(bank_code, str):
        return {"error": "validation_error", "detail": "bank_code must be a string"}
    if at is not None and not isinstance(at, str):
        return {"error": "validation_error", "detail": f"at must be {INSTANT_FORMAT_HINT}"}
    try:
        return quote_json(bank_code, _now() if at is None else parse_instant(at))
    except (InvalidInstant, OverflowError):
        return {"error": "validation_error", "detail": f"at must be {INSTANT_FORMAT_HINT}"}
    except ShunfuriError as exc:
        if exc.code == "validation_error":
            return {"error": exc.code, "detail": _field_messages(exc)}
        return {"error": exc.code}


def _batch() -> None:
    """Read stdin as bytes so one undecodable line is an error line, not a crash."""
    out = sys.stdout
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue  # blank lines (a trailing newline) carry no request
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            result = {"error": "validation_error", "detail": "each line must be UTF-8 JSON"}
        else:
            result = _quote_line(line)
        out.write(_dump(result) + "\n")
    out.flush()


@app.command()
def quote(
    bank_code: Annotated[
        str | None, typer.Option("--bank-code", help="4-digit Zengin bank code")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help=f"Instant to quote (default: now). {INSTANT_FORMAT_HINT}"),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch", help='Read JSON lines {"bank_code", "at"} on stdin; one result per line.'
        ),
    ] = False,
) -> None:
    """Print what a transfer to a bank gets: instant, scheduled (settle_at) or closed."""
    if batch:
        _batch()
        return
    if bank_code is None:
        typer.echo("validation_error: --bank-code is required (or use --batch)", err=True)
        raise typer.Exit(2)
    try:
        when = _now() if at is None else parse_instant(at)
        typer.echo(_dump(quote_json(bank_code, when)))
    except (InvalidInstant, OverflowError):
        typer.echo(f"validation_error: --at must be {INSTANT_FORMAT_HINT}", err=True)
        raise typer.Exit(2) from None
    except ShunfuriError as exc:
        detail = (_field_messages(exc) if exc.code == "validation_error"
                  else catalogue.words(exc)[0])
        typer.echo(f"{exc.code}: {detail}", err=True)
        raise typer.Exit(2) from None
