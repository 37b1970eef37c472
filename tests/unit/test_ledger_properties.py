"""Properties of the ledger against independent computations.

The oracle here accrues interest day by day as an exact `Fraction`, and floors only where
the spec closes a period (an advance, a repayment, a rate change) or where the year, and so
`Y`, changes. It knows nothing of segments, free-window splitting or `LedgerState`.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from math import floor

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shunfuri.domain.calendar import is_business_day
from shunfuri.domain.due_dates import minimum_by_table
from shunfuri.domain.instants import JST, to_jst
from shunfuri.domain.interest import accrued_interest, interest_free_days
from shunfuri.domain.ledger import AdvanceSettled, RateChanged, RepaymentSettled, replay
from shunfuri.domain.repayment import MINIMUM_REPAYMENT
from tests.examples import examples

ONE = timedelta(days=1)


def oracle(events, through: date, rate_bp: int = 1780):  # type: ignore[no-untyped-def]
    """(principal, interest owed through `through`, [(to_interest, to_principal)...])."""
    by_day = defaultdict(list)
    for event in sorted(events, key=lambda e: e.at):
        by_day[to_jst(event.at).date()].append(event)
    if not by_day:
        return 0, 0, []
    first_advance = min(day for day, evs in by_day.items()
                        if any(isinstance(e, AdvanceSettled) for e in evs))
    principal, booked, bucket, bucket_year, splits = 0, 0, Fraction(0), None, []
    day = min(by_day)
    while day <= through:
        if day > first_advance:  # the day's own interest, on the principal it began with
            if bucket_year != day.year:
                booked, bucket, bucket_year = booked + floor(bucket), Fraction(0), day.year
            free = day <= first_advance + timedelta(days=30)
            if not free:
                y = 366 if calendar.isleap(day.year) else 365
                bucket += Fraction(principal * rate_bp, 10000 * y)
        for event in by_day[day]:
            if not isinstance(event, (AdvanceSettled, RepaymentSettled, RateChanged)):
                continue
            booked, bucket = booked + floor(bucket), Fraction(0)
            if isinstance(event, AdvanceSettled):
                principal += event.amount
            elif isinstance(event, RateChanged):
                rate_bp = event.rate_bp
            else:
                to_interest = min(event.amount, booked)
                splits.append((to_interest, event.amount - to_interest))
                booked -= to_interest
                principal -= event.amount - to_interest
                assert principal >= 0
        day += ONE
    return principal, booked + floor(bucket), splits


actions = st.lists(
    st.tuples(
        st.integers(0, 45),  # days after the previous action
        st.sampled_from(["advance", "repay", "repay", "rate"]),
        st.integers(1, 500),  # thousands of yen for an advance
        st.fractions(min_value=Fraction(1, 1000), max_value=1),  # share of the payoff
        st.integers(0, 2000),  # a new rate
    ),
    min_size=1, max_size=12,
)
starts = st.dates(min_value=date(2027, 6, 1), max_value=date(2028, 2, 20))


def build(start: date, steps) -> list:  # type: ignore[no-untyped-def]
    """Events from the drawn actions; a repayment is a share of the oracle's payoff then."""
    events: list = [AdvanceSettled(datetime.combine(start, time(10), JST), 10_000, "first")]
    day = start
    for n, (gap, kind, thousands, share, rate) in enumerate(steps):
        day += timedelta(days=gap)
        at = datetime.combine(day, time(10), JST) + timedelta(seconds=n + 1)
        if kind == "advance":
            events.append(AdvanceSettled(at, thousands * 1000, f"t{n}"))
        elif kind == "rate":
            events.append(RateChanged(at, rate))
        else:
            principal, interest, _ = oracle(events, day)
            owed = principal + interest
            if owed:
                events.append(RepaymentSettled(at, max(1, floor(owed * share)), f"r{n}"))
    return events


def scenario(start: date, steps, tail: int, **options):  # type: ignore[no-untyped-def]
    """The drawn events, the day `tail` days after the last one, and the replay there."""
    events = build(start, steps)
    as_of = to_jst(max(e.at for e in events)).date() + timedelta(days=tail)
    return events, as_of, replay(events, as_of, **options)


@settings(max_examples=examples(250), deadline=None)
@given(start=starts, steps=actions, tail=st.integers(0, 60))
def test_replay_matches_day_by_day_exact_accrual(start: date, steps, tail: int) -> None:  # type: ignore[no-untyped-def]
    events, as_of, view = scenario(start, steps, tail)
    principal, interest, splits = oracle(events, as_of)
    assert view.balances.principal == principal
    assert view.balances.interest_due_today == interest
    assert [(ln.to_interest, ln.to_principal) for ln in view.lines if ln.kind == "repayment"] == splits


@settings(max_examples=examples(200), deadline=None)
@given(start=starts, steps=actions, tail=st.integers(0, 60))
def test_no_yen_created_or_lost(start: date, steps, tail: int) -> None:  # type: ignore[no-untyped-def]
    events, as_of, view = scenario(start, steps, tail)
    advanced = sum(e.amount for e in events if isinstance(e, AdvanceSettled))
    repaid = sum(e.amount for e in events if isinstance(e, RepaymentSettled))
    charged = sum(ln.amount for ln in view.lines if ln.kind == "interest")
    assert advanced + charged - repaid == view.balances.principal + view.balances.interest_due
    for line in view.lines:
        assert line.principal_after >= 0 and line.interest_due_after >= 0
        if line.kind == "repayment":
            assert line.to_interest + line.to_principal == line.amount
    # what the open period shows is what closing it today would book
    b = view.balances
    if b.accrued_through is not None:
        free = interest_free_days(to_jst(events[0].at).date())
        rate = next((e.rate_bp for e in reversed(events) if isinstance(e, RateChanged)), 1780)
        assert b.accruing == accrued_interest(b.principal, rate, b.accrued_through, as_of, free)


@settings(max_examples=examples(200), deadline=None)
@given(start=starts, steps=actions, tail=st.integers(0, 120),
       due_day=st.sampled_from([5, 15, 25, 31]))
def test_due_dates_windows_and_shortfalls(start: date, steps, tail: int, due_day: int) -> None:  # type: ignore[no-untyped-def]
    events, as_of, view = scenario(start, steps, tail, due_day=due_day)
    outcomes = view.due.outcomes
    first_advance = to_jst(events[0].at).date()
    previous = None
    for o in outcomes:
        last_of_month = calendar.monthrange(o.nominal.year, o.nominal.month)[1]
        assert o.nominal.day == min(due_day, last_of_month)
        assert is_business_day(o.due_date) and o.due_date >= o.nominal
        assert all(not is_business_day(o.nominal + timedelta(days=k))
                   for k in range((o.due_date - o.nominal).days))
        assert o.due_date < as_of  # over only from the next day
        if previous is None:
            assert o.nominal >= first_advance + timedelta(days=14)
            assert o.window_first_day is None
        else:
            months = (o.nominal.year - previous.nominal.year) * 12 + o.nominal.month
            assert months - previous.nominal.month == 1
            assert o.window_first_day == previous.due_date + ONE
        low = o.window_first_day or date.min
        repaid = [e for e in events if isinstance(e, RepaymentSettled)
                  and low <= to_jst(e.at).date() <= o.due_date]
        assert o.paid == sum(e.amount for e in repaid)
        advances = [e for e in events
                    if isinstance(e, AdvanceSettled) and to_jst(e.at).date() <= o.due_date]
        after_latest = oracle([e for e in events if e.at <= advances[-1].at],
                              to_jst(advances[-1].at).date())[0]
        assert o.table_minimum == minimum_by_table(after_latest)
        principal, interest, _ = oracle(events, o.due_date)
        assert o.required == min(o.table_minimum, o.paid + principal + interest)
        assert o.shortfall == max(0, o.required - o.paid)
        previous = o
    assert view.due.overdue == (view.due.arrears > 0)
    assert view.due.arrears <= sum(o.shortfall for o in outcomes)
    assert 0 <= view.due.minimum_due <= view.balances.payoff
    assert view.due.amount_to_lift <= view.balances.payoff


@settings(max_examples=examples(200), deadline=None)
@given(start=starts, steps=actions, tail=st.integers(30, 150))
def test_paying_the_amount_to_lift_lifts_and_a_yen_less_does_not(start: date, steps,  # type: ignore[no-untyped-def]
                                                                 tail: int) -> None:
    events, as_of, view = scenario(start, steps, tail)
    assume(view.due.overdue)
    late = datetime.combine(as_of, time(23, 59), JST)
    amount = view.due.amount_to_lift
    assert not replay([*events, RepaymentSettled(late, amount)], as_of).due.overdue
    if amount > MINIMUM_REPAYMENT:  # not raised to the floor: it is exactly what lifts it
        assert replay([*events, RepaymentSettled(late, amount - 1)], as_of).due.overdue


@given(p=st.integers(1, 6_000_000), extra=st.integers(0, 1_000_000))
def test_minimum_table_is_monotone_and_bounded(p: int, extra: int) -> None:
    assert minimum_by_table(p) <= minimum_by_table(p + extra)
    assert 4_000 <= minimum_by_table(p) <= 13_000 + 2_000 * (p // 100_000 + 1)
