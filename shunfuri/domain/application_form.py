"""The application form, the income-proof form and the お試し診断 form, read whole.

Each reader takes what was sent (a JSON object or a page's fields: numbers may be typed
text) and returns canonical values, or raises one `validation_error` listing every
field that is wrong: `errors=[{field, code, message, message_ja}]`, in the form's order,
nested fields as `income_proof.kind`. Nothing is kept on a refusal (the readers are
pure) and no refusal repeats a value.

The e-mail address is not read here: the service checks it with the project's one
address rule (`services.mail.settings.ADDRESS_SHAPE`).

The requested limit is ¥10,000 to ¥5,000,000 in steps of ¥10,000, the lines we offer;
an employer's name and phone are required unless the employment is 年金のみ or 無職, and
for those they are dropped even if sent (we keep no data we do not need).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from shunfuri import messages
from shunfuri.domain import person_fields as pf
from shunfuri.domain.applicants import (
    EMPLOYMENTS,
    LIMIT_STEP,
    MAX_INCOME,
    MAX_OTHER_BALANCE,
    MAX_OTHER_COUNT,
    MIN_CREDIT_LIMIT,
    PROOF_KINDS,
    WITHOUT_EMPLOYER,
    Applicant,
    IncomeProof,
)
from shunfuri.domain.credit import MAX_CREDIT_LIMIT
from shunfuri.errors import ShunfuriError

T = TypeVar("T")


@dataclass(frozen=True)
class ApplicationForm:
    name_kanji: str
    name_kana: str
    birth_date: date
    phone: str
    postal_code: str
    address: str
    employment: str
    employer_name: str | None
    employer_phone: str | None
    annual_income: int
    other_count: int
    other_balance: int
    requested_limit: int
    income_proof: IncomeProof | None

    def applicant(self, applied_at: datetime) -> Applicant:
        """The screening's view of this application, received at `applied_at`."""
        return Applicant(
            birth_date=self.birth_date, employment=self.employment,
            annual_income=self.annual_income, other_count=self.other_count,
            other_balance=self.other_balance, requested_limit=self.requested_limit,
            applied_at=applied_at, income_proof=self.income_proof,
        )

    @property
    def phones(self) -> tuple[str, ...]:
        """Every phone number on the application (for the guessable-PIN rule)."""
        return tuple(p for p in (self.phone, self.employer_phone) if p)


@dataclass(frozen=True)
class EligibilityForm:
    birth_date: date
    annual_income: int
    other_borrowing: int


class _Reader:
    """Reads fields one by one, remembering each refusal instead of stopping at it."""

    def __init__(self, raw: Mapping[str, Any], prefix: str = "") -> None:
        self.raw, self.prefix = raw, prefix
        self.errors: list[dict[str, Any]] = []

    def read(self, name: str, parse: Callable[[Any], T]) -> T | None:
        try:
            return parse(self.raw.get(name))
        except pf.FieldRefused as refused:
            self.refuse(self.prefix + name, refused)
            return None

    def refuse(self, field: str, refused: pf.FieldRefused) -> None:
        self.errors.append({
            "field": field, "code": refused.code, "message": refused.message,
            "message_ja": messages.field_error_ja(field, refused.code, **refused.params),
        })

    def done(self) -> None:
        if self.errors:
            raise ShunfuriError("validation_error", errors=self.errors)


def _number(high: int, low: int = 0, step: int = 1) -> Callable[[Any], int]:
    return lambda raw: pf.whole_number(raw, low, high, step)


def _proof(reader: _Reader) -> IncomeProof | None:
    kind = reader.read("kind", lambda raw: pf.choice(raw, PROOF_KINDS))
    income = reader.read("annual_income", _number(MAX_INCOME))
    if kind is None or income is None:
        return None
    return IncomeProof(kind, income)


def read_income_proof(raw: Mapping[str, Any]) -> IncomeProof:
    """`{kind, annual_income}`, as the documents step sends it."""
    reader = _Reader(_mapping(raw))
    proof = _proof(reader)
    reader.done()
    assert proof is not None  # done() raised otherwise
    return proof


def read_application(raw: Mapping[str, Any], today: date) -> ApplicationForm:
    """The whole application, `today` being the JST day (for the birth date's check)."""
    raw = _mapping(raw)
    r = _Reader(raw)
    values: dict[str, Any] = {
        "name_kanji": r.read("name_kanji", pf.kanji_name),
        "name_kana": r.read("name_kana", pf.kana_name),
        "birth_date": r.read("birth_date", lambda v: pf.birth_date(v, today)),
        "phone": r.read("phone", pf.phone),
        "postal_code": r.read("postal_code", pf.postal_code),
        "address": r.read("address", pf.free_text),
        "employment": r.read("employment", lambda v: pf.choice(v, EMPLOYMENTS)),
    }
    employed = values["employment"] not in WITHOUT_EMPLOYER
    values["employer_name"] = r.read(
        "employer_name", lambda v: pf.free_text(v, pf.EMPLOYER_NAME_MAX)) if employed else None
    values["employer_phone"] = r.read("employer_phone", pf.phone) if employed else None
    values |= {
        "annual_income": r.read("annual_income", _number(MAX_INCOME)),
        "other_count": r.read("other_count", _number(MAX_OTHER_COUNT)),
        "other_balance": r.read("other_balance", _number(MAX_OTHER_BALANCE)),
        "requested_limit": r.read(
            "requested_limit", _number(MAX_CREDIT_LIMIT, MIN_CREDIT_LIMIT, LIMIT_STEP)),
    }
    values["income_proof"] = _optional_proof(raw.get("income_proof"), r)
    r.done()
    return ApplicationForm(**values)


def _optional_proof(raw: Any, outer: _Reader) -> IncomeProof | None:
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        outer.refuse("income_proof", pf.FieldRefused("invalid", "An object {kind, "
                                                                 "annual_income}."))
        return None
    inner = _Reader(raw, prefix="income_proof.")
    proof = _proof(inner)
    outer.errors += inner.errors
    return proof


def read_eligibility(raw: Mapping[str, Any], today: date) -> EligibilityForm:
    """お試し診断's three figures (none is ever repeated in a refusal)."""
    raw = _mapping(raw)
    r = _Reader(raw)
    birth = r.read("birth_date", lambda v: pf.birth_date(v, today))
    income = r.read("annual_income", _number(MAX_INCOME))
    other = r.read("other_borrowing", _number(MAX_OTHER_BALANCE))
    r.done()
    assert birth is not None and income is not None and other is not None  # done() raised
    return EligibilityForm(birth, income, other)


def _mapping(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ShunfuriError("validation_error", errors=[{
            "field": "", "code": "invalid", "message": "A JSON object is expected.",
            "message_ja": messages.field_error_ja("", "invalid"),
        }])
    return raw
