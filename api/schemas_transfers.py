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
