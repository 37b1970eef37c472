"""The outbox: queueing member mail at most once, and sending it through SMTP.

**Queueing.** A mail is a row of `outgoing_mail`, unique per (member, kind, key) — the
key is what the mail is about: a transfer id, a repayment id, a due date. `enqueue` is
`INSERT ... ON CONFLICT DO NOTHING`, written in the same transaction as the event it
reports (a transfer settling, a repayment, the overdue mark), so a mail exists exactly
when its event committed, and a second worker, beat or redelivered message that queues
it again adds nothing.

**Sending** (`send_due`, run by the `mail.send` beat task) goes through three short
transactions per row, never holding a lock across the SMTP conversation:

  1. claim: `FOR UPDATE SKIP LOCKED` the queued rows whose time has come (and `sending`
     rows whose lease ran out), mark them `sending`, count the attempt and set the lease
     in `next_attempt_at`; commit. Two beats, two workers: each row goes to one of them.
  2. SMTP, outside any transaction.
  3. record: `sent` (with `sent_at`) on the server's acceptance; on a transient failure
     (server down, timeout, 4xx) back to `queued` with an exponential backoff; on a
     permanent one (5xx for this recipient, or a message we refuse to compose) `failed`.

**The window that remains.** Between the server accepting the message (its `250` after
the data) and step 3's commit, a worker that dies — or a database that goes away —
leaves a `sending` row whose lease then runs out, and the next pass sends it again. It
cannot be closed from our side: SMTP has no idempotency key and no way to ask a server
whether it already took a message, so either a crash in that window may lose the mail or
it may repeat it; we repeat it (a reminder that is never sent is the worse failure), and
the repeat carries the same `Message-ID` (derived from the outbox key), which lets mail
software recognise it. Everything else — a worker dying before or during the
conversation, the SMTP server down, a second beat, a redelivered task — sends nothing
twice. The window is one SMTP reply plus one small UPDATE long.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol, cast

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from shunfuri import metrics
from shunfuri.db.models import OutgoingMail
from shunfuri.mail.compose import (
    AddressConfirmation,
    ContractDocument,
    Envelope,
    LoginLocked,
    MailContent,
    OverdueNotice,
    PayeeAdded,
    RepaymentReceived,
    RepaymentReminder,
    TransferSettled,
    UnknownClientFailures,
    compose,
)
from shunfuri.mail.smtp import MailPermanent, MailTransient

log = logging.getLogger("shunfuri.mail")

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
# Real time a claimed row stays ours: well above one SMTP conversation (the URL's
# timeout, 10 s by default, per step), so a live sender is never overtaken.
LEASE = timedelta(seconds=120)
BACKOFF_FIRST = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=15)
# 5 s doubling to 15 min: about 3 hours of retries before a mail is given up as `failed`.
MAX_ATTEMPTS = 20
SETTINGS_PATH = "/settings/mail"
CONFIRM_PATH = "/mail/confirm"

_CONTENT: dict[str, type[MailContent]] = {c.KIND: c for c in (RepaymentReminder, TransferSettled,
                                                  RepaymentReceived, OverdueNotice,
                                                  PayeeAdded, LoginLocked,
                                                  UnknownClientFailures)}


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def confirmation_token(pepper: str, nonce: str) -> str:
    """The address-confirmation link's token, derived from a random nonce under a key of
    the server's pepper: the database holds only the nonce (in the outbox row) and the
    token's SHA-256 (in `member_mail`), so reading the database is not enough to confirm
    someone else's address."""
    key = hmac.new(pepper.encode(), b"shunfuri mail confirm v1", hashlib.sha256).digest()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


def to_payload(content: MailContent) -> dict[str, Any]:
    """A mail's content as JSON for the outbox row (dates as ISO strings)."""
    out = {}
    for f in fields(content):
        value = getattr(content, f.name)
        out[f.name] = value.isoformat() if isinstance(value, date) else value
    return out


def from_payload(kind: str, payload: dict[str, Any]) -> MailContent:
    cls = _CONTENT[kind]
    values: dict[str, Any] = {}
    for f in fields(cls):
        value = payload[f.name]
        if f.type == "date":
            value = date.fromisoformat(value)
        elif f.type == "datetime":
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return cls(**values)


def enqueue(session: Session, *, member_id: int, to: str, content: MailContent | None = None,
            key: str, wall: datetime, kind: str | None = None,
            payload: dict[str, Any] | None = None) -> bool:
    """Queue one mail unless (member, kind, key) was ever queued; True if this call did."""
    kind = kind or (content.KIND if content is not None else None)
    if kind is None:
        raise ValueError("enqueue needs a content or a kind")
    row = dict(member_id=member_id, kind=kind, key=key, to_address=to,
               # (a kind without a payload comes with its content)
               payload=payload if payload is not None else to_payload(cast(MailContent, content)),
               status=QUEUED, attempts=0, next_attempt_at=wall, created_at=wall)
    return enqueue_many(session, [row]) == 1


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    stmt = insert(OutgoingMail).values(rows).on_conflict_do_nothing(
        constraint="uq_outgoing_mail_once").returning(OutgoingMail.id)
    return len(session.execute(stmt).all())


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int
    kind: str
    key: str
    to: str
    payload: dict[str, Any]
    attempts: int


def claim(session: Session, *, wall: datetime, limit: int) -> list[Claimed]:
    """Step 1 (the caller commits)."""
    rows = session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.status.in_((QUEUED, SENDING)), OutgoingMail.next_attempt_at <= wall)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    out = []
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = SENDING, row.attempts + 1, wall + LEASE
        out.append(Claimed(row.id, row.member_id, row.kind, row.key, row.to_address,
                           dict(row.payload), row.attempts))
    return out


def backoff(attempts: int) -> timedelta:
    doubling: int = 2 ** max(attempts - 1, 0)
    return min(BACKOFF_FIRST * doubling, BACKOFF_MAX)


def _ours(row: Claimed) -> tuple[Any, ...]:
    # Only the claim that is still current may record: a row whose lease ran out and
    # was claimed again has a higher attempt count.
    return (OutgoingMail.id == row.id, OutgoingMail.status == SENDING,
            OutgoingMail.attempts == row.attempts)


def mark_sent(session: Session, row: Claimed, *, wall: datetime) -> None:
    # Sent is sent, whoever holds the claim now: it stops any further resend.
    session.execute(update(OutgoingMail)
                    .where(OutgoingMail.id == row.id, OutgoingMail.status != SENT)
                    .values(status=SENT, sent_at=wall, last_error=None))


def mark_failed_attempt(session: Session, row: Claimed, error: str, *, wall: datetime,
                        permanent: bool) -> str:
    status = FAILED if permanent or row.attempts >= MAX_ATTEMPTS else QUEUED
    session.execute(update(OutgoingMail).where(*_ours(row)).values(
        status=status, next_attempt_at=wall + backoff(row.attempts), last_error=error[:255]))
    return status


def release(session: Session, rows: list[Claimed], *, wall: datetime) -> None:
    """Give back claimed rows not tried in this pass (the attempt is not counted)."""
    for row in rows:
        session.execute(update(OutgoingMail).where(*_ours(row)).values(
            status=QUEUED, attempts=row.attempts - 1, next_attempt_at=wall))


@dataclass(frozen=True)
class MailContext:
    """What sending needs, passed in by the edge (the worker)."""

    sessions: sessionmaker[Session]
    sender: Sender
    now: Callable[[], datetime]   # business time: the mail's Date header
    wall: Callable[[], datetime]  # real time: leases and backoff
    mail_from: str
    public_url: str
    pepper: str


@dataclass
class SendOutcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def message_for(row: Claimed, ctx: MailContext) -> EmailMessage:
    base = ctx.public_url.rstrip("/")
    content: MailContent
    if row.kind == AddressConfirmation.KIND:
        token = confirmation_token(ctx.pepper, row.payload["nonce"])
        content = AddressConfirmation(confirm_url=f"{base}{CONFIRM_PATH}?t={token}",
                                      expires_at=datetime.fromisoformat(row.payload["expires_at"]))
    elif row.kind == ContractDocument.KIND:
        content = contract_document(row.payload, ctx.pepper, base)
    else:
        content = from_payload(row.kind, row.payload)
    envelope = Envelope(to=row.to, sender=ctx.mail_from, settings_url=f"{base}{SETTINGS_PATH}")
    return compose(content, envelope, key=row.key, now=ctx.now())


def contract_document(payload: dict[str, Any], pepper: str, base: str) -> ContractDocument:
    """The contract mail from its outbox row: the terms as stored, and the address
    confirmation link derived from the row's nonce (as for `AddressConfirmation`)."""
    nonce, expires = payload.get("nonce"), payload.get("confirm_expires_at")
    url = f"{base}{CONFIRM_PATH}?t={confirmation_token(pepper, nonce)}" if nonce else ""
    return ContractDocument(
        contract_id=payload["contract_id"],
        contracted_at=datetime.fromisoformat(payload["contracted_at"]),
        card_last4=payload["card_last4"], credit_limit=payload["credit_limit"],
        rate_bp=payload["rate_bp"], due_day=payload["due_day"],
        late_charge_bp=payload["late_charge_bp"],
        repayment_method_ja=payload["repayment_method_ja"],
        minimum_table=tuple(tuple(r) for r in payload["minimum_table"]),
        interest_free_days=payload["interest_free_days"], confirm_url=url,
        confirm_expires_at=datetime.fromisoformat(expires) if expires else None,
    )


def send_due(ctx: MailContext, *, limit: int = 50) -> SendOutcome:
    """One pass: claim up to `limit` due rows and send them one by one. A transient
    failure ends the pass (the server is likely down: the rest are given back untried
    rather than each waiting for its own timeout)."""
    outcome = SendOutcome()
    with ctx.sessions.begin() as session:
        claimed = claim(session, wall=ctx.wall(), limit=limit)
    for n, row in enumerate(claimed):
        try:
            message = message_for(row, ctx)
        except (ValueError, KeyError) as exc:  # UnsafeMail is a ValueError
            _record_failure(ctx, row, f"not composed: {type(exc).__name__}: {exc}", True, outcome)
            continue
        try:
            ctx.sender.send(message)
        except MailPermanent as exc:
            _record_failure(ctx, row, str(exc), True, outcome)
        except MailTransient as exc:
            _record_failure(ctx, row, str(exc), False, outcome)
            rest = claimed[n + 1:]
            with ctx.sessions.begin() as session:
                release(session, rest, wall=ctx.wall())
            outcome.released += len(rest)
            break
        else:
            with ctx.sessions.begin() as session:
                mark_sent(session, row, wall=ctx.wall())
            outcome.sent += 1
            metrics.MAIL.labels(kind=row.kind, outcome=SENT).inc()
    return outcome


def _record_failure(ctx: MailContext, row: Claimed, error: str, permanent: bool,
                    outcome: SendOutcome) -> None:
    with ctx.sessions.begin() as session:
        status = mark_failed_attempt(session, row, error, wall=ctx.wall(), permanent=permanent)
    metrics.MAIL.labels(kind=row.kind, outcome=status if status == FAILED else "retrying").inc()
    if status == FAILED:
        outcome.failed += 1
        log.error("mail %s (%s) given up after %d attempts: %s", row.id, row.kind,
                  row.attempts, error)
    else:
        outcome.retrying += 1
        log.warning("mail %s (%s) not sent, retrying: %s", row.id, row.kind, error)
    outcome.errors.append(error)
