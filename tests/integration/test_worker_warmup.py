"""A new worker child warms up without doing any work: nothing claimed, nothing sent.

Celery gives a child 4 s to report ready; a warm-up that paid a due retry to a slow or
dead bank would turn a bank outage into a worker restart loop.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from shunfuri.db.models import Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.services.transfers import accept as transfers
from tests import factories

NOW = parse_instant("2026-12-01T10:00:00+09:00")
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def warm_up(monkeypatch, **env: str) -> bool:
    """Run the warm-up a new worker child runs, with these settings, and say whether it
    warmed (it logs and returns False on any failure instead of raising)."""
    from shunfuri.settings import get_settings
    from workers import app as worker_app
    from workers.context import context

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    context.cache_clear()
    try:
        return worker_app._warm_pipeline()
    finally:
        for name in env:
            monkeypatch.delenv(name)
        context.cache_clear()
        get_settings.cache_clear()


def test_warm_up_leaves_accepted_and_due_retry_rows_alone(db, monkeypatch, caplog):
    member = factories.member()
    payee = factories.payee(member)
    ids = []
    with session_factory()() as session:
        for _ in range(2):
            ids.append(transfers.accept(
                session, member=session.get(Member, member), payee_id=payee,
                amount=1000, idempotency_key=None, now=NOW, wall=LONG_AGO,
            ).transfer["id"])
    with session_factory().begin() as session:  # the second one: a retry long due
        session.execute(update(Transfer).where(Transfer.id == ids[1]).values(
            status="processing", next_attempt_at=LONG_AGO))
    # It ran the claim queries to the end: a swallowed failure would return False.
    assert warm_up(monkeypatch, SHUNFURI_BANK_URL="http://127.0.0.1:9")  # nothing listens
    assert "warm-up skipped" not in caplog.text
    with session_factory()() as session:
        fresh, retry = (session.get(Transfer, i) for i in ids)
        assert (fresh.status, fresh.attempts) == ("accepted", 0)
        assert (retry.status, retry.attempts) == ("processing", 0)
        assert retry.next_attempt_at.replace(tzinfo=UTC) == LONG_AGO  # not re-leased


def test_a_failed_warm_up_says_so_and_does_not_raise(db, monkeypatch, caplog):
    """The counterpart that keeps the assertion above honest: with no database to reach
    the warm-up reports False and logs why, so a True there means the queries ran."""
    unreachable = "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2"
    assert not warm_up(monkeypatch, DATABASE_URL=unreachable)
    assert "warm-up skipped" in caplog.text
