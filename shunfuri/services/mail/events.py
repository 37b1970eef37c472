"""Which mail an event queues, to whom (spec/repayment.md, "Mail").

Each function is called inside the transaction that records its event, so the mail is
queued exactly when the event commits; the outbox's unique (member, kind, key) makes a
second call for the same event add nothing. Only a confirmed address with the matching
setting on gets mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri.db.models import (
    MailRun,
    Member,
    MemberMail,
    OutgoingMail,
    Payee,
    Repayment,
    Transfer,
)
from shunfuri.domain.instants import to_jst
from shunfuri.domain.orders import SETTLED
from shunfuri.mail.compose import (
    MailContent,
    OverdueNotice,
    PayeeAdded,
    RepaymentReceived,
    RepaymentReminder,
    TransferSettled,
)
from shunfuri.services.mail import outbox
from shunfuri.services.repayments import dues


def wants(mail: Any, setting: str) -> ColumnElement[bool]:
    """A `MemberMail` row (or alias) that mails its confirmed address for `setting`."""
    return and_(mail.confirmed_at.is_not(None), mail.address.is_not(None),
                getattr(mail, setting).is_(True))


def recipients(session: Session, member_ids: Iterable[int], setting: str) -> dict[int, str]:
    """member id -> confirmed address, for those of `member_ids` with `setting` on."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(MemberMail.member_id, MemberMail.address).where(
            MemberMail.member_id.in_(ids), wants(MemberMail, setting))
    ).all()
    return {member_id: address for member_id, address in rows if address is not None}


def transfers_settled(session: Session, transfers: list[Transfer], *, wall: datetime,
                      to: dict[int, str] | None = None) -> int:
    """お振込み完了 for each settled transfer whose member asked for it. This runs in the
    settlement's transaction: `to` (member id -> address, read with the rows) spares a
    query; without it, one query when nobody asked."""
    if to is None:
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
        rows.append(_row(t.member_id, to[t.member_id], content, t.id, wall))
    return outbox.enqueue_many(session, rows)


def payee_added(session: Session, payee: Payee, *, wall: datetime) -> bool:
    """振込先口座の登録: a security notice, queued in the transaction that adds the payee
    and sent to the confirmed address whatever the member's settings (someone holding
    the member's session and PIN must not add an account unseen). True if queued."""
    address = session.scalar(select(MemberMail.address).where(
        MemberMail.member_id == payee.member_id, MemberMail.confirmed_at.is_not(None),
        MemberMail.address.is_not(None)))
    if address is None:
        return False
    content = PayeeAdded(bank_name=payee.bank_name,
                         branch_name=payee.branch_name,
                         account_last4=payee.account_number[-4:], added_at=payee.created_at)
    return outbox.enqueue_many(
        session, [_row(payee.member_id, address, content, str(payee.id), wall)]) == 1


def _row(member_id: int, to: str, content: MailContent, key: str, wall: datetime) -> dict[str, Any]:
    return dict(member_id=member_id, kind=content.KIND, key=key, to_address=to,
                payload=outbox.to_payload(content), status=outbox.QUEUED, attempts=0,
                next_attempt_at=wall, created_at=wall)


def _mail_members(setting: str) -> Select[*tuple[Any, ...]]:
    return select(MemberMail.member_id, MemberMail.address, MemberMail.confirmed_at).where(
        wants(MemberMail, setting))


def _not_queued(kind: str, key: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    return ~exists().where(OutgoingMail.member_id == MemberMail.member_id,
                           OutgoingMail.kind == kind, OutgoingMail.key == key)


# A repayment settled longer ago than this (real time) is news no more: turning the
# setting on, or a mail worker back after a long outage, mails nothing older.
RECENT = timedelta(days=1)


def repayments_received(session: Session, *, now: datetime, wall: datetime) -> int:
    """ご返済確認 for each settled repayment not yet mailed, of members who asked for it
    (settled after their address was confirmed, within `RECENT`). Runs every few seconds
    from the beat: the scan starts from the few members with mail on."""
    found = session.execute(
        _mail_members("notify_repayment_received")
        .add_columns(Repayment, Payee.bank_name, Payee.account_number)
        .join(Repayment, Repayment.member_id == MemberMail.member_id)
        .join(Payee, Payee.id == Repayment.payee_id)
        .where(Repayment.status == SETTLED, Repayment.updated_at >= MemberMail.confirmed_at,
               Repayment.updated_at >= wall - RECENT,
               _not_queued(RepaymentReceived.KIND, Repayment.id))
        .order_by(Repayment.settled_at)
    ).all()
    rows = []
    for member_id, address, _, repayment, bank_name, account_number in found:
        view = dues.ledger_view(session, member_id, now)
        line = next((x for x in view.lines if x.ref == repayment.id), None)
        if line is None or repayment.settled_at is None:
            continue  # not in the ledger up to `now` yet (a clock behind the settlement)
        content = RepaymentReceived(
            repayment_id=repayment.id, amount=repayment.amount,
            to_interest=repayment.to_interest or 0, to_principal=repayment.to_principal or 0,
            principal_after=line.principal_after, settled_at=repayment.settled_at,
            bank_name=bank_name, account_last4=account_number[-4:])
        rows.append(_row(member_id, address, content, repayment.id, wall))
    return outbox.enqueue_many(session, rows)


def overdue_notices(session: Session, *, now: datetime, wall: datetime) -> int:
    """ご返済が確認できません, once per missed due date, for members the daily overdue
    job marked (`members.overdue_since`, the day after the missed due date)."""
    missed_key = func.to_char(Member.overdue_since - 1, "YYYY-MM-DD")
    found = session.execute(
        _mail_members("notify_overdue")
        .join(Member, Member.id == MemberMail.member_id)
        .where(Member.overdue_since.is_not(None),
               _not_queued(OverdueNotice.KIND, missed_key))
    ).all()
    rows = []
    for member_id, address, _ in found:
        owed = dues.dues(session, member_id, now)
        if not owed.overdue or owed.missed_due_date is None:
            continue  # lifted since the job marked it
        content = OverdueNotice(missed_due_date=owed.missed_due_date,
                                amount_to_lift=owed.amount_to_lift)
        rows.append(_row(member_id, address, content, owed.missed_due_date.isoformat(), wall))
    return outbox.enqueue_many(session, rows)


REMINDER_HOUR = time(8, 0)
REMINDERS = "reminders"


def reminders(session: Session, *, now: datetime, wall: datetime,
              chunk: int = 500) -> int | None:
    """The day's repayment-date reminders, from 08:00 JST (business clock): for each
    member with reminders on and something still to pay by the next due date, from
    `remind_days_before` days before it until the day itself (so a day the system was
    down is made up the next morning), keyed by the due date: one reminder per due date
    however often this runs.

    One pass a day over the members, `chunk` of them per call: the call queues their mail
    and moves the day's cursor (`mail_runs`) in the caller's transaction, so a pass cut
    short (a worker's time limit, a restart) goes on where it stopped. Returns how many
    were queued, or None when the day's pass is already whole (or it is before 08:00).
    Two beats at once take turns on the day's row (locked)."""
    local = to_jst(now)
    day = local.date()
    if local.time() < REMINDER_HOUR:
        return None
    session.execute(insert(MailRun).values(job=REMINDERS, day=day, cursor=0)
                    .on_conflict_do_nothing())
    run = session.scalars(select(MailRun).where(MailRun.job == REMINDERS, MailRun.day == day)
                          .with_for_update()).one()
    if run.done_at is not None:
        return None
    found = session.execute(
        _mail_members("remind").add_columns(MemberMail.remind_days_before)
        .join(Member, Member.id == MemberMail.member_id)
        .where(Member.outstanding > 0, MemberMail.member_id > run.cursor)
        .order_by(MemberMail.member_id).limit(chunk)
    ).all()
    rows = []
    for member_id, address, _, days_before in found:
        owed = dues.dues(session, member_id, now)
        due = owed.next_due_date
        if due is None or owed.minimum_due <= 0:
            continue
        if not due - timedelta(days=days_before) <= day <= due:
            continue
        content = RepaymentReminder(due_date=due, minimum_due=owed.minimum_due,
                                    payoff=owed.payoff_today, days_before=(due - day).days)
        rows.append(_row(member_id, address, content, due.isoformat(), wall))
    if found:
        run.cursor = found[-1].member_id
    if len(found) < chunk:
        run.done_at = wall
    return outbox.enqueue_many(session, rows)
