"""お試し診断: a quick yes/no before applying, from three figures and nothing else.

Eligible when the age on today's JST day is within the policy's range, the income is at
least ¥1 and the room (総量規制) is at least ¥10,000, the smallest line we offer. The
answer is one bool on purpose: the edge shows one of two fixed sentences
(`shunfuri.messages.ELIGIBILITY_JA`) and never says which figure failed. The bureau is
not asked and nothing is kept: this is the applicant's own estimate.
"""

from __future__ import annotations

from datetime import date

from shunfuri.domain import lending_act
from shunfuri.domain.age import age_within
from shunfuri.domain.applicants import MIN_CREDIT_LIMIT
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy


def eligible(
    birth_date: date, annual_income: int, other_borrowing: int, today: date,
    policy: ScreeningPolicy = DEFAULT_POLICY,
) -> bool:
    """`today` is the JST calendar day (`age.jst_day(now)`)."""
    return (
        age_within(birth_date, today, policy.min_age, policy.max_age)
        and annual_income >= 1
        and lending_act.room(annual_income, other_borrowing) >= MIN_CREDIT_LIMIT
    )
