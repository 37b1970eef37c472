"""The facts the acceptance rules (`shunfuri.domain.acceptance`) are asked about, read
for one member, payee and amount: the full path (`accept.accept`) and the pages' review
and confirm (`confirm`) both build their request here, so they ask the same question."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.domain import acceptance
from shunfuri.services.repayments import dues
from shunfuri.services.transfers.payee_cache import payee_bank
from shunfuri.settings import get_settings


def borrower(session: Session, member: Any, now: datetime) -> acceptance.Borrower:
    """The member as the rules see them. The ledger is asked about an overdue mark only
    when there is one (the daily job's mark; a repayment may have lifted it since)."""
    marked = getattr(member, "overdue_since", None) is not None
    owed = None
    if marked:
        found = dues.dues(session, member.id, now)
        if found.overdue and found.missed_due_date is not None:
            owed = acceptance.Overdue(found.amount_to_lift, found.missed_due_date)
    return acceptance.Borrower(
        status=getattr(member, "status", "active"),
        stopped=getattr(member, "credit_review_since", None) is not None,
        marked_overdue=marked, overdue=owed, credit_limit=member.credit_limit,
        outstanding=member.outstanding, held=member.held,
        name_key=getattr(member, "name_key", None),
    )


def request_for(session: Session, member: Any, *, payee_id: int, amount: Any,
                now: datetime) -> acceptance.Request:
    settings = get_settings()
    found = payee_bank(session, member.id, payee_id)
    payee = acceptance.Payee(*found) if found is not None else None
    return acceptance.Request(
        borrower=borrower(session, member, now), payee=payee, amount=amount, now=now,
        minimum=settings.amount_minimum, step=settings.amount_step,
    )


def check(session: Session, member: Any, *, payee_id: int, amount: Any,
          now: datetime) -> acceptance.Request:
    """Raise the first refusal, in the rules' order; else the request (its payee set)."""
    request = request_for(session, member, payee_id=payee_id, amount=amount, now=now)
    acceptance.check(request)
    return request
