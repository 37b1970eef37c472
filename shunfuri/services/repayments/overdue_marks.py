"""The daily overdue job: mark members whose due date passed unmet, on the business clock.

The ledger decides (`dues`: overdue from the day after an unmet due date); this job copies
its answer into `members.overdue_since`, the column the transfer path reads (a replay per
transfer would cost the hot path a dozen queries). A repayment that lifts the overdue
clears the column at once (`collections.settle`); this job only ever sets what the ledger
says, so running it twice, or from two beats at the same moment, changes nothing the
second time: each member is re-read under its row lock and written only if it differs.

`run_once_per_day` is what the beat calls every few seconds: it runs the job when the
business (JST) day has changed since the last complete run, so it works at any
`SHUNFURI_CLOCK` speed; a run that dies is simply done again by the next beat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from shunfuri.db.models import Member
from shunfuri.domain.instants import to_jst
from shunfuri.services.repayments import dues as dues_service

CHUNK = 200


@dataclass
class Marked:
    day: date
    checked: int = 0
    marked: int = 0  # newly overdue
    lifted: int = 0  # no longer overdue (normally a repayment already cleared it)


def mark_overdue(sessions: sessionmaker[Session], *, now: datetime) -> Marked:
    """Bring every member's overdue mark in line with the ledger at `now`. One short
    transaction per member, so the job never holds many member rows (which the transfer
    claims lock too) while it replays ledgers."""
    result = Marked(day=to_jst(now).date())
    last_id = 0
    while True:
        with sessions() as session:
            ids = session.scalars(
                select(Member.id)
                .where(Member.id > last_id,
                       or_(Member.outstanding > 0, Member.overdue_since.is_not(None)))
                .order_by(Member.id).limit(CHUNK)
            ).all()
        if not ids:
            return result
        for member_id in ids:
            _mark_one(sessions, member_id, now, result)
        last_id = ids[-1]


def _mark_one(sessions: sessionmaker[Session], member_id: int, now: datetime,
              result: Marked) -> None:
    with sessions.begin() as session:
        member = session.scalars(
            select(Member).where(Member.id == member_id).with_for_update(key_share=True)).one()
        owed = dues_service.dues(session, member_id, now)
        since = owed.overdue_since if owed.overdue else None
        result.checked += 1
        if since == member.overdue_since:
            return
        if since is not None and member.overdue_since is None:
            result.marked += 1
        elif since is None:
            result.lifted += 1
        member.overdue_since = since


def run_once_per_day(
    sessions: sessionmaker[Session], *, now: datetime, last_day: Callable[[], str | None],
    done: Callable[[str], object],
) -> Marked | None:
    """Run `mark_overdue` if today's (JST) run is not recorded as done yet."""
    today = to_jst(now).date().isoformat()
    if last_day() == today:
        return None
    result = mark_overdue(sessions, now=now)
    done(today)
    return result
