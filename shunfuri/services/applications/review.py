"""The screener's side (rule 5 sends an application here): the 審査 queue, and approve or
decline, each audited. The staff console's pages build on these; who may call them (the
`screener` role, supervisors too) is the console's check.

`approve` refuses a limit above what the rules would offer without rule 5
(`screening.screener_maximum`), below ¥10,000 or not in steps of ¥10,000
(`limit_not_allowed`, with the `maximum`); `decline` needs a reason in words, which the
audit row keeps (the applicant is told no reason; the application's reason code becomes
`screener_declined`). Both work only on an application in `manual_review`
(`not_in_review` otherwise), under its row lock, through the transitions door.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.age import age_on, jst_day
from shunfuri.domain.instants import aware
from shunfuri.domain.screening import (
    RULE_OF,
    BureauAnswer,
    Figures,
    Offer,
    figures,
    screener_maximum,
    screener_offer,
)
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import events
from shunfuri.services.applications.transitions import Move, move
from shunfuri.services.applications.views import applicant_of, bureau_answer_of, view
from shunfuri.services.members.accounts import audited
from shunfuri.services.staff.audit import Actor

SCREENER_DECLINED = "screener_declined"
REASON_MAX = 500


@dataclass(frozen=True)
class ReviewItem:
    """One application as the screener's page shows it: what the applicant gave, the
    bureau's answer, the figures the rules judged, why it came here, and the most a
    screener may approve (`maximum`, None: nothing)."""

    row: Application
    age: int
    rule: int | None
    bureau: BureauAnswer | None
    figures: Figures | None
    maximum: Offer | None

    def __repr__(self) -> str:  # personal data: never in a log line or a traceback
        return f"ReviewItem({self.row.id})"


def item_of(row: Application, policy: ScreeningPolicy = DEFAULT_POLICY) -> ReviewItem:
    applicant, bureau = applicant_of(row), bureau_answer_of(row)
    applied_on: date = jst_day(aware(row.applied_at))
    assert row.birth_date is not None  # erased only long after the review
    return ReviewItem(
        row=row, age=age_on(row.birth_date, applied_on),
        rule=RULE_OF.get(row.reason_code or ""), bureau=bureau,
        figures=figures(applicant, bureau) if bureau is not None else None,
        maximum=screener_maximum(applicant, bureau, policy) if bureau is not None else None,
    )


def queue(session: Session, *, limit: int = 100) -> list[ReviewItem]:
    """Applications waiting for a screener, the longest-waiting first."""
    rows = session.scalars(
        select(Application).where(Application.status == states.MANUAL_REVIEW)
        .order_by(Application.status_at, Application.id).limit(limit)
    ).all()
    return [item_of(row) for row in rows]


def waiting_documents(session: Session, *, limit: int = 100) -> list[Application]:
    """Applications waiting for the applicant's income proof (for the screener's
    information: nobody at the lender acts on them), the longest-waiting first."""
    return list(session.scalars(
        select(Application).where(Application.status == states.DOCUMENTS_NEEDED)
        .order_by(Application.status_at, Application.id).limit(limit)))


def review_item(session: Session, application_id: str) -> ReviewItem:
    row = session.get(Application, application_id) if len(application_id) <= 36 else None
    if row is None:
        raise ShunfuriError("not_found:application")
    return item_of(row)


def _in_review(session: Session, application_id: str) -> Application:
    row = session.scalar(select(Application).where(Application.id == application_id)
                         .with_for_update()) if len(application_id) <= 36 else None
    if row is None:
        raise ShunfuriError("not_found:application")
    if row.status != states.MANUAL_REVIEW:
        raise ShunfuriError("not_in_review", application_status=row.status)
    return row


def approve(session: Session, application_id: str, *, credit_limit: int, actor: Actor,
            now: datetime, wall: datetime, policy: ScreeningPolicy = DEFAULT_POLICY
            ) -> dict[str, Any]:
    """Approve with `credit_limit` (at the policy's rate, capped by law); commits with the
    audit row (a refusal is audited too); returns the application's public view."""

    def work() -> tuple[dict[str, Any], dict[str, Any]]:
        row = _in_review(session, application_id)
        bureau = bureau_answer_of(row)
        maximum = screener_maximum(applicant_of(row), bureau, policy) if bureau else None
        offer = screener_offer(credit_limit, maximum, policy)
        if offer is None:
            raise ShunfuriError("limit_not_allowed",
                                maximum=maximum.credit_limit if maximum else None)
        move(row, Move.SCREENER_APPROVE, now=now, wall=wall)
        row.offer_limit, row.offer_rate_bp, row.reason_code = (offer.credit_limit,
                                                                offer.rate_bp, None)
        return view(row), {"credit_limit": offer.credit_limit, "rate_bp": offer.rate_bp}

    return _audited(session, actor, "screener_approve", application_id, wall, work)


def decline(session: Session, application_id: str, *, reason: str, actor: Actor,
            now: datetime, wall: datetime) -> dict[str, Any]:
    """Decline; `reason` (1-500 characters, the screener's words) goes to the audit row.
    Commits; returns the application's public view."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not 0 < len(text) <= REASON_MAX:
        raise ShunfuriError("validation_error", errors=[{
            "field": "reason", "message": f"Say why, in 1 to {REASON_MAX} characters."}])

    def work() -> tuple[dict[str, Any], dict[str, Any]]:
        row = _in_review(session, application_id)
        move(row, Move.SCREENER_DECLINE, now=now, wall=wall)
        row.reason_code = SCREENER_DECLINED
        return view(row), {}

    return _audited(session, replace(actor, reason=text), "screener_decline", application_id,
                    wall, work)


def _audited(session: Session, actor: Actor, action: str, application_id: str,
             wall: datetime, work: Any) -> dict[str, Any]:
    # The application's id on the audit row, refusals included.
    who = replace(actor, detail={**actor.detail, "application_id": application_id[:36]})
    current: dict[str, Any] = audited(session, actor=who, action=action, now=wall,
                                      member_id=None, work=work)
    events.announce([(current["id"], current)])
    return current
