"""`shunfuri staff add`: a staff account from the command line, the way the first
supervisor comes to exist. The password is asked for (twice), never taken from the
command line; with `--password-stdin` it is read from standard input (for scripts).
The one-time code is set up in the browser at the account's first login.

Unlike an account a supervisor adds in the console (whose password the system draws and
the supervisor sees), the password typed here is the account owner's own: whoever runs
the command at the server is the person who will use it, so no change is forced at the
first login. `--temporary` forces one, for an account typed in for somebody else."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir
from shunfuri.clock import wall_now

staff_app = typer.Typer(help="Staff accounts of the console (/staff/).", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def add(
    login_id: Annotated[str, typer.Argument(help="Login ID: 3-48 of a-z 0-9 . _ -")],
    name: Annotated[str, typer.Option(help="The person's name as shown in the console")],
    role: Annotated[
        str, typer.Option(help="desk, operator, screener or supervisor")] = "supervisor",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
    temporary: Annotated[
        bool, typer.Option("--temporary",
                           help="Someone else will use it: they must change it at first login")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a staff account (audited as `staff:cli`). Then open /staff/login, sign in
    with the login ID and password, and scan the QR code with an authenticator app."""
    from shunfuri import catalogue
    from shunfuri.db.migrate import upgrade
    from shunfuri.db.session import session_factory
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.staff import accounts as staff
    from shunfuri.services.staff.audit import Actor

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password (12-128 characters)", hide_input=True,
                                confirmation_prompt=True)
    use_data_dir(data_dir)
    from shunfuri.settings import get_settings

    settings = get_settings()
    upgrade(settings.resolved_database_url)
    try:
        with session_factory()() as session:
            made = staff.create_account(
                session, login_id=login_id, name=name, role=role, password=password,
                now=wall_now(), pepper=settings.pin_pepper.get_secret_value(),
                by=Actor("staff:cli", source="cli"), must_change_password=temporary,
            )
    except ShunfuriError as exc:
        said = catalogue.fields(exc).get("errors") or catalogue.words(exc)[0]
        typer.echo(f"{exc.code}: {said}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"staff_id": made.id, "login_id": made.login_id, "role": made.role,
                           "must_change_password": temporary, "login": "/staff/login"}))
