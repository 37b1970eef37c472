"""PINs nobody can guess from what is known about the person.

The article warns against a PIN others can guess from a birth date or a phone number.
Refused, with the first rule that matches (its code names it):

- `all_same`: four equal digits (0000 ... 9999);
- `run_up` / `run_down`: four consecutive digits, 0123 ... 6789 / 3210 ... 9876 (no
  wrapping: 8901 is allowed);
- `birth_mmdd`, `birth_ddmm`, `birth_year`: the birth date as MMDD, DDMM or YYYY;
- `phone_last4`: the last four digits of any of the person's phone numbers.

Used when a PIN is chosen at contract and whenever one is set later (the desk's reset);
for a member whose birth date or phones we do not hold, only the rules we can apply
are applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from shunfuri.domain.normalise import normalise_identifier, normalise_pin
from shunfuri.errors import ShunfuriError

_RUNS_UP = frozenset("0123456789"[i:i + 4] for i in range(7))
_RUNS_DOWN = frozenset(run[::-1] for run in _RUNS_UP)
REASONS = ("all_same", "run_up", "run_down", "birth_mmdd", "birth_ddmm", "birth_year",
           "phone_last4")


def guessable_reason(
    pin: str, *, birth_date: date | None = None, phones: Iterable[str] = (),
) -> str | None:
    """The code of the first rule `pin` (4 ASCII digits) breaks, or None if it is fine."""
    if len(set(pin)) == 1:
        return "all_same"
    if pin in _RUNS_UP:
        return "run_up"
    if pin in _RUNS_DOWN:
        return "run_down"
    if birth_date is not None:
        if pin == f"{birth_date.month:02d}{birth_date.day:02d}":
            return "birth_mmdd"
        if pin == f"{birth_date.day:02d}{birth_date.month:02d}":
            return "birth_ddmm"
        if pin == f"{birth_date.year:04d}":
            return "birth_year"
    for phone in phones:
        digits = "".join(ch for ch in normalise_identifier(phone) if ch.isascii() and ch.isdigit())
        if len(digits) >= 4 and pin == digits[-4:]:
            return "phone_last4"
    return None


def check_pin(
    raw: str, *, birth_date: date | None = None, phones: Iterable[str] = (), field: str = "pin",
) -> str:
    """The canonical PIN (`normalise_pin`: 4 digits, full-width accepted), or a refusal:
    `validation_error` for a malformed one, `guessable_pin` (with `field` and `reason`; its
    words, `guessable_pin:<reason>`, say why) for one a rule refuses."""
    pin = normalise_pin(raw, field)
    reason = guessable_reason(pin, birth_date=birth_date, phones=phones)
    if reason is not None:
        raise ShunfuriError(f"guessable_pin:{reason}", field=field, reason=reason)
    return pin
