"""Tables. Money is integer yen; instants are timezone-aware and stored in UTC.

The member row is also the credit row: `outstanding` and `held` change only under
`SELECT ... FOR UPDATE` of that row, so two transfers can never both see the same
available credit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shunfuri.db.base import Base


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("credit_limit >= 0", name="credit_limit_non_negative"),
        CheckConstraint("outstanding >= 0", name="outstanding_non_negative"),
        CheckConstraint("held >= 0", name="held_non_negative"),
        # The invariant itself, enforced by the database as the last line of defence.
        CheckConstraint("outstanding + held <= credit_limit", name="within_limit"),
        CheckConstraint("rate_bp >= 0", name="rate_bp_non_negative"),
        CheckConstraint("due_day IN (5, 15, 25, 31)", name="due_day_allowed"),
        CheckConstraint("(name_kana IS NULL) = (name_key IS NULL)", name="name_kana_keyed"),
        CheckConstraint("(credit_review_since IS NULL) = (credit_review_reasons IS NULL)",
                        name="credit_review_whole"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(16), unique=True)
    web_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # active | locked | suspended
    status: Mapped[str] = mapped_column(String(16), default="active")
    card_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_limit: Mapped[int] = mapped_column(BigInteger)
    outstanding: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    # Repayment terms (spec/repayment.md). `outstanding` is the principal; interest is
    # derived from the member's events (`services.repayments.dues`), never kept as a counter.
    rate_bp: Mapped[int] = mapped_column(Integer, default=1780, server_default="1780")
    due_day: Mapped[int] = mapped_column(SmallInteger, default=25, server_default="25")
    # Set by the daily overdue job (and cleared by a repayment that lifts it): the fast
    # transfer path reads this column instead of replaying the ledger.
    overdue_since: Mapped[date | None] = mapped_column(Date)
    # The member's name in kana (full-width katakana, as an application gives it), and
    # its comparison key (Zengin half-width, no spaces: `domain.own_name`). While known,
    # money goes only to and from accounts in that name; the transfer path compares the
    # key in SQL, so it is kept beside the name rather than worked out per request.
    name_kana: Mapped[str | None] = mapped_column(String(64))
    name_key: Mapped[str | None] = mapped_column(String(32))
    # The ongoing review's stop (途上与信, `services.credit_review`): since when (business
    # time) and why (`domain.credit_review` codes, comma-separated). Apart from `status`:
    # a member may be suspended by staff and stopped by the review at once, and only a
    # screener lifts this one. The transfer path reads the column, as `overdue_since`.
    credit_review_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    credit_review_reasons: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """Failed logins, keyed on a keyed hash of the *submitted* identifier.

    Keying on what was typed (not on a member id) makes an unknown identifier answer
    exactly like a real one attacked from clients the member never used, so
    `too_many_attempts` tells an attacker nothing about who exists.
    """

    __tablename__ = "login_failures"

    identifier_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The member's own devices (`shunfuri.domain.lockout`): wrong secrets in a row, and
    # the in-person lock; `updated_at` is when these last changed (the desk's "since").
    consecutive: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Clients the member never logged in from: a lockout of those clients only, on real time.
    untrusted_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    untrusted_lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    untrusted_last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    untrusted_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MemberDevice(Base):
    """A browser or app the member has logged in from (OWASP's device cookie): the
    SHA-256 of its random device token, never the token. Failures from a known device
    count toward the in-person lock; an unknown client's only lock out unknown clients."""

    __tablename__ = "member_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    client: Mapped[str] = mapped_column(String(8))  # web (the device cookie) | api
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuthSession(Base):
    """A bearer token, stored only as its SHA-256; revocable by setting `revoked_at`.

    `kind` is `api` (a bearer token: fixed lifetime) or `web` (the member site's session
    cookie: its expiry slides forward while it is used, an idle timeout).
    """

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Payee(Base):
    __tablename__ = "payees"
    __table_args__ = (Index("ix_payees_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(16))
    account_number: Mapped[str] = mapped_column(String(7))
    holder_name: Mapped[str] = mapped_column(String(64))
    bank_name: Mapped[str] = mapped_column(String(128))
    branch_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Transfer(Base):
    """One cash advance. `decision` and `settle_at` are fixed at acceptance.

    Internal life (the rules: `shunfuri.domain.orders`): accepted -> (worker: limit
    check + hold) -> processing | scheduled -> processing -> settled | failed |
    needs_attention; accepted -> rejected; scheduled -> cancelled. Once `sent_at` is set
    the bank may have paid, and only its answer can end the transfer.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("member_id", "idempotency_key", name="uq_transfers_idempotency"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_transfers_member_accepted", "member_id", "accepted_at"),
        Index("ix_transfers_status_due", "status", "settle_at"),
        # The drain's two claims stay index-only however large a bulk backlog grows.
        Index(
            "ix_transfers_accepted", "decision", "accepted_at",
            postgresql_where=text("status = 'accepted'"),
        ),
        Index(
            "ix_transfers_retry", "next_attempt_at",
            postgresql_where=text("status = 'processing'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    bank_code: Mapped[str] = mapped_column(String(4))
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settle_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may next touch it: backoff for transient bank errors, and the
    # recovery sweep's deadline for rows whose message or worker was lost.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Real time the order first left for the bank, written by the claim *before* the
    # call: from then on the transfer is in doubt until the bank answers.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Real time after which a transfer still in doubt goes to `needs_attention`.
    attention_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Why the last attempt got no definitive answer (for `shunfuri doubts` and staff).
    last_error: Mapped[str | None] = mapped_column(String(255))
    # Loaded only by the drain's claim, with the row (`contains_eager`), for the bank
    # order; anywhere else reading it raises rather than costing a query per row.
    payee: Mapped[Payee] = relationship(viewonly=True, lazy="raise")


class LedgerEntry(Base):
    """Money that left: one row per settled transfer, written with the settlement."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    bank_code: Mapped[str] = mapped_column(String(4))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what to whom, when, why and from where: every staff action, allowed or
    refused. Append-only: a trigger refuses UPDATE and DELETE (migration 0007)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor", "actor", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    ok: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the staff member typed as the reason (suspend, reinstate), and where the
    # action came from (the client address, or `cli`).
    reason: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(64))


class Repayment(Base):
    """One internet repayment: a collection from the member's registered account, keyed
    at the bank by this id. Same life as a transfer (`shunfuri.domain.orders`): accepted
    -> processing -> settled | failed | needs_attention; accepted -> rejected. Once
    `sent_at` is set the bank may have collected, and only its answer can end it.
    `to_interest` / `to_principal` are the split, written with the settlement.
    """

    __tablename__ = "repayments"
    __table_args__ = (
        UniqueConstraint("member_id", "idempotency_key", name="uq_repayments_idempotency"),
        CheckConstraint("amount > 0", name="repayment_amount_positive"),
        CheckConstraint(
            "(to_interest IS NULL AND to_principal IS NULL) OR "
            "(to_interest >= 0 AND to_principal >= 0 AND to_interest + to_principal = amount)",
            name="repayment_split_adds_up",
        ),
        Index("ix_repayments_member_accepted", "member_id", "accepted_at"),
        Index("ix_repayments_member_settled", "member_id", "settled_at"),
        Index("ix_repayments_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    payee_id: Mapped[int] = mapped_column(ForeignKey("payees.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    bank_code: Mapped[str] = mapped_column(String(4))
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    to_interest: Mapped[int | None] = mapped_column(BigInteger)
    to_principal: Mapped[int | None] = mapped_column(BigInteger)
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attention_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(255))


class MemberEvent(Base):
    """A change of a member's terms that the ledger replays: `rate` (staff set a rate,
    value in basis points) or `due_day` (5, 15, 25 or 31 = month end). `at` is business
    time: the change counts from the next JST day, like every ledger event."""

    __tablename__ = "member_events"
    __table_args__ = (Index("ix_member_events_member_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))


# Some tables live in modules of their own (the application's personal data, the staff's
# accounts, the mail); importing them here puts them in `Base.metadata` for the migrations,
# and the names below let `from shunfuri.db.models import StaffAccount` go on working.
import shunfuri.db.applications  # noqa: E402
import shunfuri.db.credit_reviews  # noqa: E402,F401
from shunfuri.db.mail_tables import MailRun, MemberMail, OutgoingMail  # noqa: E402
from shunfuri.db.staff_tables import (  # noqa: E402
    RefusalCount,
    StaffAccount,
    StaffDevice,
    StaffLoginThrottle,
    StaffSession,
)

__all__ = [
    "AuditEntry", "AuthSession", "Base", "LedgerEntry", "LoginFailure", "MailRun", "Member",
    "MemberDevice", "MemberEvent", "MemberMail", "OutgoingMail", "Payee", "RefusalCount",
    "Repayment", "StaffAccount", "StaffDevice", "StaffLoginThrottle", "StaffSession",
    "Transfer",
]
