"""Every amount the member is told to pay is one the repayment check accepts (issue 23,
item 8): the minimum still due, the amount that lifts an overdue and the full payoff.

A repayment is any amount from ¥1,000, or exactly the payoff whatever its yen; so a
figure below ¥1,000 that is not the payoff is an amount the member cannot pay. What we
show is `min(max(owed, 1,000), payoff)`: never below the floor unless it is the payoff,
never above the payoff, and it still does what it says (meets the minimum, lifts the
overdue)."""

from __future__ import annotations

from datetime import date, datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain.instants import JST
from shunfuri.domain.ledger import AdvanceSettled, RepaymentSettled, replay
from shunfuri.domain.repayment import MINIMUM_REPAYMENT, asked_amount, check_repayment_amount
from tests.examples import examples
from tests.unit.test_ledger_properties import actions, scenario, starts


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=JST)


# The issue's member: rate 1780, due day 25, ¥50,000 advanced on 6 Aug 2026, repaid four
# times; on 1 Dec the page said "pay ¥653" with a payoff of ¥3,008, and ¥653 was refused.
ISSUE = [
    AdvanceSettled(at(2026, 8, 6), 50_000),
    RepaymentSettled(at(2026, 8, 20), 15_907),
    RepaymentSettled(at(2026, 9, 18), 23_921),
    RepaymentSettled(at(2026, 10, 19), 4_281),
    RepaymentSettled(at(2026, 11, 18), 3_365),
]
DEC_1 = date(2026, 12, 1)


def test_the_issue_example_tells_an_amount_that_is_accepted_and_lifts() -> None:
    view = replay(ISSUE, DEC_1)
    payoff = view.balances.payoff
    assert payoff == 3_008 and view.due.overdue
    # 635 yen of November's minimum unpaid, 18 yen of interest: 653, below the floor.
    assert view.due.arrears == 635 and view.balances.interest_due_today == 18
    assert view.due.amount_to_lift == 1_000
    assert check_repayment_amount(view.due.amount_to_lift, payoff) == 1_000
    assert view.due.minimum_due == 3_008  # December's 4,000, capped by the payoff
    paid = replay([*ISSUE, RepaymentSettled(at(2026, 12, 1), view.due.amount_to_lift)], DEC_1)
    assert not paid.due.overdue


def test_asked_amount_is_floored_at_1000_and_capped_by_the_payoff() -> None:
    assert asked_amount(0, 3_008) == 0  # nothing to pay
    assert asked_amount(653, 3_008) == 1_000
    assert asked_amount(653, 800) == 800  # below the floor, but the whole payoff
    assert asked_amount(4_000, 3_008) == 3_008
    assert asked_amount(4_000, 10_000) == 4_000
    assert asked_amount(500, 0) == 0


@settings(max_examples=examples(300), deadline=None)
@given(start=starts, steps=actions, tail=st.integers(0, 150),
       due_day=st.sampled_from([5, 15, 25, 31]))
def test_every_amount_shown_is_accepted_and_does_what_it_says(  # type: ignore[no-untyped-def]
        start: date, steps, tail: int, due_day: int) -> None:
    events, as_of, view = scenario(start, steps, tail, due_day=due_day)
    payoff = view.balances.payoff
    shown = {"payoff": payoff, "minimum_due": view.due.minimum_due,
             "amount_to_lift": view.due.amount_to_lift}
    for name, amount in shown.items():
        if amount:
            assert check_repayment_amount(amount, payoff) == amount, (name, amount, payoff)
        assert 0 <= amount <= payoff
    late = datetime.combine(as_of, time(23, 59), JST)
    if view.due.minimum_due:
        paid = replay([*events, RepaymentSettled(late, view.due.minimum_due)], as_of,
                      due_day=due_day)
        assert paid.due.minimum_due == 0
    if view.due.amount_to_lift:
        paid = replay([*events, RepaymentSettled(late, view.due.amount_to_lift)], as_of,
                      due_day=due_day)
        assert not paid.due.overdue
    else:
        assert not view.due.overdue


@given(owed=st.integers(0, 10**7), payoff=st.integers(0, 10**7))
def test_asked_amount_is_always_acceptable(owed: int, payoff: int) -> None:
    asked = asked_amount(owed, payoff)
    if owed and payoff:
        assert check_repayment_amount(asked, payoff) == asked
        assert asked >= min(owed, payoff)  # paying it pays at least what was owed
        assert asked < MINIMUM_REPAYMENT or asked <= max(owed, MINIMUM_REPAYMENT)
    else:
        assert asked == 0
