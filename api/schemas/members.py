"""A member as they see themselves (/me, Web-ID) and as the staff desk manages them.

Secrets are `SecretStr` so that no repr, log line or error can show them, and no
response ever carries one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.schemas.common import JsonInt, Strict, rule, together_or_not_at_all
from shunfuri.domain import normalise
from shunfuri.services.members.accounts import MAX_CREDIT_LIMIT

# A new password's length, as the domain checks it (`normalise_password(new=True)`), with
# its own message; the field's bounds above are only the outer limit against abuse.
NEW_PASSWORD: dict[str, Any] = {"minLength": 8, "maxLength": 128}


class MeOut(BaseModel):
    member_id: int
    status: str
    credit_limit: int
    outstanding: int = Field(description="Principal: advanced and not yet repaid")
    held: int
    available: int
    interest_due: int = Field(description="Interest accrued through today (JST), unpaid")
    payoff_today: int = Field(description="完済金額: outstanding + interest_due")
    next_due_date: str | None = Field(description="YYYY-MM-DD; null before any advance")
    minimum_due: int = Field(description="Still to pay by next_due_date (0: nothing)")
    overdue: bool = Field(description="A due date's minimum is unpaid: transfers refused")


class WebIdIn(Strict):
    """The new Web-ID and password, and the current PIN to prove it is you."""

    web_id: str = Field(min_length=1, max_length=128, examples=["taro.yamada"],
                        json_schema_extra=rule(normalise.WEB_ID_PATTERN))
    password: SecretStr = Field(min_length=1, max_length=1024, json_schema_extra=NEW_PASSWORD)
    current_pin: SecretStr = Field(min_length=1, max_length=32,
                                   json_schema_extra=rule(normalise.PIN_PATTERN))


class WebIdOut(BaseModel):
    web_id: str


# --- staff API --------------------------------------------------------------------------


class CreateMemberIn(Strict):
    """A new member: a PIN always; a Web-ID and password together or not at all."""

    model_config = ConfigDict(
        extra="forbid", strict=True,
        json_schema_extra=together_or_not_at_all("web_id", "password"),
    )

    credit_limit: JsonInt = Field(ge=0, le=MAX_CREDIT_LIMIT)
    pin: SecretStr = Field(min_length=1, max_length=32,
                           json_schema_extra=rule(normalise.PIN_PATTERN))
    web_id: str | None = Field(default=None, min_length=1, max_length=128,
                               json_schema_extra=rule(normalise.WEB_ID_PATTERN))
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024,
                                       json_schema_extra=NEW_PASSWORD)


class NewCardOut(BaseModel):
    member_id: int
    card_number: str


class ResetPinIn(Strict):
    pin: SecretStr = Field(min_length=1, max_length=32,
                           json_schema_extra=rule(normalise.PIN_PATTERN))


class UpdateMemberIn(Strict):
    credit_limit: JsonInt = Field(ge=0, le=MAX_CREDIT_LIMIT)


def _name_kana_rule(schema: dict[str, Any]) -> None:
    # The characters a bank account name may carry, as for a payee's holder name.
    schema["properties"]["name_kana"]["pattern"] = normalise.holder_name_pattern()


class NameKanaIn(Strict):
    """The member's name in kana, as on their identity document or passbook."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_name_kana_rule)

    name_kana: str = Field(min_length=1, max_length=128, examples=["ヤマダ タロウ"],
                           description="Katakana, hiragana or half-width kana; spaces "
                                       "between the parts are kept as one")


class MemberOut(BaseModel):
    """The staff view of a member (no secrets, no card number)."""

    member_id: int
    status: str
    card_lost: bool
    credit_limit: int
    outstanding: int
    held: int
    available: int
    name_kana: str | None = Field(
        default=None, description="The member's name in kana (null until recorded); while "
                                  "known, money goes only to and from accounts in that name")
