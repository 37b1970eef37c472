"""The bank master: every Zengin code is a bank; a few are real-time banks.

Which banks are real-time, and when they are in maintenance, is data shipped with the
package (`shunfuri/data/realtime_banks.json`): adding a bank or moving a window is an
edit of that file, not of code. Names come from the Zengin master (`zengin-code`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from shunfuri.domain.windows import Window, window_from_spec
from shunfuri.errors import ShunfuriError

TABLE = ("data", "realtime_banks.json")
_BANK_CODE = re.compile(r"[0-9]{4}", re.ASCII)
_BRANCH_CODE = re.compile(r"[0-9]{3}", re.ASCII)


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    realtime: bool
    maintenance: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Branch:
    code: str
    name: str


@lru_cache(maxsize=1)
def _zengin() -> dict[str, Any]:
    # Loading the master parses ~1,100 banks and their branches: do it once, on first use.
    from zengin_code import Bank as ZBank

    return cast(dict[str, Any], ZBank.all)


@lru_cache(maxsize=1)
def realtime_table() -> dict[str, tuple[Window, ...]]:
    """code -> maintenance windows, read from the data file (validated on first use)."""
    raw = json.loads(resources.files("shunfuri").joinpath(*TABLE).read_text("utf-8"))
    table: dict[str, tuple[Window, ...]] = {}
    for entry in raw["banks"]:
        code = entry["code"]
        if not _is_code(code, _BANK_CODE) or code in table:
            raise ValueError(f"{'/'.join(TABLE)}: bad or repeated bank code {code!r}")
        table[code] = tuple(window_from_spec(w) for w in entry.get("maintenance", ()))
    return table


def _is_code(value: object, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _shown(value: object) -> object:
    # The code goes back into the problem body; keep it JSON-friendly and short.
    return value if isinstance(value, str) and len(value) <= 32 else repr(value)[:32]


@lru_cache(maxsize=4096)
def _bank(code: str) -> Bank | None:
    zbank = _zengin().get(code)
    if zbank is None:
        return None
    windows = realtime_table().get(code)
    return Bank(code=code, name=zbank.name, realtime=windows is not None, maintenance=windows or ())


def bank_codes() -> tuple[str, ...]:
    """Every valid bank code (the Zengin master), in code order."""
    return tuple(sorted(_zengin()))


def get_bank(code: str) -> Bank:
    """The bank for a 4-digit Zengin code; `unknown_bank` for anything else."""
    bank = _bank(code) if _is_code(code, _BANK_CODE) else None
    if bank is None:
        raise ShunfuriError("unknown_bank", bank_code=_shown(code))
    return bank


def get_branch(bank_code: str, branch_code: str) -> Branch:
    """The branch for a 3-digit code of that bank; `unknown_bank` / `unknown_branch`."""
    get_bank(bank_code)
    zbranch = None
    if _is_code(branch_code, _BRANCH_CODE):
        zbranch = _zengin()[bank_code].branches.get(branch_code)
    if zbranch is None:
        raise ShunfuriError(
            "unknown_branch", bank_code=bank_code, branch_code=_shown(branch_code)
        )
    return Branch(code=branch_code, name=zbranch.name)


# --- finding a bank or a branch by what a member types ------------------------------

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")


def _folded(text: str) -> str:
    """What a search compares: NFKC, katakana as hiragana, small kana full size (the
    Zengin master writes チヨウ for チョウ), long-vowel marks, dashes and spaces gone,
    lower-case. So `ミツイ スミトモ`, `みついすみとも` and `ﾐﾂｲｽﾐﾄﾓ` all find 三井住友."""
    import unicodedata

    import jaconv

    text = jaconv.kata2hira(unicodedata.normalize("NFKC", text)).translate(_SMALL_KANA)
    return "".join(ch for ch in text.lower() if not ch.isspace() and ch not in "-ー‐－")


@dataclass(frozen=True)
class Found:
    code: str
    name: str
    kana: str


def _search(entries: Any, query: str, limit: int) -> list[Found]:
    wanted = _folded(query)
    if not wanted:
        return []
    exact, prefix, inside = [], [], []
    for code in sorted(entries):
        entry = entries[code]
        found = Found(code=code, name=entry.name, kana=entry.kana)
        names = (_folded(entry.name), _folded(entry.hira), _folded(entry.roma or ""))
        if wanted == code or wanted in names:
            exact.append(found)
        elif code.startswith(wanted) or any(n.startswith(wanted) for n in names):
            prefix.append(found)
        elif any(wanted in n for n in names):
            inside.append(found)
    return (exact + prefix + inside)[:limit]


def search_banks(query: str, *, limit: int = 20) -> list[Found]:
    """Banks of the Zengin master whose code, name, kana or romaji match `query`:
    exact matches first, then prefixes, then anything containing it."""
    return _search(_zengin(), query, limit)


def search_branches(bank_code: str, query: str, *, limit: int = 30) -> list[Found]:
    """The same search among one bank's branches (`unknown_bank` for a bad code)."""
    get_bank(bank_code)
    return _search(_zengin()[bank_code].branches, query, limit)
