"""The one door every status change of an application goes through (as
`services.orders.transitions` is for orders).

`move` changes one row the caller has locked (`SELECT ... FOR UPDATE`), after asking
`domain.application_states` whether the move is allowed from the row's status; a refused
move raises `MoveRefused` and leaves the row untouched. `expire_due` moves many rows in
one UPDATE whose WHERE clause is the rule itself (status among the move's sources, the
deadline passed), so a row the rule refuses - already contracted, or expired by another
beat a moment ago - is simply not matched.

Beside the status, a move keeps the row's times true: `status_at` (business time it
entered the status), `expires_at` (when an offer or a documents request runs out, else
NULL) and `ended_at` (declined, expired or contracted).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.application_states import Move, MoveRefused

__all__ = ["Move", "MoveRefused", "expire_due", "move"]


def move(row: Application, what: Move, *, now: datetime, wall: datetime) -> str:
    """Apply `what` to a locked `row` or raise MoveRefused. `now` is business time."""
    row.status = states.target(row.status, what)
    row.status_at = now
    row.expires_at = states.expires_at(row.status, now)
    if row.status in states.FINAL:
        row.ended_at = now
    row.updated_at = wall
    return row.status


def expire_due(session: Session, *, now: datetime, wall: datetime) -> list[str]:
    """Expire every offer and documents request whose deadline has passed at `now`; the
    ids moved (the caller commits). Safe to run from two beats at once: the second finds
    nothing left to match."""
    rule = states.RULES[Move.EXPIRE]
    result = session.execute(
        update(Application)
        .where(Application.status.in_(sorted(rule.sources)),
               Application.expires_at.is_not(None), Application.expires_at <= now)
        .values(status=rule.target, status_at=now, expires_at=None, ended_at=now,
                updated_at=wall)
        .returning(Application.id),
        execution_options={"synchronize_session": False},
    )
    return list(result.scalars())
