"""The Money Lending Business Act's (貸金業法) numbers a credit line is judged by.

- Total volume control (総量規制, 第13条の2): everything a person owes money lenders may
  not exceed a third of their annual income. What is left for us is the *room*:
  `floor(income / 3) − other_balance`, never below 0.
- Income proof (第13条第3項; the spec cites 第13条の3, the ongoing review's article):
  needed when our limit would exceed ¥500,000, or our limit plus what the person owes
  other lenders would exceed ¥1,000,000. Exactly at either figure no proof is needed.
  Without proof we cap the limit so that none is needed: `min(500,000, 1,000,000 −
  other_balance)` (negative when the other balance alone is over ¥1,000,000: then no
  limit at all is possible without proof).

Whole yen everywhere. These are the law's figures, not ours, so they are constants.
"""

from __future__ import annotations

PROOF_OVER_LIMIT = 500_000
PROOF_OVER_TOTAL = 1_000_000


def _yen(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} is whole yen >= 0, got {value!r}")
    return value


def room(annual_income: int, other_balance: int) -> int:
    """総量規制の余力: what may still be lent to this person, never below 0."""
    third = _yen(annual_income, "annual income") // 3
    return max(0, third - _yen(other_balance, "other balance"))


def proof_required(credit_limit: int, other_balance: int) -> bool:
    """Whether a line of `credit_limit` needs income proof, given the other balance."""
    limit, other = _yen(credit_limit, "credit limit"), _yen(other_balance, "other balance")
    return limit > PROOF_OVER_LIMIT or limit + other > PROOF_OVER_TOTAL


def cap_without_proof(other_balance: int) -> int:
    """The largest limit that needs no income proof; below 0 when none exists."""
    return min(PROOF_OVER_LIMIT, PROOF_OVER_TOTAL - _yen(other_balance, "other balance"))
