"""What the review needs to know about a member: who to ask the bureau about, and the
income the total-volume rule divides.

Both come from the application the member joined by (`applications.member_id`), which
is never erased (only declined and expired ones are). A member made at the staff desk
(`shunfuri member add`: the demonstration and load-test path) has no birth date or phone
on record, so the bureau cannot be asked about them; the review leaves them alone rather
than guess (`periods` opens no review for them).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.db.credit_reviews import LIFT, CreditReview
from shunfuri.db.models import Member
from shunfuri.gateway.bureau import BureauKey


def bureau_key(session: Session, member_id: int) -> BureauKey | None:
    """The member's kana name (as the desk may have corrected it from an identity
    document, else as applied), birth date and phone; None without an application."""
    row = session.execute(
        select(Member.name_kana, Application.name_kana.label("applied_kana"),
               Application.birth_date, Application.phone)
        .join(Application, Application.member_id == Member.id)
        .where(Member.id == member_id)
    ).first()
    if row is None or row.birth_date is None or row.phone is None:
        return None
    kana = row.name_kana or row.applied_kana
    return BureauKey(kana, row.birth_date, row.phone) if kana else None


def known_income(session: Session, member_id: int) -> int | None:
    """The newest income a screener has seen: the proof of the latest lifted request,
    else the application's (its proof's figure when it had one). None without either."""
    lifted = session.scalar(
        select(CreditReview.proof_income)
        .where(CreditReview.member_id == member_id, CreditReview.kind == LIFT,
               CreditReview.status == "lifted")
        .order_by(CreditReview.decided_at.desc(), CreditReview.id.desc()).limit(1))
    if lifted is not None:
        return lifted
    applied = session.execute(
        select(Application.proof_income, Application.annual_income)
        .where(Application.member_id == member_id)
    ).first()
    if applied is None:
        return None
    return cast("int | None", applied.proof_income if applied.proof_income is not None
                else applied.annual_income)
