"""The review's stop as the rest of the system sees it: whether a member is stopped, the
refusal a new advance gets, and the stop as staff read it.

The stop (`members.credit_review_since`) refuses new advances only: the member still logs
in (the member site shows the suspended page and lets them repay and send income proof),
a repayment goes on, and a transfer the bank may already have paid completes. It is
apart from a staff suspension (`members.status`), so a member may have both, and each is
lifted by its own hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri import messages
from shunfuri.db.credit_reviews import OPEN, CreditReview
from shunfuri.domain.credit_review import stopped_refusal
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError

# The review's refusal, stated with the acceptance rules (`domain.acceptance`).
refusal = stopped_refusal


def is_stopped(member: Any) -> bool:
    """Whether the ongoing review has stopped this member's new advances (a Member, or a
    row with the column)."""
    return getattr(member, "credit_review_since", None) is not None


def check_may_borrow(member: Any) -> None:
    """Refuse a new advance to a member suspended by staff (`account_suspended`) or stopped
    by the ongoing review (the same code, in the review's words)."""
    if getattr(member, "status", None) == "suspended":
        raise ShunfuriError("account_suspended")
    if is_stopped(member):
        raise stopped_refusal()


def reasons_of(text: str | None) -> tuple[str, ...]:
    return tuple(code for code in (text or "").split(",") if code)


def reasons_ja(codes: tuple[str, ...]) -> list[str]:
    return [messages.CREDIT_REVIEW_REASONS_JA.get(code, code) for code in codes]


@dataclass(frozen=True)
class Stop:
    """A member's stop as the desk and supervisors see it: since when, why (codes and
    words), and whether a request to lift it waits (`pending`: asking the bureau, or
    with a screener)."""

    since: datetime
    reasons: tuple[str, ...]
    reasons_ja: list[str]
    pending: str | None


def stop_of(session: Session, member: Any) -> Stop | None:
    if not is_stopped(member):
        return None
    pending = session.scalar(
        select(CreditReview.status)
        .where(CreditReview.member_id == member.id, CreditReview.status.in_(OPEN))
        .order_by(CreditReview.id.desc()).limit(1))
    codes = reasons_of(member.credit_review_reasons)
    return Stop(since=aware(member.credit_review_since), reasons=codes,
                reasons_ja=reasons_ja(codes), pending=pending)
