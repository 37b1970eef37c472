"""The screener's side of the review: the requests waiting in the 審査 queue, one
request as its page shows it, and the two decisions - lift the stop, or keep it - each
audited (who, what, why, from where) in the transaction that makes it.

A lift needs a `ready` request (the bureau has answered it since it was made: a fresh
answer, never the one that stopped the member) on which the rule holds for the member's
limit as it is now (a supervisor may have lowered it); otherwise `lift_not_allowed`,
with the reasons. Keeping the stop needs the screener's reason in words. Either way the
member's other open requests are closed, and nothing is decided on a request still
asking the bureau (`not_in_review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.credit_reviews import OPEN, CreditReview
from shunfuri.db.models import Member
from shunfuri.domain.credit_review import highest_limit_within
from shunfuri.errors import ShunfuriError
from shunfuri.services.credit_review.outcome import judged
from shunfuri.services.credit_review.proofs import supersede_open
from shunfuri.services.credit_review.stops import reasons_ja
from shunfuri.services.members.accounts import audited
from shunfuri.services.staff.audit import Actor

REASON_MAX = 500


@dataclass(frozen=True)
class LiftItem:
    """A request as the screener sees it: the row (proof, answer, income), the member
    (limit, balance, the stop), the rule's reasons for the limit as it is now, the most
    the limit could be for the rule to hold, and whether a lift is possible."""

    row: CreditReview
    member: Member
    reasons: tuple[str, ...]
    reasons_ja: list[str]
    limit_within: int | None
    can_lift: bool

    def __repr__(self) -> str:  # personal data: never in a log line or a traceback
        return f"LiftItem({self.row.id})"


def _item(row: CreditReview, member: Member) -> LiftItem:
    answered = row.status == "ready" and row.answered_at is not None
    reasons = judged(row, member.credit_limit) if answered else ()
    within = (highest_limit_within(other_balance=row.bureau_other_balance or 0,
                                   annual_income=row.income or 0) if answered else None)
    return LiftItem(row=row, member=member, reasons=reasons, reasons_ja=reasons_ja(reasons),
                    limit_within=within,
                    can_lift=answered and not reasons and member.credit_review_since is not None)


def open_items(session: Session, *, limit: int = 100) -> list[LiftItem]:
    """Requests asking the bureau or waiting for a screener, the longest-waiting first."""
    rows = session.execute(
        select(CreditReview, Member).join(Member, Member.id == CreditReview.member_id)
        .where(CreditReview.status.in_(OPEN))
        .order_by(CreditReview.created_at, CreditReview.id).limit(limit)).all()
    return [_item(row, member) for row, member in rows]


def item(session: Session, review_id: int) -> LiftItem:
    found = session.execute(
        select(CreditReview, Member).join(Member, Member.id == CreditReview.member_id)
        .where(CreditReview.id == review_id)).first()
    if found is None:
        raise ShunfuriError("not_found:review")
    return _item(*found)


def _locked(session: Session, review_id: int) -> tuple[CreditReview, Member]:
    member_id = session.scalar(select(CreditReview.member_id)
                               .where(CreditReview.id == review_id))
    if member_id is None:
        raise ShunfuriError("not_found:review")
    member = session.scalar(select(Member).where(Member.id == member_id)
                            .with_for_update(key_share=True))
    row = session.scalar(select(CreditReview).where(CreditReview.id == review_id)
                         .with_for_update())
    if row is None or member is None or row.status != "ready" \
            or member.credit_review_since is None:
        raise ShunfuriError("not_in_review", review_status=row.status if row else None)
    return row, member


def lift(session: Session, review_id: int, *, actor: Actor, now: datetime,
         wall: datetime) -> None:
    """Lift the member's stop on this request's answer; commits with the audit row (a
    refusal is audited too)."""

    def work() -> tuple[None, dict[str, Any]]:
        row, member = _locked(session, review_id)
        reasons = judged(row, member.credit_limit)
        if reasons:
            raise ShunfuriError("lift_not_allowed", reasons=list(reasons))
        member.credit_review_since = member.credit_review_reasons = None
        member.updated_at = wall
        _decide(session, row, "lifted", actor, now=now, wall=wall)
        return None, {"review_id": review_id}

    _audited(session, actor, "credit_review_lift", review_id, wall, work)


def keep(session: Session, review_id: int, *, reason: str, actor: Actor, now: datetime,
         wall: datetime) -> None:
    """Keep the stop (the screener's `reason`, 1-500 characters, goes to the audit row);
    commits."""
    text = " ".join((reason or "").split())
    if not 0 < len(text) <= REASON_MAX:
        raise ShunfuriError("validation_error", errors=[{
            "field": "reason", "message": f"Say why, in 1 to {REASON_MAX} characters."}])

    def work() -> tuple[None, dict[str, Any]]:
        row, _ = _locked(session, review_id)
        _decide(session, row, "kept", actor, now=now, wall=wall)
        return None, {"review_id": review_id}

    _audited(session, Actor(actor.name, actor.source, text, actor.detail),
             "credit_review_keep", review_id, wall, work)


def _decide(session: Session, row: CreditReview, status: str, actor: Actor, *,
            now: datetime, wall: datetime) -> None:
    row.status, row.decided_at, row.decided_by = status, now, actor.name[:64]
    row.updated_at = wall
    supersede_open(session, row.member_id, wall=wall, keep=row.id)


def _audited(session: Session, actor: Actor, action: str, review_id: int, wall: datetime,
             work: Any) -> None:
    member_id = session.scalar(select(CreditReview.member_id)
                               .where(CreditReview.id == review_id))
    audited(session, actor=actor, action=action, now=wall, member_id=member_id, work=work)
    metrics.CREDIT_REVIEWS.labels(outcome="lifted" if action.endswith("lift") else "kept").inc()
