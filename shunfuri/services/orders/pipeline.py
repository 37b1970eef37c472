"""Passes over the order tables, as the worker tasks run them.

Each pass is claim -> bank -> finish (see `settlement`); a drain repeats passes until
nothing is left or its time budget is spent, so one Celery message moves many
transfers and no message runs for long. What differs between transfers (paid out,
held back by maintenance windows) and repayments (collected,
`services.repayments.collections`) is their `OrderKind` (`kinds`); the pass itself, the
in-doubt handling and the bank step are the same code for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shunfuri import metrics
from shunfuri.db.set_writes import write_changes
from shunfuri.domain.orders import Budget
from shunfuri.gateway.base import BankGateway
from shunfuri.services.orders import bank_step, sending
from shunfuri.services.orders.kinds import REPAYMENT, TRANSFER, OrderKind
from shunfuri.services.orders.outcome import Outcome
from shunfuri.services.transfers import settlement

T = TypeVar("T")
Now = Callable[[], datetime]
Publish = Callable[[list[tuple[str, dict[str, Any]]]], None]
Claim = Callable[[Session, datetime, datetime], tuple[list[Any], Outcome]]


def _same(business: timedelta) -> timedelta:
    return business


@dataclass
class Context:
    """What a pass needs from the edges: sessions, the bank, both clocks, an event sink,
    and how long an order may stay in doubt."""

    sessions: sessionmaker[Session]
    gateway: BankGateway
    now: Now
    wall: Now
    publish: Publish
    # Business time -> real time on the clock in use (the simulated one may run faster).
    real_delay: Callable[[timedelta], timedelta] = _same
    budget: Budget = field(default_factory=Budget)


def _transaction(ctx: Context, work: Callable[[Session], T], *, set_writes: bool = False) -> T:
    """Run `work` in one transaction; once more if the pooled connection turned out dead.

    A connection that outlived a PostgreSQL restart fails on first use (SQLAlchemy then
    drops the pool's other old connections). Both steps are safe to repeat: nothing was
    committed, and `finish` only moves rows still `processing`. Without this, a 09:30
    chunk that met such a connection waited out its 120 s lease.

    `set_writes`: the rows `work` changed are written one UPDATE per table at its end
    (`shunfuri.db.set_writes`; the transfers' steps lock what they change and never
    read their own changes back).
    """

    def once() -> T:
        with ctx.sessions.begin() as session:
            if not set_writes:
                return work(session)
            with session.no_autoflush:
                result = work(session)
                write_changes(session)
            return result

    try:
        return once()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return once()


def run_pass(ctx: Context, claim: Claim, *, queue: str | None = None,
             kind: OrderKind = TRANSFER) -> Outcome:
    """One pass of `kind`'s orders: claim, the bank, finish. `queue` labels its metrics
    (the kind's own unless given: the 09:30 batch's chunks are `batch`)."""
    started = time.perf_counter()
    queue = queue or kind.queue

    def claim_step(session: Session) -> tuple[Outcome, list[Any], set[str]]:
        now, wall = ctx.now(), ctx.wall()
        claimed, outcome = claim(session, now, wall)
        sendable = claimed
        if kind.guard_maintenance:
            sendable, guarded = sending.guard_maintenance(
                claimed, now=now, wall=wall, real_delay=ctx.real_delay, budget=ctx.budget
            )
            outcome.merge(guarded)
        sendable, spent = sending.give_up_spent(sendable, wall=wall, budget=ctx.budget)
        outcome.merge(spent)
        if not sendable:
            return outcome, [], set()
        doubtful = sending.mark_sent(sendable, wall=wall)
        return outcome, kind.orders_for(session, sendable), doubtful

    set_writes = kind.set_writes
    outcome, orders, doubtful = _transaction(ctx, claim_step, set_writes=set_writes)
    ctx.publish(outcome.changes)
    gateway = kind.book(ctx.gateway)
    results = bank_step.exchange(gateway, orders, doubtful) if orders else {}
    finished = _transaction(
        ctx,
        lambda session: kind.finish(
            session, ids=[o.transfer_id for o in orders], results=results,
            now=ctx.now(), wall=ctx.wall(), budget=ctx.budget,
        ),
        set_writes=set_writes,
    )
    ctx.publish(finished.changes)
    outcome.merge(finished)
    if outcome.claimed:
        metrics.BATCH_SIZE.labels(queue=queue).observe(outcome.claimed)
        metrics.BATCH_DURATION.labels(queue=queue).observe(time.perf_counter() - started)
    return outcome


def _claim_ready(kind: OrderKind, batch: int, older_than: datetime | None) -> Claim:
    def claim(session: Session, now: datetime, wall: datetime) -> tuple[list[Any], Outcome]:
        return kind.claim(session, now=now, wall=wall, limit=batch, older_than=older_than)

    return claim


def drain(
    ctx: Context, *, kind: OrderKind = TRANSFER, batch: int | None = None,
    budget_s: float = 1.0, older_than: datetime | None = None,
) -> tuple[Outcome, bool]:
    """Pass after pass over `kind`'s orders (new ones, and those in doubt whose time has
    come) until one claims less than a full batch; returns (what moved, more left?)."""
    batch = batch or kind.batch
    return _passes(ctx, _claim_ready(kind, batch, older_than), batch=batch,
                   budget_s=budget_s, kind=kind)


def _passes(ctx: Context, claim: Claim, *, batch: int, budget_s: float,
            kind: OrderKind) -> tuple[Outcome, bool]:
    """A pass that claimed less than a full batch saw everything claimable at its start
    (but rows another drain holds), so it is the last: one more would claim only what
    arrived since, and each arrival wakes the drain (`broker.request_drain`) anyway.
    That empty pass was a fifth of the instant worker's statements at 300/s."""
    deadline = time.monotonic() + budget_s
    total = Outcome()
    while True:
        outcome = run_pass(ctx, claim, kind=kind)
        total.merge(outcome)
        if outcome.claimed < batch:
            return total, False
        if time.monotonic() >= deadline:
            return total, True


def drain_repayments(ctx: Context, *, batch: int | None = None, budget_s: float = 1.0,
                     older_than: datetime | None = None) -> tuple[Outcome, bool]:
    """The collector: `drain` for repayments (collect new ones, ask about or resend
    those in doubt)."""
    return drain(ctx, kind=REPAYMENT, batch=batch, budget_s=budget_s, older_than=older_than)


def settle_chunk(ctx: Context, ids: list[str]) -> Outcome:
    """One chunk of the 09:30 batch (ids already moved to `processing` by the sweep)."""

    def claim(session: Session, now: datetime, wall: datetime) -> tuple[list[Any], Outcome]:
        rows = settlement.claim_chunk(session, wall=wall, ids=ids)
        return rows, Outcome(claimed=len(rows))

    return run_pass(ctx, claim, queue="batch")


def dispatch_due(ctx: Context, *, limit: int = 20_000) -> list[str]:
    ids, outcome = _transaction(
        ctx,
        lambda session: settlement.dispatch_due(
            session, now=ctx.now(), wall=ctx.wall(), limit=limit
        ),
    )
    ctx.publish(outcome.changes)
    return ids
