"""The login request (card + PIN or Web-ID + password) and the token it returns.

Secrets are `SecretStr` so that no repr, log line or error can show them. Lengths here
are outer bounds; the real rules (NFKC, hyphens, Luhn) live in `shunfuri.domain.normalise`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from api.schemas.common import Strict, exactly_one_group, rule
from shunfuri.domain import normalise


class LoginRequest(Strict):
    """Either `{"card_number", "pin"}` or `{"web_id", "password"}`, never a mix."""

    card_number: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="16 digits, the last a Luhn check digit; full-width digits, spaces "
        "and hyphens are accepted", json_schema_extra=rule(normalise.CARD_NUMBER_PATTERN))
    pin: SecretStr | None = Field(default=None, min_length=1, max_length=32,
                                  json_schema_extra=rule(normalise.PIN_PATTERN))
    web_id: str | None = Field(default=None, min_length=1, max_length=128,
                               json_schema_extra=rule(normalise.WEB_ID_PATTERN))
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            **exactly_one_group(("card_number", "pin"), ("web_id", "password")),
            "examples": [
                {"card_number": "9123-4567-8901-2348", "pin": "0000"},
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
    device_token: str = Field(
        description="This client's device token: keep it and send it back in the "
        "`Device-Token` header of every later login. A client with it is one the member "
        "has logged in from: its wrong secrets count toward the in-person lock "
        "(`account_locked`), and a stranger's failures never lock it out "
        "(`too_many_attempts` refuses only clients without one). The same value comes "
        "back while it is used.")
