"""Orders in doubt: when a transfer was first sent, when it needs staff, the last error

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attention_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=255), nullable=True))
    # Before this revision nothing recorded a send. Any `processing` row may have been
    # sent (the claim set it just before the bank call), and an instant transfer found
    # `scheduled` went through `processing` first (the old maintenance guard also took
    # rows that were already sent). Both are treated as sent: the bank is asked before
    # anything else happens to them, and they cannot be cancelled on a guess.
    op.execute(
        "UPDATE transfers SET sent_at = updated_at WHERE status = 'processing' "
        "OR (status = 'scheduled' AND decision = 'instant')"
    )


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("last_error")
        batch.drop_column("attention_at")
        batch.drop_column("sent_at")
