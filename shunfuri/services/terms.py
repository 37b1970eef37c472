"""Staff set a member's repayment terms: the annual rate (never above the legal cap for
the member's limit, `domain.rate_cap`) and the due day. Each change is audited and is a
ledger event (`member_events`): it counts from the next JST day, like every event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.db.models import Member, MemberEvent
from shunfuri.domain import due_dates
from shunfuri.domain.rate_cap import check_rate
from shunfuri.services import dues as dues_service
from shunfuri.services.members import audited
from shunfuri.services.repayments import lock_member


def set_rate(session: Session, member_id: int, *, rate_bp: int, now: datetime, wall: datetime,
             actor: str) -> Member:
    """`now` is business time (when the rate counts from), `wall` stamps the audit row."""

    def work() -> tuple[Member, dict[str, Any]]:
        member = lock_member(session, member_id)
        check_rate(rate_bp, member.credit_limit)
        before = member.rate_bp
        member.rate_bp = rate_bp
        member.updated_at = wall
        session.add(MemberEvent(member_id=member_id, at=now, kind=dues_service.RATE,
                                value=rate_bp, actor=actor[:64]))
        return member, {"rate_bp_before": before, "rate_bp": rate_bp}

    return audited(session, actor=actor, action="set_rate", now=wall, member_id=member_id,
                   work=work)


def set_due_day(session: Session, member_id: int, *, due_day: int, now: datetime,
                wall: datetime, actor: str) -> Member:
    def work() -> tuple[Member, dict[str, Any]]:
        due_dates.check_due_day(due_day)
        member = lock_member(session, member_id)
        before = member.due_day
        member.due_day = due_day
        member.updated_at = wall
        session.add(MemberEvent(member_id=member_id, at=now, kind=dues_service.DUE_DAY,
                                value=due_day, actor=actor[:64]))
        return member, {"due_day_before": before, "due_day": due_day}

    return audited(session, actor=actor, action="set_due_day", now=wall, member_id=member_id,
                   work=work)
