"""The worker's passes against PostgreSQL, with the in-process fake bank.

Instants are explicit; the fake bank stands in for the HTTP bank only here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shunfuri.db.models import LedgerEntry, Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.orders import pipeline
from shunfuri.services.transfers import accept as transfers
from tests import factories

TUESDAY_10 = parse_instant("2026-12-01T10:00:00+09:00")
TUESDAY_15 = parse_instant("2026-12-01T15:00:00+09:00")
SUNDAY_22 = parse_instant("2026-11-29T22:00:00+09:00")
WALL = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class Clocks:
    def __init__(self, now: datetime) -> None:
        self.business = now
        self.real = WALL

    def now(self) -> datetime:
        return self.business

    def wall(self) -> datetime:
        return self.real


def make_ctx(bank: FakeBank, clocks: Clocks, events: list | None = None) -> pipeline.Context:
    sink = events if events is not None else []
    return pipeline.Context(
        sessions=session_factory(), gateway=bank, now=clocks.now, wall=clocks.wall,
        publish=sink.extend,
    )


def accept(member_id: int, payee_id: int, amount: int, at: datetime, key: str | None = None):
    with session_factory()() as session:
        member = session.get(Member, member_id)
        return transfers.accept(
            session, member=member, payee_id=payee_id, amount=amount,
            idempotency_key=key, now=at, wall=WALL,
        )


def row(transfer_id: str) -> Transfer:
    with session_factory()() as session:
        return session.get(Transfer, transfer_id)


def member_row(member_id: int) -> Member:
    with session_factory()() as session:
        return session.get(Member, member_id)


def test_instant_transfer_settles_and_moves_hold_to_outstanding(db):
    m = factories.member(credit_limit=100_000)
    p = factories.payee(m, bank_code="0009")
    accepted = accept(m, p, 30_000, TUESDAY_10).transfer
    assert accepted["status"] == "accepted" and accepted["decision"] == "instant"
    bank, events = FakeBank(), []
    outcome, more = pipeline.drain(make_ctx(bank, Clocks(TUESDAY_10), events))
    assert (outcome.settled, more) == (1, False)
    t = row(accepted["id"])
    assert t.status == "settled" and t.settled_at is not None
    member = member_row(m)
    assert (member.outstanding, member.held) == (30_000, 0)
    assert list(bank.paid) == [accepted["id"]]
    assert [(i, v["status"]) for i, v in events] == [(accepted["id"], "settled")]
    assert events[0][1]["settled_at"] is not None


def test_standard_bank_after_1450_is_scheduled_and_settles_at_next_business_day_0930(db):
    m = factories.member()
    p = factories.payee(m, bank_code="0005")
    accepted = accept(m, p, 10_000, TUESDAY_15).transfer
    assert accepted["decision"] == "scheduled"
    assert accepted["settle_at"] == "2026-12-02T09:30:00+09:00"
    bank, clocks = FakeBank(), Clocks(TUESDAY_15)
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)
    assert row(accepted["id"]).status == "scheduled"
    assert member_row(m).held == 10_000  # held from acceptance by the worker
    clocks.business = parse_instant("2026-12-02T09:29:59+09:00")
    assert pipeline.dispatch_due(ctx) == []
    clocks.business = parse_instant("2026-12-02T09:30:00+09:00")
    ids = pipeline.dispatch_due(ctx)
    assert ids == [accepted["id"]]
    assert pipeline.settle_chunk(ctx, ids).settled == 1
    assert row(accepted["id"]).status == "settled"
    assert (member_row(m).outstanding, member_row(m).held) == (10_000, 0)


def test_smbc_sunday_2200_waits_for_monday_0700(db):
    m = factories.member()
    p = factories.payee(m, bank_code="0009")
    accepted = accept(m, p, 5_000, SUNDAY_22).transfer
    assert accepted["decision"] == "scheduled"
    assert accepted["settle_at"] == "2026-11-30T07:00:00+09:00"


def test_worker_never_sends_into_maintenance_even_if_lag_carried_it_there(db):
    m = factories.member()
    p = factories.payee(m, bank_code="0009")
    accepted = accept(m, p, 5_000, parse_instant("2026-11-29T20:59:59+09:00")).transfer
    assert accepted["decision"] == "instant"
    bank = FakeBank()
    # The worker only gets to it at 21:00:05, inside SMBC's Sunday maintenance.
    pipeline.drain(make_ctx(bank, Clocks(parse_instant("2026-11-29T21:00:05+09:00"))))
    t = row(accepted["id"])
    assert t.status == "scheduled" and bank.calls == 0
    assert t.settle_at.astimezone(UTC) == parse_instant("2026-11-30T07:00:00+09:00")
    assert "maintenance" in t.note


def test_limit_is_checked_by_the_worker_under_the_row_lock(db):
    m = factories.member(credit_limit=20_000)
    p = factories.payee(m)
    # A second apart: the worker takes them oldest first, so the third is the one
    # refused (accepted at the same instant, which one goes first is not defined).
    ids = [accept(m, p, 10_000, TUESDAY_10 + timedelta(seconds=n)).transfer["id"]
           for n in range(2)]
    # Both passed the API's courtesy check; now a third sneaks in before the worker.
    third = accept(m, p, 10_000, TUESDAY_10 + timedelta(seconds=2)).transfer["id"]
    pipeline.drain(make_ctx(FakeBank(), Clocks(TUESDAY_10 + timedelta(seconds=3))))
    statuses = sorted(row(i).status for i in ids + [third])
    assert statuses == ["rejected", "settled", "settled"]
    assert row(third).failure_code == "insufficient_credit"
    assert member_row(m).outstanding == 20_000


def test_permanent_bank_error_fails_and_releases_the_hold(db):
    m = factories.member()
    p = factories.payee(m, account_number="9999999")
    accepted = accept(m, p, 7_000, TUESDAY_10).transfer
    bank = FakeBank(rejections={"9999999": "account_closed"})
    pipeline.drain(make_ctx(bank, Clocks(TUESDAY_10)))
    t = row(accepted["id"])
    assert (t.status, t.failure_code) == ("failed", "account_closed")
    assert (member_row(m).held, member_row(m).outstanding) == (0, 0)


def test_bank_paid_but_answer_lost_settles_exactly_once_on_retry(db):
    m = factories.member()
    p = factories.payee(m)
    accepted = accept(m, p, 9_000, TUESDAY_10).transfer
    bank, clocks = FakeBank(lose_next_answers=1), Clocks(TUESDAY_10)
    ctx = make_ctx(bank, clocks)
    outcome, _ = pipeline.drain(ctx)
    assert outcome.retrying == 1 and row(accepted["id"]).status == "processing"
    assert accepted["id"] in bank.paid  # the bank did pay
    clocks.real = WALL + timedelta(minutes=1)  # past the backoff
    outcome, _ = pipeline.drain(ctx)
    assert outcome.settled == 1
    with session_factory()() as session:
        entries = session.scalar(select(func.count()).select_from(LedgerEntry))
    assert entries == 1 and len(bank.paid) == 1
    assert member_row(m).outstanding == 9_000


def test_a_repeated_pass_changes_nothing_twice(db):
    m = factories.member()
    p = factories.payee(m)
    accepted = accept(m, p, 3_000, TUESDAY_10).transfer
    bank, clocks = FakeBank(), Clocks(TUESDAY_10)
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)
    # A redelivered message / second worker / stale chunk with the same id:
    assert pipeline.settle_chunk(ctx, [accepted["id"]]).settled == 0
    clocks.real = WALL + timedelta(hours=1)
    assert pipeline.drain(ctx)[0].claimed == 0
    assert member_row(m).outstanding == 3_000 and bank.calls == 1


def test_idempotency_key_same_body_same_transfer_other_body_refused(db):
    m = factories.member()
    p = factories.payee(m)
    first = accept(m, p, 5_000, TUESDAY_10, key="k-1")
    again = accept(m, p, 5_000, TUESDAY_10, key="k-1")
    assert first.created and not again.created
    assert again.transfer["id"] == first.transfer["id"]
    with pytest.raises(ShunfuriError) as err:
        accept(m, p, 6_000, TUESDAY_10, key="k-1")
    assert err.value.code == "idempotency_key_reused"


def test_service_closed_on_monday_morning_and_new_year(db):
    m = factories.member()
    p = factories.payee(m)
    with pytest.raises(ShunfuriError) as err:
        accept(m, p, 5_000, parse_instant("2026-11-30T06:59:59+09:00"))
    assert err.value.code == "service_closed"
    assert err.value.extra["retry_at"] == "2026-11-30T07:00:00+09:00"
    with pytest.raises(ShunfuriError) as err:
        accept(m, p, 5_000, parse_instant("2027-01-01T12:00:00+09:00"))
    assert err.value.extra["retry_at"] == "2027-01-02T00:00:00+09:00"


def test_cancel_only_while_scheduled_and_it_releases_the_hold(db):
    m = factories.member()
    p = factories.payee(m, bank_code="0005")
    accepted = accept(m, p, 10_000, TUESDAY_15).transfer
    with session_factory()() as session, pytest.raises(ShunfuriError) as err:
        transfers.cancel(session, member_id=m, transfer_id=accepted["id"], now=TUESDAY_15,
                         wall=WALL)
    assert err.value.code == "not_cancellable"  # still `accepted`
    pipeline.drain(make_ctx(FakeBank(), Clocks(TUESDAY_15)))
    assert member_row(m).held == 10_000
    with session_factory()() as session:
        out = transfers.cancel(session, member_id=m, transfer_id=accepted["id"],
                               now=TUESDAY_15, wall=WALL)
    assert out["status"] == "cancelled" and member_row(m).held == 0
    other = factories.member()
    with session_factory()() as session, pytest.raises(ShunfuriError) as err:
        transfers.cancel(session, member_id=other, transfer_id=accepted["id"],
                         now=TUESDAY_15, wall=WALL)
    assert err.value.code == "not_found"


def test_a_pass_survives_pooled_connections_killed_by_a_database_restart(db):
    """Connections that outlived a PostgreSQL restart fail on first use; the pass
    retries on a fresh one instead of leaving its rows to the lease."""
    from sqlalchemy import text

    from shunfuri.db.session import engine_for
    from shunfuri.settings import get_settings

    m = factories.member(credit_limit=100_000)
    p = factories.payee(m, bank_code="0009")
    accepted = accept(m, p, 10_000, TUESDAY_10).transfer
    engine = engine_for(get_settings().resolved_database_url)
    with engine.connect() as conn:  # put a connection in the pool for the pass to find
        conn.execute(text("SELECT 1"))
    with psycopg_admin() as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (engine.url.database,),
        ).fetchone()[0]
    assert killed >= 1
    outcome, _ = pipeline.drain(make_ctx(FakeBank(), Clocks(TUESDAY_10)))
    assert outcome.settled == 1
    assert row(accepted["id"]).status == "settled"


def psycopg_admin():
    import psycopg

    from shunfuri.settings import get_settings

    url = get_settings().resolved_database_url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True)


def test_a_member_suspended_before_0930_gets_no_transfer_and_the_hold_back(db):
    """Suspension means "no transfer until reinstated": a scheduled transfer, never
    sent yet, is rejected at 09:30 instead of paid, and its hold is released."""
    from sqlalchemy import update as sql_update

    suspended, active = factories.member(credit_limit=50_000), factories.member()
    mine = accept(suspended, factories.payee(suspended, bank_code="0005"), 10_000,
                  TUESDAY_15).transfer
    theirs = accept(active, factories.payee(active, bank_code="0005"), 10_000,
                    TUESDAY_15).transfer
    bank, clocks, events = FakeBank(), Clocks(TUESDAY_15), []
    ctx = make_ctx(bank, clocks, events)
    pipeline.drain(ctx)
    assert member_row(suspended).held == 10_000
    with session_factory().begin() as session:
        session.execute(sql_update(Member).where(Member.id == suspended)
                        .values(status="suspended"))
    clocks.business = parse_instant("2026-12-02T09:30:00+09:00")
    ids = pipeline.dispatch_due(ctx)
    assert ids == [theirs["id"]]
    assert pipeline.settle_chunk(ctx, ids).settled == 1
    rejected = row(mine["id"])
    assert (rejected.status, rejected.failure_code) == ("rejected", "account_suspended")
    assert (member_row(suspended).held, member_row(suspended).outstanding) == (0, 0)
    assert mine["id"] not in {order.transfer_id for order in bank.paid.values()}
    assert (mine["id"], "rejected") in {(i, v["status"]) for i, v in events}


def test_the_recovery_sweep_takes_only_new_rows_nobody_touched_since_its_cut_off(db):
    m = factories.member(credit_limit=100_000)
    accepted = accept(m, factories.payee(m, bank_code="0009"), 10_000, TUESDAY_10).transfer
    ctx = make_ctx(FakeBank(), Clocks(TUESDAY_10))
    fresh, _ = pipeline.drain(ctx, older_than=WALL - timedelta(seconds=1))
    assert fresh.claimed == 0 and row(accepted["id"]).status == "accepted"
    stale, _ = pipeline.drain(ctx, older_than=WALL + timedelta(seconds=1))
    assert (stale.claimed, stale.settled) == (1, 1)
    assert row(accepted["id"]).status == "settled"
