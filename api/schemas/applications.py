"""Bodies of お試し診断 and of becoming a member (spec/application.md, "API shape").

The models check only the shape JSON can say exactly: the fields there are (no others),
whole numbers as JSON numbers (a money field given as text is refused: the API speaks
integer yen), text no longer than its bound, the choices. Everything else - kana, dates,
phone numbers, postal codes, ranges, the employer rule - is the domain's
(`domain.application_form`), which refuses field by field with `message_ja`. The OpenAPI
document states each field's type, bounds and choices as the domain enforces them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from api.schemas.common import JsonInt, Strict, rule, together_or_not_at_all
from api.schemas.members import NEW_PASSWORD
from shunfuri.domain import normalise, person_fields
from shunfuri.domain.applicants import (
    EMPLOYMENTS,
    LIMIT_STEP,
    MAX_INCOME,
    MAX_OTHER_BALANCE,
    MAX_OTHER_COUNT,
    MIN_CREDIT_LIMIT,
    PROOF_KINDS,
)
from shunfuri.domain.credit import MAX_CREDIT_LIMIT
from shunfuri.services.applications.intake import EMAIL_MAX
from shunfuri.services.mail.settings import ADDRESS_SHAPE


def _whole(value: Any) -> Any:
    """A whole number as JSON means it (5000.0 is 5000); text and true are refused here,
    the rest (range, steps) by the domain."""
    if isinstance(value, bool | str):
        raise ValueError("a whole number, as a JSON number")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def whole(low: int, high: int, step: int = 1, description: str = "") -> Any:
    extra: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    if step > 1:
        extra["multipleOf"] = step
    if description:
        extra["description"] = description
    return Field(json_schema_extra=extra)


def _bounded(maximum: int):
    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > maximum:
            raise ValueError(f"at most {maximum} characters")
        return value

    return check


def text(maximum: int, description: str, *, optional: bool = False, **extra: Any) -> Any:
    schema = {"type": "string", "minLength": 1, "maxLength": maximum,
              "description": description, **extra}
    if optional:
        def fill(s: dict[str, Any]) -> None:
            s.update(schema)
            _no_default(s)

        return Field(default=None, json_schema_extra=fill)
    return Field(json_schema_extra=schema)


Whole = Annotated[Any, BeforeValidator(_whole)]
Name = Annotated[Any, BeforeValidator(_bounded(person_fields.NAME_MAX))]
Phone = Annotated[Any, BeforeValidator(_bounded(32))]
Address = Annotated[Any, BeforeValidator(_bounded(person_fields.TEXT_MAX))]
Employer = Annotated[Any, BeforeValidator(_bounded(person_fields.EMPLOYER_NAME_MAX))]
Short = Annotated[Any, BeforeValidator(_bounded(32))]
Email = Annotated[Any, BeforeValidator(_bounded(EMAIL_MAX))]
# The domain's own tuples, so the schema cannot drift from the rules; mypy reads a Literal
# only from literal values, so it cannot read these (valid-type).
Employment = Literal[EMPLOYMENTS]  # type: ignore[valid-type]
ProofKind = Literal[PROOF_KINDS]  # type: ignore[valid-type]

_DATE = ("Birth date: 1990-04-01, 1990/4/1, 1990年4月1日 or 19900401 (full-width digits "
         "accepted); not after today (JST), not before 1900.")
_PHONE = ("A Japanese phone number from its leading 0 (+81 read as 0), hyphens, spaces and "
          "full-width digits accepted: 11 digits for 070/080/090, 050, 020 and 0800, else 10.")


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EligibilityIn(Shape):
    """お試し診断: nothing is stored and nothing is logged."""

    birth_date: Short = text(32, _DATE)
    annual_income: Whole = whole(0, MAX_INCOME, description="Annual income, yen")
    other_borrowing: Whole = whole(0, MAX_OTHER_BALANCE,
                                   description="What you owe other lenders now, yen")


class EligibilityOut(BaseModel):
    eligible: bool
    message_ja: str = Field(description="One of two fixed sentences (never which figure failed)")


class IncomeProofIn(Shape):
    """The figures of an income proof: 源泉徴収票 (withholding_slip), 給与明細
    (payslip) or 確定申告書 (tax_return); the proof's income replaces the declared."""

    kind: ProofKind
    annual_income: Whole = whole(0, MAX_INCOME, description="The income the proof shows, yen")


class ApplicationIn(Shape):
    name_kanji: Name = text(person_fields.NAME_MAX, "Name as written (kanji, kana or letters)")
    name_kana: Name = text(person_fields.NAME_MAX, "Name in katakana (hiragana and half-width "
                           "kana are converted)")
    birth_date: Short = text(32, _DATE)
    phone: Phone = text(32, _PHONE)
    email: Email = text(EMAIL_MAX, "Mail address (the contract document goes here)",
                        pattern=ADDRESS_SHAPE)
    postal_code: Short = text(32, "7 digits; 〒 and a hyphen accepted")
    address: Address = text(person_fields.TEXT_MAX, "Postal address")
    employment: Employment
    employer_name: Employer = text(person_fields.EMPLOYER_NAME_MAX, "Required unless "
                                   "employment is pension_only or unemployed", optional=True)
    employer_phone: Phone = text(32, "Required unless employment is pension_only or "
                                 "unemployed. " + _PHONE, optional=True)
    annual_income: Whole = whole(0, MAX_INCOME, description="Declared annual income, yen")
    other_count: Whole = whole(0, MAX_OTHER_COUNT, description="How many other lenders you owe")
    other_balance: Whole = whole(0, MAX_OTHER_BALANCE,
                                 description="What you owe other lenders, yen")
    requested_limit: Whole = whole(MIN_CREDIT_LIMIT, MAX_CREDIT_LIMIT, LIMIT_STEP,
                                   "The credit limit you ask for, yen")
    income_proof: IncomeProofIn | None = Field(default=None, json_schema_extra=_no_default)

    def raw(self) -> dict[str, Any]:
        """What the domain's form reader reads (absent optional fields as None)."""
        return self.model_dump()


class ApplicationCreated(BaseModel):
    id: str
    token: str = Field(description="The follow-up token: send it as `Authorization: Bearer "
                       "<token>`. Keep it: it is shown once (an idempotent replay of the "
                       "same request answers it again).")
    status: str


class OfferOut(BaseModel):
    credit_limit: int
    rate_bp: int


class ApplicationOut(BaseModel):
    """`offer` while approved (and once contracted); `reason_code` for a decision that is
    not an approval; `expires_at` for an offer or a documents request; `documents` (the
    proof kinds that serve) while documents are needed."""

    id: str
    status: Literal["received", "checking", "approved", "declined", "documents_needed",
                    "manual_review", "contracted", "expired"]
    offer: OfferOut | None = None
    reason_code: str | None = None
    detail_ja: str | None = None
    expires_at: str | None = None
    documents: list[ProofKind] | None = None


def _due_day(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("due_day is a day of the month: 5, 15, 25 or 31 (month end)")
    return int(value) if isinstance(value, float) and value.is_integer() else value


class ContractIn(Strict):
    """Acceptance of the offer: `agree` (the terms and electronic delivery of the contract
    documents), a 4-digit PIN nobody could guess from the application, the due day, and
    optionally a Web-ID with a password."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra=together_or_not_at_all("web_id", "password"))

    agree: Literal[True]
    pin: SecretStr = Field(min_length=1, max_length=32,
                           json_schema_extra=rule(normalise.PIN_PATTERN))
    due_day: Annotated[Literal[5, 15, 25, 31], BeforeValidator(_due_day)] = Field(
        description="5, 15, 25 or 31 (the last day of each month)")
    web_id: str | None = Field(default=None, min_length=1, max_length=128,
                               json_schema_extra=rule(normalise.WEB_ID_PATTERN))
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024,
                                       json_schema_extra=NEW_PASSWORD)


class ContractOut(BaseModel):
    member_id: int
    card_number: str = Field(description="Shown this once; log in with it and the PIN")


__all__ = ["ApplicationCreated", "ApplicationIn", "ApplicationOut", "ContractIn",
           "ContractOut", "EligibilityIn", "EligibilityOut", "IncomeProofIn", "JsonInt"]
