"""The ongoing review (途上与信), the screener role and the erasure's index

`members` gets the review's stop (`credit_review_since`, `credit_review_reasons`, whole
or absent), apart from `status`: a member may be suspended by staff and stopped by the
review at once. `credit_reviews` holds each question put to the bureau about a member
(periodic, one per member per review month; or a lift request with new income proof)
and what came of it. Staff accounts may have the role `screener`. Applications get a
partial index for the 180-day erasure's look-up.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("asking", "clear", "suspended", "ready", "lifted", "kept", "superseded",
             "unreviewable")
_ERASABLE = sa.text("status IN ('declined', 'expired') AND erased_at IS NULL")
_DUE = sa.text("status = 'asking'")
_OPEN = sa.text("status IN ('asking', 'ready')")


def _instant(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("members", _instant("credit_review_since"))
    op.add_column("members", sa.Column("credit_review_reasons", sa.String(length=64),
                                       nullable=True))
    op.create_check_constraint(
        "credit_review_whole", "members",
        "(credit_review_since IS NULL) = (credit_review_reasons IS NULL)")
    op.drop_constraint("staff_role", "staff_accounts", type_="check")
    op.create_check_constraint("staff_role", "staff_accounts",
                               "role IN ('desk', 'operator', 'screener', 'supervisor')")
    op.create_table(
        "credit_reviews",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proof_kind", sa.String(length=20), nullable=True),
        sa.Column("proof_income", sa.BigInteger(), nullable=True),
        sa.Column("bureau_other_balance", sa.BigInteger(), nullable=True),
        sa.Column("bureau_other_count", sa.Integer(), nullable=True),
        sa.Column("bureau_delinquent", sa.Boolean(), nullable=True),
        _instant("answered_at"),
        sa.Column("income", sa.BigInteger(), nullable=True),
        sa.Column("credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("reasons", sa.String(length=64), nullable=True),
        _instant("decided_at"),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _instant("next_attempt_at"),
        sa.Column("last_error", sa.String(length=32), nullable=True),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.UniqueConstraint("member_id", "period", name="uq_credit_reviews_period"),
        sa.CheckConstraint("kind IN ('periodic', 'lift')", name="credit_review_kind"),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in _STATUSES) + ")",
                           name="credit_review_status"),
        sa.CheckConstraint("(kind = 'periodic') = (period IS NOT NULL)",
                           name="credit_review_period_kind"),
        sa.CheckConstraint("(kind = 'lift') = (proof_income IS NOT NULL)",
                           name="credit_review_proof_kind"),
    )
    op.create_index("ix_credit_reviews_due", "credit_reviews", ["next_attempt_at"],
                    postgresql_where=_DUE)
    op.create_index("ix_credit_reviews_open", "credit_reviews", ["member_id"],
                    postgresql_where=_OPEN)
    op.create_index("ix_credit_reviews_member", "credit_reviews", ["member_id", "id"])
    op.create_index("ix_applications_erasable", "applications", ["ended_at"],
                    postgresql_where=_ERASABLE)


def downgrade() -> None:
    op.drop_index("ix_applications_erasable", table_name="applications",
                  postgresql_where=_ERASABLE)
    op.drop_table("credit_reviews")
    op.drop_constraint("staff_role", "staff_accounts", type_="check")
    op.create_check_constraint("staff_role", "staff_accounts",
                               "role IN ('desk', 'operator', 'supervisor')")
    op.drop_constraint("credit_review_whole", "members", type_="check")
    op.drop_column("members", "credit_review_reasons")
    op.drop_column("members", "credit_review_since")
