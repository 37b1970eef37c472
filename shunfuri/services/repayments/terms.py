"""A member's repayment terms: the annual rate, set by staff (never above the legal cap
for the member's limit, `domain.rate_cap`), and the due day, chosen by the member or set
by staff. One service whoever acts: each change, and each refusal, is audited with its
actor (`staff...` or `member:<id>`), and is a ledger event (`member_events`) that counts
from the next JST day, like every event.

Two clocks (DEVELOPERS.md): the ledger event is stamped with business time `now`, since
which due date a change applies to is a business-calendar fact and the event must sort
among the member's advances and repayments (business instants, simulated under
`SHUNFURI_CLOCK`); the audit row and `members.updated_at` with real time `wall`, since
they record when a person did it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.db.models import Member, MemberEvent
from shunfuri.domain import due_dates
from shunfuri.domain.rate_cap import check_rate
from shunfuri.services.members.accounts import audited
from shunfuri.services.repayments import dues as dues_service
from shunfuri.services.repayments.accept import lock_member
from shunfuri.services.staff.audit import Actor, actor_name


def set_rate(session: Session, member_id: int, *, rate_bp: int, now: datetime, wall: datetime,
             actor: str | Actor) -> Member:
    """`now` is business time (when the rate counts from), `wall` stamps the audit row.
    Refused above the cap for the member's limit (`rate_above_legal_cap`)."""
    return _change(session, member_id, dues_service.RATE, "rate_bp", rate_bp,
                   lambda member: check_rate(rate_bp, member.credit_limit),
                   now=now, wall=wall, actor=actor)


def set_due_day(session: Session, member_id: int, *, due_day: int, now: datetime,
                wall: datetime, actor: str | Actor) -> Member:
    """5, 15, 25 or 31 (month end). A due date already pending stays (the member was told
    it); the new day applies after it (`domain.due_dates`). Refused: `invalid_due_day`."""
    return _change(session, member_id, dues_service.DUE_DAY, "due_day", due_day,
                   lambda _member: due_dates.check_due_day(due_day),
                   now=now, wall=wall, actor=actor)


def _change(session: Session, member_id: int, kind: str, column: str, value: int,
            check: Callable[[Member], object], *, now: datetime, wall: datetime,
            actor: str | Actor) -> Member:
    def work() -> tuple[Member, dict[str, Any]]:
        member = lock_member(session, member_id)
        check(member)
        before = getattr(member, column)
        setattr(member, column, value)
        member.updated_at = wall
        session.add(MemberEvent(member_id=member_id, at=now, kind=kind, value=value,
                                actor=actor_name(actor)[:64]))
        return member, {f"{column}_before": before, column: value}

    return audited(session, actor=actor, action=f"set_{kind}", now=wall, member_id=member_id,
                   work=work)
