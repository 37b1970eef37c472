"""Around each send of an order that may end up in doubt (see `settlement` for the pass).

Before the call (in the claim's transaction): a real-time bank in maintenance is never
sent to - an order never sent is rescheduled (`scheduled`, cancellable); one already
sent stays `processing`, hold kept, until the window's end; an order whose retry budget
is spent goes to staff; and the send is recorded (`sent_at`, `attempts`) before the
call, so a worker dying during it leaves a row that says the bank may have paid.

After the call, an order with no definitive answer waits (backoff) and is asked about
next time, or goes to staff once its budget is spent. The rules themselves (what may
move where, in doubt or not) live in `shunfuri.domain.orders`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shunfuri import metrics
from shunfuri.db.models import Repayment, Transfer
from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.orders import Budget
from shunfuri.domain.windows import maintenance_ends_at
from shunfuri.services.orders.outcome import LEASE, Outcome, backoff
from shunfuri.services.orders.transitions import Move, may, move

DOUBT_NOTE = "in doubt:"  # notes written here start so; a definitive answer clears them
NO_ANSWER = "no answer from the bank"

RealDelay = Callable[[timedelta], timedelta]
Order = Transfer | Repayment  # every order the bank is asked about: same columns, same rule


def view(order: Order) -> dict[str, Any]:
    """The member's view of an order, published with its change."""
    view: dict[str, Any] = _kind(order).view(order)
    return view


def noun(order: Order) -> str:
    name: str = _kind(order).name
    return name


def _kind(order: Order):  # type: ignore[no-untyped-def]
    # Imported here: the kinds name the claim and finish steps, which use this module.
    from shunfuri.services.orders import kinds

    return kinds.of(order)


def guard_maintenance(
    transfers: list[Transfer], *, now: datetime, wall: datetime,
    real_delay: RealDelay = lambda business: business, budget: Budget | None = None,
) -> tuple[list[Transfer], Outcome]:
    """Never send to a real-time bank inside its maintenance window: queue lag can carry
    an instant transfer into one, so reschedule it to the window's end, saying why.

    A transfer already sent may have been paid, so it is never rescheduled (a scheduled
    transfer can be cancelled): it stays `processing`, hold kept, with its next attempt
    at the window's end - converted to real time, since `next_attempt_at` is real time
    and a simulated business clock may run faster (`real_delay`).
    """
    budget = budget or Budget()
    outcome, sendable = Outcome(), []
    for t in transfers:
        ends = maintenance_ends_at(get_bank(t.bank_code), now)
        if ends is None:
            sendable.append(t)
            continue
        if may(t, Move.RESCHEDULE):
            move(t, Move.RESCHEDULE, wall=wall)
            t.settle_at = ends
            t.next_attempt_at = None
            t.note = f"rescheduled: bank maintenance at {iso_jst(now)} until {iso_jst(ends)}"
            outcome.scheduled += 1
            outcome.changes.append((t.id, view(t)))
            metrics.RESCHEDULED.inc()
            continue
        resume = wall + real_delay(ends - now)
        t.next_attempt_at = resume
        t.updated_at = wall
        t.attention_at = budget.attention_after_hold(aware(t.attention_at), resume)
        t.note = (f"{DOUBT_NOTE} sent before bank maintenance ({iso_jst(now)} until "
                  f"{iso_jst(ends)}); the bank will be asked when it reopens")
        outcome.waiting += 1
    return sendable, outcome


def give_up_spent(
    transfers: list[Order], *, wall: datetime, budget: Budget
) -> tuple[list[Order], Outcome]:
    """Orders in doubt whose retry budget is already spent (e.g. a worker died during
    every attempt) go to staff instead of to the bank again."""
    outcome, remaining = Outcome(), []
    for t in transfers:
        if t.sent_at is not None and budget.spent(
            attempts=t.attempts, sent_at=aware(t.sent_at), attention_at=aware(t.attention_at),
            wall=wall,
        ):
            give_up(t, wall, outcome)
        else:
            remaining.append(t)
    return remaining, outcome


def give_up(t: Order, wall: datetime, outcome: Outcome) -> None:
    move(t, Move.GIVE_UP, wall=wall)
    t.next_attempt_at = None
    t.note = (f"{DOUBT_NOTE} the bank has not confirmed this {noun(t)} after "
              f"{t.attempts} attempts; staff are checking it with the bank")
    outcome.attention += 1
    outcome.changes.append((t.id, view(t)))
    metrics.NEEDS_ATTENTION.inc()


def mark_sent(transfers: list[Order], *, wall: datetime) -> set[str]:
    """Record, before the bank call and in the claim's transaction, that these orders
    are going out. Returns the ids that were already in doubt (sent before)."""
    doubtful = set()
    for t in transfers:
        if t.sent_at is None:
            t.sent_at = wall
        else:
            doubtful.add(t.id)
        t.attempts += 1
        t.next_attempt_at = wall + LEASE
    return doubtful


def retry_later(t: Order, error: str, wall: datetime, budget: Budget,
                outcome: Outcome) -> None:
    """No definitive answer: ask again after a backoff, or hand it to staff once the
    budget is spent. The hold stays either way."""
    t.last_error = error[:255]
    t.updated_at = wall
    if budget.spent(attempts=t.attempts, sent_at=aware(t.sent_at),
                    attention_at=aware(t.attention_at), wall=wall):
        give_up(t, wall, outcome)
        return
    t.next_attempt_at = wall + backoff(t.attempts)
    t.note = f"{DOUBT_NOTE} sent; the bank's answer has not arrived; asking the bank again"
    outcome.retrying += 1
