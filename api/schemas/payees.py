"""A payee as a member registers it and as the API shows it.

Lengths here are outer bounds; the Zengin rules (codes, kana names) live in
`shunfuri.domain.normalise`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict

AccountType = Literal["ordinary", "current", "savings"]


class PayeeIn(Strict):
    bank_code: str = Field(min_length=1, max_length=16, examples=["0009"])
    branch_code: str = Field(min_length=1, max_length=16, examples=["001"])
    account_type: AccountType
    account_number: str = Field(min_length=1, max_length=16, examples=["1234567"])
    holder_name: str = Field(min_length=1, max_length=128, examples=["ﾔﾏﾀﾞ ﾀﾛｳ"])


class PayeeOut(BaseModel):
    id: int
    bank_code: str
    branch_code: str
    bank_name: str
    branch_name: str
    account_type: AccountType
    account_number: str
    holder_name: str
    created_at: str
