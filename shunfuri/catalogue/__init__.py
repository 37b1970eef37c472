"""The error catalogue, read at the edges: a refusal's code -> status, title and words.

The domain and the services raise `ShunfuriError(code, **fields)` and know nothing of
HTTP or of sentences; `api.problems` makes the RFC 9457 body from here, `web.errors` the
page, the CLI its line. A code's entry is in `ENTRIES` (by room: `access`, `money`,
`applications`, `http`); `VARIANTS` holds the more precise words some raise sites use
(`not_found:payee`), which may cite the refusal's fields and facts as `{name}`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from string import Formatter
from typing import Any

from shunfuri.catalogue import access, applications, http, money
from shunfuri.catalogue.entry import GENERIC_TITLE_JA, Entry, Variant
from shunfuri.catalogue.variants import VARIANTS
from shunfuri.errors import ShunfuriError

__all__ = ["ENTRIES", "GENERIC_TITLE_JA", "VARIANTS", "Entry", "Variant", "cited", "entry",
           "fields", "problem", "status", "words"]

log = logging.getLogger("shunfuri.catalogue")

ENTRIES: dict[str, Entry] = {**access.ENTRIES, **money.ENTRIES, **applications.ENTRIES,
                             **http.ENTRIES}


def entry(key: str) -> Entry:
    """The entry for `code` or `code:variant` (a variant's words over its code's entry).
    An unknown code is a fault of ours: it answers as `internal_error`, never a crash."""
    code, _, variant = key.partition(":")
    base = ENTRIES.get(code)
    if base is None:
        log.error("error code %r is not in the catalogue", code)
        return ENTRIES["internal_error"]
    more = VARIANTS.get(key) if variant else None
    if more is None:
        return base
    return replace(base, **{k: v for k, v in vars(more).items() if v is not None})


def status(error: ShunfuriError) -> int:
    return entry(error.key).status


def words(error: ShunfuriError) -> tuple[str, str]:
    """`(detail, detail_ja)` for this refusal, its fields and facts filled in."""
    found = entry(error.key)
    detail, detail_ja = found.detail, found.detail_ja
    values = {**error.extra, **error.facts}
    try:
        return detail.format_map(values), detail_ja.format_map(values)
    except (KeyError, AttributeError, IndexError, ValueError):
        # A raise site without a value its words cite: say the code's plain words.
        log.error("refusal %r lacks a value its words cite", error.key)
        base = ENTRIES.get(error.code, ENTRIES["internal_error"])
        return base.detail, base.detail_ja


def fields(error: ShunfuriError) -> dict[str, Any]:
    """The refusal's body fields; an `errors` item whose `message` is itself a refusal (a
    field refused by a rule of its own, among others) says it in its words."""
    out = dict(error.extra)
    items = out.get("errors")
    if isinstance(items, list):
        out["errors"] = [
            {**item, "message": words(item["message"])[0]}
            if isinstance(item, dict) and isinstance(item.get("message"), ShunfuriError)
            else item
            for item in items
        ]
    return out


def problem(error: ShunfuriError) -> dict[str, Any]:
    """The RFC 9457 problem body; `extra` fields go in as they are."""
    found = entry(error.key)
    code = error.code if error.code in ENTRIES else "internal_error"
    detail, detail_ja = words(error)
    return {
        "type": f"https://shunfuri.dev/problems/{code.replace('_', '-')}",
        "title": found.title,
        "status": found.status,
        "code": code,
        "detail": detail,
        "detail_ja": detail_ja,
        **fields(error),
    }


def cited(text: str) -> set[str]:
    """The names a catalogue text cites as `{name}` (`{due.month}` cites `due`)."""
    names = set()
    for _, field, _, _ in Formatter().parse(text):
        if field:
            names.add(field.split(".")[0].split("[")[0])
    return names
