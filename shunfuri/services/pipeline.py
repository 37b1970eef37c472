"""Passes over the transfer table, as the worker tasks run them.

Each pass is claim -> bank -> finish (see `settlement`); a drain repeats passes until
nothing is left or its time budget is spent, so one Celery message moves many
transfers and no message runs for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from shunfuri import metrics
from shunfuri.gateway.base import BankGateway
from shunfuri.services import settlement
from shunfuri.services.settlement import Outcome

Now = Callable[[], datetime]
Publish = Callable[[list[tuple[str, dict]]], None]
Claim = Callable[[Session, datetime, datetime], tuple[list, Outcome]]


@dataclass
class Context:
    """What a pass needs from the edges: sessions, the bank, both clocks, an event sink."""

    sessions: sessionmaker[Session]
    gateway: BankGateway
    now: Now
    wall: Now
    publish: Publish


def run_pass(ctx: Context, claim: Claim, *, queue: str) -> Outcome:
    started = time.perf_counter()
    with ctx.sessions.begin() as session:
        claimed, outcome = claim(session, ctx.now(), ctx.wall())
        sendable, guarded = settlement.guard_maintenance(claimed, now=ctx.now())
        outcome.merge(guarded)
        orders = settlement.orders_for(session, sendable) if sendable else []
    ctx.publish(outcome.changes)
    results = settlement.call_bank(ctx.gateway, orders)
    with ctx.sessions.begin() as session:
        finished = settlement.finish(
            session, ids=[o.transfer_id for o in orders], results=results,
            now=ctx.now(), wall=ctx.wall(),
        )
    ctx.publish(finished.changes)
    outcome.merge(finished)
    if outcome.claimed:
        metrics.BATCH_SIZE.labels(queue=queue).observe(outcome.claimed)
        metrics.BATCH_DURATION.labels(queue=queue).observe(time.perf_counter() - started)
    return outcome


def _claim_new_and_retries(batch: int, older_than: datetime | None) -> Claim:
    def claim(session: Session, now: datetime, wall: datetime) -> tuple[list, Outcome]:
        to_send, outcome = settlement.claim_accepted(
            session, now=now, wall=wall, limit=batch, older_than=older_than
        )
        room = batch - outcome.claimed
        if room > 0:
            retries = settlement.claim_retries(session, wall=wall, limit=room)
            outcome.claimed += len(retries)
            to_send += retries
        return to_send, outcome

    return claim


def drain(
    ctx: Context, *, batch: int = 200, budget_s: float = 1.0, older_than: datetime | None = None
) -> tuple[Outcome, bool]:
    """Pass after pass until nothing is claimable; returns (what moved, more left?)."""
    deadline = time.monotonic() + budget_s
    total = Outcome()
    claim = _claim_new_and_retries(batch, older_than)
    while True:
        outcome = run_pass(ctx, claim, queue="instant")
        total.merge(outcome)
        if outcome.claimed == 0:
            return total, False
        if time.monotonic() >= deadline:
            return total, True


def settle_chunk(ctx: Context, ids: list[str]) -> Outcome:
    """One chunk of the 09:30 batch (ids already moved to `processing` by the sweep)."""

    def claim(session: Session, now: datetime, wall: datetime) -> tuple[list, Outcome]:
        rows = settlement.claim_retries(session, wall=wall, limit=len(ids), ids=ids)
        return rows, Outcome(claimed=len(rows))

    return run_pass(ctx, claim, queue="batch")


def dispatch_due(ctx: Context, *, limit: int = 20_000) -> list[str]:
    with ctx.sessions.begin() as session:
        return settlement.dispatch_due(session, now=ctx.now(), wall=ctx.wall(), limit=limit)
