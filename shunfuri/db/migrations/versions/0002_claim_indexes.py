"""Partial indexes for the drain's claims (accepted by decision, processing by retry time)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transfers_accepted", "transfers", ["decision", "accepted_at"],
        postgresql_where=sa.text("status = 'accepted'"),
    )
    op.create_index(
        "ix_transfers_retry", "transfers", ["next_attempt_at"],
        postgresql_where=sa.text("status = 'processing'"),
    )


def downgrade() -> None:
    op.drop_index("ix_transfers_retry", table_name="transfers")
    op.drop_index("ix_transfers_accepted", table_name="transfers")
