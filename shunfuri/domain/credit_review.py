"""Ongoing review (途上与信): when a member's line must stop taking new advances.

The article: use stops when other lenders' balances grow, credit information worsens or
income falls. The rule: a line whose limit, added to what the person owes other lenders,
exceeds a third of their income is over the total-volume limit (総量規制); a bureau's
adverse record (異動) is the other reason. Either one → the `credit_review` suspension
(極度方式貸付けの抑制, 貸金業法 第13条の4): no new advances, while a repayment already in
flight completes. It is lifted by a screener, judging a fresh bureau answer, once
`suspension_reasons` is empty again; never on its own.

How often: every calendar month (ours). The law's minimum is less: 第13条の3 asks for a
bureau check for each period of at most three months in which the member borrowed more
than ¥50,000 and at whose end they owe more than ¥100,000 (`law_requires_check`). A
monthly review of every member with a balance covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shunfuri.errors import ShunfuriError


def stopped_refusal() -> ShunfuriError:
    """A new advance refused because the review stopped the line: the spec's
    `account_suspended` (利用停止), in words that say what still works and whom to ask -
    never why (`account_suspended:credit_review` in the catalogue)."""
    return ShunfuriError("account_suspended:credit_review", suspension=SUSPENSION)


OVER_TOTAL_VOLUME = "over_total_volume"
BUREAU_DELINQUENT = "bureau_delinquent"
SUSPENSION = "credit_review"  # the kind of suspension this review sets

LAW_PERIOD_MONTHS = 3
LAW_ADVANCED_OVER = 50_000
LAW_OWED_OVER = 100_000


@dataclass(frozen=True)
class ReviewPolicy:
    interval_months: int = 1  # ours: review each member with a balance every month

    def __post_init__(self) -> None:
        if not 1 <= self.interval_months <= LAW_PERIOD_MONTHS:
            raise ValueError(f"review at least every {LAW_PERIOD_MONTHS} months (the law)")


DEFAULT_REVIEW_POLICY = ReviewPolicy()


def suspension_reasons(
    *, credit_limit: int, other_balance: int, annual_income: int, delinquent: bool,
) -> tuple[str, ...]:
    """Every reason the line must stop now, graver first; empty when it may run (or be
    lifted). `other_balance` and `delinquent` are the bureau's latest answer."""
    reasons = []
    if delinquent:
        reasons.append(BUREAU_DELINQUENT)
    if credit_limit + other_balance > annual_income // 3:
        reasons.append(OVER_TOTAL_VOLUME)
    return tuple(reasons)


def due_for_review(
    last_reviewed_on: date | None, today: date, policy: ReviewPolicy = DEFAULT_REVIEW_POLICY,
) -> bool:
    """Whether a member last reviewed on that JST day is due on `today` (JST): counted in
    calendar months, so two beats in one month review a member once."""
    if last_reviewed_on is None:
        return True
    months = (today.year - last_reviewed_on.year) * 12 + today.month - last_reviewed_on.month
    return months >= policy.interval_months


def review_month(today: date) -> date:
    """The key of the periodic review opened on `today` (JST): its calendar month's first
    day. One review per member per key, so two beats in a month open one."""
    return today.replace(day=1)


def reviewed_recently_from(today: date, policy: ReviewPolicy = DEFAULT_REVIEW_POLICY) -> date:
    """The first month whose review still counts on `today`: a member with a periodic
    review keyed on this month or later is not due (`due_for_review` in one comparison,
    so the database can select the due members)."""
    months = today.year * 12 + today.month - 1 - (policy.interval_months - 1)
    return date(months // 12, months % 12 + 1, 1)


def highest_limit_within(*, other_balance: int, annual_income: int) -> int:
    """The largest credit limit the total-volume rule allows beside `other_balance` (0
    when none): what a supervisor may lower a line to so that it holds again."""
    return max(0, annual_income // 3 - other_balance)


def law_requires_check(advanced_in_period: int, owed_at_end: int) -> bool:
    """The law's own trigger for a three-month period (for documentation and audits)."""
    return advanced_in_period > LAW_ADVANCED_OVER and owed_at_end > LAW_OWED_OVER
