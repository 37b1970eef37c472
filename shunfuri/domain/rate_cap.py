"""The Interest Rate Restriction Act (利息制限法) cap on a member's annual rate.

For a revolving line the credit limit decides the cap: 20 % below ¥100,000, 18 % from
¥100,000 to below ¥1,000,000, 15 % from ¥1,000,000. Rates are whole basis points
(1780 = 17.8 %). A rate equal to the cap is lawful; one basis point more is not.

Two staff actions can break the cap, so both are checked here: setting a rate
(`check_rate`) and changing a limit while the rate stays (`check_limit_change`; raising a
limit across ¥100,000 or ¥1,000,000 lowers the cap).
"""

from __future__ import annotations

from shunfuri.errors import ShunfuriError

DEFAULT_RATE_BP = 1780

# (limit from which the cap applies, cap in basis points), highest limit first.
_CAPS = ((1_000_000, 1500), (100_000, 1800), (0, 2000))


def cap_bp(credit_limit: int) -> int:
    """The legal maximum annual rate, in basis points, for a line of `credit_limit` yen."""
    if isinstance(credit_limit, bool) or not isinstance(credit_limit, int) or credit_limit < 0:
        raise ValueError(f"a credit limit is whole yen >= 0, got {credit_limit!r}")
    for threshold, cap in _CAPS:
        if credit_limit >= threshold:
            return cap
    raise AssertionError("unreachable: the last threshold is 0")


def check_rate(rate_bp: int, credit_limit: int) -> int:
    """Return `rate_bp` if staff may set it for a line of `credit_limit` yen, else refuse.

    Refusals: `invalid_rate` (not a whole number of basis points >= 0) and
    `rate_above_legal_cap` (with `cap_bp`).
    """
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or rate_bp < 0:
        raise ShunfuriError("invalid_rate")
    cap = cap_bp(credit_limit)
    if rate_bp > cap:
        raise ShunfuriError(
            "rate_above_legal_cap:limit", cap_bp=cap,
            facts={"credit_limit": credit_limit, "cap_percent": _percent(cap)},
        )
    return rate_bp


def check_limit_change(new_limit: int, rate_bp: int) -> int:
    """Return `new_limit` if the member's current `rate_bp` stays within its cap, else refuse
    with `limit_needs_lower_rate` (with `cap_bp` and `rate_bp`)."""
    cap = cap_bp(new_limit)
    if rate_bp > cap:
        raise ShunfuriError(
            "limit_needs_lower_rate:limit", cap_bp=cap, rate_bp=rate_bp,
            facts={"new_limit": new_limit, "cap_percent": _percent(cap),
                   "rate_percent": _percent(rate_bp)},
        )
    return new_limit


def _percent(bp: int) -> str:
    """1780 -> '17.8', 2000 -> '20', 1525 -> '15.25' (exact: basis points are integers)."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
