"""members.name_kana and its comparison key: money only to and from accounts in the
member's own name once the name is known (issue 23, item 4)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("members", sa.Column("name_kana", sa.String(length=64), nullable=True))
    op.add_column("members", sa.Column("name_key", sa.String(length=32), nullable=True))
    op.create_check_constraint(
        "name_kana_keyed", "members", "(name_kana IS NULL) = (name_key IS NULL)"
    )


def downgrade() -> None:
    op.drop_constraint("name_kana_keyed", "members", type_="check")
    op.drop_column("members", "name_key")
    op.drop_column("members", "name_kana")
