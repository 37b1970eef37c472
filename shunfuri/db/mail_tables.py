"""The mail tables: a member's address and settings, the outbox, and the daily mail
jobs' passes. Kept apart from `models` (which imports this module, so `Base.metadata`
always has them) for the size rule."""

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
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shunfuri.db.base import Base


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
