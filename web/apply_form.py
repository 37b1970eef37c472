"""The /apply form in steps: its fields (labels, hints, the browser's autocomplete and
keyboard), the order of the steps, and reading what was posted.

**Where the earlier steps live until the end: in the form itself.** Each step's page
carries what the earlier steps received as hidden fields, posted again with the next
step; nothing is stored anywhere until the final submission (`intake.submit`), and
nothing ever goes into a URL. Why not a signed or encrypted state instead: the only
reader of these pages is the applicant, who typed every value; the final submission
reads the whole form again with the very reader the API uses (`intake.read_form`), so a
hidden field edited by hand gains nothing a signature would have stopped; and an
encrypted blob would add a key, its rotation and an expiry, for no protection an
applicant needs from themselves. Every page is `Cache-Control: no-store`.

Each step is checked when it is sent, with the same reader as the API (one set of rules,
one set of Japanese messages: `messages.field_error_ja`), keeping only the refusals of
the fields shown so far.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shunfuri import messages
from shunfuri.domain.application_form import ApplicationForm
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import intake

MAX_VALUE = 300  # characters kept of one posted value (the readers refuse long ones)
KEY_PREFIX = "web-"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | tel | email | choice
    hint: str = ""
    attrs: Mapping[str, str] = field(default_factory=dict)
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()


def _numeric(maxlength: int = 16) -> dict[str, str]:
    return {"inputmode": "numeric", "autocomplete": "off", "maxlength": str(maxlength)}


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("name_kanji", "お名前", hint="例：山田 花子（姓と名の間に空白を入れてください）",
          attrs={"autocomplete": "name", "maxlength": "40"}),
    Field("name_kana", "お名前（フリガナ）",
          hint="例：ヤマダ ハナコ（ひらがなや半角カナで入力してもかまいません）。"
               "ご本人名義の銀行口座と同じ読みで入力してください。",
          attrs={"autocomplete": "off", "maxlength": "40"}),
    Field("birth_date", "生年月日",
          hint="例：1990/4/1、または8桁で19900401（全角の数字でもかまいません）",
          attrs={"autocomplete": "bday", "inputmode": "numeric", "maxlength": "16"}),
    Field("phone", "電話番号", kind="tel",
          hint="携帯電話の番号をおすすめします。ハイフンはあってもなくてもかまいません。",
          attrs={"autocomplete": "tel", "inputmode": "tel", "maxlength": "20"}),
    Field("email", "メールアドレス", kind="email",
          hint="ご契約の書面（契約締結時書面）をこのアドレスへお送りします。",
          attrs={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none",
                 "spellcheck": "false", "maxlength": "254"}),
    Field("postal_code", "郵便番号", hint="例：150-0001（〒やハイフンはなくてもかまいません）",
          attrs={"autocomplete": "postal-code", "inputmode": "numeric", "maxlength": "10"}),
    Field("address", "ご住所", hint="都道府県から、番地・建物名・部屋番号まで入力してください。",
          attrs={"autocomplete": "street-address", "maxlength": "200"}),
    Field("employment", "ご職業", kind="choice",
          choices=tuple(messages.EMPLOYMENT_JA.items())),
    Field("employer_name", "お勤め先の名称", required=False,
          hint="年金のみ・無職の方は入力不要です。自営業の方は屋号を入力してください。",
          attrs={"autocomplete": "organization", "maxlength": "100"}),
    Field("employer_phone", "お勤め先の電話番号", kind="tel", required=False,
          hint="年金のみ・無職の方は入力不要です。",
          attrs={"autocomplete": "work tel", "inputmode": "tel", "maxlength": "20"}),
    Field("annual_income", "年収（税込み・円）",
          hint="例：4,000,000（400万円）。賞与を含む1年間の収入の合計です。", attrs=_numeric()),
    Field("other_count", "他社からのお借入れ件数",
          hint="ない場合は0。住宅ローン・自動車ローンとクレジットカードのショッピング利用は含みません。",
          attrs=_numeric(4)),
    Field("other_balance", "他社からのお借入れ残高の合計（円）", hint="ない場合は0。",
          attrs=_numeric()),
    Field("requested_limit", "ご希望の利用限度額（円）",
          hint="1万円から500万円まで、1万円単位で入力してください（例：300,000）。",
          attrs=_numeric()),
    Field("proof_kind", "収入証明書", kind="choice", required=False,
          choices=(("", "今回は提出しない"), *messages.PROOF_KINDS_JA.items())),
    Field("proof_income", "収入証明書に記載の年収（円）", required=False,
          hint="収入証明書を提出する場合だけ入力してください。", attrs=_numeric()),
)}
NAMES = tuple(FIELDS)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    short: str  # the progress list's label
    fields: tuple[str, ...]


STEPS = (
    Step("name", "お名前・生年月日", "お名前", ("name_kanji", "name_kana", "birth_date")),
    Step("contact", "ご連絡先・ご住所", "ご連絡先", ("phone", "email", "postal_code", "address")),
    Step("work", "ご職業・お勤め先", "ご職業", ("employment", "employer_name", "employer_phone")),
    Step("income", "ご年収・他社からのお借入れ", "ご年収",
         ("annual_income", "other_count", "other_balance")),
    Step("limit", "ご希望の限度額・収入証明書", "ご希望額",
         ("requested_limit", "proof_kind", "proof_income")),
)
CONFIRM_SHORT = "確認"
_STEP_OF = {name: i for i, step in enumerate(STEPS) for name in step.fields}
# The readers' field names for the income proof, as the page names its two fields.
_PAGE_NAME = {"income_proof": "proof_kind", "income_proof.kind": "proof_kind",
              "income_proof.annual_income": "proof_income"}


def values_of(posted: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields from a posted form (unknown names ignored, each value capped)."""
    out = {}
    for name in NAMES:
        value = posted.get(name)
        if isinstance(value, str) and value:
            out[name] = value[:MAX_VALUE]
    return out


def raw_of(values: Mapping[str, str]) -> dict[str, Any]:
    """What `intake.read_form` reads: the page's fields, the proof as one object."""
    raw: dict[str, Any] = {n: values[n] for n in NAMES
                           if n in values and not n.startswith("proof_")}
    kind, income = values.get("proof_kind", ""), values.get("proof_income", "").strip()
    if kind or income:
        raw["income_proof"] = {"kind": kind or None, "annual_income": income or None}
    return raw


def page_errors(error: ShunfuriError, known: Collection[str] = NAMES) -> dict[str, str]:
    """`{page field: Japanese message}` of a `validation_error` (first message per field)."""
    out: dict[str, str] = {}
    for item in error.extra.get("errors") or []:
        name = _PAGE_NAME.get(item.get("field", ""), item.get("field", ""))
        if name in known and name not in out:
            out[name] = str(item.get("message_ja") or messages.field_error_ja(name, "invalid"))
    return out


def check(values: Mapping[str, str], today: date) -> tuple[tuple[ApplicationForm, str] | None,
                                                           dict[str, str]]:
    """The whole form read as the API reads it: `(form, email)` or the refusals by field."""
    try:
        return intake.read_form(raw_of(values), today), {}
    except ShunfuriError as refused:
        if refused.code != "validation_error":
            raise
        return None, page_errors(refused)


@dataclass(frozen=True)
class Next:
    """Where a post leads: a step (with its refusals) or the confirmation page."""

    step: int | None  # None: the confirmation page
    errors: dict[str, str] = field(default_factory=dict)
    form: tuple[ApplicationForm, str] | None = None


def step_index(raw: Any) -> int:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    keys = [s.key for s in STEPS]
    return keys.index(text) if text in keys else 0


def first_refused(errors: Mapping[str, str], upto: int | None = None) -> int | None:
    """The earliest step (up to `upto`) with a refused field, or None."""
    steps = sorted({_STEP_OF[name] for name in errors if name in _STEP_OF})
    steps = [s for s in steps if upto is None or s <= upto]
    return steps[0] if steps else None


def only_step(errors: Mapping[str, str], index: int) -> dict[str, str]:
    return {k: v for k, v in errors.items() if _STEP_OF.get(k) == index}


def advance(values: Mapping[str, str], current: int, go: str, editing: bool,
            today: date) -> Next:
    """The page after step `current` was sent with button `go` (`next`, `back`,
    `edit:<step>`). Going back or to a step to change it checks nothing; going on checks
    every step shown so far and stops at the first with a refusal."""
    if go == "back":
        return Next(max(current - 1, 0))
    if go.startswith("edit:"):
        return Next(step_index(go.removeprefix("edit:")))
    form, errors = check(values, today)
    last = current == len(STEPS) - 1
    refused = first_refused(errors, None if (editing or last) else current)
    if refused is not None:
        return Next(refused, only_step(errors, refused))
    if editing or last:
        return Next(None, form=form)
    return Next(current + 1)


def new_key() -> str:
    import uuid

    return KEY_PREFIX + uuid.uuid4().hex


def valid_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX) and 8 < len(key) <= 64 and key.isascii() and (
        key[len(KEY_PREFIX):].isalnum())
