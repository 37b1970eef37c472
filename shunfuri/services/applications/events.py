"""After a commit: tell whoever waits on an application that it changed, count the change,
and wake a screening worker. All best effort: the database already holds the change, a
waiting request falls back to its timeout, and the sweep finds any row whose message was
lost (`sweep.redrive`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from shunfuri import metrics

log = logging.getLogger("shunfuri.applications")

Change = tuple[str, dict[str, Any]]  # (application id, its public view after the change)
Publish = Callable[[list[Change]], None]

SCREEN_TASK, QUEUE = "applications.screen", "applications"


def publish_default(changes: list[Change]) -> None:
    from shunfuri.broker import get_redis, publish_transfer_events

    # The long-polls' one event channel; application ids are UUIDs like transfer ids, so
    # a waiter on one never hears the other.
    publish_transfer_events(get_redis(), changes)


def announce(changes: Iterable[Change], publish: Publish | None = None) -> None:
    """Count each change by its new status and publish them (one message)."""
    batch = list(changes)
    for _, change in batch:
        metrics.APPLICATIONS.labels(status=change["status"]).inc()
    if batch:
        (publish or publish_default)(batch)


def wake(application_ids: Iterable[str]) -> None:
    """Send a screening message per id (the caller has committed the rows as due)."""
    from shunfuri.broker import send_task

    for application_id in application_ids:
        try:
            send_task(SCREEN_TASK, args=[application_id], queue=QUEUE)
        except Exception as exc:  # noqa: BLE001 - Redis, kombu, Celery: any may fail here
            log.warning("could not wake a screening worker (%s); the sweep will",
                        type(exc).__name__)
            return
