"""本人名義: is a bank account in the member's own name? Pure.

The bank only ever sees a holder name in the Zengin transfer character set, so that is
where two names are compared: both are brought to Zengin half-width katakana by
`normalise.normalise_holder_name` (which already makes hiragana, full-width and
half-width katakana, small kana, every long-vowel mark and every form of the voiced
marks the same), and then spaces are dropped. What is equal after that is what a bank
records and checks as the same name:

- `ヤマダ タロウ`, `やまだ　たろう`, `ﾔﾏﾀﾞﾀﾛｳ`, `ヤマダタロウ`: equal (the space between family
  and given name is typed by habit: some write it, some do not, some write two);
- `キャッシュ` and `キヤツシユ`: equal (Zengin has no small kana: the bank itself receives
  `ｷﾔﾂｼﾕ`);
- `サトー`, `サト-`, `サトｰ`: equal (one long-vowel mark, however it was typed);
- `ガ` typed precomposed, as `カ` + a combining or a standalone dakuten, or as `ｶﾞ`: equal.

And what stays different, because it is a different name on the bank's record: a
voiced mark present or absent (`ﾀﾞ` is not `ﾀ`), a long-vowel mark present or absent
(`ｵ-ﾉ` is not `ｵｵﾉ`), and any other kana. A member whose passbook spells the name
otherwise than their application has the desk record the kana as the bank has it.
"""

from __future__ import annotations

import re
import unicodedata

import jaconv

from shunfuri.domain import normalise
from shunfuri.errors import ShunfuriError

FIELD = "name_kana"


def name_key(zengin_name: str) -> str:
    """The comparison key of a name already in Zengin form (a stored payee's holder name):
    the same name without its spaces."""
    return zengin_name.replace(" ", "")


def holder_key(typed: str, field: str = "holder_name") -> str:
    """The comparison key of a name as typed: Zengin form, then `name_key`."""
    return name_key(normalise.normalise_holder_name(typed, field=field))


def member_kana(raw: str) -> tuple[str, str]:
    """A member's name in kana as it is kept (full-width katakana, one space between
    parts, as an application gives it) and its comparison key. Hiragana, half-width
    katakana and any spacing are accepted. `validation_error` on `name_kana` when the
    name is empty, longer than a bank carries (30 half-width characters once converted)
    or has a character no bank account name can carry."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = jaconv.hira2kata(text).upper()
    text = re.sub(r"\s+", " ", "".join(" " if ch in normalise.SPACES else ch for ch in text))
    kept = text.strip()
    if not kept:
        raise normalise.invalid(FIELD, "The name in kana is empty.")
    try:  # also bounds the length: 30 half-width characters once converted, as a payee's
        key = holder_key(kept, field=FIELD)
    except ShunfuriError as exc:
        # The holder-name refusal is said in words at the edge; a validation error
        # already carries its field's message.
        message = exc if exc.code == "invalid_holder_name" else (
            (exc.extra.get("errors") or [{}])[0].get("message", exc))
        raise normalise.invalid(FIELD, message) from None
    return kept, key


def is_own(member_key: str | None, holder_name: str) -> bool:
    """True when the member's kana name is not known yet (nothing to compare with), or the
    stored holder name (Zengin form) is the member's name."""
    return member_key is None or name_key(holder_name) == member_key


def refusal_for_money() -> ShunfuriError:
    """`payee_not_own_name` for money to (or from) a payee registered before the member's
    name was known, or not in it (`payee_not_own_name:for_money` in the catalogue)."""
    return ShunfuriError(
        "payee_not_own_name:for_money",
        errors=[{"field": "payee_id", "message": "not an account in the member's own name"}],
    )
