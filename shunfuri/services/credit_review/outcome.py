"""What one bureau answer does: to the review row, and to the member.

The rule is `domain.credit_review.suspension_reasons` on the member's limit at that
moment, the bureau's other balance and adverse record, and the income (a lift request's
proof, else the member's known income). Then, by the kind of review:

- periodic, the rule fails: the member is stopped (`credit_review_since`, the reasons),
  audited as `credit_review_suspend` by `system:credit_review`; a member already stopped
  keeps the stop, with the newest reasons (audited when they change);
- periodic, the rule holds: `clear`, or `ready` for a screener when the member is stopped
  (the rule holding again is a screener's to judge, never a lift by itself);
- a lift request: `ready` for a screener, whatever the rule says (the screener sees it,
  and may lift only when it holds).

An earlier answer still waiting for a screener is closed (`superseded`): a screener
judges the newest one. Nothing here lifts a stop. The audit row names the review and the
reason codes, never a figure: the desk reads a member's audit rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shunfuri.db.credit_reviews import LIFT, CreditReview
from shunfuri.db.models import Member
from shunfuri.domain.credit_review import suspension_reasons
from shunfuri.domain.screening import BureauAnswer
from shunfuri.services.credit_review.proofs import supersede_open
from shunfuri.services.staff.audit import Actor, audit

SYSTEM = Actor("system:credit_review", source="worker")


def judged(row: CreditReview, credit_limit: int) -> tuple[str, ...]:
    """The rule's reasons on a recorded answer, for a given limit (the lift judges the
    member's limit at that moment, which a supervisor may have lowered since)."""
    return suspension_reasons(
        credit_limit=credit_limit, other_balance=row.bureau_other_balance or 0,
        annual_income=row.income or 0, delinquent=bool(row.bureau_delinquent))


def record_answer(session: Session, row: CreditReview, member: Member, answer: BureauAnswer,
                  income: int, *, now: datetime, wall: datetime) -> str:
    """Record `answer` on a locked `row` of a locked `member`; the row's new status (the
    caller commits)."""
    row.bureau_other_balance = answer.other_balance
    row.bureau_other_count = answer.other_count
    row.bureau_delinquent = answer.delinquent
    row.answered_at, row.income, row.credit_limit = now, income, member.credit_limit
    reasons = judged(row, member.credit_limit)
    row.reasons = ",".join(reasons)
    row.next_attempt_at, row.last_error, row.updated_at = None, None, wall
    # The newest answer is the one a screener judges: answers waiting before it are stale.
    supersede_open(session, member.id, wall=wall, keep=row.id, statuses=("ready",))
    if row.kind == LIFT:
        row.status = "ready"
    elif reasons:
        row.status = "suspended"
        stop(session, member, reasons, review_id=row.id, now=now, wall=wall)
    else:
        row.status = "ready" if member.credit_review_since is not None else "clear"
    return row.status


def stop(session: Session, member: Member, reasons: tuple[str, ...], *, review_id: int,
         now: datetime, wall: datetime) -> None:
    """Stop new advances on a locked member (or bring a stop's reasons up to date)."""
    text = ",".join(reasons)
    if member.credit_review_since is not None and member.credit_review_reasons == text:
        return
    was = member.credit_review_since is not None
    if not was:
        member.credit_review_since = now
    member.credit_review_reasons = text
    member.updated_at = wall
    audit(session, actor=SYSTEM, action="credit_review_suspend", now=wall, member_id=member.id,
          detail={"review_id": review_id, "reasons": list(reasons), "already_stopped": was})
