"""A member as they see themselves (/me, Web-ID) and as the staff desk manages them.

Secrets are `SecretStr` so that no repr, log line or error can show them, and no
response ever carries one.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from api.schemas.common import Strict
from shunfuri.services.members import MAX_CREDIT_LIMIT


class MeOut(BaseModel):
    member_id: int
    status: str
    credit_limit: int
    outstanding: int
    held: int
    available: int


class WebIdIn(Strict):
    """The new Web-ID and password, and the current PIN to prove it is you."""

    web_id: str = Field(min_length=1, max_length=128, examples=["taro.yamada"])
    password: SecretStr = Field(min_length=1, max_length=1024)
    current_pin: SecretStr = Field(min_length=1, max_length=32)


class WebIdOut(BaseModel):
    web_id: str


# --- staff API --------------------------------------------------------------------------


class CreateMemberIn(Strict):
    credit_limit: int = Field(ge=0, le=MAX_CREDIT_LIMIT)
    pin: SecretStr = Field(min_length=1, max_length=32)
    web_id: str | None = Field(default=None, min_length=1, max_length=128)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)


class NewCardOut(BaseModel):
    member_id: int
    card_number: str


class ResetPinIn(Strict):
    pin: SecretStr = Field(min_length=1, max_length=32)


class UpdateMemberIn(Strict):
    credit_limit: int = Field(ge=0, le=MAX_CREDIT_LIMIT)


class MemberOut(BaseModel):
    """The staff view of a member (no secrets, no card number)."""

    member_id: int
    status: str
    card_lost: bool
    credit_limit: int
    outstanding: int
    held: int
    available: int
