"""What the operator's console shows: transfers by state, the coming 09:30 batch and the
last one, and how long instant transfers took from acceptance to settlement over the
last hour. Read-only; all from the database, the record of what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from shunfuri.db.models import Transfer
from shunfuri.domain.instants import aware
from shunfuri.domain.orders import (
    ACCEPTED,
    FAILED,
    FINAL,
    NEEDS_ATTENTION,
    PROCESSING,
    REJECTED,
    SCHEDULED,
    SETTLED,
)
from shunfuri.domain.windows import next_batch
from shunfuri.services.orders import doubts

LATENCY_WINDOW = timedelta(hours=1)
LATENCY_BUCKET = timedelta(minutes=5)


@dataclass(frozen=True)
class Slot:
    settle_at: datetime
    count: int
    amount: int


@dataclass(frozen=True)
class LastBatch:
    settle_at: datetime
    count: int
    amount: int
    # Real time, both: the first order sent to the bank, the last one finished.
    started: datetime | None
    finished: datetime | None
    failures: int
    open: int  # still processing or needing attention

    @property
    def duration(self) -> timedelta | None:
        if self.started is None or self.finished is None or self.open:
            return None
        return self.finished - self.started


@dataclass(frozen=True)
class Point:
    start: datetime
    count: int
    p50: float
    p99: float


@dataclass(frozen=True)
class Board:
    counts: dict[str, int]
    scheduled: list[Slot]
    next_batch: Slot
    last_batch: LastBatch | None
    latency: list[Point]


def board(session: Session, *, now: datetime, wall: datetime) -> Board:
    """`now` is business time (settle times, the batch); `wall` real time (doubts)."""
    by_status = dict(session.execute(
        select(Transfer.status, func.count())
        .where(Transfer.status.in_((ACCEPTED, PROCESSING, SCHEDULED, NEEDS_ATTENTION)))
        .group_by(Transfer.status)
    ).all())
    in_doubt = doubts.counts(session)
    counts = {
        "accepted": by_status.get(ACCEPTED, 0),
        "processing": by_status.get(PROCESSING, 0) - in_doubt["in_doubt"],
        "in_doubt": in_doubt["in_doubt"],
        "needs_attention": by_status.get(NEEDS_ATTENTION, 0),
        "scheduled": by_status.get(SCHEDULED, 0),
    }
    slots = [
        Slot(aware(row.settle_at), row._mapping["count"], int(row.amount or 0))
        for row in session.execute(
            select(Transfer.settle_at, func.count().label("count"),
                   func.sum(Transfer.amount).label("amount"))
            .where(Transfer.status == SCHEDULED)
            .group_by(Transfer.settle_at).order_by(Transfer.settle_at).limit(10)
        )
    ]
    coming = next_batch(now)
    batch = next((s for s in slots if s.settle_at == coming), Slot(coming, 0, 0))
    return Board(counts, slots, batch, last_batch(session, now=now),
                 latency(session, now=now))


def last_batch(session: Session, *, now: datetime) -> LastBatch | None:
    """The most recent settle time that scheduled transfers reached (a 09:30 batch, or a
    bank's end of maintenance), and how it went."""
    settle_at = session.scalar(
        select(func.max(Transfer.settle_at)).where(
            Transfer.decision == "scheduled", Transfer.settle_at <= now,
            Transfer.status != SCHEDULED,
        )
    )
    if settle_at is None:
        return None
    row = session.execute(
        select(
            func.count(), func.sum(Transfer.amount), func.min(Transfer.sent_at),
            func.max(Transfer.updated_at).filter(Transfer.status.in_(FINAL)),
            func.count().filter(Transfer.status.in_((FAILED, REJECTED))),
            func.count().filter(Transfer.status.in_((PROCESSING, NEEDS_ATTENTION))),
        ).where(Transfer.decision == "scheduled", Transfer.settle_at == settle_at)
    ).one()
    count, amount, started, finished, failures, still_open = row
    return LastBatch(aware(settle_at), count, int(amount or 0),
                     aware(started) if started else None,
                     aware(finished) if finished else None, failures, still_open)


def latency(session: Session, *, now: datetime) -> list[Point]:
    """Instant transfers settled in the last hour, per 5 minutes: count, p50 and p99 of
    accept -> settled in seconds. Buckets with no settlement are absent."""
    since = now - LATENCY_WINDOW
    seconds = func.extract("epoch", Transfer.settled_at - Transfer.accepted_at)
    bucket = func.floor(
        func.extract("epoch", Transfer.settled_at - since) / LATENCY_BUCKET.total_seconds())
    rows = session.execute(
        select(
            bucket.label("bucket"), func.count(),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.99).within_group(seconds),
        )
        .where(and_(Transfer.status == SETTLED, Transfer.decision == "instant",
                    Transfer.settled_at > since, Transfer.settled_at <= now))
        .group_by("bucket").order_by("bucket")
    ).all()
    return [
        Point(since + LATENCY_BUCKET * int(b), n, float(p50), float(p99))
        for b, n, p50, p99 in rows
    ]


def waiting_oldest(session: Session, *, now: datetime) -> dict[str, float]:
    """Seconds of business time the oldest transfer has waited on us, for the stall
    alerts (docs/operations.md): `instant`, an instant transfer accepted and not yet sent
    (a drain that stopped); `due`, a transfer whose `settle_at` has come and that is not
    yet sent (a 09:30 batch, or a bank's end of maintenance, that did not run). Transfers
    already sent wait on the bank, not on us: the in-doubt gauges count those. 0: none."""
    unsent = Transfer.sent_at.is_(None)
    instant = session.scalar(select(func.min(Transfer.accepted_at)).where(
        Transfer.decision == "instant", Transfer.status.in_((ACCEPTED, PROCESSING)), unsent))
    due = session.scalar(select(func.min(Transfer.settle_at)).where(
        unsent, Transfer.settle_at <= now,
        (Transfer.status == SCHEDULED)
        | ((Transfer.status == PROCESSING) & (Transfer.decision == "scheduled"))))
    return {kind: max(0.0, (now - aware(oldest)).total_seconds()) if oldest else 0.0
            for kind, oldest in (("instant", instant), ("due", due))}
