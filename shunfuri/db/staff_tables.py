"""The staff console's tables: accounts, sessions, known browsers, login throttles,
and the counts of refused unauthenticated requests. Kept apart from `models` (which
imports this module, so `Base.metadata` always has them) for the size rule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shunfuri.db.base import Base


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
