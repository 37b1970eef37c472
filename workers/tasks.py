"""Celery tasks: thin wrappers that build a pipeline context and call one service.

Tasks carry ids (or nothing), never ORM objects; each re-reads the database, so a
redelivered message is a no-op for anything already moved.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from workers.app import app
from workers.context import context

log = logging.getLogger("shunfuri.workers")

CHUNK = 500


@app.task(name="transfers.drain_instant", ignore_result=True)
def drain_instant(handover: str | None = None) -> None:
    """Serve the instant queue for a while; `handover` is the predecessor's lock token
    (the lock and hand-over rules: `shunfuri.services.drain`)."""
    from shunfuri.services import drain

    drain.serve_instant(context(), handover)


@app.task(name="transfers.due_sweep", ignore_result=True)
def due_sweep() -> None:
    """Hand every due `scheduled` transfer to the batch queue in chunks."""
    from shunfuri.broker import send_task
    from shunfuri.services import pipeline

    ctx = context()
    while True:
        ids = pipeline.dispatch_due(ctx)
        for start in range(0, len(ids), CHUNK):
            send_task("transfers.settle_chunk", args=[ids[start : start + CHUNK]], queue="batch")
        if len(ids) < 20_000:
            return


@app.task(name="transfers.settle_chunk", ignore_result=True)
def settle_chunk(ids: list[str]) -> None:
    from shunfuri.services import pipeline

    pipeline.settle_chunk(context(), ids)


@app.task(name="transfers.recover", ignore_result=True)
def recover() -> None:
    """The database is the source of truth: finish what lost messages or dead workers
    left behind (accepted rows nobody drained, processing rows past their lease)."""
    from shunfuri import metrics
    from shunfuri.services import pipeline
    from shunfuri.settings import get_settings

    ctx = context()
    older = ctx.wall() - timedelta(seconds=get_settings().recovery_after_seconds)
    total, _ = pipeline.drain(ctx, older_than=older, budget_s=1.5)
    if total.claimed:
        metrics.RECOVERED.labels(status="any").inc(total.claimed)
        log.warning("recovery sweep picked up %d transfers", total.claimed)
