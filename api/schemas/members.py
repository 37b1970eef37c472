"""A member as they see themselves (/me, Web-ID) and as the staff desk manages them.

Secrets are `SecretStr` so that no repr, log line or error can show them, and no
response ever carries one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.schemas.common import JsonInt, Strict, rule, together_or_not_at_all
from shunfuri.domain import normalise
from shunfuri.services.members import MAX_CREDIT_LIMIT

# A new password's length, as the domain checks it (`normalise_password(new=True)`), with
# its own message; the field's bounds above are only the outer limit against abuse.
NEW_PASSWORD = {"minLength": 8, "maxLength": 128}


class MeOut(BaseModel):
    member_id: int
    status: str
    credit_limit: int
    outstanding: int
    held: int
    available: int


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


class MemberOut(BaseModel):
    """The staff view of a member (no secrets, no card number)."""

    member_id: int
    status: str
    card_lost: bool
    credit_limit: int
    outstanding: int
    held: int
    available: int
