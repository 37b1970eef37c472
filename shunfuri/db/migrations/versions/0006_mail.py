"""Mail: a member's address and settings, the outbox, the daily mail runs

`member_mail` holds the confirmed address, a pending one with the SHA-256 of its
confirmation token (never the token), and the four settings of spec/repayment.md.
`outgoing_mail` is the outbox: unique per (member, kind, key), so each mail is queued
at most once. `mail_runs` records a daily job's progress over the members (the 08:00 reminders).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    op.create_table(
        "member_mail",
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_address", sa.String(length=254), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True, unique=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("remind_days_before", sa.Integer(), server_default="3", nullable=False),
        sa.Column("notify_transfer_settled", sa.Boolean(), server_default=sa.text("true"),
                  nullable=False),
        sa.Column("notify_repayment_received", sa.Boolean(), server_default=sa.text("true"),
                  nullable=False),
        sa.Column("notify_overdue", sa.Boolean(), server_default=sa.text("true"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("remind_days_before IN (0, 1, 3, 7)", name="remind_days_allowed"),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.UniqueConstraint("member_id", "kind", "key", name="uq_outgoing_mail_once"),
    )
    op.create_index("ix_outgoing_mail_due", "outgoing_mail", ["next_attempt_at"],
                    postgresql_where=_OPEN)
    op.create_table(
        "mail_runs",
        sa.Column("job", sa.String(length=32), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("cursor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("mail_runs")
    op.drop_index("ix_outgoing_mail_due", table_name="outgoing_mail", postgresql_where=_OPEN)
    op.drop_table("outgoing_mail")
    op.drop_table("member_mail")
