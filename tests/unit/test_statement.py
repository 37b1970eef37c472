"""The month's statement: the month's lines with running balances, opening and closing
balances, the open period's interest shown through the month end, the due dates' outcomes."""

from __future__ import annotations

from datetime import date, datetime

from shunfuri.domain.instants import JST
from shunfuri.domain.ledger import AdvanceSettled, RepaymentSettled, replay
from shunfuri.domain.statement import statement


def d(text: str) -> date:
    return date.fromisoformat(text)


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


EVENTS = [
    AdvanceSettled(jst("2026-11-02T10:00"), 100_000, "t1"),
    RepaymentSettled(jst("2026-12-10T10:00"), 10_000, "r1"),
    AdvanceSettled(jst("2026-12-20T10:00"), 50_000, "t2"),
]


def test_november_the_first_advance_inside_its_free_days() -> None:
    nov = statement(EVENTS, 2026, 11, d("2027-01-15"))
    assert (nov.opening_principal, nov.opening_interest_due) == (0, 0)
    assert [(ln.kind, ln.ref, ln.amount) for ln in nov.lines] == [("advance", "t1", 100_000)]
    assert (nov.closing_principal, nov.closing_interest_due, nov.accruing) == (100_000, 0, 0)
    [due] = nov.due_outcomes
    assert (due.due_date, due.required, due.paid, due.shortfall) == (d("2026-11-25"), 4_000,
                                                                   0, 4_000)


def test_december_periods_repayment_and_advance_with_running_balances() -> None:
    dec = statement(EVENTS, 2026, 12, d("2027-01-15"))
    assert (dec.opening_principal, dec.opening_interest_due) == (100_000, 0)
    rows = [(ln.kind, ln.amount, ln.to_interest, ln.to_principal, ln.principal_after,
             ln.interest_due_after) for ln in dec.lines]
    assert rows == [
        ("interest", 0, 0, 0, 100_000, 0),          # 3 Nov .. 2 Dec: free
        ("interest", 390, 0, 0, 100_000, 390),      # 3 .. 10 Dec: 8 days
        ("repayment", 10_000, 390, 9_610, 90_390, 390 - 390),
        ("interest", 440, 0, 0, 90_390, 440),       # 11 .. 20 Dec: 10 days of 44.08
        ("advance", 50_000, 0, 50_000, 140_390, 440),
    ]
    assert [(ln.segment.start, ln.segment.end) for ln in dec.lines if ln.segment] == [
        (d("2026-11-03"), d("2026-12-02")), (d("2026-12-03"), d("2026-12-10")),
        (d("2026-12-11"), d("2026-12-20"))]
    # 21 .. 31 Dec on 140,390 yen, shown but not closed: 11 days of 68.46 -> 753
    assert (dec.closing_principal, dec.closing_interest_due, dec.accruing) == (140_390, 440, 753)
    assert dec.closing_payoff == 141_583
    [due] = dec.due_outcomes
    # 10 Dec is in the window 26 Nov .. 25 Dec: it met December's minimum (8,000 after the
    # 20 Dec advance) and, by its 9,610 of principal, lifted November's 4,000 of arrears.
    assert (due.due_date, due.table_minimum, due.paid, due.shortfall) == (
        d("2026-12-25"), 8_000, 10_000, 0)
    assert not replay(EVENTS, d("2027-01-15")).due.overdue


def test_the_current_month_runs_to_as_of_and_a_period_stays_open_across_months() -> None:
    jan = statement(EVENTS, 2027, 1, jst("2027-01-15T12:00"))
    assert jan.through == d("2027-01-15") and jan.lines == ()
    assert (jan.opening_principal, jan.opening_interest_due) == (140_390, 440)
    view = replay(EVENTS, d("2027-01-15"))
    assert jan.accruing == view.balances.accruing  # 21 Dec .. 15 Jan, split at the year end
    assert jan.accruing == 753 + 15 * 140_390 * 1780 // 3_650_000


def test_a_month_end_due_date_is_reported_in_its_month() -> None:
    events = [AdvanceSettled(jst("2026-11-02T10:00"), 100_000)]
    nov = statement(events, 2026, 11, d("2026-12-01"), due_day=31)
    assert [o.due_date for o in nov.due_outcomes] == [d("2026-11-30")]
    # not yet over on the day itself
    assert statement(events, 2026, 11, d("2026-11-30"), due_day=31).due_outcomes == ()
