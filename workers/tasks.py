"""Celery tasks: thin wrappers that build a pipeline context and call one service.

Tasks carry ids (or nothing), never ORM objects; each re-reads the database, so a
redelivered message is a no-op for anything already moved.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from workers.app import app
from workers.context import context

log = logging.getLogger("shunfuri.workers")

CHUNK = 500
FIRST_ROUND, ROUND = 4 * CHUNK, 20_000  # due rows moved to `processing` per transaction


@app.task(name="transfers.drain_instant", ignore_result=True)
def drain_instant(handover: str | None = None) -> None:
    """Serve the instant queue for a while; `handover` is the predecessor's lock token
    (the lock and hand-over rules: `shunfuri.services.orders.drain`)."""
    from shunfuri.services.orders import drain

    drain.serve_instant(context(), handover)


@app.task(name="transfers.due_sweep", ignore_result=True)
def due_sweep() -> None:
    """Hand every due `scheduled` transfer to the batch queue in chunks. The first round
    is small so the batch worker starts at once; moving 20,000 rows takes ~0.5 s, which
    the later rounds spend while the first chunks settle."""
    from shunfuri.broker import send_task
    from shunfuri.services.orders import pipeline

    ctx = context()
    limit = FIRST_ROUND
    while True:
        ids = pipeline.dispatch_due(ctx, limit=limit)
        for start in range(0, len(ids), CHUNK):
            send_task("transfers.settle_chunk", args=[ids[start : start + CHUNK]], queue="batch")
        if len(ids) < limit:
            return
        limit = ROUND


@app.task(name="transfers.settle_chunk", ignore_result=True)
def settle_chunk(ids: list[str]) -> None:
    from shunfuri.services.orders import pipeline

    pipeline.settle_chunk(context(), ids)


@app.task(name="transfers.recover", ignore_result=True)
def recover() -> None:
    """The database is the source of truth: finish what lost messages or dead workers
    left behind (accepted rows nobody drained, processing rows past their lease)."""
    from shunfuri import metrics
    from shunfuri.services.orders import pipeline
    from shunfuri.settings import get_settings

    ctx = context()
    older = ctx.wall() - timedelta(seconds=get_settings().recovery_after_seconds)
    total, _ = pipeline.drain(ctx, older_than=older, budget_s=1.5)
    if total.claimed:
        metrics.RECOVERED.labels(status="any").inc(total.claimed)
        log.warning("recovery sweep picked up %d transfers", total.claimed)
    repaid, _ = pipeline.drain_repayments(ctx, older_than=older, budget_s=1.0)
    if repaid.claimed:
        log.warning("recovery sweep picked up %d repayments", repaid.claimed)


@app.task(name="repayments.drain", ignore_result=True)
def drain_repayments() -> None:
    """Collect accepted repayments; ask the bank about those in doubt. A duplicate
    message finds nothing left to claim."""
    from shunfuri.services.orders import pipeline

    pipeline.drain_repayments(context())


OVERDUE_DONE_KEY = "shunfuri:overdue:done-day"


@app.task(name="repayments.mark_overdue", ignore_result=True)
def mark_overdue() -> None:
    """The daily overdue job on the business clock (beat asks every few seconds; it runs
    once the JST day has changed). Safe to run twice: it only copies the ledger's answer."""
    from shunfuri.broker import get_redis
    from shunfuri.services.repayments import overdue_marks

    ctx, client = context(), get_redis()

    def last_day() -> str | None:
        raw = cast("bytes | None", client.get(OVERDUE_DONE_KEY))  # no decode_responses
        return raw.decode() if raw else None

    result = overdue_marks.run_once_per_day(
        ctx.sessions, now=ctx.now(), last_day=last_day,
        done=lambda day: client.set(OVERDUE_DONE_KEY, day),
    )
    if result is not None and (result.marked or result.lifted):
        log.info("overdue job %s: %d checked, %d marked, %d lifted", result.day,
                 result.checked, result.marked, result.lifted)


@app.task(name="mail.send", ignore_result=True)
def send_mail() -> None:
    """Send what the outbox holds (`shunfuri.services.mail.outbox`: claimed with SKIP LOCKED,
    so two beats or workers share the rows, never send one twice)."""
    from shunfuri.services.mail import outbox
    from workers.context import mail_context

    ctx = mail_context()
    if ctx is None:
        return
    for _ in range(20):  # bounded: the maintenance queue has other work
        done = outbox.send_due(ctx, limit=50)
        if done.retrying or done.released or done.sent + done.failed < 50:
            return  # nothing more due, or the server is failing: the next beat tries


@app.task(name="mail.queue", ignore_result=True)
def queue_mail() -> None:
    """Queue the mail the beat finds due: repayments received, overdue notices, and from
    08:00 JST the day's reminders. Each is keyed in the outbox (member, kind, key), so
    two beats running this at once queue every mail once."""
    import time

    from shunfuri.clock import get_clock, wall_now
    from shunfuri.db.session import transaction
    from shunfuri.services.mail import events as mail_events

    now, wall = get_clock().now(), wall_now()
    for step in (mail_events.repayments_received, mail_events.overdue_notices):
        with transaction() as session:
            step(session, now=now, wall=wall)
    # The reminders' daily pass, a chunk of members per transaction, for a bounded time
    # (the next beat goes on from the cursor).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with transaction() as session:
            if mail_events.reminders(session, now=now, wall=wall) is None:
                return


@app.task(name="applications.screen", ignore_result=True)
def screen_application(application_id: str) -> None:
    """Screen one application as far as it goes now; a redelivered or duplicate message
    finds it held, not due or decided, and does nothing (`services.applications.screening`)."""
    from shunfuri.services.applications import screening
    from workers.context import screening_context

    screening.screen(screening_context(), application_id)


@app.task(name="applications.sweep", ignore_result=True)
def sweep_applications() -> None:
    """Send a screening message for every application whose retry time came or whose
    message was lost; two beats share the rows (`SKIP LOCKED`)."""
    from shunfuri.clock import wall_now
    from shunfuri.db.session import session_factory
    from shunfuri.services.applications import sweep
    from shunfuri.settings import get_settings

    after = timedelta(seconds=get_settings().recovery_after_seconds)
    sent = sweep.redrive_and_wake(session_factory(), wall=wall_now(), redrive_after=after)
    if sent:
        log.info("application sweep sent %d to screening", sent)


@app.task(name="applications.expire", ignore_result=True)
def expire_applications() -> None:
    """Offers and documents requests past their 14 days become `expired` (one conditional
    UPDATE: a second beat finds nothing left)."""
    from shunfuri.clock import get_clock, wall_now
    from shunfuri.db.session import session_factory
    from shunfuri.services.applications import sweep

    expired = sweep.expire(session_factory(), now=get_clock().now(), wall=wall_now())
    if expired:
        log.info("%d applications expired", expired)


@app.task(name="applications.erase", ignore_result=True)
def erase_applications() -> None:
    """Declined and expired applications' personal fields, once their 180 days are over
    (one conditional UPDATE: a second beat finds nothing left)."""
    from shunfuri.clock import get_clock, wall_now
    from shunfuri.db.session import session_factory
    from shunfuri.services.applications import erasure

    erased = erasure.erase(session_factory(), now=get_clock().now(), wall=wall_now())
    if erased:
        log.info("%d applications' personal fields erased", erased)


REVIEW_OPENED_KEY = "shunfuri:credit-review:opened-month"


@app.task(name="credit_review.run", ignore_result=True)
def review_credit() -> None:
    """The ongoing review: open this review month once (the database keeps one review per
    member per month; the Redis mark only spares re-reading the members every beat),
    then ask the bureau about what is due. Two beats or a redelivery decide nothing twice
    (`services.credit_review.worker`)."""
    from shunfuri.broker import get_redis
    from shunfuri.services.credit_review import worker
    from workers.context import review_context

    client = get_redis()

    def month_opened(key: str) -> bool:
        raw = cast("bytes | None", client.get(REVIEW_OPENED_KEY))  # no decode_responses
        return raw is not None and raw.decode() == key

    ran = worker.run(review_context(), budget_s=8.0, month_opened=month_opened,
                     opened=lambda key: client.set(REVIEW_OPENED_KEY, key))
    if ran.opened or ran.outcomes:
        log.info("credit review: %d opened, %s", ran.opened, dict(ran.outcomes))
