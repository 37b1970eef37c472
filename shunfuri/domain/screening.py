"""Screening an application: the spec's six rules, in order, the first that applies decides.

1. Age outside the policy's range on the application's JST day, a declined employment
   (無職 / 年金のみ), or income below ¥1 → declined. (`before_bureau` is this rule alone:
   the worker runs it before asking the bureau, so nobody is looked up for nothing.)
2. The bureau reports an adverse record → declined. From here the other balance and
   count are the larger of the bureau's and the applicant's own figures.
3. Room (総量規制) below ¥10,000 → declined.
4. No income proof and a no-proof cap below ¥10,000 → documents needed.
5. As many other lenders as the policy's count or more → manual review.
6. Otherwise approved: min(requested, room, the no-proof cap unless proof was given),
   rounded down to ¥10,000, at the policy's rate lowered to the 利息制限法 cap.

A bureau that is down or slow is not an answer: the caller has no `BureauAnswer` and
decides nothing (it waits and asks again). Decisions carry codes, never sentences.

Why a limit below ¥10,000 cannot come out of rule 6: the requested limit is at least
¥10,000 (`Applicant`), rule 3 leaves room of at least ¥10,000 and rule 4 a cap of at least
¥10,000, so their minimum rounds down to ¥10,000 or more. The requested limit is at most
¥5,000,000 (the rules' largest line), so no offer exceeds that either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shunfuri.domain import lending_act
from shunfuri.domain.age import age_within
from shunfuri.domain.applicants import LIMIT_STEP, MIN_CREDIT_LIMIT, PROOF_KINDS, Applicant
from shunfuri.domain.rate_cap import cap_bp
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy

# Reason codes, with the rule that gives them.
AGE_OUT_OF_RANGE = "age_out_of_range"  # rule 1
EMPLOYMENT_NOT_ELIGIBLE = "employment_not_eligible"  # rule 1
NO_INCOME = "no_income"  # rule 1
BUREAU_DELINQUENT = "bureau_delinquent"  # rule 2
OVER_TOTAL_VOLUME = "over_total_volume"  # rule 3 (総量規制)
INCOME_PROOF_REQUIRED = "income_proof_required"  # rule 4
MANY_OTHER_LENDERS = "many_other_lenders"  # rule 5
RULE_OF = {AGE_OUT_OF_RANGE: 1, EMPLOYMENT_NOT_ELIGIBLE: 1, NO_INCOME: 1, BUREAU_DELINQUENT: 2,
           OVER_TOTAL_VOLUME: 3, INCOME_PROOF_REQUIRED: 4, MANY_OTHER_LENDERS: 5}


@dataclass(frozen=True)
class BureauAnswer:
    """What the credit bureau reports. A person it has no record of: `NO_RECORD`."""

    other_balance: int
    other_count: int
    delinquent: bool

    def __post_init__(self) -> None:
        for value in (self.other_balance, self.other_count):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("the bureau's balance and count are whole numbers >= 0")


NO_RECORD = BureauAnswer(other_balance=0, other_count=0, delinquent=False)


@dataclass(frozen=True)
class Offer:
    credit_limit: int
    rate_bp: int


@dataclass(frozen=True)
class Declined:
    status: ClassVar[str] = "declined"
    reason: str


@dataclass(frozen=True)
class DocumentsNeeded:
    """Income proof is needed; `kinds` are the documents that serve, the likeliest first."""

    status: ClassVar[str] = "documents_needed"
    kinds: tuple[str, ...]
    reason: str = INCOME_PROOF_REQUIRED


@dataclass(frozen=True)
class ManualReview:
    status: ClassVar[str] = "manual_review"
    reason: str


@dataclass(frozen=True)
class Approved:
    status: ClassVar[str] = "approved"
    offer: Offer


Decision = Declined | DocumentsNeeded | ManualReview | Approved


@dataclass(frozen=True)
class Figures:
    """The numbers rules 3-6 judge, for the decision and for the screener's page."""

    income: int  # the proof's when given, else the declared
    other_balance: int  # the larger of the bureau's and the declared
    other_count: int  # likewise
    room: int  # 総量規制の余力
    cap_without_proof: int | None  # None: proof was given, nothing caps the line


def figures(applicant: Applicant, bureau: BureauAnswer) -> Figures:
    other_balance = max(bureau.other_balance, applicant.other_balance)
    proof_given = applicant.income_proof is not None
    return Figures(
        income=applicant.income,
        other_balance=other_balance,
        other_count=max(bureau.other_count, applicant.other_count),
        room=lending_act.room(applicant.income, other_balance),
        cap_without_proof=None if proof_given else lending_act.cap_without_proof(other_balance),
    )


def before_bureau(
    applicant: Applicant, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> Declined | None:
    """Rule 1. None: nothing decided yet, ask the bureau."""
    if not age_within(applicant.birth_date, applicant.applied_on, policy.min_age, policy.max_age):
        return Declined(AGE_OUT_OF_RANGE)
    if applicant.employment in policy.declined_employments:
        return Declined(EMPLOYMENT_NOT_ELIGIBLE)
    if applicant.income < 1:
        return Declined(NO_INCOME)
    return None


def decide(
    applicant: Applicant, bureau: BureauAnswer, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> Decision:
    """Rules 1-6 in order, given the bureau's answer."""
    early = _rules_1_to_4(applicant, bureau, policy)
    if not isinstance(early, Figures):
        return early
    if early.other_count >= policy.manual_review_other_count:
        return ManualReview(MANY_OTHER_LENDERS)
    return Approved(_rule_6(applicant, early, policy))


def screener_maximum(
    applicant: Applicant, bureau: BureauAnswer, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> Offer | None:
    """The most a screener may approve: rule 6's offer, as if rule 5 had not applied.
    None when rules 1-4 leave nothing to approve (a person may not overrule them)."""
    early = _rules_1_to_4(applicant, bureau, policy)
    return _rule_6(applicant, early, policy) if isinstance(early, Figures) else None


def offer_rate_bp(credit_limit: int, policy: ScreeningPolicy = DEFAULT_POLICY) -> int:
    """The policy's rate, lowered to the 利息制限法 cap for this limit."""
    return min(policy.rate_bp, cap_bp(credit_limit))


def screener_offer(
    credit_limit: int, maximum: Offer | None, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> Offer | None:
    """The offer for the limit a screener chose, or None when the rules do not allow that
    limit: above `maximum`, nothing allowed at all, below ¥10,000 or not in its steps."""
    if isinstance(credit_limit, bool) or not isinstance(credit_limit, int):
        return None
    if maximum is None or not MIN_CREDIT_LIMIT <= credit_limit <= maximum.credit_limit:
        return None
    if credit_limit % LIMIT_STEP:
        return None
    return Offer(credit_limit, offer_rate_bp(credit_limit, policy))


def documents_for(employment: str) -> tuple[str, ...]:
    """Every proof kind serves anyone; a self-employed person's is the tax return."""
    if employment == "self_employed":
        return ("tax_return", "withholding_slip", "payslip")
    return PROOF_KINDS


def _rules_1_to_4(
    applicant: Applicant, bureau: BureauAnswer, policy: ScreeningPolicy,
) -> Declined | DocumentsNeeded | Figures:
    """A decision from rules 1-4, or the figures when none of them applies."""
    declined = before_bureau(applicant, policy)
    if declined is not None:
        return declined
    if bureau.delinquent:
        return Declined(BUREAU_DELINQUENT)
    found = figures(applicant, bureau)
    if found.room < MIN_CREDIT_LIMIT:
        return Declined(OVER_TOTAL_VOLUME)
    if found.cap_without_proof is not None and found.cap_without_proof < MIN_CREDIT_LIMIT:
        return DocumentsNeeded(documents_for(applicant.employment))
    return found


def _rule_6(applicant: Applicant, found: Figures, policy: ScreeningPolicy) -> Offer:
    limit = min(applicant.requested_limit, found.room)
    if found.cap_without_proof is not None:
        limit = min(limit, found.cap_without_proof)
    limit -= limit % LIMIT_STEP
    return Offer(limit, offer_rate_bp(limit, policy))
