"""The past a load test starts on (`loadtests/history.py`): no money, nothing to reconcile."""

from __future__ import annotations

from sqlalchemy import func, select, text

from loadtests.history import seed_history
from shunfuri.db.models import LedgerEntry, Member, Transfer
from shunfuri.db.session import engine_for, session_factory
from shunfuri.gateway.http import HttpBankGateway
from shunfuri.services.operations.reconcile import reconcile
from simulators.bank import metadata, payments
from tests import factories
from tests.bank_simulator import running_bank


def test_the_past_is_refused_transfers_the_bank_also_refused_and_reconcile_stays_clean(
        db, database_url, tmp_path):
    engine = engine_for(database_url)
    metadata.create_all(engine)
    try:
        member = factories.member(credit_limit=100_000)
        factories.payee(member)
        assert seed_history(database_url, 500) == 500
        with session_factory()() as session:
            statuses = session.execute(
                select(Transfer.status, func.count()).group_by(Transfer.status)).all()
            assert statuses == [("failed", 500)]
            assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
            assert session.get(Member, member).outstanding == 0
        with engine.connect() as conn:
            bank = conn.execute(
                select(payments.c.status, func.count()).group_by(payments.c.status)).all()
            assert bank == [("rejected", 500)]
            # ANALYZE ran: the planner knows the table is not empty.
            tuples = conn.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'transfers'"))
            assert tuples >= 500
        # The past is in the bank's record (the load test writes it there, as the bank
        # simulator would have): its statement lists the refusals, nothing paid.
        with running_bank(tmp_path, record=database_url) as bank:
            gateway = HttpBankGateway(bank.url, timeout=5)
            lines = [line for day in gateway.statement_days() for line in gateway.statement(day)]
            report = reconcile(engine, gateway)
        assert len(lines) == 500 and {line.status for line in lines} == {"rejected"}
        assert report.clean and report.ledger == 0 and report.bank_paid == 0
    finally:
        # The bank's tables are not ours: leave the shared test database as it was (the
        # migrations test compares its schema with the models).
        metadata.drop_all(engine)


def test_no_payee_no_past(db, database_url):
    assert seed_history(database_url, 10) == 0
