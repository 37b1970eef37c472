"""What screening reads about an applicant, and the words the application uses.

`Applicant` is the screening's view of one application: only the figures the rules
judge, never a name or an address (those are the bureau's key and the contract's, not
the rules'). The service builds it from the stored application; `application_form`
builds the stored application from what was typed.

Credit lines are offered from ¥10,000 in steps of ¥10,000 up to the rules' ¥5,000,000,
so a requested limit outside that is refused by the form before screening ever sees it;
`Applicant` refuses it too (a `ValueError`: a caller's bug, not an applicant's mistake).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shunfuri.domain.age import jst_day
from shunfuri.domain.credit import MAX_CREDIT_LIMIT

# The API's employment codes, in the form's order (会社員 / 公務員 / 契約・派遣 /
# パート・アルバイト / 自営業 / 学生 / 年金のみ / 無職).
EMPLOYMENTS = ("employee", "civil_servant", "contract", "part_time", "self_employed",
               "student", "pension_only", "unemployed")
# Nobody employs these applicants: the form neither asks for nor keeps an employer.
WITHOUT_EMPLOYER = frozenset({"pension_only", "unemployed"})
# 源泉徴収票 / 給与明細 / 確定申告書.
PROOF_KINDS = ("withholding_slip", "payslip", "tax_return")

LIMIT_STEP = 10_000  # lines are offered in steps of this, and never below it
MIN_CREDIT_LIMIT = LIMIT_STEP
# Sane upper bounds for what is typed (yen, count): far above any real applicant, low
# enough that a typo of a few extra digits is caught.
MAX_INCOME = 1_000_000_000
MAX_OTHER_BALANCE = 1_000_000_000
MAX_OTHER_COUNT = 99


@dataclass(frozen=True)
class IncomeProof:
    kind: str
    annual_income: int

    def __post_init__(self) -> None:
        if self.kind not in PROOF_KINDS:
            raise ValueError(f"unknown income proof kind {self.kind!r}")
        _check_whole(self.annual_income, 0, MAX_INCOME, "proof income")


@dataclass(frozen=True)
class Applicant:
    """One application as the rules see it. `applied_at` is the instant it was received:
    the age rule uses its JST day, even when documents arrive later."""

    birth_date: date
    employment: str
    annual_income: int  # as declared
    other_count: int  # as declared
    other_balance: int  # as declared
    requested_limit: int
    applied_at: datetime
    income_proof: IncomeProof | None = None

    def __post_init__(self) -> None:
        if self.employment not in EMPLOYMENTS:
            raise ValueError(f"unknown employment {self.employment!r}")
        _check_whole(self.annual_income, 0, MAX_INCOME, "annual income")
        _check_whole(self.other_count, 0, MAX_OTHER_COUNT, "other count")
        _check_whole(self.other_balance, 0, MAX_OTHER_BALANCE, "other balance")
        _check_whole(self.requested_limit, MIN_CREDIT_LIMIT, MAX_CREDIT_LIMIT, "requested limit")
        if self.requested_limit % LIMIT_STEP:
            raise ValueError(f"a requested limit is in steps of {LIMIT_STEP:,} yen")
        if self.applied_at.tzinfo is None:
            raise ValueError("applied_at must be an aware instant")

    @property
    def income(self) -> int:
        """The income the rules use: the proof's figure replaces the declared one."""
        return self.annual_income if self.income_proof is None else self.income_proof.annual_income

    @property
    def applied_on(self) -> date:
        return jst_day(self.applied_at)


def _check_whole(value: int, low: int, high: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low:,} to {high:,}, got {value!r}")
