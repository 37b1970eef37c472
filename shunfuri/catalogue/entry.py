"""One catalogue entry: what the edges say for a refusal's code."""

from __future__ import annotations

from dataclasses import dataclass

GENERIC_TITLE_JA = "お手続きできませんでした"


@dataclass(frozen=True)
class Entry:
    """`status`, `title`, `detail` and `detail_ja` make the API's problem body (fixed by
    the spec); `title_ja`, `remedies_ja` (points a page can say beyond the one line) and
    `page_ja` (a page's own words, where `detail_ja` names API fields) make the page."""

    status: int
    title: str
    detail: str
    detail_ja: str
    title_ja: str = GENERIC_TITLE_JA
    remedies_ja: tuple[str, ...] = ()
    page_ja: str | None = None


@dataclass(frozen=True)
class Variant:
    """More precise words for one raise site of a code (`code:variant`); the status and
    the title stay the code's. `{name}` cites a field or a fact of the refusal."""

    detail: str | None = None
    detail_ja: str | None = None
