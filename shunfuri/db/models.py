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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


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


class StaffAccount(Base):
    """A person at the desk, in operations or supervising: their own login ID, password
    (argon2id, peppered) and TOTP secret, and one role."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        CheckConstraint("role IN ('desk', 'operator', 'screener', 'supervisor')",
                        name="staff_role"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    login_id: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Null until the person enrols: the secret is drawn in their own enrolment session
    # and copied here when its first code matches (never made at account creation).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # Null until the person has scanned the QR code and typed a first valid code.
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last TOTP time step accepted: a code is good once, never replayed.
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # A password someone else saw (drawn by a supervisor's form): changed before anything else.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A staff console session (cookie), stored as SHA-256 like a member's. `kind` is
    `password` (a password someone else saw: only the password change page), `enrol`
    (password checked, TOTP not yet set up: only the enrolment page) or `full`.
    `totp_pending` is the secret the enrolment page last showed to this session only."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_pending: Mapped[str | None] = mapped_column(String(64))


class StaffDevice(Base):
    """A browser that has completed a full login as this staff member (its device cookie,
    stored as SHA-256). Wrong attempts from it count toward the account's own lock;
    wrong attempts from any other browser only throttle other browsers
    (`StaffLoginThrottle`). One browser may be known for several accounts (a shared
    desk PC)."""

    __tablename__ = "staff_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffLoginThrottle(Base):
    """Wrong attempts at one login ID from browsers not known for it, keyed on a keyed
    hash of the ID as typed, so an unknown ID throttles exactly like a real one."""

    __tablename__ = "staff_login_throttles"

    id_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RefusalCount(Base):
    """Refusals of unauthenticated requests, counted per (action, reason, hour): the
    first of each hour is an audit row, the rest only add to `count`, so a flood cannot
    grow the append-only audit log without bound."""

    __tablename__ = "refusal_counts"

    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=1)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


class MemberMail(Base):
    """A member's mail address and settings (spec/repayment.md, "Mail").

    `address` is used only once confirmed (`confirmed_at`); a new address waits in
    `pending_address` with the SHA-256 of its single-use link token (never the token).
    """

    __tablename__ = "member_mail"
    __table_args__ = (
        CheckConstraint("remind_days_before IN (0, 1, 3, 7)", name="remind_days_allowed"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    address: Mapped[str | None] = mapped_column(String(254))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pending_address: Mapped[str | None] = mapped_column(String(254))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remind: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    remind_days_before: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    notify_transfer_settled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true"))
    notify_repayment_received: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true"))
    notify_overdue: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutgoingMail(Base):
    """The outbox: one row per mail, unique per (member, kind, key), so each mail is
    queued at most once whoever queues it. `status`: queued -> sending (claimed, with a
    lease in `next_attempt_at`) -> sent | queued again (backoff) | failed."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "key", name="uq_outgoing_mail_once"),
        Index("ix_outgoing_mail_due", "next_attempt_at",
              postgresql_where=text("status IN ('queued', 'sending')")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(255))


class MailRun(Base):
    """A daily mail job's pass over the members for a business day (the reminders):
    `cursor` is the last member id done, committed with the mail it queued, so a pass cut
    short goes on from there; `done_at` once the pass is whole (later beats that day skip)."""

    __tablename__ = "mail_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))



# The application table lives in a module of its own; importing it here puts it in
# `Base.metadata` for the migrations and for whoever reads the tables from this module.
import shunfuri.db.applications  # noqa: E402
import shunfuri.db.credit_reviews  # noqa: E402,F401
