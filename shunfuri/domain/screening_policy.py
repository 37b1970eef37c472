"""The application rules' own numbers (the spec's *ours*): defaults that settings may change.

The law's figures (総量規制, the income-proof thresholds, 利息制限法) are not here: they are
constants in `lending_act` and `rate_cap`, because no setting may move them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shunfuri.domain.applicants import EMPLOYMENTS
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP

ADULT_AGE = 18  # 民法第4条: nobody younger can be offered a contract, whatever the setting


@dataclass(frozen=True)
class ScreeningPolicy:
    min_age: int = 18  # Promise's published range, 18-74 inclusive
    max_age: int = 74
    declined_employments: frozenset[str] = field(
        default=frozenset({"pension_only", "unemployed"}))
    manual_review_other_count: int = 3  # this many other lenders or more: a person decides
    rate_bp: int = DEFAULT_RATE_BP  # the offer's rate, lowered to the legal cap if above it
    offer_valid_days: int = 14  # an approved offer not accepted within this many days expires
    documents_valid_days: int = 14  # so does a request for income proof left unanswered
    erase_after_days: int = 180  # a declined or expired application's personal fields

    def __post_init__(self) -> None:
        if not ADULT_AGE <= self.min_age <= self.max_age:
            raise ValueError(f"ages must satisfy {ADULT_AGE} <= min_age <= max_age")
        if not self.declined_employments <= frozenset(EMPLOYMENTS):
            raise ValueError("declined_employments names an unknown employment")
        if self.manual_review_other_count < 1:
            raise ValueError("manual_review_other_count must be at least 1")
        if not 0 <= self.rate_bp <= 2000:
            raise ValueError("rate_bp must be 0..2000 (20 % is the highest legal cap)")
        for days in (self.offer_valid_days, self.documents_valid_days, self.erase_after_days):
            if days < 1:
                raise ValueError("periods are at least one day")


DEFAULT_POLICY = ScreeningPolicy()
