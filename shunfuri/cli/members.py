"""`shunfuri member add`: the staff desk's new member, from the command line (what
`POST /v1/admin/members` does), so a person trying the member site needs no curl."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir
from shunfuri.clock import wall_now

member_app = typer.Typer(help="Members at the staff desk.", no_args_is_help=True)
app.add_typer(member_app, name="member")


@member_app.command("add")
def add(
    credit_limit: Annotated[int, typer.Option(help="Credit limit in yen (0-5,000,000)")] = 500_000,
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True, help="4-digit PIN")] = "",
    web_id: Annotated[str | None, typer.Option(help="Optional Web-ID")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a member and issue a card number (audited as `staff:cli`). With --web-id,
    the password is asked for (never taken from the command line)."""
    from shunfuri import catalogue
    from shunfuri.db.migrate import upgrade
    from shunfuri.db.session import session_factory
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.members import accounts as members
    from shunfuri.services.staff.audit import Actor
    from shunfuri.settings import get_settings

    use_data_dir(data_dir)
    settings = get_settings()
    password = None
    if web_id is not None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    upgrade(settings.resolved_database_url)
    try:
        with session_factory()() as session:
            made = members.create_member(
                session, credit_limit=credit_limit, pin=pin, web_id=web_id, password=password,
                now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
                actor=Actor("staff:cli", source="cli"),
            )
    except ShunfuriError as exc:
        said = catalogue.fields(exc).get("errors") or catalogue.words(exc)[0]
        typer.echo(f"{exc.code}: {said}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"member_id": made.member_id, "card_number": made.card_number}))
