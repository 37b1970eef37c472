"""Repayments: the member's rate, due day and overdue mark; repayments as bank orders;
the member's rate and due-day changes as ledger events

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("rate_bp", sa.Integer(), nullable=False,
                                   server_default="1780"))
        batch.add_column(sa.Column("due_day", sa.SmallInteger(), nullable=False,
                                   server_default="25"))
        batch.add_column(sa.Column("overdue_since", sa.Date(), nullable=True))
        batch.create_check_constraint("rate_bp_non_negative", "rate_bp >= 0")
        batch.create_check_constraint("due_day_allowed", "due_day IN (5, 15, 25, 31)")
    op.create_table(
        "repayments",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("payee_id", sa.BigInteger(), sa.ForeignKey("payees.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bank_code", sa.String(length=4), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("to_interest", sa.BigInteger(), nullable=True),
        sa.Column("to_principal", sa.BigInteger(), nullable=True),
        sa.Column("bank_reference", sa.String(length=64), nullable=True),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attention_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.UniqueConstraint("member_id", "idempotency_key", name="uq_repayments_idempotency"),
        sa.CheckConstraint("amount > 0", name="repayment_amount_positive"),
        sa.CheckConstraint(
            "(to_interest IS NULL AND to_principal IS NULL) OR "
            "(to_interest >= 0 AND to_principal >= 0 AND to_interest + to_principal = amount)",
            name="repayment_split_adds_up",
        ),
    )
    op.create_index("ix_repayments_member_accepted", "repayments", ["member_id", "accepted_at"])
    op.create_index("ix_repayments_member_settled", "repayments", ["member_id", "settled_at"])
    op.create_index("ix_repayments_status_next", "repayments", ["status", "next_attempt_at"])
    op.create_table(
        "member_events",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_member_events_member_at", "member_events", ["member_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_member_events_member_at", table_name="member_events")
    op.drop_table("member_events")
    op.drop_index("ix_repayments_status_next", table_name="repayments")
    op.drop_index("ix_repayments_member_settled", table_name="repayments")
    op.drop_index("ix_repayments_member_accepted", table_name="repayments")
    op.drop_table("repayments")
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint("due_day_allowed", type_="check")
        batch.drop_constraint("rate_bp_non_negative", type_="check")
        batch.drop_column("overdue_since")
        batch.drop_column("due_day")
        batch.drop_column("rate_bp")
