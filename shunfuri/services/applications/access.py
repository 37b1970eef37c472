"""The applicant's way in: an application id and its follow-up token.

A wrong token, an unknown id and an id of someone else's application all answer the same
`not_found` (404), after the same constant-time comparison, so the answer tells nothing
about which applications exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import tokens
from shunfuri.services.applications.views import view

ID_MAX = 36


def authorised(session: Session, application_id: str, token: str, *,
               for_update: bool = False) -> Application:
    """The application `token` opens (locked with `for_update`), or `not_found`."""
    row = None
    if 0 < len(application_id) <= ID_MAX:
        query = select(Application).where(Application.id == application_id)
        if for_update:
            query = query.with_for_update()
        row = session.scalar(query)
    if not tokens.matches(token, row.token_hash if row is not None else None):
        raise ShunfuriError("not_found")
    assert row is not None  # a stored hash matched
    return row


def read(session: Session, application_id: str, token: str) -> dict[str, Any]:
    """The application's public view (`views.view`) for its token holder."""
    row = authorised(session, application_id, token)
    current = view(row)
    session.rollback()  # a read: end the transaction, give the connection back
    return current
