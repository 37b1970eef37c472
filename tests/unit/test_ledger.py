"""The ledger replay against the spec's words, one rule a test, with hand-worked yen."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shunfuri import catalogue
from shunfuri.domain.instants import JST
from shunfuri.domain.ledger import (
    AdvanceSettled,
    DueDayChanged,
    LedgerState,
    RateChanged,
    RepaymentSettled,
    replay,
)
from shunfuri.domain.overdue import overdue_refusal

DAY = 100_000 * 1780 / 3_650_000  # 48.767... yen a day on 100,000 yen at 17.8 %


def d(text: str) -> date:
    return date.fromisoformat(text)


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def adv(when: str, amount: int, ref: str = "") -> AdvanceSettled:
    return AdvanceSettled(jst(when), amount, ref)


def rep(when: str, amount: int, ref: str = "") -> RepaymentSettled:
    return RepaymentSettled(jst(when), amount, ref)


# A member whose first advance (and its free days) is long past, for the plain rules.
PAST = [adv("2026-01-05T10:00", 1_000), rep("2026-01-06T10:00", 1_000)]


def test_settled_1_december_accrues_from_2_december_repayment_pays_through_its_day() -> None:
    events = [*PAST, adv("2026-12-01T12:00", 100_000), rep("2026-12-02T09:00", 10_000)]
    view = replay(events, d("2026-12-02"))
    repayment = view.lines[-1]
    assert (repayment.to_interest, repayment.to_principal) == (48, 9_952)  # exactly one day
    assert view.balances.principal == 90_048 and view.balances.interest_due == 0
    assert view.balances.accrued_through == d("2026-12-02")


def test_a_day_is_a_jst_day() -> None:
    # 15:30 UTC on 1 Dec is 00:30 JST on 2 Dec: the advance settled on 2 Dec.
    events = [*PAST, AdvanceSettled(datetime(2026, 12, 1, 15, 30, tzinfo=UTC), 100_000),
              rep("2026-12-02T09:00", 10_000)]
    assert replay(events, d("2026-12-02")).lines[-1].to_interest == 0


def test_display_accrual_closes_nothing() -> None:
    events = [*PAST, adv("2026-12-01T12:00", 100_000)]
    view = replay(events, d("2026-12-31"))
    assert view.balances.interest_due == 0 and view.balances.accrued_through == d("2026-12-01")
    assert view.balances.accruing == int(30 * DAY) == 1_463
    assert view.balances.payoff == 101_463
    # the 30 days, closed once by a repayment, give the same yen
    closed = replay([*events, rep("2026-12-31T10:00", 101_463)], d("2026-12-31"))
    assert closed.balances.payoff == 0


@pytest.mark.parametrize(("repaid", "interest"), [("2026-12-02", 0), ("2026-12-03", 48)])
def test_30th_day_free_31st_day_charged(repaid: str, interest: int) -> None:
    # First advance settled 2 Nov: free 3 Nov .. 2 Dec (the 30th day), charged from 3 Dec.
    events = [adv("2026-11-02T10:00", 100_000), rep(f"{repaid}T10:00", 5_000)]
    assert replay(events, d(repaid)).lines[-1].to_interest == interest


def test_a_second_advance_inside_the_free_days_is_free_until_they_end() -> None:
    events = [adv("2026-11-02T10:00", 100_000), adv("2026-11-20T10:00", 100_000),
              rep("2026-12-03T10:00", 5_000)]
    # 21 Nov .. 2 Dec free; 3 Dec charged on 200,000 yen
    assert replay(events, d("2026-12-03")).lines[-1].to_interest == 97


def test_every_principal_change_and_repayment_closes_a_period() -> None:
    events = [*PAST, adv("2026-12-01T10:00", 100_000), adv("2026-12-11T10:00", 100_000),
              rep("2026-12-21T10:00", 20_000)]
    view = replay(events, d("2026-12-21"))
    periods = [(ln.segment.start, ln.segment.end, ln.segment.principal, ln.amount)
               for ln in view.lines if ln.kind == "interest" and ln.day >= d("2026-12-01")]
    assert periods == [
        (d("2026-12-02"), d("2026-12-11"), 100_000, 487),  # 10 days: 487.67
        (d("2026-12-12"), d("2026-12-21"), 200_000, 975),  # 10 days: 975.34
    ]
    assert view.lines[-1].to_interest == 487 + 975


def test_a_rate_change_on_day_d_applies_from_d_plus_1() -> None:
    events = [*PAST, adv("2026-12-01T10:00", 1_000_000), RateChanged(jst("2026-12-11T10:00"), 1500),
              rep("2026-12-21T10:00", 100_000)]
    view = replay(events, d("2026-12-21"))
    interest = [ln.amount for ln in view.lines if ln.kind == "interest" and ln.day >= d("2026-12-01")]
    assert interest == [1_000_000 * 1780 * 10 // 3_650_000, 1_000_000 * 1500 * 10 // 3_650_000]
    assert interest == [4_876, 4_109]


def test_leap_day_in_the_ledger() -> None:
    events = [*PAST, adv("2028-02-28T10:00", 1_000_000), rep("2028-03-01T10:00", 100_000)]
    assert replay(events, d("2028-03-01")).lines[-1].to_interest == 1_000_000 * 1780 * 2 // 3_660_000


def test_a_period_crossing_31_december_is_two_lines_in_the_statement_of_january() -> None:
    events = [*PAST, adv("2026-12-21T10:00", 150_000), rep("2027-01-10T10:00", 10_000)]
    view = replay(events, d("2027-01-10"))
    last = [ln for ln in view.lines if ln.day == d("2027-01-10")]
    assert [(ln.kind, ln.amount) for ln in last] == [("interest", 731), ("interest", 731),
                                                  ("repayment", 10_000)]
    assert [ln.segment.year_days for ln in last[:2]] == [365, 365]
    assert last[-1].to_interest == 1_462  # unsplit 20 days would be 1,463


def test_never_compound_interest_is_charged_on_principal_only() -> None:
    events = [*PAST, adv("2026-03-01T10:00", 100_000), adv("2026-06-01T10:00", 1_000),
              adv("2026-09-01T10:00", 1_000), rep("2026-12-01T10:00", 1_000)]
    view = replay(events, d("2026-12-01"))
    bases = [ln.segment.principal for ln in view.lines if ln.kind == "interest"]
    assert bases[-3:] == [100_000, 101_000, 102_000]  # interest due never joins the base


def test_statement_lines_carry_running_balances() -> None:
    events = [adv("2026-11-02T10:00", 100_000), rep("2026-12-10T10:00", 10_000)]
    view = replay(events, d("2026-12-10"))
    assert [(ln.kind, ln.amount, ln.principal_after, ln.interest_due_after) for ln in view.lines] == [
        ("advance", 100_000, 100_000, 0),
        ("interest", 0, 100_000, 0),      # 3 Nov .. 2 Dec, free
        ("interest", 390, 100_000, 390),  # 3 Dec .. 10 Dec, 8 days: 390.1
        ("repayment", 10_000, 90_390, 0),
    ]


# -- due dates, minimum and overdue -----------------------------------------------------

FIRST = [adv("2026-11-02T10:00", 100_000, "t1")]  # first due date: 25 Nov (23 days later)


def test_not_overdue_on_the_due_date_overdue_from_the_next_day() -> None:
    on_due = replay(FIRST, d("2026-11-25"))
    assert on_due.due.next_due_date == d("2026-11-25") and on_due.due.minimum_due == 4_000
    assert not on_due.due.overdue
    late = replay(FIRST, d("2026-11-26"))
    assert late.due.overdue and late.due.overdue_since == d("2026-11-26")
    assert late.due.missed_due_date == d("2026-11-25") and late.due.arrears == 4_000
    assert late.due.next_due_date == d("2026-12-25")
    [outcome] = late.due.outcomes
    assert (outcome.required, outcome.paid, outcome.shortfall) == (4_000, 0, 4_000)
    # still inside the free days: nothing accrued, so 4,000 lifts it
    assert late.due.amount_to_lift == 4_000


def test_a_repayment_on_the_due_date_counts_one_the_next_day_does_not() -> None:
    assert not replay([*FIRST, rep("2026-11-25T23:59", 4_000)], d("2026-11-26")).due.overdue
    late = replay([*FIRST, rep("2026-11-26T00:00", 4_000)], d("2026-11-26"))
    assert not late.due.overdue  # paid on the first overdue day: lifted at once
    assert late.due.outcomes[0].shortfall == 4_000
    assert late.due.paid_toward_next == 4_000  # and it counts toward December's minimum


def test_partial_payments_in_the_window_add_up() -> None:
    events = [*FIRST, rep("2026-11-10T10:00", 1_000), rep("2026-11-20T10:00", 3_000)]
    view = replay(events, d("2026-11-26"))
    assert not view.due.overdue and view.due.outcomes[0].paid == 4_000


def test_paying_the_overdue_minimum_plus_interest_due_lifts_it() -> None:
    # First advance 2 Nov; nothing paid by 25 Nov or 25 Dec: arrears 4,000 + 4,000.
    as_of = d("2026-12-28")
    view = replay(FIRST, as_of)
    assert view.due.arrears == 8_000
    # free until 2 Dec; 3 Dec .. 28 Dec is 26 days: 1,267.9 -> 1,267
    assert view.balances.interest_due_today == 1_267
    assert view.due.amount_to_lift == 9_267
    short = replay([*FIRST, rep("2026-12-28T10:00", 9_266)], as_of)
    assert short.due.overdue and short.due.arrears == 1
    lifted = replay([*FIRST, rep("2026-12-28T10:00", 9_267)], as_of)
    assert not lifted.due.overdue and lifted.due.arrears == 0
    assert lifted.lines[-1].to_interest == 1_267 and lifted.lines[-1].to_principal == 8_000


def test_lifting_in_two_repayments() -> None:
    events = [*FIRST, rep("2026-12-28T10:00", 5_000), rep("2026-12-29T10:00", 4_267)]
    view = replay(events, d("2026-12-29"))
    # the first pays 1,267 interest and 3,733 of the arrears; the second a day's interest
    # on 96,267 yen (46) and 4,221 more: 46 yen of arrears are left.
    assert view.lines[-1].to_interest == 46
    assert view.due.overdue and view.due.arrears == 8_000 - 3_733 - 4_221 == 46


def test_the_full_payoff_lifts_whatever_the_arrears() -> None:
    view = replay(FIRST, d("2027-02-01"))
    events = [*FIRST, rep("2027-02-01T10:00", view.balances.payoff)]
    paid = replay(events, d("2027-02-01"))
    assert not paid.due.overdue and paid.balances.payoff == 0
    # nothing owed: later due dates require nothing
    after = replay(events, d("2027-03-26"))
    assert not after.due.overdue and after.due.minimum_due == 0
    assert after.due.outcomes[-1].due_date == d("2027-03-25")
    assert (after.due.outcomes[-1].required, after.due.outcomes[-1].paid) == (0, 0)


def test_minimum_is_capped_by_the_payoff() -> None:
    events = [*PAST, adv("2026-11-02T10:00", 3_000)]  # first due 25 Jan 2026 is long over
    view = replay(events, d("2026-11-25"))
    assert view.due.next_due_date == d("2026-11-25")
    # 3,000 yen for 23 days at 17.8 %: 33.6 -> 33 yen; payoff 3,033 < 4,000
    assert view.balances.payoff == 3_033 and view.due.minimum_due == 3_033


def test_minimum_follows_the_principal_right_after_the_latest_advance() -> None:
    events = [*FIRST, adv("2026-11-10T10:00", 150_000), rep("2026-11-11T10:00", 60_000)]
    view = replay(events, d("2026-11-11"))
    # principal after the latest advance was 250,000 (-> 11,000), even if now 190,000
    assert view.due.table_minimum == 11_000 and view.due.minimum_due == 0


def test_due_date_on_a_holiday_moves_and_its_window_with_it() -> None:
    # due day 5; first advance 20 Apr 2026 -> first due 5 May (a holiday) -> 7 May
    events = [adv("2026-04-20T10:00", 100_000)]
    assert replay(events, d("2026-04-21"), due_day=5).due.next_due_date == d("2026-05-07")
    paid_on_7 = replay([*events, rep("2026-05-07T18:00", 4_000)], d("2026-05-08"), due_day=5)
    assert not paid_on_7.due.overdue
    assert replay(events, d("2026-05-08"), due_day=5).due.overdue


def test_month_end_due_in_the_year_end_closure() -> None:
    events = [adv("2026-12-01T10:00", 100_000)]
    view = replay(events, d("2026-12-31"), due_day=31)
    assert view.due.next_due_date == d("2027-01-04")  # 31 Dec is in the closure
    assert not replay([*events, rep("2027-01-04T10:00", 4_000)], d("2027-01-05"),
                      due_day=31).due.overdue
    late = replay(events, d("2027-01-05"), due_day=31)
    assert late.due.overdue and late.due.next_due_date == d("2027-02-01")  # 31 Jan: Sunday


def test_month_end_due_in_february_of_a_leap_year() -> None:
    events = [adv("2028-01-10T10:00", 100_000)]  # 24 Jan + 14 days: 31 Jan (a Monday)
    assert replay(events, d("2028-01-11"), due_day=31).due.next_due_date == d("2028-01-31")
    view = replay([*events, rep("2028-01-31T10:00", 4_000)], d("2028-02-01"), due_day=31)
    assert view.due.next_due_date == d("2028-02-29")


def test_a_due_day_change_keeps_the_pending_due_date() -> None:
    events = [*FIRST, DueDayChanged(jst("2026-11-10T10:00"), 5), rep("2026-11-20T10:00", 4_000)]
    view = replay(events, d("2026-11-20"))
    assert view.due.next_due_date == d("2026-11-25") and view.due.pending_due_day == 5
    after = replay(events, d("2026-11-26"))
    # at least 14 days after 25 Nov: 5 Dec is 10 days, so 5 Jan 2027
    assert after.due.due_day == 5 and after.due.next_due_date == d("2027-01-05")


def test_a_due_day_change_before_the_first_advance_sets_the_first_due_date() -> None:
    events = [DueDayChanged(jst("2026-10-01T10:00"), 15), adv("2026-11-01T10:00", 100_000)]
    # 15 Nov is exactly 14 days later, a Sunday: due on Monday 16 Nov
    assert replay(events, d("2026-11-03")).due.next_due_date == d("2026-11-16")


def test_changing_back_cancels_a_pending_change() -> None:
    events = [*FIRST, DueDayChanged(jst("2026-11-10T10:00"), 5),
              DueDayChanged(jst("2026-11-11T10:00"), 25)]
    assert replay(events, d("2026-11-26")).due.next_due_date == d("2026-12-25")


def test_the_overdue_refusal_says_the_amount_and_the_remedy() -> None:
    view = replay(FIRST, d("2026-12-28"))
    error = overdue_refusal(view.due.amount_to_lift, view.due.missed_due_date)
    body = catalogue.problem(error)
    assert (body["code"], body["status"]) == ("repayment_overdue", 409)
    assert body["amount_due"] == 9_267 and body["missed_due_date"] == "2026-11-25"
    assert "9,267円" in body["detail_ja"] and "インターネット返済" in body["detail_ja"]
    assert "11月25日" in body["detail_ja"]


# -- replay mechanics ------------------------------------------------------------------


def test_replay_orders_events_and_cuts_at_an_instant() -> None:
    events = [rep("2026-12-10T10:00", 10_000), adv("2026-11-02T10:00", 100_000)]
    assert replay(events, jst("2026-12-10T09:59")).balances.principal == 100_000
    assert replay(events, jst("2026-12-10T10:00")).balances.principal == 90_390


def test_a_repayment_above_the_payoff_breaks_the_replay() -> None:
    with pytest.raises(ValueError):
        replay([adv("2026-11-02T10:00", 1_000), rep("2026-11-03T10:00", 1_001)], d("2026-11-03"))


def test_the_state_can_be_driven_event_by_event() -> None:
    state = LedgerState()
    for event in [*FIRST, rep("2026-12-10T10:00", 10_000)]:
        state.apply(event)
    state.pass_due_dates(d("2026-12-28"))
    assert state.view(d("2026-12-28")) == replay(
        [*FIRST, rep("2026-12-10T10:00", 10_000)], d("2026-12-28"))
    with pytest.raises(ValueError):
        state.apply(rep("2026-12-01T10:00", 1_000))  # older than what was applied


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replay([AdvanceSettled(datetime(2026, 11, 2, 10, 0), 1_000)], d("2026-11-03"))
