"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 22:13:39.636889
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Split in two (the size rule) in the order Alembic generated: same statements, same order.
    _audit_login_members_sessions()
    _payees_transfers_ledger()


def _audit_login_members_sessions() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=True),
    sa.Column('ok', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_member_id'), 'audit_log', ['member_id'], unique=False)
    op.create_table('login_failures',
    sa.Column('identifier_key', sa.String(length=64), nullable=False),
    sa.Column('consecutive', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('identifier_key')
    )
    op.create_table('members',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('card_number', sa.String(length=16), nullable=False),
    sa.Column('web_id', sa.String(length=64), nullable=True),
    sa.Column('pin_hash', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('card_lost', sa.Boolean(), nullable=False),
    sa.Column('credit_limit', sa.BigInteger(), nullable=False),
    sa.Column('outstanding', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('credit_limit >= 0', name='credit_limit_non_negative'),
    sa.CheckConstraint('held >= 0', name='held_non_negative'),
    sa.CheckConstraint('outstanding + held <= credit_limit', name='within_limit'),
    sa.CheckConstraint('outstanding >= 0', name='outstanding_non_negative'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_number'),
    sa.UniqueConstraint('web_id')
    )
    op.create_table('auth_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_auth_sessions_member_id'), 'auth_sessions', ['member_id'], unique=False)


def _payees_transfers_ledger() -> None:
    op.create_table('payees',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('bank_code', sa.String(length=4), nullable=False),
    sa.Column('branch_code', sa.String(length=3), nullable=False),
    sa.Column('account_type', sa.String(length=16), nullable=False),
    sa.Column('account_number', sa.String(length=7), nullable=False),
    sa.Column('holder_name', sa.String(length=64), nullable=False),
    sa.Column('bank_name', sa.String(length=128), nullable=False),
    sa.Column('branch_name', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_payees_member', 'payees', ['member_id', 'id'], unique=False)
    op.create_table('transfers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('payee_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('bank_code', sa.String(length=4), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settle_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure_code', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name='amount_positive'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['payee_id'], ['payees.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'idempotency_key', name='uq_transfers_idempotency')
    )
    op.create_index('ix_transfers_member_accepted', 'transfers', ['member_id', 'accepted_at'], unique=False)
    op.create_index('ix_transfers_status_due', 'transfers', ['status', 'settle_at'], unique=False)
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('transfer_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('bank_code', sa.String(length=4), nullable=False),
    sa.Column('bank_reference', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transfer_id')
    )
    op.create_index(op.f('ix_ledger_entries_member_id'), 'ledger_entries', ['member_id'], unique=False)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_index(op.f('ix_ledger_entries_member_id'), table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_index('ix_transfers_status_due', table_name='transfers')
    op.drop_index('ix_transfers_member_accepted', table_name='transfers')
    op.drop_table('transfers')
    op.drop_index('ix_payees_member', table_name='payees')
    op.drop_table('payees')
    op.drop_index(op.f('ix_auth_sessions_member_id'), table_name='auth_sessions')
    op.drop_table('auth_sessions')
    op.drop_table('members')
    op.drop_table('login_failures')
    op.drop_index(op.f('ix_audit_log_member_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    # ### end Alembic commands ###
