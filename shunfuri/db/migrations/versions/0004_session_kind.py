"""auth_sessions.kind: bearer tokens of the API ('api') and web sessions ('web')

A web session slides its expiry on use (an idle timeout); an API token does not.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), server_default="api", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("kind")
