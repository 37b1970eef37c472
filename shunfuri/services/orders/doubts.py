"""Orders in doubt, for operators and staff: list them, count them, and resolve one by
asking the bank.

An order is listed when the bank may have paid it and we do not know yet: sent, not
final, and either an answer already went missing (or a worker died during the call, so
it was sent again) or the retry budget is spent (`needs_attention`). Each entry says
its kind: `transfer` or `repayment` (a collection the bank may have made); the workers
resolve both by asking the bank, and staff see both here.

Staff resolve a `needs_attention` transfer with the bank, never on a guess: `inquire`
asks the bank and applies a definitive answer (paid -> settled, refused -> failed);
`inquire(..., resend=True)` also hands the transfer back to the workers when the bank
has no record of it, to be sent again under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from shunfuri.db.models import Transfer
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.orders import NEEDS_ATTENTION, PROCESSING, Budget, Move, in_doubt
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.base import BankGateway, Inquiry
from shunfuri.services import effects
from shunfuri.services.members.accounts import audit
from shunfuri.services.orders import bank_step
from shunfuri.services.orders.kinds import KINDS, TRANSFER, OrderKind
from shunfuri.services.orders.outcome import Outcome
from shunfuri.services.orders.sending import DOUBT_NOTE
from shunfuri.services.orders.transitions import may, move
from shunfuri.services.staff.audit import Actor
from shunfuri.services.transfers.accept import view


@dataclass(frozen=True)
class Doubt:
    kind: str
    id: str
    member_id: int
    amount: int
    bank_code: str
    status: str
    sent_at: datetime
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None

    def as_dict(self, wall: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind, "id": self.id, "member_id": self.member_id,
            "amount": self.amount, "bank_code": self.bank_code, "status": self.status,
            "sent_at": iso_jst(self.sent_at),
            "age_seconds": round((wall - self.sent_at).total_seconds(), 1),
            "attempts": self.attempts, "last_error": self.last_error,
            "next_attempt_at": iso_jst(self.next_attempt_at),
        }


def _doubtful(include_in_flight: bool, model: Any = Transfer) -> ColumnElement[bool]:
    sent = model.sent_at.is_not(None)
    attention = model.status == NEEDS_ATTENTION
    retried = (model.status == PROCESSING) & sent
    if not include_in_flight:
        retried = retried & (model.last_error.is_not(None) | (model.attempts > 1))
    return or_(attention, retried)


def list_doubts(session: Session, *, include_in_flight: bool = False,
                limit: int = 1000) -> list[Doubt]:
    """Oldest send first, transfers and repayments together. `include_in_flight` adds
    orders still in their first call."""
    found = []
    for kind in KINDS.values():
        model = kind.model
        rows = session.scalars(
            select(model).where(_doubtful(include_in_flight, model))
            .order_by(model.sent_at, model.id).limit(limit)
        ).all()
        found += [
            Doubt(kind.name, t.id, t.member_id, t.amount, t.bank_code, t.status,
                  aware(t.sent_at), t.attempts, t.last_error, aware(t.next_attempt_at))
            for t in rows
        ]
    return sorted(found, key=lambda d: (d.sent_at, d.id))[:limit]


def counts(session: Session) -> dict[str, int]:
    """For the gauges: retried in doubt (still `processing`), and `needs_attention`."""
    rows = dict(
        session.execute(
            select(Transfer.status, func.count())
            .where(_doubtful(include_in_flight=False))
            .group_by(Transfer.status)
        ).all()
    )
    return {"in_doubt": rows.get(PROCESSING, 0), "needs_attention": rows.get(NEEDS_ATTENTION, 0)}


@dataclass(frozen=True)
class Resolution:
    transfer: dict[str, Any]  # the order's view after the answer (a transfer's or a repayment's)
    bank: dict[str, Any]
    outcome: Outcome
    kind: str = TRANSFER.name

    def as_dict(self) -> dict[str, Any]:
        return {self.kind: self.transfer, "bank": self.bank}


def inquire(
    session: Session, gateway: BankGateway, *, transfer_id: str, now: datetime,
    wall: datetime, actor: str | Actor, budget: Budget, resend: bool = False,
    kind: OrderKind = TRANSFER,
) -> Resolution:
    """Ask the bank about one order (`transfer_id` is its id, whatever its `kind`) and
    apply a definitive answer if it is in doubt; with `resend`, a `needs_attention` order
    the bank never received goes back to the workers. Audited, allowed or refused. No
    lock is held across the bank call."""
    k, name = kind, kind.name
    action = f"resend_{name}" if resend else f"inquire_{name}"
    before = session.get(k.model, transfer_id)
    if before is None:
        _refuse(session, actor, action, wall, None, transfer_id, "not_found", kind=name)
    member_id, status_before = before.member_id, before.status
    if resend and status_before != NEEDS_ATTENTION:
        _refuse(session, actor, action, wall, member_id, transfer_id, "not_in_doubt", kind=name)
    session.rollback()  # nothing is held while the bank is asked
    answer = bank_step.inquire(k.book(gateway), [transfer_id])[transfer_id]
    if answer.answer == "unanswered":
        _refuse(session, actor, action, wall, member_id, transfer_id, "bank_unavailable",
                error=answer.error, kind=name)
    outcome = _apply(session, answer, now=now, wall=wall, budget=budget, resend=resend, k=k)
    order: Any = session.scalar(select(k.model).where(k.model.id == transfer_id))
    bank = {"answer": answer.answer, "reference": answer.reference, "code": answer.code,
            "amount": answer.amount}
    audit(session, actor=actor, action=action, now=wall, member_id=member_id,
          detail={f"{name}_id": transfer_id, "bank": answer.answer,
                  "status_before": status_before, "status_after": order.status})
    # Once committed: tell the member's open pages, and wake the workers of its kind for
    # an order handed back to be sent again (the recovery sweep would find it anyway).
    effects.after_commit(session, effects.Publish(list(outcome.changes)))
    if outcome.retrying:
        effects.after_commit(session, k.wake)
    session.commit()
    return Resolution(k.view(order), bank, outcome, name)


def _apply(session: Session, answer: Inquiry, *, now: datetime, wall: datetime,
           budget: Budget, resend: bool, k: OrderKind = TRANSFER) -> Outcome:
    order_id = answer.order_id
    locked: Any = session.scalar(
        select(k.model).where(k.model.id == order_id).with_for_update(key_share=True)
    )
    if not in_doubt(locked.status, sent=locked.sent_at is not None):
        return Outcome()  # settled, refused or never sent: the answer is for information
    result = bank_step.result_of(answer)
    if result is not None and result.outcome != "unanswered":
        return k.finish(session, ids=[order_id], results={order_id: result},
                        now=now, wall=wall, budget=budget)
    outcome = Outcome()
    if result is None and resend and may(locked, Move.RESEND):
        move(locked, Move.RESEND, wall=wall)
        locked.attempts = 0
        locked.attention_at = wall + budget.after
        locked.next_attempt_at = wall
        locked.note = (f"{DOUBT_NOTE} staff confirmed the bank never received it; "
                       "sending it again")
        outcome.retrying += 1
        outcome.changes.append((order_id, k.view(locked)))
    return outcome


def _refuse(session: Session, actor: str | Actor, action: str, wall: datetime,
            member_id: int | None, transfer_id: str, code: str, error: str | None = None,
            kind: str = TRANSFER.name) -> NoReturn:
    session.rollback()
    detail = {f"{kind}_id": transfer_id[:64], "refused": code}
    if error:
        detail["error"] = error[:200]
    audit(session, actor=actor, action=action, now=wall, member_id=member_id, ok=False,
          detail=detail)
    session.commit()
    raise ShunfuriError(code)


def staff_view(session: Session, *, transfer_id: str, actor: str | Actor,
               wall: datetime) -> dict[str, Any]:
    """A transfer as staff see it: the member's view plus what the doubt handling knows."""
    t = session.get(Transfer, transfer_id)
    if t is None:
        _refuse(session, actor, "view_transfer", wall, None, transfer_id, "not_found")
    out = {
        **view(t), "member_id": t.member_id, "bank_code": t.bank_code,
        "sent_at": iso_jst(aware(t.sent_at)), "attempts": t.attempts,
        "last_error": t.last_error, "next_attempt_at": iso_jst(aware(t.next_attempt_at)),
        "attention_at": iso_jst(aware(t.attention_at)),
        "in_doubt": in_doubt(t.status, sent=t.sent_at is not None),
    }
    audit(session, actor=actor, action="view_transfer", now=wall, member_id=t.member_id,
          detail={"transfer_id": transfer_id})
    session.commit()
    return out
