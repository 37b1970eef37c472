"""The member site's 瞬フリ flow: review (what will happen, decided now), then confirm.

The review shows the decision of the same rules engine as `GET /v1/availability`, at
that moment. Confirming decides again at the instant of the click: if the answer moved
(the clock crossed 14:50, a maintenance window began) nothing is accepted and the new
review is returned, so the member confirms again knowing what changed. A confirmation
carries the form's idempotency key, so a double click, a reload or the back button
gives the transfer already made rather than a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Payee, Transfer
from shunfuri.domain.acceptance import free_credit
from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import iso_jst
from shunfuri.domain.windows import quote, quote_reason
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import payees
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import rules


@dataclass(frozen=True)
class Review:
    payee: Payee
    amount: int
    decision: str  # instant | scheduled
    settle_at: datetime | None
    reason: str  # `windows.quote_reason`
    available: int

    @property
    def fingerprint(self) -> str:
        """What the member agreed to: instant, or scheduled at one instant. An instant
        quote's settle_at is "now", so it is left out."""
        if self.decision == "instant":
            return "instant"
        return f"scheduled|{iso_jst(self.settle_at)}"


@dataclass(frozen=True)
class Confirmed:
    transfer: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class Changed:
    review: Review


def review(session: Session, *, member: Member, payee_id: int, amount: int,
           now: datetime) -> Review:
    """What a transfer of `amount` to the payee would get if accepted at `now`.

    Refuses exactly as acceptance would, in the same order: the rules are asked the same
    question (`rules.check`, `domain.acceptance`).
    """
    checked = rules.check(session, member, payee_id=payee_id, amount=amount, now=now)
    payee = payees.get_payee(session, member_id=member.id, payee_id=payee_id)
    bank = get_bank(payee.bank_code)
    decided = quote(bank, now)
    return Review(payee=payee, amount=amount, decision=decided.decision,
                  settle_at=decided.settle_at, reason=quote_reason(bank, now),
                  available=free_credit(checked.borrower))


def by_key(session: Session, *, member_id: int, key: str) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(Transfer.member_id == member_id, Transfer.idempotency_key == key)
    )


def confirm(
    session: Session,
    *,
    member: Member,
    payee_id: int,
    amount: int,
    key: str,
    shown: str,
    now: datetime,
    wall: datetime,
    admit: transfers.Admit | None = None,
) -> Confirmed | Changed:
    """Accept the reviewed transfer, unless the decision moved since it was shown.

    A key already used answers with its transfer whatever the clock says now (the
    second click of a double click, a reload): that is the transfer the member made.
    """
    existing = by_key(session, member_id=member.id, key=key)
    if existing is not None:
        if existing.request_hash != transfers.request_hash(payee_id, amount):
            raise ShunfuriError("idempotency_key_reused")
        return Confirmed(transfers.view(existing), created=False)
    current = review(session, member=member, payee_id=payee_id, amount=amount, now=now)
    if current.fingerprint != shown:
        return Changed(current)
    accepted = transfers.accept(  # the JSON API's full path: the one place pages accept
        session, member=member, payee_id=payee_id, amount=amount, idempotency_key=key,
        now=now, wall=wall, admit=admit,
    )
    return Confirmed(accepted.transfer, created=accepted.created)
