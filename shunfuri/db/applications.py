"""The application table: one row per application to become a member.

Kept apart from `models` (which imports this module, so `Base.metadata` always has the
table): it is the one table that holds an applicant's personal data before they are a
member, and the 180-day erasure names its columns here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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

from shunfuri.db.models import Base

# The columns an application's 180-day erasure empties (spec/application.md, "Personal
# data"); everything else of the row (status, decision, reason, offer, times) stays.
APPLICATION_PERSONAL_FIELDS = (
    "name_kanji", "name_kana", "birth_date", "phone", "email", "postal_code", "address",
    "employment", "employer_name", "employer_phone", "annual_income", "other_count",
    "other_balance", "requested_limit", "proof_kind", "proof_income", "bureau_other_balance",
    "bureau_other_count", "bureau_delinquent",
)
# What the form always gives: present on every row until it is erased.
_APPLICATION_REQUIRED = ("name_kanji", "name_kana", "birth_date", "phone", "email",
                         "postal_code", "address", "employment", "annual_income", "other_count",
                         "other_balance", "requested_limit")


class Application(Base):
    """One application to become a member (spec/application.md; the rules:
    `shunfuri.domain.application_states` and `screening`).

    received -> checking -> approved | declined | documents_needed | manual_review;
    approved -> contracted | expired; documents_needed -> checking | expired;
    manual_review -> approved | declined. Every change goes through
    `shunfuri.services.applications.transitions` with the row locked.

    The applicant's own fields and the bureau's answer are plain columns that the 180-day
    erasure of a declined or expired application sets to NULL (`erased_at` then says
    when); the decision (`status`, `reason_code`, the offer) and the times stay. The
    follow-up token is kept only as its SHA-256; `token_nonce` lets an idempotent replay
    derive the same token again under the server's pepper (`applications.tokens`).
    """

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_applications_idempotency"),
        CheckConstraint(
            "erased_at IS NOT NULL OR ("
            + " AND ".join(f"{name} IS NOT NULL" for name in _APPLICATION_REQUIRED) + ")",
            name="application_fields_until_erased",
        ),
        CheckConstraint("(offer_limit IS NULL) = (offer_rate_bp IS NULL)",
                        name="application_offer_whole"),
        # The sweep's look-up of rows to screen (again), and the expiry job's.
        Index("ix_applications_due", "next_attempt_at",
              postgresql_where=text("status IN ('received', 'checking')")),
        Index("ix_applications_expiring", "expires_at",
              postgresql_where=text("status IN ('approved', 'documents_needed')")),
        Index("ix_applications_status", "status", "status_at"),
        # The erasure job's look-up: ended rows whose personal fields are still there.
        Index("ix_applications_erasable", "ended_at",
              postgresql_where=text("status IN ('declined', 'expired') AND erased_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    token_nonce: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # --- what the applicant gave (erased after 180 days once declined or expired) ---
    name_kanji: Mapped[str | None] = mapped_column(String(40))
    name_kana: Mapped[str | None] = mapped_column(String(40))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(254))
    postal_code: Mapped[str | None] = mapped_column(String(7))
    address: Mapped[str | None] = mapped_column(String(200))
    employment: Mapped[str | None] = mapped_column(String(16))
    employer_name: Mapped[str | None] = mapped_column(String(100))
    employer_phone: Mapped[str | None] = mapped_column(String(11))
    annual_income: Mapped[int | None] = mapped_column(BigInteger)
    other_count: Mapped[int | None] = mapped_column(Integer)
    other_balance: Mapped[int | None] = mapped_column(BigInteger)
    requested_limit: Mapped[int | None] = mapped_column(BigInteger)
    proof_kind: Mapped[str | None] = mapped_column(String(20))
    proof_income: Mapped[int | None] = mapped_column(BigInteger)
    # --- the bureau's answer (read only by screening and the screener's page) ---
    bureau_other_balance: Mapped[int | None] = mapped_column(BigInteger)
    bureau_other_count: Mapped[int | None] = mapped_column(Integer)
    bureau_delinquent: Mapped[bool | None] = mapped_column(Boolean)
    bureau_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # --- the decision (kept after erasure) ---
    reason_code: Mapped[str | None] = mapped_column(String(32))
    offer_limit: Mapped[int | None] = mapped_column(BigInteger)
    offer_rate_bp: Mapped[int | None] = mapped_column(Integer)
    # Business time: when it arrived (the age rule's day), when it entered its status,
    # when an offer or a documents request runs out, when it ended (declined, expired,
    # contracted), when its personal fields were erased.
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # --- the contract ---
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True)
    # 電子交付: the applicant agreed to receive the contract documents by mail.
    e_delivery_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # --- screening's bookkeeping (real time) ---
    # Bureau attempts so far; also the fence of a worker's claim (only the current claim
    # may record an answer).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When a worker may next screen it (NULL: at once): a retry's backoff, a claim's lease.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the last Celery message for it was sent (NULL: none outstanding).
    driven_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Why the last bureau call gave no answer (a kind, never an input).
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
