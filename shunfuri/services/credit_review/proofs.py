"""A stopped member's new income proof, sent from the member site: it becomes a request
to lift the stop, which the worker takes to the bureau (a fresh answer) and then to the
screener's 審査 queue. Nothing is lifted here.

The proof's figures are read as the application's documents step reads them
(`domain.application_form.read_income_proof`: field by field, nothing stored on a
refusal). A newer proof replaces a request still open (`superseded`): only the newest is
asked about, so sending twice costs one inquiry. The audit row (`send_income_proof`,
actor `member:<id>`) names the request and the kind of document, never the income.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shunfuri.db.credit_reviews import LIFT, OPEN, CreditReview
from shunfuri.db.models import Member
from shunfuri.domain.application_form import read_income_proof
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.credit_review.stops import is_stopped
from shunfuri.services.staff.audit import Actor, audit


def send_proof(session: Session, member_id: int, raw: Any, *, now: datetime, wall: datetime,
               source: str | None = None) -> CreditReview:
    """Record the proof as a lift request; commits, then wakes the review worker.
    Refusals: `validation_error` (field by field), `documents_not_requested` (the member
    is not stopped by a review)."""
    proof = read_income_proof(raw)
    member = session.scalar(select(Member).where(Member.id == member_id)
                            .with_for_update(key_share=True))
    if member is None or not is_stopped(member):
        session.rollback()
        raise ShunfuriError("documents_not_requested:credit_review")
    supersede_open(session, member_id, wall=wall)
    row = CreditReview(member_id=member_id, kind=LIFT, status="asking",
                       proof_kind=proof.kind, proof_income=proof.annual_income,
                       created_at=now, updated_at=wall)
    session.add(row)
    session.flush()
    audit(session, actor=Actor(f"member:{member_id}", source=source),
          action="send_income_proof", now=wall, member_id=member_id,
          detail={"review_id": row.id, "proof_kind": proof.kind})
    # The bureau is asked within seconds; the beat would ask within ten anyway.
    effects.after_commit(session, effects.Task("credit_review.run", queue="applications"))
    session.commit()
    return row


def supersede_open(session: Session, member_id: int, *, wall: datetime,
                   keep: int | None = None, statuses: tuple[str, ...] = OPEN) -> None:
    """Close the member's open reviews (but `keep`): a newer request, a newer answer or a
    decision has replaced them. A worker still asking about one records nothing (its
    fence)."""
    where = [CreditReview.member_id == member_id, CreditReview.status.in_(statuses)]
    if keep is not None:
        where.append(CreditReview.id != keep)
    session.execute(update(CreditReview).where(*where)
                    .values(status="superseded", updated_at=wall),
                    execution_options={"synchronize_session": False})
