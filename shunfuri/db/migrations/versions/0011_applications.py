"""Applications to become a member

`applications` holds one application from arrival to its end (spec/application.md): the
applicant's fields and the bureau's answer as plain nullable columns that the 180-day
erasure empties (a CHECK keeps them present until `erased_at` is set), the decision and
its reason code (kept), the follow-up token's SHA-256, and screening's bookkeeping
(attempts as a claim's fence, the retry time, when a message was last sent).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REQUIRED = ("name_kanji", "name_kana", "birth_date", "phone", "email", "postal_code",
             "address", "employment", "annual_income", "other_count", "other_balance",
             "requested_limit")
_DUE = sa.text("status IN ('received', 'checking')")
_EXPIRING = sa.text("status IN ('approved', 'documents_needed')")


def _instant(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_nonce", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("name_kanji", sa.String(length=40), nullable=True),
        sa.Column("name_kana", sa.String(length=40), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=11), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("postal_code", sa.String(length=7), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("employment", sa.String(length=16), nullable=True),
        sa.Column("employer_name", sa.String(length=100), nullable=True),
        sa.Column("employer_phone", sa.String(length=11), nullable=True),
        sa.Column("annual_income", sa.BigInteger(), nullable=True),
        sa.Column("other_count", sa.Integer(), nullable=True),
        sa.Column("other_balance", sa.BigInteger(), nullable=True),
        sa.Column("requested_limit", sa.BigInteger(), nullable=True),
        sa.Column("proof_kind", sa.String(length=20), nullable=True),
        sa.Column("proof_income", sa.BigInteger(), nullable=True),
        sa.Column("bureau_other_balance", sa.BigInteger(), nullable=True),
        sa.Column("bureau_other_count", sa.Integer(), nullable=True),
        sa.Column("bureau_delinquent", sa.Boolean(), nullable=True),
        _instant("bureau_answered_at"),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("offer_limit", sa.BigInteger(), nullable=True),
        sa.Column("offer_rate_bp", sa.Integer(), nullable=True),
        _instant("applied_at", nullable=False),
        _instant("status_at", nullable=False),
        _instant("expires_at"),
        _instant("ended_at"),
        _instant("erased_at"),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=True,
                  unique=True),
        _instant("e_delivery_consent_at"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _instant("next_attempt_at"),
        _instant("driven_at"),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_applications_idempotency"),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR ("
            + " AND ".join(f"{name} IS NOT NULL" for name in _REQUIRED) + ")",
            name="application_fields_until_erased",
        ),
        sa.CheckConstraint("(offer_limit IS NULL) = (offer_rate_bp IS NULL)",
                           name="application_offer_whole"),
    )
    op.create_index("ix_applications_due", "applications", ["next_attempt_at"],
                    postgresql_where=_DUE)
    op.create_index("ix_applications_expiring", "applications", ["expires_at"],
                    postgresql_where=_EXPIRING)
    op.create_index("ix_applications_status", "applications", ["status", "status_at"])


def downgrade() -> None:
    op.drop_index("ix_applications_status", table_name="applications")
    op.drop_index("ix_applications_expiring", table_name="applications",
                  postgresql_where=_EXPIRING)
    op.drop_index("ix_applications_due", table_name="applications", postgresql_where=_DUE)
    op.drop_table("applications")
