"""What happens after a commit, registered by the service that commits.

A use case that changes rows often has something to do once they are committed: wake
the workers that will send them, count an acceptance, tell the member's open pages.
Done before the commit, a worker may look for a row not yet visible, or a page may show
a change that a rollback then undoes; done by each caller, it is copied into every route
and forgotten in one. So the service registers it on its session
(`after_commit(session, ...)`) and it runs only once that session's transaction has
committed, after the commit: on rollback, or when the session closes without committing,
the effects are dropped. One SQLAlchemy `after_commit` listener runs them; one
`after_transaction_end` listener drops what a transaction that did not commit left.

An effect never turns a committed result into an error: each runs on its own, and a
failure (Redis down, kombu refusing a message) is logged; the recovery sweeps find the
rows in the database within seconds.

Two exceptions, both explicit:
- a statement run in autocommit (`shunfuri.db.session.autocommit`, the API's one-statement
  acceptance) is committed when it returns, without a session commit: the service calls
  `committed(session)` itself;
- a caller on an event loop (the API's async sessions) must not wait on a blocking Redis
  call inside the session: it `defer`s the effects and runs them with `run_async`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("shunfuri.effects")

_PENDING = "shunfuri.effects.pending"
_DEFERRED = "shunfuri.effects.deferred"


class Effect(Protocol):
    def run(self) -> None: ...


@dataclass(frozen=True)
class Drain:
    """Make sure a worker drains `queue`, and nudge it (`broker.request_drain`)."""

    queue: str = "instant"

    def run(self) -> None:
        from shunfuri.broker import request_drain

        request_drain(self.queue)

    async def run_async(self, redis: Any) -> None:
        from shunfuri.broker import request_drain_async, send_task

        if await request_drain_async(redis, self.queue):
            # Rare (a busy drain lives on, handing over to its successor): the producer is sync.
            await asyncio.to_thread(send_task, f"transfers.drain_{self.queue}",
                                    queue=self.queue)


@dataclass(frozen=True)
class Task:
    """Send one Celery task (a worker that is not a long-lived drain)."""

    name: str
    queue: str

    def run(self) -> None:
        from shunfuri.broker import send_task

        send_task(self.name, queue=self.queue)


@dataclass(frozen=True)
class Publish:
    """Tell listeners (the API's long-polls, the member's pages) that orders changed."""

    changes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def run(self) -> None:
        if not self.changes:
            return
        from shunfuri.broker import get_redis, publish_transfer_events

        publish_transfer_events(get_redis(), self.changes)


@dataclass(frozen=True)
class CountAccepted:
    """The accepted-transfers counter (`shunfuri_transfers_accepted_total`)."""

    decision: str

    def run(self) -> None:
        from shunfuri import metrics

        metrics.ACCEPTED.labels(decision=self.decision).inc()


def after_commit(session: Session, *effects: Effect) -> None:
    """Run `effects` once this session's current transaction commits; never otherwise."""
    session.info.setdefault(_PENDING, []).extend(effects)


def committed(session: Session) -> None:
    """The pending effects of a statement that committed by itself (autocommit)."""
    _release(session)


def defer(session: Session) -> list[Effect]:
    """Collect this session's committed effects in the returned list instead of running
    them (for `run_async` on an event loop)."""
    collected: list[Effect] = []
    session.info[_DEFERRED] = collected
    return collected


def run(effects: Iterable[Effect]) -> None:
    for effect in effects:
        try:
            effect.run()
        except Exception as exc:  # noqa: BLE001 - Redis, kombu, Celery: any may fail here
            # Committed already: the recovery sweeps find the rows within seconds.
            log.warning("after-commit %s failed (%s: %s); the sweep will cover it",
                        type(effect).__name__, type(exc).__name__, exc)


async def run_async(effects: Iterable[Effect], redis: Any) -> None:
    """`run` for a caller on an event loop: an effect with `run_async` uses the loop's
    Redis client; the others run in the thread pool."""
    for effect in effects:
        try:
            if hasattr(effect, "run_async"):
                await effect.run_async(redis)
            else:
                await asyncio.to_thread(effect.run)
        except Exception as exc:  # noqa: BLE001 - as `run`
            log.warning("after-commit %s failed (%s: %s); the sweep will cover it",
                        type(effect).__name__, type(exc).__name__, exc)


def _release(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    deferred = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.extend(pending)
    else:
        run(pending)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    # Also fired when a savepoint is released: that is not the commit yet.
    if not session.in_nested_transaction():
        _release(session)


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    # Fires after `after_commit` for a commit; what is still pending here belongs to a
    # transaction that rolled back or was closed: it must never run.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
