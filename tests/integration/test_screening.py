"""Screening under at-least-once delivery, against the bureau simulator as a real process:
the bureau down, slow or losing answers never yields a decision, only a wait; once it
answers, the application is decided exactly once, however many tasks, sweeps or workers
race for it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from shunfuri.clock import wall_now
from shunfuri.db.applications import Application
from shunfuri.db.session import session_factory
from shunfuri.services.applications import intake, screening, sweep
from shunfuri.services.applications.events import Change
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import (
    application,
    context,
    form,
)
from tests.system import poll

# Fixtures (pytest finds them by these names).
at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process

PEPPER = "test-pepper"


class Published:
    """What screening announced: every (id, view) change, in order."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.lock = threading.Lock()

    def __call__(self, changes: list[Change]) -> None:
        with self.lock:
            self.changes += changes

    def decisions(self, application_id: str) -> list[str]:
        return [view["status"] for i, view in self.changes
                if i == application_id and view["status"] not in ("received", "checking")]


def submitted(**changes) -> str:
    from shunfuri.clock import get_clock

    with session_factory()() as session:
        return intake.submit(session, form(**changes), idempotency_key=None,
                             now=get_clock().now(), wall=wall_now(),
                             pepper=PEPPER).application["id"]


def due_now(application_id: str) -> None:
    """Skip the rest of a backoff (the test does not wait for the jitter)."""
    with session_factory().begin() as session:
        session.execute(update(Application).where(Application.id == application_id)
                        .values(next_attempt_at=wall_now() - timedelta(seconds=1)))


@pytest.mark.parametrize("fault, kind", [
    ({"outage": True}, "server_error"),
    ({"transient_rate": 1.0}, "server_error"),
    ({"lose_response_rate": 1.0}, "server_error"),
    ({"latency_ms": 1500}, "timeout"),
])
def test_no_answer_is_a_wait_never_a_decision_then_decided_once(db, at, bureau, fault, kind):
    published = Published()
    ctx = context(bureau, timeout=0.5, publish=published)
    app_id = submitted()
    bureau.control(**fault)
    for attempt in (1, 2, 3):
        assert screening.screen(ctx, app_id) == "checking"
        row = application(app_id)
        assert (row.status, row.attempts, row.last_error) == ("checking", attempt, kind)
        assert row.next_attempt_at > wall_now() and row.bureau_answered_at is None
        assert screening.screen(ctx, app_id) is None  # backing off: a repeat does nothing
        due_now(app_id)
    assert published.decisions(app_id) == []
    bureau.calm()
    assert screening.screen(ctx, app_id) == "approved"
    row = application(app_id)
    assert (row.attempts, row.last_error, row.next_attempt_at) == (4, None, None)
    for _ in range(3):  # redelivered messages, a late sweep
        due_now(app_id)
        assert screening.screen(ctx, app_id) is None
    assert published.decisions(app_id) == ["approved"]


def test_lost_answers_were_served_and_asked_again(db, at, bureau):
    before = bureau.stats()
    ctx = context(bureau)
    app_id = submitted()
    bureau.control(lose_response_rate=1.0)
    assert screening.screen(ctx, app_id) == "checking"
    bureau.calm()
    due_now(app_id)
    assert screening.screen(ctx, app_id) == "approved"
    after = bureau.stats()
    # At least: a slow call of an earlier test may still finish inside this one.
    assert after["lost_answers"] >= before["lost_answers"] + 1
    assert after["inquiries"] >= before["inquiries"] + 2


def test_racing_tasks_decide_once(db, at, bureau):
    """Eight deliveries of the same message at once, the bureau slow enough for all of
    them to arrive while the first is asking: one decision."""
    published = Published()
    ctx = context(bureau, publish=published)
    app_id = submitted()
    bureau.control(latency_ms=300)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(screening.screen(ctx, app_id)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results.count("approved") == 1 and results.count(None) == 7
    assert published.decisions(app_id) == ["approved"]
    assert application(app_id).attempts == 1


def test_a_worker_overtaken_after_its_lease_records_nothing(db, at, bureau):
    published = Published()
    ctx = context(bureau, publish=published)
    app_id = submitted()
    slow = screening._claim(ctx, app_id)  # a worker claims, then stalls past its lease
    assert isinstance(slow, screening.Claim)
    due_now(app_id)
    assert screening.screen(ctx, app_id) == "approved"  # another worker takes it over
    answer = ctx.bureau.inquire(slow.key)
    assert screening._record(ctx, slow, answer, None) is None
    assert published.decisions(app_id) == ["approved"]


def test_sweep_sends_due_rows_once_per_round_and_two_beats_share_them(db, at, bureau):
    ids = [submitted() for _ in range(4)]
    wall = wall_now()
    sent_by_api, lost, backing_off, lease_over = ids
    with session_factory().begin() as session:
        def set_row(app_id: str, **values) -> None:
            session.execute(update(Application).where(Application.id == app_id).values(**values))

        set_row(sent_by_api, driven_at=wall)  # its message is on its way
        set_row(lost, driven_at=wall - timedelta(seconds=10))
        set_row(backing_off, status="checking", driven_at=None,
                next_attempt_at=wall + timedelta(seconds=30))
        set_row(lease_over, status="checking", driven_at=None,
                next_attempt_at=wall - timedelta(seconds=1))
    after = timedelta(seconds=3)
    first = session_factory()()
    try:
        # One beat's round holds its rows (uncommitted) while a second beat runs.
        taken = sweep.redrive(first, wall=wall, redrive_after=after, limit=1)
        with session_factory().begin() as second:
            others = sweep.redrive(second, wall=wall, redrive_after=after)
        first.commit()
    finally:
        first.close()
    assert len(taken) == 1 and set(taken) | set(others) == {lost, lease_over}
    assert not set(taken) & set(others)
    with session_factory().begin() as session:
        assert sweep.redrive(session, wall=wall, redrive_after=after) == []  # driven just now
    with session_factory().begin() as session:
        later = wall + timedelta(seconds=4)  # no worker took them: the messages were lost
        assert set(sweep.redrive(session, wall=later, redrive_after=after)) == {
            sent_by_api, lost, lease_over}


def test_sweep_and_worker_end_to_end_in_process(db, at, bureau):
    """The bureau down, the sweep re-driving, a worker taking what the sweep sends: once
    the bureau is back, decided once, with nothing else to send."""
    published = Published()
    ctx = context(bureau, publish=published)
    app_id = submitted()
    bureau.control(outage=True)
    assert screening.screen(ctx, app_id) == "checking"
    bureau.calm()

    def decided() -> bool:
        with session_factory().begin() as session:  # the beat's round, committed
            due = sweep.redrive(session, wall=wall_now(), redrive_after=timedelta(seconds=3))
        for sent in due:  # the worker, on each message
            screening.screen(ctx, sent)
        return application(app_id).status == "approved"

    poll(decided, timeout=20, interval=0.05, what="the retry after the outage")
    assert published.decisions(app_id) == ["approved"]
    with session_factory().begin() as session:
        assert sweep.redrive(session, wall=wall_now() + timedelta(minutes=5),
                             redrive_after=timedelta(seconds=3)) == []
