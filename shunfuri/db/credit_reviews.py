"""The ongoing review's table (途上与信): one row per question put to the credit bureau
about a member, and what came of it.

Kept apart from `models` (which imports this module) like `applications`: it holds bureau
answers and declared incomes, which only the review and the screener's pages read
(貸金業法 第41条の38).
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

PERIODIC, LIFT = "periodic", "lift"
# asking: waiting for the bureau's answer (claimed by a worker with a lease, or backing
# off). clear: the rule holds and the member is not stopped (final). suspended: the rule
# fails, the member is stopped (final). ready: the member is stopped and a screener
# decides (a lift request, or a periodic answer on which the rule holds again). lifted /
# kept: the screener's decision (final). superseded: a newer request replaced it (final).
# unreviewable: no bureau key for this member (final; never a decision).
STATUSES = ("asking", "clear", "suspended", "ready", "lifted", "kept", "superseded",
            "unreviewable")
OPEN = ("asking", "ready")


class CreditReview(Base):
    """A periodic review (`kind` periodic: one per member per review month, `period`, so
    two beats open it once) or a member's request to lift the stop with new income proof
    (`kind` lift, with the proof's figures). The worker asks the bureau under a lease
    (`attempts` is the claim's fence, as for applications) and records the answer, the
    income the rule used, the limit it judged and the rule's reasons; without an answer
    nothing is decided and the row waits (`next_attempt_at`, `last_error`)."""

    __tablename__ = "credit_reviews"
    __table_args__ = (
        UniqueConstraint("member_id", "period", name="uq_credit_reviews_period"),
        CheckConstraint("kind IN ('periodic', 'lift')", name="credit_review_kind"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
            name="credit_review_status"),
        CheckConstraint("(kind = 'periodic') = (period IS NOT NULL)",
                        name="credit_review_period_kind"),
        CheckConstraint("(kind = 'lift') = (proof_income IS NOT NULL)",
                        name="credit_review_proof_kind"),
        # The worker's look-up of rows to ask about, and the screener's queue.
        Index("ix_credit_reviews_due", "next_attempt_at",
              postgresql_where=text("status = 'asking'")),
        Index("ix_credit_reviews_open", "member_id",
              postgresql_where=text("status IN ('asking', 'ready')")),
        Index("ix_credit_reviews_member", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(8))
    period: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    # --- the member's new income proof (lift requests) ---
    proof_kind: Mapped[str | None] = mapped_column(String(20))
    proof_income: Mapped[int | None] = mapped_column(BigInteger)
    # --- the answer and what the rule judged (business time) ---
    bureau_other_balance: Mapped[int | None] = mapped_column(BigInteger)
    bureau_other_count: Mapped[int | None] = mapped_column(Integer)
    bureau_delinquent: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    income: Mapped[int | None] = mapped_column(BigInteger)
    credit_limit: Mapped[int | None] = mapped_column(BigInteger)
    reasons: Mapped[str | None] = mapped_column(String(64))  # '' when the rule holds
    # --- the screener's decision (business time; the actor as in the audit) ---
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    # --- the worker's bookkeeping (real time) ---
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
