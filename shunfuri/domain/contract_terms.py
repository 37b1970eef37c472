"""The terms a contract states (貸金業法第16条の2 契約締結前書面, 第17条 契約締結時書面):
the limit, the rate, how repayment works, the minimum table, the due day and the late
charge. One source for the page shown before acceptance and the mail sent after it.

- Repayment: 残高スライド元利定額リボルビング方式 - each month's minimum comes from the
  table by the principal right after the latest advance, and a repayment pays interest
  due first, then principal (`due_dates`, `repayment`).
- Late charge (遅延損害金): 20.0 % a year, the most 利息制限法第7条 allows a lender for
  business loans; a contract must state one. (The ledger does not charge it today: an
  overdue member is stopped from new advances and reminded, `overdue`.)
- The first advance is interest-free for 30 days (`interest.FREE_DAYS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shunfuri.domain import due_dates
from shunfuri.domain.interest import FREE_DAYS

LATE_CHARGE_BP = 2000
REPAYMENT_METHOD_JA = "残高スライド元利定額リボルビング方式"


@dataclass(frozen=True)
class Terms:
    credit_limit: int
    rate_bp: int
    due_day: int | None  # None until the applicant chooses one (the page before acceptance)
    late_charge_bp: int
    repayment_method_ja: str
    minimum_table: tuple[tuple[str, str], ...]  # (principal after the latest advance, minimum)
    interest_free_days: int


def terms_for(credit_limit: int, rate_bp: int, due_day: int | None = None) -> Terms:
    if due_day is not None:
        due_dates.check_due_day(due_day)
    return Terms(credit_limit=credit_limit, rate_bp=rate_bp, due_day=due_day,
                 late_charge_bp=LATE_CHARGE_BP, repayment_method_ja=REPAYMENT_METHOD_JA,
                 minimum_table=minimum_table(), interest_free_days=FREE_DAYS)


def minimum_table() -> tuple[tuple[str, str], ...]:
    """The minimum table as the contract words it, from `due_dates.MINIMUM_TABLE`."""
    rows = [(f"{bound // 10_000}万円以下", f"{minimum:,}円")
            for bound, minimum in due_dates.MINIMUM_TABLE]
    last_bound, last_minimum = due_dates.MINIMUM_TABLE[-1]
    rows.append((f"{last_bound // 10_000}万円超",
                 f"{last_minimum:,}円に、{last_bound // 10_000}万円を超える"
                 f"{due_dates.ABOVE_STEP // 10_000}万円ごと（端数も含む）に"
                 f"{due_dates.ABOVE_EXTRA:,}円を加えた額"))
    return tuple(rows)


def due_day_ja(due_day: int) -> str:
    """5 -> 毎月5日, 31 -> 毎月末日 (a due date that is not a bank business day moves to
    the next one)."""
    due_dates.check_due_day(due_day)
    return "毎月末日" if due_day == due_dates.MONTH_END else f"毎月{due_day}日"


def percent_ja(rate_bp: int) -> str:
    """1780 -> 17.8%, 2000 -> 20.0%."""
    return f"{rate_bp / 100:.1f}%"
