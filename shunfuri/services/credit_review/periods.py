"""Opening a review month: one periodic review per member who owes principal, has a
bureau key (joined by application) and was not reviewed recently enough.

One statement, `INSERT ... SELECT ... ON CONFLICT (member_id, period) DO NOTHING`: a
second beat opening the same month at the same moment inserts nothing, and neither
waits for the other's rows to be asked about. The member's balance is read when the
month opens (spec: each member with a balance; the law's own trigger, 第13条の3, is
narrower and covered: `domain.credit_review.law_requires_check`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, exists, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.db.credit_reviews import PERIODIC, CreditReview
from shunfuri.db.models import Member
from shunfuri.domain.credit_review import (
    DEFAULT_REVIEW_POLICY,
    ReviewPolicy,
    review_month,
    reviewed_recently_from,
)


def open_period(session: Session, *, today: date, now: datetime, wall: datetime,
                policy: ReviewPolicy = DEFAULT_REVIEW_POLICY) -> int:
    """Open `today`'s review month (JST day) for every member due; how many were opened
    (the caller commits). Safe to run any number of times, from any number of beats."""
    recent = select(CreditReview.id).where(
        CreditReview.member_id == Member.id, CreditReview.kind == PERIODIC,
        CreditReview.period >= reviewed_recently_from(today, policy))
    due = (
        select(Member.id, literal(PERIODIC), literal(review_month(today)), literal("asking"),
               literal(now), literal(wall))
        .where(Member.outstanding > 0,
               exists().where(and_(Application.member_id == Member.id)),
               ~exists(recent))
    )
    statement = (
        insert(CreditReview)
        .from_select(["member_id", "kind", "period", "status", "created_at", "updated_at"], due)
        .on_conflict_do_nothing(constraint="uq_credit_reviews_period")
        .returning(CreditReview.id)
    )
    return len(session.execute(statement).all())
