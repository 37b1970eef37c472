"""Form helpers: reading what members type, and field errors in Japanese.

The services raise `validation_error` with `errors=[{"field", "message"}]` (English, for
the API); a form shows, next to each field, what to type there instead.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from shunfuri.errors import ShunfuriError

FIELD_HELP_JA = {
    "card_number": "カード番号は16桁の数字です（ハイフンや空白はあってもなくてもかまいません）。",
    "pin": "暗証番号は4桁の数字です。",
    "current_pin": "現在の暗証番号（4桁の数字）を入力してください。",
    "web_id": "Web-IDは3〜64文字の半角英数字と「_」「.」「@」で入力してください。",
    "password": "パスワードを入力してください。",
    "new_password": "パスワードは8〜128文字で入力してください。",
    "password_again": "確認のため、同じパスワードをもう一度入力してください。",
    "bank_code": "金融機関を選び直してください。",
    "branch_code": "支店を選び直してください。",
    "account_type": "預金の種類を選んでください。",
    "account_number": "口座番号は7桁までの数字です。",
    "holder_name": "口座名義をカタカナで入力してください。",
    "payee_id": "振込先口座を選んでください。",
    "amount": "金額は1,000円以上、1,000円単位の数字で入力してください。",
}
LUHN_JA = "カード番号に誤りがあります。数字の打ち間違いがないか確認してください。"
LENGTH_JA = {"holder_name": "口座名義が長すぎます。銀行に送れるのは半角30文字までです。"}


def field_errors(error: ShunfuriError, *, rename: dict[str, str] | None = None) -> dict[str, str]:
    """`{field: Japanese message}` from a service refusal, for the fields it names."""
    out: dict[str, str] = {}
    rename = rename or {}
    if error.code == "invalid_holder_name":
        out["holder_name"] = _holder_ja(error.extra)
        return out
    for item in error.extra.get("errors") or []:
        field = rename.get(item.get("field", ""), item.get("field", ""))
        message = str(item.get("message", ""))
        if field == "holder_name" and "character" in item:
            out[field] = _holder_ja(item)
        elif field == "card_number" and "check digit" in message:
            out[field] = LUHN_JA
        elif field in LENGTH_JA and "at most" in message:
            out[field] = LENGTH_JA[field]
        elif field == "web_id" and error.code == "web_id_taken":
            out[field] = "このWeb-IDはほかの方が使用しています。別のWeb-IDを指定してください。"
        else:
            out[field] = FIELD_HELP_JA.get(field, "入力内容をご確認ください。")
    return out


def _holder_ja(found: dict) -> str:
    ch, pos = found.get("character", ""), found.get("position", "")
    return (f"「{ch}」（{pos}文字目）は口座名義に使えません。"
            "カタカナ、英大文字、数字、空白と ( ) . - / で入力してください。")


_AMOUNT_NOISE = re.compile(r"[,\s円¥￥]")


def parse_amount(raw: str) -> int:
    """`１０，０００円`, `10,000`, `¥10000` -> 10000; anything else is `validation_error`."""
    text = _AMOUNT_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ShunfuriError(
            "validation_error", errors=[{"field": "amount", "message": "not a whole number"}]
        )
    return int(text)


def parse_id(raw: Any, field: str) -> int:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= len(text) <= 18:
        raise ShunfuriError("validation_error", errors=[{"field": field, "message": "invalid"}])
    return int(text)
