"""The review in the workers: open the month, then ask the bureau about each due review,
one at a time, exactly one decision per review however often the task runs.

Each review goes through two short transactions around one bureau call, as screening
does (`services.applications.screening`):

  1. claim: the next `asking` row whose time has come (`next_attempt_at` NULL or passed),
     `FOR UPDATE SKIP LOCKED` (a row another worker holds is theirs); count an attempt
     (the claim's fence) and take a lease (`LEASE`). A member without a bureau key is
     `unreviewable` (never asked, never decided).
  2. the bureau, outside any transaction.
  3. record: lock the member, then the row (every writer of both takes them in that
     order); only if the row is still `asking` with our attempt (a worker overtaken after
     its lease, or a row a newer request superseded, records nothing). An answer:
     `outcome.record_answer`. No answer (down, slow, failing, unreadable): nothing is
     decided; the row is due again after a capped, jittered backoff, and this run stops
     asking (the bureau is not answering: the next beat tries again).

So two beats at once, a redelivered task or a killed worker give each review one
decision: rows are shared by `SKIP LOCKED`, the lease keeps a live worker's row, and
every recording is conditional on the status and the attempt under the row lock.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from shunfuri import metrics
from shunfuri.db.credit_reviews import LIFT, CreditReview
from shunfuri.db.models import Member
from shunfuri.domain.credit_review import DEFAULT_REVIEW_POLICY, ReviewPolicy, review_month
from shunfuri.domain.instants import to_jst
from shunfuri.domain.screening import BureauAnswer
from shunfuri.gateway.bureau import Bureau, BureauKey, BureauUnavailable
from shunfuri.services.credit_review import facts, outcome, periods
from shunfuri.services.orders.outcome import backoff

log = logging.getLogger("shunfuri.credit_review")

# Well above one bureau call (its timeout, 5 s by default): a live worker's row is never
# taken over; a dead worker's row is due again after it.
LEASE = timedelta(seconds=30)

Now = Callable[[], datetime]


@dataclass
class Context:
    sessions: sessionmaker[Session]
    bureau: Bureau
    now: Now  # business time: the review month, the answer's and the stop's instants
    wall: Now  # real time: leases, backoff
    policy: ReviewPolicy = DEFAULT_REVIEW_POLICY
    backoff: Callable[[int], timedelta] = field(default=backoff)


@dataclass(frozen=True)
class Claim:
    review_id: int
    member_id: int
    attempt: int
    key: BureauKey


@dataclass
class Ran:
    opened: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # status -> how many
    no_answer: int = 0


def run(ctx: Context, *, budget_s: float = 20.0, month_opened: Callable[[str], bool] | None = None,
        opened: Callable[[str], object] | None = None) -> Ran:
    """Open this review month (unless `month_opened(key)` says it was), then ask about due
    reviews until none is left, the bureau stops answering, or `budget_s` has passed."""
    result = Ran()
    key = review_month(to_jst(ctx.now()).date()).isoformat()
    if month_opened is None or not month_opened(key):
        with ctx.sessions.begin() as session:
            result.opened = periods.open_period(
                session, today=to_jst(ctx.now()).date(), now=ctx.now(), wall=ctx.wall(),
                policy=ctx.policy)
        if opened is not None:
            opened(key)
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        claimed = _claim(ctx)
        if claimed is None:
            break
        if isinstance(claimed, str):
            result.outcomes[claimed] += 1
            continue
        status = ask_and_record(ctx, claimed)
        if status is None:
            continue
        if status == "asking":
            result.no_answer += 1
            break
        result.outcomes[status] += 1
    return result


def ask_and_record(ctx: Context, claim: Claim) -> str | None:
    """Steps 2 and 3 for one claim: the row's status after it, or None when the claim
    was overtaken or superseded."""
    try:
        answer: BureauAnswer | None = ctx.bureau.inquire(claim.key)
        problem = None
    except BureauUnavailable as exc:
        answer, problem = None, exc.kind
    status = _record(ctx, claim, answer, problem)
    if answer is None:
        metrics.BUREAU_ERRORS.labels(kind=problem or "unknown").inc()
        level = logging.WARNING if claim.attempt % 10 == 1 else logging.INFO
        log.log(level, "credit review %d: no answer from the credit bureau (%s, attempt %d); "
                "retrying", claim.review_id, problem, claim.attempt)
    elif status is not None:
        metrics.CREDIT_REVIEWS.labels(outcome=status).inc()
    return status


def _claim(ctx: Context) -> Claim | str | None:
    """Step 1: a Claim, `unreviewable` (a row closed without asking), or None (nothing due)."""
    with ctx.sessions.begin() as session:
        wall = ctx.wall()
        row = session.scalar(
            select(CreditReview)
            .where(CreditReview.status == "asking",
                   or_(CreditReview.next_attempt_at.is_(None),
                       CreditReview.next_attempt_at <= wall))
            .order_by(CreditReview.next_attempt_at.asc().nulls_first(), CreditReview.id)
            .limit(1).with_for_update(skip_locked=True))
        if row is None:
            return None
        key = facts.bureau_key(session, row.member_id)
        if key is None:
            row.status, row.updated_at = "unreviewable", wall
            metrics.CREDIT_REVIEWS.labels(outcome="unreviewable").inc()
            return "unreviewable"
        row.attempts += 1
        row.next_attempt_at, row.updated_at = wall + LEASE, wall
        return Claim(row.id, row.member_id, row.attempts, key)


def _record(ctx: Context, claim: Claim, answer: BureauAnswer | None,
            problem: str | None) -> str | None:
    with ctx.sessions.begin() as session:
        wall, now = ctx.wall(), ctx.now()
        member = session.scalar(select(Member).where(Member.id == claim.member_id)
                                .with_for_update(key_share=True))
        row = session.scalar(select(CreditReview).where(CreditReview.id == claim.review_id)
                             .with_for_update())
        if member is None or row is None or row.status != "asking" \
                or row.attempts != claim.attempt:
            return None
        if answer is None:
            row.next_attempt_at = wall + ctx.backoff(row.attempts)
            row.last_error, row.updated_at = problem, wall
            return row.status
        income = row.proof_income if row.kind == LIFT else facts.known_income(session, member.id)
        if income is None:
            row.status, row.updated_at = "unreviewable", wall
            return row.status
        return outcome.record_answer(session, row, member, answer, income, now=now, wall=wall)
