"""A repayment: what it may be, and how it splits into interest and principal.

- The full payoff amount (完済金額) for a day is `principal + interest_due` with interest
  accrued up to and including that day (see `interest.accrued_interest`).
- A repayment above it is refused (`repayment_too_large`), nothing taken; with nothing owed
  at all, `nothing_to_repay`.
- Any whole-yen amount >= ¥1,000 is accepted at any time, and so is the full payoff
  whatever its yen (¥873 clears a balance of ¥873); anything else is
  `invalid_repayment_amount`.
- Settled, it pays `interest_due` first, then `principal` (`allocate`); the principal part
  returns to `available` at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from shunfuri.errors import ShunfuriError

MINIMUM_REPAYMENT = 1000


@dataclass(frozen=True)
class Allocation:
    """How one repayment was applied; `interest + principal == amount`, always."""

    amount: int
    interest: int
    principal: int


def payoff(principal: int, interest_due: int) -> int:
    """The full payoff amount: everything owed, given interest accrued through the day."""
    if principal < 0 or interest_due < 0:
        raise ValueError("balances are never negative")
    return principal + interest_due


def asked_amount(owed: int, payoff_today: int) -> int:
    """What to tell a member to pay for `owed` yen (a minimum still due, the amount that
    lifts an overdue): never below the ¥1,000 floor of a repayment unless that is the
    whole payoff, never above the payoff; 0 when nothing is owed. Paying it pays at least
    `owed` (or everything), so it still meets what it was shown for, and
    `check_repayment_amount` always accepts it."""
    if owed <= 0 or payoff_today <= 0:
        return 0
    return min(max(owed, MINIMUM_REPAYMENT), payoff_today)


def check_repayment_amount(amount: int, payoff_today: int) -> int:
    """Return `amount` if a member may repay it now, when the full payoff is `payoff_today`.

    Checked when the repayment is asked for; the same amount can still be settled a day
    later, when the payoff has grown by a day's interest.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ShunfuriError("invalid_repayment_amount", payoff_today=payoff_today)
    if payoff_today <= 0:
        raise ShunfuriError("nothing_to_repay", payoff_today=0)
    if amount > payoff_today:
        raise ShunfuriError("repayment_too_large:amount", facts={"amount": amount},
                            payoff_today=payoff_today)
    if amount < MINIMUM_REPAYMENT and amount != payoff_today:
        raise ShunfuriError("invalid_repayment_amount:below_minimum",
                            facts={"minimum": MINIMUM_REPAYMENT}, payoff_today=payoff_today)
    return amount


def allocate(amount: int, interest_due: int, principal: int) -> Allocation:
    """Split a settled repayment: interest due first, then principal.

    `interest_due` must already include the interest accrued through the repayment's day.
    An amount above the payoff is a broken caller (it was refused at request time), so it
    raises instead of inventing an overpayment.
    """
    if amount <= 0 or interest_due < 0 or principal < 0:
        raise ValueError("allocate needs amount > 0 and balances >= 0")
    if amount > interest_due + principal:
        raise ValueError(f"repayment {amount} exceeds the payoff {interest_due + principal}")
    to_interest = min(amount, interest_due)
    return Allocation(amount=amount, interest=to_interest, principal=amount - to_interest)
