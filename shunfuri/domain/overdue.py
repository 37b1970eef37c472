"""Overdue (延滞): an unmet due date, what lifts it, and the refusal a member then meets.

- At the end of a due date whose minimum was not met, the unpaid part of the minimum (the
  shortfall) is added to the member's **arrears**, and the member is overdue from the next
  day. Arrears of several unmet due dates add up.
- New transfers are refused with `repayment_overdue` while arrears remain; login still
  works so the member can repay. Staff suspension is another state, not touched here.
- "Paying the overdue minimum (plus interest due) lifts it at once": a repayment pays the
  interest due first (as every repayment does), and its principal part pays the arrears
  down. The arrears are cleared, and the overdue lifted, when the principal parts since
  cover them, or when nothing is owed any more. So the amount that lifts it in one
  repayment on a given day is `interest due that day + min(arrears, principal)`, told to
  the member as at least ¥1,000 (the smallest repayment) unless the payoff is less.
- A repayment made after a due date also counts toward the next due date's minimum, as
  the window rule says (repayments from the day after the previous due date).
"""

from __future__ import annotations

from datetime import date

from shunfuri.domain.repayment import asked_amount, payoff
from shunfuri.errors import ShunfuriError


def add_shortfall(arrears: int, required: int, paid_in_window: int) -> int:
    """Arrears after a due date closes with `paid_in_window` against `required`."""
    return arrears + max(0, required - paid_in_window)


def reduce_arrears(arrears: int, principal_paid: int, principal_after: int) -> int:
    """Arrears after a settled repayment whose principal part was `principal_paid`."""
    if principal_after == 0:
        return 0
    return max(0, arrears - principal_paid)


def amount_to_lift(arrears: int, principal: int, interest_due_today: int) -> int:
    """What one repayment today must be to lift the overdue, as the member is told it: the
    interest due (accrued through today) plus the arrears, raised to the ¥1,000 floor of a
    repayment unless that is more than the full payoff, which it never exceeds
    (`repayment.asked_amount`). 0 when not overdue.

    Raising it is safe: the extra yen pay more principal, which only pays the arrears down
    further; ¥653 owed on a payoff of ¥3,008 is told as ¥1,000, which is accepted."""
    if arrears <= 0:
        return 0
    return asked_amount(interest_due_today + min(arrears, principal),
                        payoff(principal, interest_due_today))


def overdue_refusal(amount_due: int, missed_due_date: date) -> ShunfuriError:
    """The `repayment_overdue` refusal of a new transfer: the amount that lifts it (from
    `amount_to_lift`), the due date first missed, and the remedy."""
    return ShunfuriError("repayment_overdue:missed", facts={"due": missed_due_date},
                         amount_due=amount_due, missed_due_date=missed_due_date.isoformat())
