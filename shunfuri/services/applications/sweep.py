"""The beat's jobs over applications: re-drive screening, and expire what was left too long.

**Re-drive** (`redrive`, every 2 s): the database, not a message, says what is still to
screen. A row `received` or `checking` whose time has come (`next_attempt_at` NULL: due
at once; or passed: a retry's backoff over, a dead worker's lease run out) and for which
no message is on its way (`driven_at` NULL, or older than `redrive_after`: that message
was lost) is marked as driven and returned, and the caller sends one screening message
per id. Rows
are taken `FOR UPDATE SKIP LOCKED`, so two beats share them and none is sent twice in one
round; a duplicate message is harmless anyway (`screening` claims under a lock).

**Expiry** (`expire`, every few seconds on the business clock): offers and documents
requests past their 14 days become `expired` in one conditional UPDATE
(`transitions.expire_due`); a second beat, or the same beat again, finds nothing left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.services.applications import events
from shunfuri.services.applications.transitions import expire_due
from shunfuri.services.applications.views import view

BATCH = 500


def redrive(session: Session, *, wall: datetime, redrive_after: timedelta,
            limit: int = BATCH) -> list[str]:
    """Ids to send a screening message for, marked as driven (the caller commits, then
    sends: a message lost after the commit is sent again after `redrive_after`)."""
    ids = list(session.scalars(
        select(Application.id)
        .where(Application.status.in_((states.RECEIVED, states.CHECKING)),
               or_(Application.next_attempt_at.is_(None),
                   Application.next_attempt_at <= wall),
               or_(Application.driven_at.is_(None),
                   Application.driven_at <= wall - redrive_after))
        .order_by(Application.next_attempt_at.asc().nulls_first())
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if ids:
        session.execute(update(Application).where(Application.id.in_(ids))
                        .values(driven_at=wall),
                        execution_options={"synchronize_session": False})
    return ids


def redrive_and_wake(sessions: sessionmaker[Session], *, wall: datetime,
                     redrive_after: timedelta) -> int:
    """One round of `redrive`, committed, then a message per id; how many were sent."""
    with sessions.begin() as session:
        ids = redrive(session, wall=wall, redrive_after=redrive_after)
    events.wake(ids)
    return len(ids)


def expire(sessions: sessionmaker[Session], *, now: datetime, wall: datetime,
           publish: events.Publish | None = None) -> int:
    """Expire what is due at `now` (business time), publish the changes; how many."""
    with sessions.begin() as session:
        ids = expire_due(session, now=now, wall=wall)
        rows = session.scalars(select(Application).where(Application.id.in_(ids))).all()
        changes = [(row.id, view(row)) for row in rows]
    events.announce(changes, publish)
    return len(changes)
