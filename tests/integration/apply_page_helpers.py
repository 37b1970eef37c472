"""Helpers for the applicant's pages in-process: reading a page's form as a browser would
send it (its hidden fields included), and walking the /apply steps."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

# What an applicant types on each step, full-width digits and hyphens included.
STEP_VALUES: dict[str, dict[str, str]] = {
    "name": {"name_kanji": "山田　花子", "name_kana": "やまだ はなこ",
             "birth_date": "１９９０／４／１"},
    "contact": {"phone": "０９０－１２３４－５６７８", "email": "hanako@example.jp",
                "postal_code": "〒１５０－０００１", "address": "東京都渋谷区神宮前１－２－３"},
    "work": {"employment": "employee", "employer_name": "株式会社サンプル",
             "employer_phone": "０３－１２３４－５６７８"},
    "income": {"annual_income": "４，０００，０００", "other_count": "０", "other_balance": "0"},
    "limit": {"requested_limit": "３０００００円", "proof_kind": "", "proof_income": ""},
}
STEPS = tuple(STEP_VALUES)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {"action": a.get("action", ""), "fields": {}, "inputs": []}
            self.forms.append(self._current)
        elif tag in ("input", "button") and self._current is not None:
            self._current["inputs"].append((tag, a))
            kind = a.get("type", "text" if tag == "input" else "submit")
            if tag == "input" and kind not in ("radio", "checkbox", "submit"):
                self._current["fields"][a.get("name", "")] = a.get("value", "")
            elif kind in ("radio", "checkbox") and "checked" in a:
                self._current["fields"][a.get("name", "")] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_of(html: str, action: str, index: int = 0) -> dict[str, str]:
    """The fields a browser would send with the `index`th form posting to `action`."""
    found = [f for f in forms(html) if f["action"] == action]
    assert len(found) > index, f"no form to {action}"
    return dict(found[index]["fields"])


def hidden_names(html: str, action: str) -> set[str]:
    found = [f for f in forms(html) if f["action"] == action][0]
    return {a.get("name", "") for tag, a in found["inputs"]
            if tag == "input" and a.get("type") == "hidden"}


def send(client, html: str, action: str, changes: dict[str, str] | None = None,
         index: int = 0, **kwargs):  # type: ignore[no-untyped-def]
    data = {**form_of(html, action, index), **(changes or {})}
    return client.post(action, data=data, follow_redirects=False, **kwargs)


def walk_to_confirm(client, values: dict[str, dict[str, str]] | None = None):  # type: ignore[no-untyped-def]
    """/apply from the first step to the confirmation page, each step sent with its
    page's own hidden fields; the confirmation page's response."""
    values = values or STEP_VALUES
    page = client.get("/apply")
    assert page.status_code == 200, page.text
    for step in STEPS:
        page = send(client, page.text, "/apply", {**values[step], "go": "next"})
        assert page.status_code == 200, (step, errors_in(page.text))
    assert "入力内容の確認" in page.text
    return page


def errors_in(html: str) -> dict[str, str]:
    """`{field: message}` shown next to fields on a page."""
    return dict(re.findall(r'<p class="field-error" id="e-([a-z_]+)">([^<]*)</p>', html))


def submit(client, confirm_html: str, **changes: str):  # type: ignore[no-untyped-def]
    return send(client, confirm_html, "/apply/submit", {"consent": "yes", **changes})
