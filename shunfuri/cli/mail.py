"""`shunfuri mail`: the mail the embedded SMTP sink kept, and the outbox's state."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shunfuri.cli.main import DataDir, app, use_data_dir


@app.command()
def mail(
    number: Annotated[int | None, typer.Argument(help="Print this message (1 = oldest)")] = None,
    data_dir: DataDir = None,
    outbox: Annotated[bool, typer.Option("--outbox", help="The outbox by kind and status "
                                                          "instead (needs the database)")] = False,
) -> None:
    """List the mail `shunfuri up`'s SMTP sink kept in the data folder (a number prints
    that message: headers and the plain-text part). With --outbox: how many mails are
    queued, sent or failed, and the last error of each failed one."""
    from shunfuri.mail.sink import format_listing, format_message, kept_mail, maildir_path
    from shunfuri.settings import get_settings

    if outbox:
        _outbox(data_dir)
        return
    use_data_dir(data_dir, database=False)
    kept = kept_mail(maildir_path(get_settings().data_dir.resolve()))
    if number is None:
        typer.echo(format_listing(kept))
        return
    if not 1 <= number <= len(kept):
        typer.echo(f"no message {number}: {len(kept)} kept (see `shunfuri mail`)", err=True)
        raise typer.Exit(2)
    typer.echo(format_message(kept[number - 1]))


def _outbox(data_dir: DataDir) -> None:
    from sqlalchemy import func, select

    from shunfuri.db.models import OutgoingMail
    from shunfuri.db.session import session_factory

    use_data_dir(data_dir)
    with session_factory()() as session:
        counts = session.execute(
            select(OutgoingMail.kind, OutgoingMail.status, func.count())
            .group_by(OutgoingMail.kind, OutgoingMail.status)
            .order_by(OutgoingMail.kind, OutgoingMail.status)
        ).all()
        failed = session.execute(
            select(OutgoingMail.id, OutgoingMail.kind, OutgoingMail.attempts,
                   OutgoingMail.last_error)
            .where(OutgoingMail.status == "failed").order_by(OutgoingMail.id.desc()).limit(20)
        ).all()
    for kind, status, count in counts:
        typer.echo(json.dumps({"kind": kind, "status": status, "count": count}))
    for row in failed:
        typer.echo(json.dumps({"failed": row.id, "kind": row.kind, "attempts": row.attempts,
                               "last_error": row.last_error}, ensure_ascii=False))
    if not counts:
        typer.echo("the outbox is empty")
