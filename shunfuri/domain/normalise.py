"""What members type, made canonical: identifiers, card numbers, PINs, holder names.

Pure functions. The article's first reason a member cannot log in is a card number
typed with full-width digits, hyphens or spaces; those are normalised here (NFKC, then
every dash and space variant removed) *before* anything is compared, and a card number
that is still malformed afterwards (wrong length, a non-digit, a failed Luhn check
digit) is a `validation_error`: it never reaches the PIN check, so it never counts as a
wrong secret.

Holder names are brought to the Zengin transfer character set: half-width katakana
(small kana written full size, the long-vowel mark as `-`), A-Z, 0-9, space and
`( ) . - /`. Anything else is refused with `invalid_holder_name`, naming the character
and its 1-based position in what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jaconv

from shunfuri.errors import ShunfuriError

CARD_NUMBER_LENGTH = 16
PIN_LENGTH = 4
ACCOUNT_NUMBER_LENGTH = 7
HOLDER_NAME_MAX = 30  # the Zengin record's 受取人名 field is 30 half-width characters

# Everything a member may type between digit groups. NFKC already folds the full-width
# hyphen-minus (U+FF0D) and the ideographic space (U+3000); the rest are listed so that
# the behaviour does not depend on NFKC details.
DASHES = frozenset(
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
    "\u30fc\uff70\u301c\uff5e"  # ー ｰ 〜 ～: long-vowel marks and waves typed as dashes
)
SPACES = frozenset(" \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                   "\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u3000\ufeff")

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_WEB_ID = re.compile(r"[a-z0-9_.@]{3,64}", re.ASCII)


def invalid(field: str, message: str | ShunfuriError) -> ShunfuriError:
    """A `validation_error` naming one field; never echoes the value (it may be secret).
    `message` may be a refusal of its own, which the edge says in its words."""
    return ShunfuriError("validation_error", errors=[{"field": field, "message": message}])


def _encodable(text: str) -> bool:
    """False for strings JSON can carry but UTF-8 cannot (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(ch: str) -> str:
    """A character safe to put in an answer: itself, or `U+XXXX` if unprintable."""
    return ch if ch.isprintable() and _encodable(ch) else f"U+{ord(ch):04X}"


def normalise_identifier(raw: str) -> str:
    """NFKC, then drop every hyphen/dash and space variant: `１２３４－５６７８` -> `12345678`."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if ch not in DASHES and ch not in SPACES)


# --- card numbers (16 digits, the last a Luhn check digit) -------------------------


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    if not _DIGITS.fullmatch(payload):
        raise ValueError("Luhn payload must be ASCII digits")
    total = 0
    # Walking right to left, the digit next to the (future) check digit is doubled.
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return (
        len(number) >= 2
        and _DIGITS.fullmatch(number) is not None
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def normalise_card_number(raw: str, field: str = "card_number") -> str:
    """Canonical 16-digit card number, or `validation_error` (never a wrong-secret count)."""
    number = normalise_identifier(raw)
    if not _DIGITS.fullmatch(number):
        raise invalid(field, "A card number has digits only (hyphens and spaces are ignored).")
    if len(number) != CARD_NUMBER_LENGTH:
        raise invalid(field, f"A card number has {CARD_NUMBER_LENGTH} digits.")
    if not luhn_valid(number):
        raise invalid(field, "This is not a valid card number (check digit mismatch); "
                             "check for a mistyped digit.")
    return number


# --- Web-IDs, PINs and passwords ---------------------------------------------------


def normalise_web_id(raw: str, field: str = "web_id") -> str:
    """NFKC, dashes and spaces removed, lower-cased; 3-64 of `a-z 0-9 _ . @`."""
    web_id = normalise_identifier(raw).lower()
    if not _WEB_ID.fullmatch(web_id):
        raise invalid(field, "A Web-ID is 3 to 64 letters, digits, '_', '.' or '@' "
                             "(hyphens and spaces are ignored).")
    return web_id


def normalise_pin(raw: str, field: str = "pin") -> str:
    """NFKC (full-width digits accepted), surrounding spaces dropped; exactly 4 digits."""
    pin = unicodedata.normalize("NFKC", raw).strip()
    if len(pin) != PIN_LENGTH or not _DIGITS.fullmatch(pin):
        raise invalid(field, f"A PIN is exactly {PIN_LENGTH} digits.")
    return pin


def normalise_password(raw: str, field: str = "password", *, new: bool = False) -> str:
    """NFKC (as NIST SP 800-63B suggests for Unicode secrets); length-checked.

    A new password is 8-128 characters; at login anything 1-1024 characters is checked
    (the upper bound keeps a request from buying unbounded hashing work).
    """
    if not _encodable(raw):
        raise invalid(field, "The password contains a character that is not valid text.")
    password = unicodedata.normalize("NFKC", raw)
    low, high = (8, 128) if new else (1, 1024)
    if not low <= len(password) <= high:
        raise invalid(field, f"A password is {low} to {high} characters.")
    return password


# --- bank accounts -----------------------------------------------------------------


def normalise_account_number(raw: str, field: str = "account_number") -> str:
    """1-7 digits (full-width accepted), left-padded with zeros to 7."""
    number = unicodedata.normalize("NFKC", raw).strip()
    if not _DIGITS.fullmatch(number) or len(number) > ACCOUNT_NUMBER_LENGTH:
        raise invalid(field, f"An account number is 1 to {ACCOUNT_NUMBER_LENGTH} digits.")
    return number.zfill(ACCOUNT_NUMBER_LENGTH)


def normalise_code(raw: str, length: int, field: str) -> str:
    """A bank (4) or branch (3) code: NFKC, surrounding spaces dropped, `length` digits."""
    code = unicodedata.normalize("NFKC", raw).strip()
    if len(code) != length or not _DIGITS.fullmatch(code):
        raise invalid(field, f"This code is exactly {length} digits.")
    return code


# --- Zengin holder names -----------------------------------------------------------

_SMALL_TO_FULL = str.maketrans(
    "ァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖｧｨｩｪｫｯｬｭｮ",
    "アイウエオツヤユヨワカケアイウエオツヤユヨワカケｱｲｳｴｵﾂﾔﾕﾖ",
)
# Kana with no half-width form, written as banks write them.
_OBSOLETE_KANA = str.maketrans({"ヰ": "イ", "ヱ": "エ", "ゐ": "イ", "ゑ": "エ"})
_VOICING = {
    "\u3099": "\uff9e", "\u309b": "\uff9e", "\uff9e": "\uff9e",  # dakuten forms -> ﾞ
    "\u309a": "\uff9f", "\u309c": "\uff9f", "\uff9f": "\uff9f",  # handakuten forms -> ﾟ
}
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ZENGIN_SYMBOLS = frozenset(" ().-/")


def _zengin_allowed(ch: str) -> bool:
    code = ord(ch)
    return (
        "A" <= ch <= "Z"
        or "0" <= ch <= "9"
        or ch in _ZENGIN_SYMBOLS
        or code == 0xFF66  # ｦ
        or 0xFF71 <= code <= 0xFF9F  # ｱ..ﾝ, ﾞ, ﾟ
    )


def _holder_char(ch: str) -> str:
    """One typed character (after NFC) in Zengin form; may be 2 characters (ｶﾞ)."""
    if ch in _VOICING:
        return _VOICING[ch]
    if ch in DASHES:
        return "-"
    if ch in SPACES:
        return " "
    text = unicodedata.normalize("NFKC", ch)  # half-width kana -> full, ＡＢ -> AB, （ -> (
    text = jaconv.hira2kata(text)
    text = text.translate(_SMALL_TO_FULL).translate(_OBSOLETE_KANA).translate(_ASCII_UPPER)
    if any(c in DASHES for c in text):  # e.g. a half-width ｰ folded by NFKC to ー
        text = "".join("-" if c in DASHES else c for c in text)
    return jaconv.z2h(text, kana=True, ascii=True, digit=True)


def normalise_holder_name(raw: str, field: str = "holder_name") -> str:
    """Zengin half-width katakana form of an account holder name.

    `ヤマダ　タロウ` -> `ﾔﾏﾀﾞ ﾀﾛｳ`, `ｷｬｯｼｭ` -> `ｷﾔﾂｼﾕ`, `コーヒー` -> `ｺ-ﾋ-`,
    `yamada` -> `YAMADA`. Runs of spaces collapse to one; leading and trailing spaces go.
    A character outside the set -> `invalid_holder_name` with `character` and `position`.
    """
    typed = unicodedata.normalize("NFC", raw)
    parts: list[str] = []
    for position, ch in enumerate(typed, start=1):
        converted = _holder_char(ch)
        for out in converted:
            if not _zengin_allowed(out):
                raise ShunfuriError(
                    "invalid_holder_name:character",
                    field=field,
                    character=shown(ch),
                    position=position,
                )
        parts.append(converted)
    name = re.sub(" +", " ", "".join(parts)).strip()
    if not name:
        raise invalid(field, "The account holder name is empty.")
    if len(name) > HOLDER_NAME_MAX:
        raise invalid(
            field,
            f"The account holder name is {len(name)} half-width characters once converted; "
            f"banks carry at most {HOLDER_NAME_MAX}.",
        )
    return name


# --- the same rules as JSON Schema patterns (for the OpenAPI document) ---------------
# Each pattern matches exactly what the function above accepts, as far as a regular
# expression can say it: typed digits ASCII or full-width, and the spaces and dashes the
# function drops. (What a pattern cannot say - a card number's check digit, a holder
# name's length once converted - the function still decides.) `tests/unit/
# test_normalise_patterns.py` holds each pattern to its function.


def _char_class(chars: frozenset[str]) -> str:
    """`[...]` of these characters, `\\uXXXX`-escaped, consecutive ones as ranges."""
    points, runs = sorted(ord(c) for c in chars), list[list[int]]()
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return "[" + "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in runs
    ) + "]"


def _kept(chars: frozenset[str], keep: frozenset[str]) -> frozenset[str]:
    """The characters whose NFKC form is still in `keep` (or empty)."""
    return frozenset(c for c in chars if all(k in keep for k in unicodedata.normalize("NFKC", c)))


def _typed_as(accepted: str) -> frozenset[str]:
    """The BMP characters NFKC turns into exactly one of `accepted` (０ and ² are 0 and
    2). A JSON Schema pattern has no escape for characters beyond the BMP, and one that
    NFKC makes several characters (ﬀ) cannot be counted by it: both are left out."""
    return frozenset(
        ch for ch in map(chr, range(0x10000))
        if not 0xD800 <= ord(ch) <= 0xDFFF
        and (folded := unicodedata.normalize("NFKC", ch).lower()) in accepted and len(folded) == 1
    )


_TYPED_DIGIT = _char_class(_typed_as("0123456789"))
_SEPARATOR = _char_class(_kept(DASHES | SPACES, DASHES | SPACES))
_STRIPPED = _char_class(_kept(frozenset(chr(c) for c in range(0x3100) if chr(c).isspace()),
                              frozenset(chr(c) for c in range(0x3100) if chr(c).isspace())))


def _digits_between_separators(count: str) -> str:
    return f"^{_SEPARATOR}*(?:{_TYPED_DIGIT}{_SEPARATOR}*){count}$"


def _stripped_digits(count: str) -> str:
    return f"^{_STRIPPED}*{_TYPED_DIGIT}{count}{_STRIPPED}*$"


CARD_NUMBER_PATTERN = _digits_between_separators(f"{{{CARD_NUMBER_LENGTH}}}")
WEB_ID_PATTERN = (
    f"^{_SEPARATOR}*(?:{_char_class(_typed_as('abcdefghijklmnopqrstuvwxyz0123456789_.@'))}"
    f"{_SEPARATOR}*){{3,64}}$"
)
PIN_PATTERN = _stripped_digits(f"{{{PIN_LENGTH}}}")
ACCOUNT_NUMBER_PATTERN = _stripped_digits(f"{{1,{ACCOUNT_NUMBER_LENGTH}}}")
BANK_CODE_PATTERN = _stripped_digits("{4}")
BRANCH_CODE_PATTERN = _stripped_digits("{3}")


@lru_cache(maxsize=1)
def holder_name_pattern() -> str:
    """What `normalise_holder_name` accepts, as far as a pattern can say it: only
    characters it can convert, and at least one that is not a space. (Its length once
    converted - ｶﾞ is two - is not a thing a pattern can count.) Built by asking the
    function about every BMP character, so it is made when first asked (~1 s)."""
    allowed, visible = set(), set()
    for point in range(0x10000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        typed = chr(point)
        converted = "".join(_holder_char(ch) for ch in unicodedata.normalize("NFC", typed))
        if converted and all(_zengin_allowed(ch) for ch in converted):
            allowed.add(typed)
            if converted.strip(" "):
                visible.add(typed)
    every = _char_class(frozenset(allowed))
    return f"^{every}*{_char_class(frozenset(visible))}{every}*$"
