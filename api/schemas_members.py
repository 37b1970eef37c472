"""Request and response bodies for login, /me, payees and the staff desk.

Strict (no "12" for 12, no true for 1), extra fields refused. Secrets are `SecretStr`
so that no repr, log line or error can show them, and no response ever carries one.
Lengths here are only outer bounds against abuse; the real rules (NFKC, hyphens,
Luhn, 4-digit PIN, Zengin names) live in `shunfuri.domain.normalise`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from shunfuri.services.members import MAX_CREDIT_LIMIT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- member API -----------------------------------------------------------------------


class LoginRequest(_Strict):
    """Either `{"card_number", "pin"}` or `{"web_id", "password"}`, never a mix."""

    card_number: str | None = Field(default=None, min_length=1, max_length=128)
    pin: SecretStr | None = Field(default=None, min_length=1, max_length=32)
    web_id: str | None = Field(default=None, min_length=1, max_length=128)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"card_number": "9123-4567-8901-2345", "pin": "0000"},
                {"web_id": "taro.yamada", "password": "correct horse battery"},
            ]
        },
    )

    @model_validator(mode="after")
    def _one_form(self) -> LoginRequest:
        card = self.card_number is not None or self.pin is not None
        web = self.web_id is not None or self.password is not None
        if card and web:
            raise ValueError("Send either card_number and pin, or web_id and password, not both.")
        if card and (self.card_number is None or self.pin is None):
            raise ValueError("A card login needs both card_number and pin.")
        if web and (self.web_id is None or self.password is None):
            raise ValueError("A Web-ID login needs both web_id and password.")
        if not card and not web:
            raise ValueError("Send card_number and pin, or web_id and password.")
        return self


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme name)
    expires_in: int = Field(description="Seconds until the token expires.")


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


class WebIdIn(_Strict):
    """The new Web-ID and password, and the current PIN to prove it is you."""

    web_id: str = Field(min_length=1, max_length=128, examples=["taro.yamada"])
    password: SecretStr = Field(min_length=1, max_length=1024)
    current_pin: SecretStr = Field(min_length=1, max_length=32)


class WebIdOut(BaseModel):
    web_id: str


AccountType = Literal["ordinary", "current", "savings"]


class PayeeIn(_Strict):
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


# --- staff API --------------------------------------------------------------------------


class CreateMemberIn(_Strict):
    credit_limit: int = Field(ge=0, le=MAX_CREDIT_LIMIT)
    pin: SecretStr = Field(min_length=1, max_length=32)
    web_id: str | None = Field(default=None, min_length=1, max_length=128)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)


class NewCardOut(BaseModel):
    member_id: int
    card_number: str


class ResetPinIn(_Strict):
    pin: SecretStr = Field(min_length=1, max_length=32)


class UpdateMemberIn(_Strict):
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
