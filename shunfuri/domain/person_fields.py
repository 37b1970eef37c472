"""What an applicant types about themselves, made canonical, one field at a time.

Each reader returns the canonical value or raises `FieldRefused` with a stable code; the
form (`application_form`) gathers the refusals of every field into one answer. A
refusal never repeats the value typed: these are personal data.

Everything is read through NFKC first, as the rest of the project reads what people
type: full-width digits and letters, the ideographic space and half-width katakana all
come out canonical. Digit strings (phone, postal code) then lose every dash and space
variant (`normalise.normalise_identifier`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, cast

import jaconv

from shunfuri.domain import own_name
from shunfuri.domain.normalise import DASHES, SPACES, normalise_identifier
from shunfuri.errors import ShunfuriError

NAME_MAX = 40
TEXT_MAX = 200
EMPLOYER_NAME_MAX = 100
EARLIEST_BIRTH_YEAR = 1900

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DATE = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?", re.ASCII)
# Mobile (070/080/090), IP (050), M2M (020) and 0800 toll-free numbers have 11 digits;
# every other Japanese number, fixed lines and 0120 included, has 10.
_ELEVEN_DIGIT_PREFIXES = ("020", "050", "070", "080", "090", "0800")
_YEN_NOISE = re.compile(r"[,\s円¥￥]")
_KANA_LONG_VOWEL = "ー"
# A middle dot between the parts of a foreign name is read as the space it stands for.
_KANA_SEPARATORS = frozenset("・")
_NAME_MARKS = frozenset("・'-.")


class FieldRefused(ValueError):
    """One field's refusal: a stable `code`, an English `message`, and `params` (limits
    the message names, never the value typed)."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.params = code, message, params


def _text(raw: Any) -> str:
    if raw is None:
        raise FieldRefused("required", "This field is required.")
    if not isinstance(raw, str):
        raise FieldRefused("invalid", "This field is text.")
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
    if not text:
        raise FieldRefused("required", "This field is required.")
    return text


def _length(text: str, maximum: int) -> str:
    if len(text) > maximum:
        raise FieldRefused("too_long", f"At most {maximum} characters.", max=maximum)
    return text


def kanji_name(raw: Any) -> str:
    """A name as written (kanji, kana or Latin letters): letters, spaces and ・ ' - . only."""
    name = _length(_text(raw), NAME_MAX)
    for ch in name:
        letter = unicodedata.category(ch)[0] in "LM"
        if not (letter or ch == " " or ch in _NAME_MARKS):
            raise FieldRefused("invalid_characters",
                               "A name has letters, spaces and ・ ' - . only.")
    if not any(unicodedata.category(ch)[0] == "L" for ch in name):
        raise FieldRefused("invalid_characters", "A name has at least one letter.")
    return name


def kana_name(raw: Any) -> str:
    """Full-width katakana: hiragana and half-width kana are converted, dashes become ー,
    ・ and runs of spaces one space. Only katakana, ー and spaces remain."""
    text = jaconv.hira2kata(unicodedata.normalize("NFKC", raw)) if isinstance(raw, str) else raw
    if isinstance(text, str):
        text = "".join(_kana_char(ch) for ch in text)
    name = _length(_text(text), NAME_MAX)
    if not all(_is_katakana(ch) or ch in (_KANA_LONG_VOWEL, " ") for ch in name):
        raise FieldRefused("not_kana", "Katakana, ー and spaces only (hiragana and "
                                       "half-width kana are converted).")
    if not any(_is_katakana(ch) for ch in name):
        raise FieldRefused("not_kana", "A kana name has at least one katakana letter.")
    try:  # the member's name becomes the own-name key money is checked against (本人名義)
        own_name.holder_key(name)
    except ShunfuriError:
        raise FieldRefused("kana_too_long_for_bank", "A bank account name carries at most "
                                                     "30 half-width characters.") from None
    return name


def _kana_char(ch: str) -> str:
    if ch in _KANA_SEPARATORS or ch in SPACES:
        return " "
    if ch in DASHES and ch not in "〜～":
        return _KANA_LONG_VOWEL
    return ch


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa"  # ァ .. ヺ: every katakana letter, small ones too


def birth_date(raw: Any, today: date) -> date:
    """`date`, or text as 1990-04-01, 1990/4/1, 1990年4月1日 or 19900401 (full-width
    digits accepted); not after `today` and not before 1900."""
    if isinstance(raw, date):
        value = raw
    else:
        text = _text(raw).replace(" ", "")
        match = _DATE.fullmatch(text)
        parts = match.groups() if match else (
            (text[:4], text[4:6], text[6:]) if len(text) == 8 and _DIGITS.fullmatch(text)
            else None)
        if parts is None:
            raise FieldRefused("invalid_date", "A date as YYYY-MM-DD.")
        try:
            value = date(*(int(part) for part in parts))
        except ValueError:
            raise FieldRefused("invalid_date", "This date does not exist.") from None
    if value > today:
        raise FieldRefused("in_future", "The birth date is after today.")
    if value.year < EARLIEST_BIRTH_YEAR:
        raise FieldRefused("too_early", f"The birth date is before {EARLIEST_BIRTH_YEAR}.")
    return value


def phone(raw: Any) -> str:
    """Digits only, from the leading 0 (a +81 prefix is read as 0): 10 digits, or 11 for
    mobile (070/080/090), 050, 020 and 0800 numbers. Hyphens, spaces, brackets and
    full-width digits are accepted."""
    text = _text(raw)
    if text.startswith("+81"):
        text = "0" + text[3:]
    digits = normalise_identifier(text).replace("(", "").replace(")", "")
    if not _DIGITS.fullmatch(digits) or not digits.startswith("0") or digits.startswith("00"):
        raise FieldRefused("invalid_phone", "A Japanese phone number from its leading 0.")
    expected = 11 if digits.startswith(_ELEVEN_DIGIT_PREFIXES) else 10
    if len(digits) != expected:
        raise FieldRefused("invalid_phone", f"This number has {expected} digits.",
                           digits=expected)
    return digits


def postal_code(raw: Any) -> str:
    """Seven digits; 〒, hyphens, spaces and full-width digits are accepted."""
    digits = normalise_identifier(_text(raw).replace("〒", ""))
    if len(digits) != 7 or not _DIGITS.fullmatch(digits):
        raise FieldRefused("invalid_postal_code", "A postal code has 7 digits.")
    return digits


def free_text(raw: Any, maximum: int = TEXT_MAX) -> str:
    """An address or an employer's name: any printable text, spaces collapsed."""
    text = _length(_text(raw), maximum)
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise FieldRefused("invalid_characters", "Printable characters only.")
    return text


def choice(raw: Any, choices: tuple[str, ...]) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldRefused("required", "Choose one.")
    value = raw.strip() if isinstance(raw, str) else raw
    if value not in choices:
        raise FieldRefused("unknown_choice", "Choose one of: " + ", ".join(choices) + ".",
                           choices=choices)
    return value


def whole_number(raw: Any, low: int, high: int, step: int = 1) -> int:
    """A whole number (yen or a count) from `low` to `high` in steps of `step`. Text may
    carry full-width digits, commas, spaces, 円 and ¥."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldRefused("required", "This field is required.")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise FieldRefused("not_whole_number", "A whole number.")
    if isinstance(raw, str):
        text = _YEN_NOISE.sub("", unicodedata.normalize("NFKC", raw))
        if not _DIGITS.fullmatch(text):
            raise FieldRefused("not_whole_number", "A whole number (digits only).")
        raw = int(text) if len(text) <= 15 else high + 1
    if not low <= raw <= high:
        raise FieldRefused("out_of_range", f"From {low:,} to {high:,}.", low=low, high=high)
    if raw % step:
        raise FieldRefused("not_in_steps", f"In steps of {step:,}.", step=step)
    return cast(int, raw)
