"""Request and response bodies of repayment, dues, statement and due-day endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_ID, JsonInt
from api.schemas.transfers import BankAnswer

DueDay = Literal[5, 15, 25, 31]
# A transfer's states less the ones a repayment never has (it is never scheduled, so
# never cancelled): `processing` and `needs_attention` while the bank may have collected.
RepaymentStatus = Literal["accepted", "processing", "needs_attention", "settled", "rejected",
                          "failed"]


class RepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_id: JsonInt = Field(
        ge=1, le=MAX_ID, description="One of your registered accounts: it is debited")
    # The range is the domain's (at least 1,000, or exactly the payoff; never above it),
    # so it answers `invalid_repayment_amount` / `repayment_too_large` with the payoff.
    amount: JsonInt = Field(ge=1, description="Whole yen: at least 1,000, or exactly the "
                                               "full payoff; never more than the full payoff")


class RepaymentOut(BaseModel):
    id: str
    status: RepaymentStatus = Field(description="accepted -> processing -> settled | failed; "
                           "rejected if more than owed by the time it was collected; "
                           "processing / needs_attention while the bank's answer is awaited")
    amount: int
    payee_id: int
    accepted_at: str
    settled_at: str | None = None
    to_interest: int | None = Field(None, description="Paid to interest due (when settled)")
    to_principal: int | None = Field(None, description="Paid to principal (when settled)")
    failure_code: str | None = None
    note: str | None = None


class RepaymentPage(BaseModel):
    items: list[RepaymentOut]
    next_cursor: str | None


class DuesOut(BaseModel):
    """What is owed today (JST) and when (spec/repayment.md)."""

    principal: int = Field(description="Advanced and not yet repaid (= outstanding)")
    interest_due: int = Field(description="Interest accrued through today, unpaid")
    payoff_today: int = Field(description="完済金額: principal + interest due today")
    next_due_date: str | None = Field(description="YYYY-MM-DD; null before any advance")
    minimum_due: int = Field(description="Still to pay by next_due_date (0: nothing)")
    overdue: bool
    overdue_since: str | None = None
    amount_to_lift: int = Field(description="One repayment of this today lifts the overdue")
    due_day: DueDay = Field(description="5, 15, 25 or 31 (= month end)")
    pending_due_day: DueDay | None = Field(
        None, description="A chosen due day that applies after next_due_date")
    rate_bp: int = Field(description="Annual rate in basis points (1780 = 17.8 %)")
    in_flight: int = Field(description="Repayments asked for and not settled yet")


class DueDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_day: JsonInt = Field(description="5, 15, 25 or 31 (= the last day of each month)",
                             json_schema_extra={"enum": [5, 15, 25, 31]})


class StatementLineOut(BaseModel):
    kind: Literal["advance", "repayment", "interest", "rate_change", "due_day_change"]
    day: str
    amount: int
    to_interest: int = 0
    to_principal: int = 0
    principal_after: int
    interest_due_after: int
    ref: str = ""
    period_from: str | None = Field(None, description="An interest line's first day")
    period_to: str | None = Field(None, description="An interest line's last day")
    days: int | None = None
    rate_bp: int | None = None
    year_days: int | None = None
    interest_free: bool | None = None
    due_day: int | None = None


class DueOutcomeOut(BaseModel):
    due_date: str
    required: int
    paid: int
    shortfall: int
    met: bool


class StatementOut(BaseModel):
    month: str
    through: str
    opening_principal: int
    opening_interest_due: int
    lines: list[StatementLineOut]
    closing_principal: int
    closing_interest_due: int
    accruing: int = Field(description="Interest of the open period through `through`")
    closing_payoff: int
    due_dates: list[DueOutcomeOut]


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_bp: JsonInt = Field(
        ge=0, le=2000,
        description="Annual rate in basis points (1780 = 17.8 %); at most the Interest Rate "
                    "Restriction Act cap for the member's limit (2000, 1800 or 1500): above "
                    "it, 409 rate_above_legal_cap")


class RepaymentInquiryOut(BaseModel):
    repayment: RepaymentOut
    bank: BankAnswer
