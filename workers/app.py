"""The Celery app, its queues and the beat schedule.

Settings a payments queue needs: a message is acknowledged only after its task
finished (acks_late) and is redelivered if the worker dies (reject_on_worker_lost);
prefetch of one so a slow batch never hoards messages; results are not stored (the
database is the record). The schedule has no crontab entries: every beat entry is an
interval, and the business instants live in the rows (`settle_at`), not in the schedule.
"""

from __future__ import annotations

from datetime import UTC

from celery import Celery
from celery.signals import worker_process_init

from shunfuri.broker import QUEUES, VISIBILITY_TIMEOUT, celery_url
from shunfuri.settings import get_settings

settings = get_settings()

app = Celery("shunfuri", broker=celery_url(settings.resolved_broker_url),
             include=["workers.tasks"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_acks_on_failure_or_timeout=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    timezone="Asia/Tokyo",
    enable_utc=True,
    task_default_queue="instant",
    # Separate queues: the 09:30 batch can never delay an instant transfer.
    task_queues=QUEUES,
    task_default_exchange="instant",
    task_default_routing_key="instant",
    task_routes={
        "transfers.drain_instant": {"queue": "instant"},
        "transfers.settle_chunk": {"queue": "batch"},
        "transfers.due_sweep": {"queue": "maintenance"},
        "transfers.recover": {"queue": "maintenance"},
        "repayments.drain": {"queue": "instant"},
        "repayments.mark_overdue": {"queue": "maintenance"},
        "ops.ping": {"queue": "instant"},
        "mail.send": {"queue": "maintenance"},
        "mail.queue": {"queue": "maintenance"},
        "applications.screen": {"queue": "applications"},
        "applications.sweep": {"queue": "maintenance"},
        "applications.expire": {"queue": "maintenance"},
        "applications.erase": {"queue": "maintenance"},
        # It waits on the credit bureau, like screening: never on the maintenance queue,
        # where a slow bureau would delay the 09:30 batch's sweep.
        "credit_review.run": {"queue": "applications"},
    },
    worker_hijack_root_logger=False,
    task_time_limit=120,
    task_soft_time_limit=100,
    beat_schedule={
        # This is the 09:30 batch: every transfer's `settle_at` is already the right
        # business day's 09:30 (the domain calendar skips weekends and holidays), so a
        # sweep each second of whatever is due starts the batch within a second of it,
        # under the real and the simulated clock alike. No crontab entry is needed.
        "due-sweep": {
            "task": "transfers.due_sweep",
            "schedule": 1.0,
            "options": {"queue": "maintenance", "expires": 5},
        },
        # Business-clock mail (reminders from 08:00 JST, overdue notices, repayments
        # received): the task decides what is due, so it works under the simulated clock.
        "mail-queue": {
            "task": "mail.queue",
            "schedule": 5.0,
            "options": {"queue": "maintenance", "expires": 10},
        },
        # Event mail goes out within seconds of its event (the spec allows a minute).
        "mail-send": {
            "task": "mail.send",
            "schedule": 5.0,
            "options": {"queue": "maintenance", "expires": 10},
        },
        # The database is the source of truth: re-wake anything a lost message stranded.
        "recover": {
            "task": "transfers.recover",
            "schedule": 2.0,
            "options": {"queue": "maintenance", "expires": 5},
        },
        # Applications: re-send screening for rows whose retry time came or whose
        # message was lost (the database says what is still to screen).
        "applications-sweep": {
            "task": "applications.sweep",
            "schedule": 2.0,
            "options": {"queue": "maintenance", "expires": 5},
        },
        # Offers and documents requests past their 14 days (business clock): asked
        # often, so a simulated clock running fast expires them on time too.
        "applications-expire": {
            "task": "applications.expire",
            "schedule": 10.0,
            "options": {"queue": "maintenance", "expires": 20},
        },
        # Declined and expired applications' personal fields, 180 days on (business
        # clock): one conditional UPDATE, so a second beat erases nothing twice.
        "applications-erase": {
            "task": "applications.erase",
            "schedule": 60.0,
            "options": {"queue": "maintenance", "expires": 120},
        },
        # The ongoing review (途上与信): asked often, it opens each review month once and
        # asks the bureau about what is due (lift requests within seconds).
        "credit-review": {
            "task": "credit_review.run",
            "schedule": 10.0,
            "options": {"queue": "applications", "expires": 20},
        },
        # The daily overdue job, on the business clock: asked often, it runs once the
        # JST day (simulated or not) has changed since its last complete run.
        "overdue": {
            "task": "repayments.mark_overdue",
            "schedule": 2.0,
            "options": {"queue": "maintenance", "expires": 5},
        },
    },
)


@worker_process_init.connect
def _quiet_collector(**_: object) -> None:
    """Keep the cyclic GC's full passes over long-lived imports out of the drain loop."""
    import gc

    _warm_pipeline()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _warm_pipeline() -> bool:
    """Connect, load the bank master and the bank client, and compile the claim queries
    before the first task: either child may be handed the next long-lived drain, and a
    cold one spent ~0.3 s on these while transfers waited.

    Nothing is claimed or sent here (the queries ask for rows that cannot exist, and the
    transaction is rolled back): Celery gives a new child 4 s to report ready, and a
    payment stuck on a slow bank must not turn into a restart loop. Returns whether it
    warmed; a failure is logged and the first task pays the cost instead.
    """
    import logging
    from datetime import datetime

    try:
        from shunfuri.domain.banks import bank_codes
        from shunfuri.services.transfers import settlement
        from workers.context import context

        bank_codes()
        ctx = context()
        ctx.gateway.warm()
        never = datetime(1970, 1, 1, tzinfo=UTC)
        with ctx.sessions() as session:
            settlement.claim(session, now=ctx.now(), wall=never, limit=1, older_than=never)
            session.rollback()
    except Exception as exc:  # noqa: BLE001 - a database still starting is not fatal here
        logging.getLogger("shunfuri.workers").warning("warm-up skipped: %s", exc)
        return False
    return True


@app.task(name="ops.ping", ignore_result=True, acks_late=False)
def ping(token: str) -> None:
    from shunfuri.broker import get_redis

    get_redis().set(f"shunfuri:ping:{token}", b"1", ex=30)
