"""Member devices (OWASP's device cookie) and the lockout of unknown clients

`member_devices` holds the SHA-256 of each device token a successful login gave out;
`login_failures` gains the record of failures from clients that are not one of the
member's devices, which lock out only such clients, for a while.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_devices",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("client", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_member_devices_member_id", "member_devices", ["member_id"])
    with op.batch_alter_table("login_failures") as batch:
        batch.add_column(sa.Column("untrusted_failures", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("untrusted_lockouts", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("untrusted_last_failure_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("untrusted_locked_until", sa.DateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_column("untrusted_locked_until")
        batch.drop_column("untrusted_last_failure_at")
        batch.drop_column("untrusted_lockouts")
        batch.drop_column("untrusted_failures")
    op.drop_index("ix_member_devices_member_id", table_name="member_devices")
    op.drop_table("member_devices")
