"""The error catalogue against the code that raises: every code raised has an entry, every
entry is raised somewhere, and every raise site gives the values its words cite.

The raise sites are found by reading the source (`ast`), so a new `ShunfuriError("x")`
without an entry fails here, before any request meets it.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from shunfuri import catalogue
from shunfuri.catalogue import ENTRIES, VARIANTS
from shunfuri.domain import pins
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import throttle

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shunfuri", "api", "web")
SPEC = Path("/work/shared/spec/api.md")


def _sources() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))
            if "catalogue" not in p.parts and "migrations" not in p.parts]


def _is_lookup(node: ast.AST) -> bool:
    """`catalogue.entry("code")`: an edge that says a code's words without a refusal."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "entry" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "catalogue" and bool(node.args)
            and isinstance(node.args[0], ast.Constant))


def _is_raise_site(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "ShunfuriError" and bool(node.args)


class Sites:
    """Every `ShunfuriError(...)` in the system: literal keys, f-string prefixes
    (`f"guessable_pin:{reason}"`) and the modules that choose a code at run time."""

    def __init__(self) -> None:
        self.literal: list[tuple[str, str, ast.Call]] = []  # (where, key, call)
        self.prefixes: list[tuple[str, str]] = []  # (where, "code:")
        self.dynamic_constants: set[str] = set()  # string constants of such modules
        self.looked_up: set[str] = set()
        for path in _sources():
            tree = ast.parse(path.read_text(encoding="utf-8"))
            dynamic = False
            for node in ast.walk(tree):
                if _is_lookup(node):
                    self.looked_up.add(node.args[0].value)  # type: ignore[attr-defined]
                if not _is_raise_site(node):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    self.literal.append((where, first.value, node))
                elif isinstance(first, ast.JoinedStr) and isinstance(
                        first.values[0], ast.Constant):
                    self.prefixes.append((where, str(first.values[0].value)))
                else:
                    dynamic = True
            if dynamic:
                self.dynamic_constants |= {
                    n.value for n in ast.walk(tree)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }


SITES = Sites()


def test_the_walk_finds_the_raise_sites() -> None:
    # A walk that found nothing would pass every test below.
    assert len(SITES.literal) > 100
    assert {key for _, key, _ in SITES.literal} >= {"not_cancellable:in_doubt", "not_found"}
    assert any(where.startswith("shunfuri/domain/pins.py") for where, _ in SITES.prefixes)


def test_every_code_raised_has_an_entry() -> None:
    missing = [(where, key) for where, key, _ in SITES.literal
               if key.partition(":")[0] not in ENTRIES or (":" in key and key not in VARIANTS)]
    missing += [(where, prefix) for where, prefix in SITES.prefixes
                if prefix.partition(":")[0] not in ENTRIES
                or not any(v.startswith(prefix) for v in VARIANTS)]
    assert missing == []


def test_every_entry_and_variant_is_raised_somewhere() -> None:
    raised = {key for _, key, _ in SITES.literal} | SITES.dynamic_constants | SITES.looked_up
    prefixes = tuple(prefix for _, prefix in SITES.prefixes)
    unused = [code for code in ENTRIES
              if code not in raised and not any(k.startswith(f"{code}:") for k in raised)
              and not any(p.startswith(f"{code}:") for p in prefixes)]
    unused += [key for key in VARIANTS if key not in raised and not key.startswith(prefixes)]
    assert unused == []


def test_each_raise_site_gives_the_values_its_words_cite() -> None:
    short = []
    for where, key, call in SITES.literal:
        if any(k.arg is None for k in call.keywords):
            continue  # **fields: not knowable from the source
        given = {k.arg for k in call.keywords if k.arg != "facts"}
        facts = next((k.value for k in call.keywords if k.arg == "facts"), None)
        if facts is not None:
            if not isinstance(facts, ast.Dict):
                continue
            given |= {k.value for k in facts.keys if isinstance(k, ast.Constant)}
        found = catalogue.entry(key)
        cited = catalogue.cited(found.detail) | catalogue.cited(found.detail_ja)
        if cited - given:
            short.append((where, key, sorted(cited - given)))
    assert short == []


def test_a_code_s_own_words_cite_nothing() -> None:
    # They are what a refusal says when a value is missing, so they must always format.
    citing = {code: catalogue.cited(e.detail) | catalogue.cited(e.detail_ja)
              for code, e in ENTRIES.items()}
    assert {code: names for code, names in citing.items() if names} == {}


def test_every_variant_belongs_to_a_code() -> None:
    assert [key for key in VARIANTS if key.partition(":")[0] not in ENTRIES] == []


def test_every_guessable_pin_reason_and_rate_scope_has_its_words() -> None:
    wanted = {f"guessable_pin:{r}" for r in pins.REASONS}
    scopes = {"login", "staff-login", "web_id", "web_id_address",
              throttle.ELIGIBILITY, throttle.APPLICATION, throttle.PAGES}
    wanted |= {f"too_many_requests:{s}" for s in scopes}
    assert wanted - set(VARIANTS) == set()


def test_the_spec_s_codes_keep_their_statuses() -> None:
    rows = re.findall(r"^\| (`[a-z_]+`(?: / `[a-z_]+`)*) \| (\d{3}) \|", SPEC.read_text(),
                      re.MULTILINE)
    assert len(rows) >= 12
    for codes, status in rows:
        for code in re.findall(r"`([a-z_]+)`", codes):
            assert ENTRIES[code].status == int(status), code


def test_every_entry_is_complete() -> None:
    for code, e in ENTRIES.items():
        assert 400 <= e.status <= 599, code
        assert e.title and e.detail and e.detail_ja.endswith("。"), code
        assert e.title_ja and all(point.endswith("。") for point in e.remedies_ja), code


def test_a_variant_cites_fields_and_facts() -> None:
    error = ShunfuriError("repayment_overdue:missed", facts={"due": date(2026, 12, 5)},
                          amount_due=12_000, missed_due_date="2026-12-05")
    body = catalogue.problem(error)
    assert (body["code"], body["status"], body["title"]) == (
        "repayment_overdue", 409, "Repayment overdue")
    assert "12月5日" in body["detail_ja"] and "12,000円" in body["detail_ja"]
    assert "2026-12-05" in body["detail"] and "due" not in body  # facts stay out of the body
    assert body["amount_due"] == 12_000


def test_words_missing_a_value_fall_back_to_the_code_s_own() -> None:
    body = catalogue.problem(ShunfuriError("repayment_too_large:amount", payoff_today=5))
    assert body["detail_ja"] == ENTRIES["repayment_too_large"].detail_ja
    assert body["payoff_today"] == 5


def test_an_unknown_code_answers_as_an_internal_error() -> None:
    body = catalogue.problem(ShunfuriError("no_such_code"))
    assert (body["code"], body["status"]) == ("internal_error", 500)
    # A known code with an unknown variant keeps its code and says the code's words.
    body = catalogue.problem(ShunfuriError("not_found:nowhere"))
    assert (body["code"], body["detail"]) == ("not_found", ENTRIES["not_found"].detail)


@pytest.mark.parametrize("typed", ["{", "{0}", "{amount}"])
def test_a_cited_value_is_never_read_as_a_template(typed: str) -> None:
    body = catalogue.problem(ShunfuriError("invalid_holder_name:character", field="holder_name",
                                           character=typed, position=3))
    assert f"'{typed}' (character 3)" in body["detail"]


def test_a_field_refused_by_its_own_rule_is_said_in_words() -> None:
    inner = ShunfuriError("unknown_bank", bank_code="9999")
    outer = ShunfuriError("validation_error", errors=[{"field": "bank_code", "message": inner}])
    assert catalogue.problem(outer)["errors"] == [
        {"field": "bank_code", "message": ENTRIES["unknown_bank"].detail}]
