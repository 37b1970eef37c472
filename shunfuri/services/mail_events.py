"""Which mail an event queues, to whom (spec/repayment.md, "Mail").

Each function is called inside the transaction that records its event, so the mail is
queued exactly when the event commits; the outbox's unique (member, kind, key) makes a
second call for the same event add nothing. Only a confirmed address with the matching
setting on gets mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import MemberMail, Payee, Transfer
from shunfuri.mail.compose import TransferSettled
from shunfuri.services import outbox


def recipients(session: Session, member_ids: Iterable[int], setting: str) -> dict[int, str]:
    """member id -> confirmed address, for those of `member_ids` with `setting` on."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(MemberMail.member_id, MemberMail.address).where(
            MemberMail.member_id.in_(ids), MemberMail.confirmed_at.is_not(None),
            MemberMail.address.is_not(None), getattr(MemberMail, setting).is_(True))
    ).all()
    return {member_id: address for member_id, address in rows}


def transfers_settled(session: Session, transfers: list[Transfer], *, wall: datetime) -> int:
    """お振込み完了 for each settled transfer whose member asked for it (one query when
    nobody did: this runs in the settlement's transaction)."""
    to = recipients(session, (t.member_id for t in transfers), "notify_transfer_settled")
    mine = [t for t in transfers if t.member_id in to]
    if not mine:
        return 0
    payees = {p.id: p for p in session.scalars(
        select(Payee).where(Payee.id.in_({t.payee_id for t in mine})))}
    rows = []
    for t in mine:
        payee = payees[t.payee_id]
        assert t.settled_at is not None
        content = TransferSettled(transfer_id=t.id, amount=t.amount, settled_at=t.settled_at,
                                  bank_name=payee.bank_name,
                                  account_last4=payee.account_number[-4:])
        rows.append(dict(member_id=t.member_id, kind=content.KIND, key=t.id,
                         to_address=to[t.member_id], payload=outbox.to_payload(content),
                         status=outbox.QUEUED, attempts=0, next_attempt_at=wall,
                         created_at=wall))
    return outbox.enqueue_many(session, rows)
