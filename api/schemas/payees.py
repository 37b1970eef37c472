"""A payee as a member registers it and as the API shows it.

Lengths here are outer bounds; the Zengin rules (codes, kana names) live in
`shunfuri.domain.normalise`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.schemas.common import Strict, rule
from shunfuri.domain import normalise

AccountType = Literal["ordinary", "current", "savings"]


def _holder_name_rule(schema: dict[str, Any]) -> None:
    # Made when the OpenAPI document is first built, not at import (see the function).
    schema["properties"]["holder_name"]["pattern"] = normalise.holder_name_pattern()


class PayeeIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_holder_name_rule)

    bank_code: str = Field(min_length=1, max_length=16, examples=["0009"],
                           description="4-digit Zengin bank code",
                           json_schema_extra=rule(normalise.BANK_CODE_PATTERN))
    branch_code: str = Field(min_length=1, max_length=16, examples=["001"],
                             description="3-digit branch code of that bank",
                             json_schema_extra=rule(normalise.BRANCH_CODE_PATTERN))
    account_type: AccountType
    account_number: str = Field(min_length=1, max_length=16, examples=["1234567"],
                                description="1 to 7 digits (left-padded with zeros)",
                                json_schema_extra=rule(normalise.ACCOUNT_NUMBER_PATTERN))
    holder_name: str = Field(min_length=1, max_length=128, examples=["ﾔﾏﾀﾞ ﾀﾛｳ"])
    pin: SecretStr = Field(min_length=1, max_length=32, examples=["2580"],
                           description="Your card's PIN again: a session alone cannot add "
                                       "an account (a wrong PIN counts towards the lock)",
                           json_schema_extra=rule(normalise.PIN_PATTERN))


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
