"""Staff second factor drawn at enrolment, forced password change, device cookies and
per-ID throttles for the staff login, and counted (not row-per-request) refusals of
unauthenticated requests

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=64), nullable=True)
        batch.add_column(sa.Column("must_change_password", sa.Boolean(),
                                   server_default=sa.text("false"), nullable=False))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True),
                                   nullable=True))
    # A secret made at creation and not enrolled yet may have been read by any session
    # that knew the password: it is thrown away, and the next enrolment draws its own.
    op.execute("UPDATE staff_accounts SET totp_secret = NULL WHERE totp_enrolled_at IS NULL")
    op.add_column("staff_sessions", sa.Column("totp_pending", sa.String(length=64),
                                              nullable=True))
    op.create_table(
        "staff_devices",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("staff_id", sa.BigInteger(), sa.ForeignKey("staff_accounts.id"),
                  primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_login_throttles",
        sa.Column("id_key", sa.String(length=64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_login_throttles_updated_at", "staff_login_throttles",
                    ["updated_at"])
    op.create_table(
        "refusal_counts",
        sa.Column("action", sa.String(length=64), primary_key=True),
        sa.Column("reason", sa.String(length=64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("refusal_counts")
    op.drop_index("ix_staff_login_throttles_updated_at", table_name="staff_login_throttles")
    op.drop_table("staff_login_throttles")
    op.drop_table("staff_devices")
    op.drop_column("staff_sessions", "totp_pending")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
    # The old schema needs a secret for accounts that never enrolled: a fresh random one
    # (md5 hex with 0, 1, 8, 9 mapped into the base32 alphabet).
    op.execute("UPDATE staff_accounts SET totp_secret = "
               "translate(upper(md5(random()::text)), '0189', 'WXYZ') "
               "WHERE totp_secret IS NULL")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=64), nullable=False)
