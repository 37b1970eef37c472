"""Amounts and credit: whole yen in steps, and what a member may still draw."""

from __future__ import annotations

from shunfuri.errors import ShunfuriError

# The rules' largest credit line (spec rules.md "Credit limits go up to 5,000,000 yen").
MAX_CREDIT_LIMIT = 5_000_000

# Far above any credit line (limits stop at MAX_CREDIT_LIMIT); a bound so that an absurd
# integer is refused as an amount instead of travelling into the database.
MAX_AMOUNT = 10**15


def validate_amount(amount: int, *, minimum: int = 1000, step: int = 1000) -> int:
    """Return `amount` if it is whole yen, >= minimum and a multiple of step.

    `bool` is an `int` in Python; `True` is not an amount, so it is refused explicitly.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ShunfuriError("invalid_amount")
    if amount < minimum or amount > MAX_AMOUNT or amount % step != 0:
        raise ShunfuriError("invalid_amount")
    return amount


def available(credit_limit: int, outstanding: int, held: int) -> int:
    """What the member can still draw: limit - outstanding - held, exactly as the rules say.

    Never negative: staff cannot lower a limit below what is in use
    (`members.set_credit_limit`), and the database's `within_limit` check refuses any
    row where outstanding + held exceeds the limit.
    """
    return credit_limit - outstanding - held
