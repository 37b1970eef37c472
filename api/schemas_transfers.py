"""Request and response bodies of the transfer endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MAX_ID = 2**63 - 1

# `needs_attention`: sent, the bank has not confirmed it after the retry budget; the
# hold is kept and staff resolve it with the bank.
Status = Literal[
    "accepted", "processing", "scheduled", "needs_attention", "settled", "rejected", "failed",
    "cancelled",
]


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_id: StrictInt = Field(ge=1, le=MAX_ID, description="A payee registered by you")
    # Range checks beyond "an integer" are the domain's, so they answer `invalid_amount`.
    amount: StrictInt = Field(description="Whole yen, at least 1,000, in steps of 1,000")


class TransferOut(BaseModel):
    id: str
    status: Status
    amount: int
    payee_id: int
    accepted_at: str
    decision: Literal["instant", "scheduled"]
    settle_at: str
    settled_at: str | None = None
    failure_code: str | None = None
    note: str | None = None


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None


class StaffTransferOut(TransferOut):
    """A transfer as staff see it: what the doubt handling knows beside the member's view."""

    member_id: int
    bank_code: str
    sent_at: str | None = Field(description="When the order first left for the bank")
    attempts: int = Field(description="Sends and inquiries made so far")
    last_error: str | None = Field(description="Why the last attempt got no definitive answer")
    next_attempt_at: str | None
    attention_at: str | None = Field(description="In doubt past this: needs_attention")
    in_doubt: bool = Field(description="Sent, and no definitive answer from the bank yet")


class DoubtOut(BaseModel):
    kind: Literal["transfer", "repayment"] = Field(
        description="What kind of bank order this is: a transfer paid out, or a repayment "
                    "collected from the member's account")
    id: str
    member_id: int
    amount: int
    bank_code: str
    status: Literal["processing", "needs_attention"]
    sent_at: str
    age_seconds: float
    attempts: int
    last_error: str | None
    next_attempt_at: str | None


class BankAnswer(BaseModel):
    answer: Literal["paid", "rejected", "not_found", "pending"] = Field(
        description="paid / rejected: recorded by the bank (applied if the transfer was in "
        "doubt); not_found: the bank never received it; pending: received, not decided"
    )
    reference: str | None = None
    code: str | None = None
    amount: int | None = None


class InquiryOut(BaseModel):
    transfer: TransferOut
    bank: BankAnswer
