"""The order state machine and the in-doubt rule, exhaustively: every status, sent or
not, against every move; the table below is the whole of what is allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shunfuri.domain import orders
from shunfuri.domain.orders import Budget, Move, MoveRefused, after_inquiry, in_doubt

# (status, sent, move) -> target: every allowed move, written out by hand.
ALLOWED = {
    ("accepted", False, Move.CLAIM): "processing",
    ("accepted", False, Move.PARK): "scheduled",
    ("accepted", False, Move.REFUSE): "rejected",
    ("scheduled", False, Move.REFUSE): "rejected",
    ("scheduled", False, Move.CANCEL): "cancelled",
    ("scheduled", False, Move.DUE): "processing",
    ("scheduled", True, Move.DUE): "processing",
    ("processing", False, Move.RESCHEDULE): "scheduled",
    ("processing", True, Move.PAID): "settled",
    ("processing", True, Move.BANK_REFUSED): "failed",
    ("processing", True, Move.GIVE_UP): "needs_attention",
    ("needs_attention", True, Move.PAID): "settled",
    ("needs_attention", True, Move.BANK_REFUSED): "failed",
    ("needs_attention", True, Move.RESEND): "processing",
}
EVERY = [(s, sent, m) for s in orders.STATUSES for sent in (False, True) for m in Move]


@pytest.mark.parametrize(("status", "sent", "move"), EVERY)
def test_exactly_the_listed_moves_are_allowed(status: str, sent: bool, move: Move) -> None:
    expected = ALLOWED.get((status, sent, move))
    assert orders.allows(status, move, sent=sent) == (expected is not None)
    if expected is None:
        with pytest.raises(MoveRefused) as refused:
            orders.target(status, move, sent=sent)
        assert refused.value.in_doubt == in_doubt(status, sent=sent)
    else:
        assert orders.target(status, move, sent=sent) == expected


def test_in_doubt_only_the_banks_answer_the_budget_or_staff_can_move_an_order() -> None:
    for status in ("processing", "needs_attention", "scheduled"):
        allowed = {m for m in Move if orders.allows(status, m, sent=True)}
        assert allowed <= {Move.PAID, Move.BANK_REFUSED, Move.GIVE_UP, Move.RESEND, Move.DUE}
        # Nothing that releases the hold on our own say, nor a cancellable state.
        for move in (Move.CANCEL, Move.REFUSE, Move.RESCHEDULE):
            assert not orders.allows(status, move, sent=True)


def test_in_doubt_means_sent_and_not_final() -> None:
    assert in_doubt("processing", sent=True) and in_doubt("needs_attention", sent=True)
    assert not in_doubt("processing", sent=False)
    assert not any(in_doubt(s, sent=True) for s in orders.FINAL)


def test_only_not_found_allows_a_resend() -> None:
    assert after_inquiry("paid") == Move.PAID
    assert after_inquiry("rejected") == Move.BANK_REFUSED
    assert after_inquiry("not_found") == "send"
    assert after_inquiry("pending") == after_inquiry("unanswered") == "wait"


SENT = datetime(2026, 11, 29, 11, 59, 52, tzinfo=UTC)


def test_budget_is_spent_by_time_since_sent_or_by_attempts() -> None:
    budget = Budget(after=timedelta(minutes=30), max_attempts=5)
    kw = dict(sent_at=SENT, attention_at=None)
    assert not budget.spent(attempts=4, wall=SENT + timedelta(minutes=29, seconds=59), **kw)
    assert budget.spent(attempts=4, wall=SENT + timedelta(minutes=30), **kw)
    assert budget.spent(attempts=5, wall=SENT, **kw)


def test_a_maintenance_hold_restarts_the_time_budget_at_the_window_end() -> None:
    budget = Budget(after=timedelta(minutes=30))
    reopens = SENT + timedelta(hours=10)
    attention = budget.attention_after_hold(None, reopens)
    assert attention == reopens + timedelta(minutes=30)
    assert budget.attention_after_hold(attention + timedelta(hours=1), reopens) > attention
    wall = reopens + timedelta(minutes=29)
    assert not budget.spent(attempts=3, sent_at=SENT, attention_at=attention, wall=wall)
