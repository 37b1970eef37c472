"""Hostile input, property by property: whatever a client sends, the answer is a
documented refusal or the documented success - never a 500, never a half-stored row.

Bounded for `make test`: modest `max_examples`, no deadline (the first request of a
run pays for imports), derandomised so a CI failure reproduces.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shunfuri.catalogue import ENTRIES
from shunfuri.domain import normalise
from shunfuri.errors import ShunfuriError
from tests.integration.member_helpers import PIN, bearer, create_member, token_for

FUZZ = settings(
    max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROBLEM = "application/problem+json"
ZENGIN_OUT = re.compile(r"^[\uff66-\uff9f0-9A-Z ().\-/]+$")
PAYEE = {"bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
         "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN}

# Anything JSON can carry, nested a little.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
# Every Unicode plane and category, lone surrogates included (sent as JSON escapes).
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=sys.maxunicode), max_size=40)


def send(client, method: str, path: str, body, headers=None):  # type: ignore[no-untyped-def]
    """Send `body` as JSON text with ASCII escapes, so even a lone surrogate or a NaN
    travels exactly as a hostile client could write it."""
    content = json.dumps(body, ensure_ascii=True, allow_nan=True)
    return client.request(method, path, content=content,
                          headers={"Content-Type": "application/json", **(headers or {})})


def assert_refusal(response, *allowed: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code < 500 or response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    body = response.json()
    assert body["code"] in ENTRIES and body["status"] == response.status_code, body
    assert body["detail"] and body["detail_ja"], body
    if allowed:
        assert body["code"] in allowed, body
    return body


@pytest.fixture()
def member(client, admin_headers):  # type: ignore[no-untyped-def]
    created = create_member(client, admin_headers, credit_limit=5_000_000)
    headers = bearer(token_for(client, created["card_number"]))
    payee = client.post("/v1/payees", headers=headers, json=PAYEE)
    assert payee.status_code == 201, payee.text
    return {"headers": headers, "payee_id": payee.json()["id"], **created}


# --- login identifiers -------------------------------------------------------------------


@FUZZ
@given(identifier=st.one_of(any_text, json_values), secret=st.one_of(any_text, json_values),
       form=st.sampled_from(["card", "web"]))
def test_login_identifiers_and_secrets(client, identifier, secret, form):
    keys = ("card_number", "pin") if form == "card" else ("web_id", "password")
    r = send(client, "POST", "/v1/login", {keys[0]: identifier, keys[1]: secret})
    assert r.status_code != 200, "a made-up identifier logged in"
    # No device token: an identifier guessed at is paused for unknown clients, never locked.
    assert_refusal(r, "validation_error", "invalid_credentials", "too_many_attempts")


@FUZZ
@given(body=json_values)
def test_login_body_of_any_shape(client, body):
    assert_refusal(send(client, "POST", "/v1/login", body), "validation_error")


# --- amounts -----------------------------------------------------------------------------

amounts = st.one_of(
    st.integers(min_value=-(10**31), max_value=10**31),
    st.sampled_from([0, -1000, 1000, 999, 1001, 5_000_000, 5_001_000, 10**30, -(10**30),
                     2**63, 2**64, 1e3, 1000.0, 1e30, float("inf"), float("-inf"),
                     float("nan"), "1000", "１０００", "1e3", "", True, False, None]),
    st.floats(), st.text(max_size=12), json_values,
)


@FUZZ
@given(amount=amounts)
def test_amounts(client, member, amount):
    r = send(client, "POST", "/v1/transfers", {"payee_id": member["payee_id"], "amount": amount},
             headers=member["headers"])
    # JSON has one number type: 1000.0 is the integer 1000 (as JSON Schema says too).
    whole = type(amount) is int or (type(amount) is float and amount.is_integer())
    valid = whole and amount >= 1000 and amount % 1000 == 0
    if r.status_code == 202:
        assert valid and amount <= 5_000_000, (amount, r.text)
        assert r.json()["amount"] == amount
        return
    body = assert_refusal(r, "validation_error", "invalid_amount", "insufficient_credit",
                          "service_closed")
    if not whole:
        assert body["code"] == "validation_error", (amount, body)
    elif not valid:
        assert body["code"] == "invalid_amount", (amount, body)


# --- bank / branch codes and holder names ------------------------------------------------

codes = st.one_of(any_text, st.from_regex(r"[0-9０-９\-]{1,6}", fullmatch=True),
                  st.sampled_from(["0009", "0005", "9999", "０００９", "0009 ", "00-09", ""]),
                  json_values)


@FUZZ
@given(bank=codes, branch=codes)
def test_bank_and_branch_codes(client, member, bank, branch):
    r = send(client, "POST", "/v1/payees", {**PAYEE, "bank_code": bank, "branch_code": branch},
             headers=member["headers"])
    if r.status_code == 201:
        assert re.fullmatch(r"\d{4}", r.json()["bank_code"]), r.text
        assert re.fullmatch(r"\d{3}", r.json()["branch_code"]), r.text
        return
    assert_refusal(r, "validation_error", "unknown_bank", "unknown_branch")


@FUZZ
@given(name=st.one_of(any_text, json_values))
def test_holder_names(client, member, name):
    r = send(client, "POST", "/v1/payees", {**PAYEE, "holder_name": name},
             headers=member["headers"])
    if r.status_code == 201:
        assert ZENGIN_OUT.fullmatch(r.json()["holder_name"]), r.json()["holder_name"]
        return
    assert_refusal(r, "validation_error", "invalid_holder_name")


def test_holder_name_with_a_character_from_every_unicode_block():
    """Every 128-code-point block of Unicode (all 17 planes, surrogates included) through
    the normaliser the API uses: a clean name or a refusal with a code, never a crash.
    (The HTTP path is fuzzed above; here every block is covered deterministically.)"""
    outcomes = {"ok": 0, "refused": 0}
    for start in range(0, sys.maxunicode + 1, 128):
        picks = {start, start + 37, start + 127}
        for codepoint in picks:
            ch = chr(codepoint)
            try:
                out = normalise.normalise_holder_name(f"ﾔﾏﾀﾞ{ch}ﾀﾛｳ")
            except ShunfuriError as exc:
                assert exc.code in ("validation_error", "invalid_holder_name"), (hex(codepoint), exc)
                outcomes["refused"] += 1
            else:
                assert ZENGIN_OUT.fullmatch(out), (hex(codepoint), unicodedata.name(ch, "?"), out)
                outcomes["ok"] += 1
    assert outcomes["ok"] > 20 and outcomes["refused"] > 10_000, outcomes


# --- Idempotency-Key ---------------------------------------------------------------------

keys = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), min_size=0, max_size=300),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255),
    st.sampled_from(["a" * 255, "a" * 256, " ", "key with space", "ｋｅｙ", "'; DROP TABLE x;--"]),
)
GOOD_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@FUZZ
@given(key=keys)
def test_idempotency_keys(client, member, key):
    headers = {**member["headers"], "Idempotency-Key": key.encode("utf-8")}
    body = {"payee_id": member["payee_id"], "amount": 1000}
    first = send(client, "POST", "/v1/transfers", body, headers=headers)
    if first.status_code != 202:
        refused = assert_refusal(first, "validation_error", "service_closed",
                                 "insufficient_credit")
        if refused["code"] == "validation_error":
            assert not GOOD_KEY.match(key.strip()) or key != key.strip(), key
        return
    assert GOOD_KEY.match(key.strip()), f"accepted a key outside the documented form: {key!r}"
    again = send(client, "POST", "/v1/transfers", body, headers=headers)
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = send(client, "POST", "/v1/transfers", {**body, "amount": 2000}, headers=headers)
    assert_refusal(other, "idempotency_key_reused")


# --- oversized bodies --------------------------------------------------------------------

BIG = 64 * 1024 + 1


@pytest.mark.parametrize("path", ["/v1/login", "/v1/payees", "/v1/transfers",
                                  "/v1/admin/members"])
def test_oversized_body_refused_before_parsing(client, admin_headers, path):
    # Not even JSON: a parser would answer 422; the size check answers first.
    junk = b"{" * BIG
    r = client.post(path, content=junk, headers={"Content-Type": "application/json",
                                                 **admin_headers})
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large"), r.text


def test_oversized_chunked_body_without_length_is_refused(client):
    def chunks():
        for _ in range(80):
            yield b"x" * 1024

    r = client.post("/v1/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large"), r.text


def test_lying_content_length_is_refused(client):
    r = client.post("/v1/login", content=b"{}", headers={"Content-Type": "application/json",
                                                         "Content-Length": "999999999999"})
    assert r.status_code in (400, 413), r.text
