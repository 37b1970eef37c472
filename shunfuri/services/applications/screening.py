"""Screening in the workers: one application id per task, exactly one decision, however
often the task runs.

A task (`screen`) works in two short transactions around one bureau call:

  1. claim: lock the row (`SKIP LOCKED`: a row another worker holds is theirs) and go on
     only if it is `received`, or `checking` and due (`next_attempt_at` NULL or passed). A
     `received` row moves to `checking`; rule 1 runs first (`before_bureau`), so nobody is
     looked up at the bureau for nothing, and may decline at once. Otherwise the claim
     counts an attempt (the claim's fence), takes a lease (`next_attempt_at` = now +
     `LEASE`) and commits.
  2. the bureau, outside any transaction (key: kana name, birth date, phone).
  3. record: lock the row again; only if it is still `checking` and the attempt is still
     ours (a worker whose lease ran out and was overtaken records nothing). With an
     answer, rules 1-6 decide and the decision's move is made; without one (the bureau
     down, slow, failing or unreadable) nothing is decided: the row stays `checking`,
     due again after a capped, jittered backoff, and the sweep sends it to a worker then.

So a redelivered task, a second beat's sweep or a duplicate message finds the row held,
not due, or already decided, and does nothing; a decision is made at most once because
every move is conditional on the row's status under its lock, and at least once because
the database, not a message, says what is still to screen (`sweep.redrive`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shunfuri import metrics
from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.instants import aware
from shunfuri.domain.screening import (
    Approved,
    BureauAnswer,
    Decision,
    DocumentsNeeded,
    before_bureau,
    decide,
)
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy
from shunfuri.gateway.bureau import Bureau, BureauKey, BureauUnavailable
from shunfuri.services.applications import events
from shunfuri.services.applications.transitions import Move, move
from shunfuri.services.applications.views import applicant_of, view
from shunfuri.services.orders.outcome import backoff

log = logging.getLogger("shunfuri.applications")

# A claimed row is left alone this long: well above one bureau call (its timeout, 5 s by
# default), so a live worker is never overtaken; a dead one's row is due again after it.
LEASE = timedelta(seconds=30)

Now = Callable[[], datetime]


@dataclass
class Context:
    """What screening needs from the edges: sessions, the bureau, both clocks, events."""

    sessions: sessionmaker[Session]
    bureau: Bureau
    now: Now  # business time: the decision's instant, expiry
    wall: Now  # real time: leases, backoff
    publish: events.Publish | None = None  # None: the broker's event channel
    policy: ScreeningPolicy = DEFAULT_POLICY
    backoff: Callable[[int], timedelta] = field(default=backoff)


@dataclass(frozen=True)
class Claim:
    application_id: str
    attempt: int
    key: BureauKey


def screen(ctx: Context, application_id: str) -> str | None:
    """Take one application as far as it goes now; its status after this call, or None
    when there was nothing to do (held elsewhere, not due, or already decided)."""
    claimed = _claim(ctx, application_id)
    if not isinstance(claimed, Claim):
        return claimed
    try:
        answer: BureauAnswer | None = ctx.bureau.inquire(claimed.key)
        problem = None
    except BureauUnavailable as exc:
        answer, problem = None, exc.kind
    return _record(ctx, claimed, answer, problem)


def _locked(session: Session, application_id: str, *, skip_locked: bool) -> Application | None:
    return session.scalar(select(Application).where(Application.id == application_id)
                          .with_for_update(skip_locked=skip_locked))


def _claim(ctx: Context, application_id: str) -> Claim | str | None:
    """Step 1: a Claim to ask the bureau with, a status (decided by rule 1), or None."""
    changes: list[events.Change] = []
    with ctx.sessions.begin() as session:
        row = _locked(session, application_id, skip_locked=True)
        wall, now = ctx.wall(), ctx.now()
        if row is None or row.status not in (states.RECEIVED, states.CHECKING):
            return None
        if (row.status == states.CHECKING and row.next_attempt_at is not None
                and aware(row.next_attempt_at) > wall):
            return None  # leased to another worker, or backing off
        if row.status == states.RECEIVED:
            move(row, Move.CHECK, now=now, wall=wall)
            changes.append((row.id, view(row)))
        declined = before_bureau(applicant_of(row), ctx.policy)
        if declined is not None:
            _decide(row, declined, now=now, wall=wall)
            changes.append((row.id, view(row)))
            result: Claim | str = row.status
            _observe_decision(ctx, aware(row.created_at))
        else:
            row.attempts += 1
            row.next_attempt_at, row.driven_at, row.updated_at = wall + LEASE, None, wall
            assert row.name_kana is not None and row.birth_date is not None  # not erased
            assert row.phone is not None
            result = Claim(row.id, row.attempts, BureauKey(
                row.name_kana, row.birth_date, row.phone))
    events.announce(changes, ctx.publish)
    return result


def _record(ctx: Context, claim: Claim, answer: BureauAnswer | None,
            problem: str | None) -> str | None:
    """Step 3: decide on the bureau's answer, or schedule the next attempt."""
    changes: list[events.Change] = []
    with ctx.sessions.begin() as session:
        row = _locked(session, claim.application_id, skip_locked=False)
        wall, now = ctx.wall(), ctx.now()
        if row is None or row.status != states.CHECKING or row.attempts != claim.attempt:
            return None  # decided, or overtaken after our lease ran out
        if answer is None:
            row.next_attempt_at = wall + ctx.backoff(row.attempts)
            row.driven_at, row.last_error, row.updated_at = None, problem, wall
            status = row.status
        else:
            row.bureau_other_balance = answer.other_balance
            row.bureau_other_count = answer.other_count
            row.bureau_delinquent, row.bureau_answered_at = answer.delinquent, now
            status = _decide(row, decide(applicant_of(row), answer, ctx.policy),
                             now=now, wall=wall)
            changes.append((row.id, view(row)))
            created = aware(row.created_at)
    if answer is None:
        metrics.BUREAU_ERRORS.labels(kind=problem or "unknown").inc()
        # A warning on the first miss and every tenth: an outage must not flood the log.
        level = logging.WARNING if claim.attempt % 10 == 1 else logging.INFO
        log.log(level, "application %s: no answer from the credit bureau (%s, attempt %d); "
                "retrying", claim.application_id, problem, claim.attempt)
    else:
        _observe_decision(ctx, created)
    events.announce(changes, ctx.publish)
    return status


def _observe_decision(ctx: Context, created: datetime) -> None:
    metrics.APPLICATION_DECISION_SECONDS.observe(max(0.0, (ctx.wall() - created).total_seconds()))


def _decide(row: Application, decision: Decision, *, now: datetime, wall: datetime) -> str:
    """Record a screening decision on a locked row through the door."""
    move(row, states.DECISION_MOVES[decision.status], now=now, wall=wall)
    row.reason_code = None if isinstance(decision, Approved) else decision.reason
    if isinstance(decision, Approved):
        row.offer_limit = decision.offer.credit_limit
        row.offer_rate_bp = decision.offer.rate_bp
    elif isinstance(decision, DocumentsNeeded):
        row.offer_limit = row.offer_rate_bp = None
    row.next_attempt_at = row.driven_at = row.last_error = None
    return row.status

