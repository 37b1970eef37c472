"""Request and response bodies of the transfer endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_ID, JsonInt
from shunfuri.domain.credit import MAX_AMOUNT

# `needs_attention`: sent, the bank has not confirmed it after the retry budget; the
# hold is kept and staff resolve it with the bank.
Status = Literal[
    "accepted", "processing", "scheduled", "needs_attention", "settled", "rejected", "failed",
    "cancelled",
]


def _amount_rules(schema: dict[str, Any]) -> None:
    """The amount's range and step in the OpenAPI document, from this deployment's
    settings (read when the document is built). The domain enforces them and answers
    `invalid_amount`, so they are stated here rather than checked by the model."""
    from shunfuri.settings import get_settings

    settings = get_settings()
    schema["properties"]["amount"].update(
        minimum=settings.amount_minimum, maximum=MAX_AMOUNT, multipleOf=settings.amount_step
    )


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_amount_rules)

    payee_id: JsonInt = Field(ge=1, le=MAX_ID, description="A payee registered by you")
    amount: JsonInt = Field(description="Whole yen, at least 1,000, in steps of 1,000")


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
    kind: Literal["transfer"] = Field(description="What kind of bank order this is")
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
