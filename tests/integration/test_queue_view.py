"""The operator's board from explicit rows and instants: counts by state, the next 09:30
batch and the last one, accept -> settled percentiles per 5 minutes, and the chart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shunfuri.db.models import Transfer
from shunfuri.db.session import session_factory
from shunfuri.services.operations import queue_view
from tests import factories

# Tuesday 2026-12-01 13:00 JST; the last batch was at 09:30 JST that morning.
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
BATCH_TODAY = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
BATCH_NEXT = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)


def add(member_id: int, payee_id: int, **fields) -> None:  # type: ignore[no-untyped-def]
    row = dict(id=str(uuid.uuid4()), member_id=member_id, payee_id=payee_id, amount=10_000,
               status="accepted", decision="instant", bank_code="0009", accepted_at=NOW,
               settle_at=NOW, updated_at=NOW)
    row.update(fields)
    with session_factory().begin() as session:
        session.add(Transfer(**row))


def test_the_board_counts_batches_and_latency(db):
    member = factories.member()
    payee = factories.payee(member)
    add(member, payee)
    add(member, payee, status="processing", sent_at=NOW)
    add(member, payee, status="processing", sent_at=NOW, attempts=2, last_error="timeout")
    add(member, payee, status="needs_attention", sent_at=NOW, attempts=3)
    for amount in (20_000, 30_000):
        add(member, payee, status="scheduled", decision="scheduled", settle_at=BATCH_NEXT,
            amount=amount)
    started = BATCH_TODAY + timedelta(seconds=1)
    add(member, payee, status="settled", decision="scheduled", settle_at=BATCH_TODAY,
        sent_at=started, settled_at=BATCH_TODAY, updated_at=started + timedelta(seconds=4))
    add(member, payee, status="failed", decision="scheduled", settle_at=BATCH_TODAY,
        sent_at=started, updated_at=started + timedelta(seconds=2))
    # Instant settlements 10 minutes ago: 2 s, 4 s and 30 s from acceptance.
    for seconds in (2, 4, 30):
        settled = NOW - timedelta(minutes=10)
        add(member, payee, status="settled", accepted_at=settled - timedelta(seconds=seconds),
            settled_at=settled)
    add(member, payee, status="settled", accepted_at=NOW - timedelta(hours=3),
        settled_at=NOW - timedelta(hours=2))  # outside the hour
    with session_factory()() as session:
        board = queue_view.board(session, now=NOW, wall=NOW)
    assert board.counts == {"accepted": 1, "processing": 1, "in_doubt": 1,
                            "needs_attention": 1, "scheduled": 2}
    assert (board.next_batch.settle_at, board.next_batch.count, board.next_batch.amount) == (
        BATCH_NEXT, 2, 50_000)
    last = board.last_batch
    assert (last.settle_at, last.count, last.failures, last.open) == (BATCH_TODAY, 2, 1, 0)
    assert last.duration == timedelta(seconds=4)
    [point] = board.latency
    assert point.count == 3 and point.p50 == 4.0 and 29 < point.p99 < 30

    from web.staff.chart import chart

    drawn = chart(board.latency, now=NOW)
    assert drawn.p50 and drawn.p99 and len(drawn.dots) == 1
    x, y50, y99, says = drawn.dots[0]
    assert drawn.left < x < drawn.right and drawn.top <= y99 < y50 <= drawn.bottom
    assert "3件" in says


def test_an_empty_board_still_names_the_next_batch(db):
    with session_factory()() as session:
        board = queue_view.board(session, now=NOW, wall=NOW)
    assert board.next_batch.settle_at == BATCH_NEXT and board.next_batch.count == 0
    assert board.last_batch is None and board.latency == []


def test_the_stall_gauges_count_only_what_waits_on_us(db):
    member = factories.member()
    payee = factories.payee(member)
    with session_factory()() as session:
        assert queue_view.waiting_oldest(session, now=NOW) == {"instant": 0.0, "due": 0.0}
    # Waits on us: accepted 40 s ago; claimed (processing) 20 s ago, not sent yet.
    add(member, payee, accepted_at=NOW - timedelta(seconds=40))
    add(member, payee, status="processing", accepted_at=NOW - timedelta(seconds=20))
    # Waits on the bank (sent), or on its time (not due yet): not counted.
    add(member, payee, status="processing", accepted_at=NOW - timedelta(hours=1),
        sent_at=NOW - timedelta(hours=1))
    add(member, payee, status="scheduled", decision="scheduled", settle_at=BATCH_NEXT)
    # Due at 09:30 and still scheduled (the batch did not run), and a due one dispatched
    # to the batch workers but not sent; one sent and in doubt is the bank's.
    add(member, payee, status="scheduled", decision="scheduled", settle_at=BATCH_TODAY)
    add(member, payee, status="processing", decision="scheduled",
        settle_at=BATCH_TODAY + timedelta(minutes=5))
    add(member, payee, status="processing", decision="scheduled",
        settle_at=BATCH_TODAY - timedelta(days=1), sent_at=BATCH_TODAY)
    with session_factory()() as session:
        waiting = queue_view.waiting_oldest(session, now=NOW)
    assert waiting == {"instant": 40.0, "due": (NOW - BATCH_TODAY).total_seconds()}
