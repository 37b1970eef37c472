"""Security checks, one place: isolation between members, the staff key, token life,
the login rate limit, lockout without an identifier oracle, no secrets in logs or error
bodies, and SQL injection strings inert in every field.

In-process (TestClient) against a fresh PostgreSQL database per test, on a simulated
business clock pinned to a Tuesday morning, so that the suite means the same thing at
every hour of the year (on the real clock, Monday 00:00-07:00 JST and 1 January would
close the service and turn the transfer checks into refusals).
"""

from __future__ import annotations

import logging
import re
import time

import pytest
from sqlalchemy import func, select, text

from tests.integration.member_helpers import (
    PIN,
    bearer,
    create_member,
    login_card,
    login_web,
    luhn_fix,
    token_for,
)

PAYEE = {"bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
         "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN}
WRONG_PIN = "9999"
OPEN = "2026-12-01T10:00:00+09:00"  # a Tuesday: the service and every bank are open


@pytest.fixture(autouse=True)
def business_hours():
    """Token lifetimes and rate limits stay on real time; only business time is pinned."""
    from shunfuri.clock import SimulatedClock, set_clock
    from shunfuri.domain.instants import parse_instant

    set_clock(SimulatedClock(start=parse_instant(OPEN), speed=0.0001))
    yield
    set_clock(None)


def new_member(client, admin_headers, **kwargs):  # type: ignore[no-untyped-def]
    created = create_member(client, admin_headers, credit_limit=1_000_000, **kwargs)
    headers = bearer(token_for(client, created["card_number"]))
    payee = client.post("/v1/payees", headers=headers, json=PAYEE)
    assert payee.status_code == 201, payee.text
    return {**created, "headers": headers, "payee_id": payee.json()["id"]}


def transfer(client, member, amount: int = 1000) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/v1/transfers", headers=member["headers"],
                    json={"payee_id": member["payee_id"], "amount": amount})
    assert r.status_code == 202, r.text
    return r.json()


def audit_rows():  # type: ignore[no-untyped-def]
    from shunfuri.db.models import AuditEntry
    from shunfuri.db.session import session_factory

    with session_factory()() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert (response.status_code, response.json().get("code")) == (status, code), response.text
    return response.json()


def without_volatile(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("instance",)}


# --- isolation -------------------------------------------------------------------------


def test_another_members_transfer_and_payee_are_404(client, admin_headers):
    alice = new_member(client, admin_headers)
    bob = new_member(client, admin_headers)
    mine = transfer(client, alice)
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/v1/transfers/{mine['id']}", f"/v1/transfers/{mine['id']}?wait=0.2"):
        theirs = problem(client.get(path, headers=bob["headers"]), 404, "not_found")
        nothing = problem(client.get(path.replace(mine["id"], missing), headers=bob["headers"]),
                          404, "not_found")
        assert without_volatile(theirs) == without_volatile(nothing)  # no existence oracle
    problem(client.post(f"/v1/transfers/{mine['id']}/cancel", headers=bob["headers"]),
            404, "not_found")
    problem(client.get(f"/v1/payees/{alice['payee_id']}", headers=bob["headers"]),
            404, "not_found")
    # Bob cannot send money to Alice's payee either, nor see her rows in his lists.
    r = client.post("/v1/transfers", headers=bob["headers"],
                    json={"payee_id": alice["payee_id"], "amount": 1000})
    problem(r, 404, "not_found")
    assert client.get("/v1/transfers", headers=bob["headers"]).json()["items"] == []
    assert [p["id"] for p in client.get("/v1/payees", headers=bob["headers"]).json()] == [
        bob["payee_id"]]
    # Alice still sees hers.
    assert client.get(f"/v1/transfers/{mine['id']}", headers=alice["headers"]).status_code == 200


def test_same_idempotency_key_from_two_members_makes_two_transfers(client, admin_headers):
    alice = new_member(client, admin_headers)
    bob = new_member(client, admin_headers)
    key = {"Idempotency-Key": "shared-key-1"}
    a = client.post("/v1/transfers", headers={**alice["headers"], **key},
                    json={"payee_id": alice["payee_id"], "amount": 1000})
    b = client.post("/v1/transfers", headers={**bob["headers"], **key},
                    json={"payee_id": bob["payee_id"], "amount": 1000})
    assert (a.status_code, b.status_code) == (202, 202)
    assert a.json()["id"] != b.json()["id"]  # a key never reveals another member's transfer


# --- staff key -------------------------------------------------------------------------

STAFF_CALLS = [
    ("post", "/v1/admin/members", {"credit_limit": 1000, "pin": "1234"}),
    ("get", "/v1/admin/members/{id}", None),
    ("patch", "/v1/admin/members/{id}", {"credit_limit": 1}),
    ("post", "/v1/admin/members/{id}/reset-pin", {"pin": "1234"}),
    ("post", "/v1/admin/members/{id}/suspend", None),
    ("post", "/v1/admin/members/{id}/reinstate", None),
    ("post", "/v1/admin/members/{id}/report-card-lost", None),
    ("post", "/v1/admin/members/{id}/reissue-card", None),
]


def refusal_counts(action: str) -> dict[tuple[str, object], int]:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT reason, window_start, count FROM refusal_counts "
                                 "WHERE action = :a"), {"a": action}).all()
    return {(r.reason, r.window_start): r.count for r in rows}


def test_staff_endpoints_refuse_missing_or_wrong_keys_and_audit_it(client, admin_headers):
    member = new_member(client, admin_headers)
    real = admin_headers["X-Admin-Key"]
    wrong_keys = ["", "x", real[:-1], real + "x", real.upper(), f" {real}", "Bearer " + real]
    before = len(audit_rows())
    refused = 0
    for method, path, body in STAFF_CALLS:
        path = path.format(id=member["member_id"])
        attempts = [{}, member["headers"]] + [{"X-Admin-Key": k} for k in wrong_keys]
        for headers in attempts:
            r = client.request(method.upper(), path, headers=headers, json=body)
            problem(r, 403, "forbidden")
            refused += 1
    rows = [r for r in audit_rows()[before:] if r.action == "staff_key_refused"]
    # Counted, not a row each: the first refusal of each (reason, hour) is an audit row,
    # and refusal_counts holds how many there were.
    counted = refusal_counts("staff_key_refused")
    assert sum(counted.values()) == refused
    assert len(rows) == len(counted) and {k[0] for k in counted} == {"missing_key", "wrong_key"}
    assert all(not r.ok and r.actor == "unauthenticated" for r in rows)
    assert {r.detail["reason"] for r in rows} == {"missing_key", "wrong_key"}
    assert real not in str([(r.detail, r.actor) for r in rows])
    # Nothing changed: the member is still active with the same limit.
    view = client.get(f"/v1/admin/members/{member['member_id']}", headers=admin_headers).json()
    assert (view["status"], view["credit_limit"]) == ("active", 1_000_000)


# --- token life ------------------------------------------------------------------------


def member_paths(member, transfer_id: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [("GET", "/v1/me"), ("GET", "/v1/payees"), ("GET", "/v1/transfers"),
            ("GET", f"/v1/transfers/{transfer_id}"), ("GET", f"/v1/transfers/{transfer_id}?wait=1"),
            ("POST", "/v1/transfers")]


def assert_token_dead(client, member, transfer_id: str, codes: set[str]) -> None:  # type: ignore[no-untyped-def]
    for method, path in member_paths(member, transfer_id):
        r = client.request(method, path, headers=member["headers"],
                           json={"payee_id": member["payee_id"], "amount": 1000}
                           if method == "POST" else None)
        assert r.status_code in (401, 403, 423), (path, r.text)
        assert r.json()["code"] in codes, (path, r.text)


def test_tokens_expire(client, admin_headers, monkeypatch):
    from shunfuri.settings import get_settings

    member = new_member(client, admin_headers)
    monkeypatch.setenv("SHUNFURI_TOKEN_TTL_SECONDS", "1")
    get_settings.cache_clear()
    try:
        short = token_for(client, member["card_number"])
        assert login_card(client, member["card_number"]).json()["expires_in"] == 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    tid = transfer(client, member)["id"]
    member = {**member, "headers": bearer(short)}
    assert client.get("/v1/me", headers=member["headers"]).status_code == 200
    time.sleep(1.2)
    assert_token_dead(client, member, tid, {"token_expired"})


def test_logout_revokes_the_token(client, admin_headers):
    member = new_member(client, admin_headers)
    tid = transfer(client, member)["id"]
    other = token_for(client, member["card_number"])
    assert client.post("/v1/logout", headers=member["headers"]).status_code == 204
    assert_token_dead(client, member, tid, {"token_expired"})
    # Only that token: another session of the same member lives on.
    assert client.get("/v1/me", headers=bearer(other)).status_code == 200


def test_suspension_revokes_every_token_and_reinstating_does_not_revive_them(
        client, admin_headers):
    member = new_member(client, admin_headers)
    tid = transfer(client, member)["id"]
    mid = member["member_id"]
    assert client.post(f"/v1/admin/members/{mid}/suspend", headers=admin_headers).status_code == 200
    assert_token_dead(client, member, tid, {"token_expired", "account_suspended"})
    problem(login_card(client, member["card_number"]), 403, "account_suspended")
    client.post(f"/v1/admin/members/{mid}/reinstate", headers=admin_headers)
    assert_token_dead(client, member, tid, {"token_expired"})


def test_pin_reset_revokes_every_token(client, admin_headers):
    member = new_member(client, admin_headers)
    tid = transfer(client, member)["id"]
    mid = member["member_id"]
    r = client.post(f"/v1/admin/members/{mid}/reset-pin", headers=admin_headers,
                    json={"pin": "2468"})
    assert r.status_code == 200, r.text
    assert_token_dead(client, member, tid, {"token_expired"})
    problem(login_card(client, member["card_number"], PIN), 401, "invalid_credentials")
    assert login_card(client, member["card_number"], "2468").status_code == 200


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t + "x",
    lambda t: t[:10],
    lambda t: "' OR '1'='1",
    lambda t: "",
])
def test_forged_tokens_are_refused(client, admin_headers, mangle):
    member = new_member(client, admin_headers)
    token = member["headers"]["Authorization"].split(" ", 1)[1]
    r = client.get("/v1/me", headers={"Authorization": f"Bearer {mangle(token)}"})
    problem(r, 401, "not_authenticated")


# --- login rate limit and lockout --------------------------------------------------------


def test_login_rate_limit_holds_even_for_the_right_secret(client, admin_headers, monkeypatch):
    from shunfuri.settings import get_settings

    member = create_member(client, admin_headers)
    monkeypatch.setenv("SHUNFURI_LOGIN_RATE_LIMIT", "5/minute")
    # The window lives in this run's own Redis db (tests/services.py), which no other
    # test run on the machine touches.
    get_settings.cache_clear()
    try:
        answers = [login_card(client, member["card_number"], WRONG_PIN if i < 2 else PIN)
                   for i in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 200, 200, 200]
        for body in ({"card_number": member["card_number"], "pin": PIN},
                     {"card_number": luhn_fix("912345678901234"), "pin": WRONG_PIN}, {}):
            r = client.post("/v1/login", json=body)
            problem(r, 429, "too_many_requests")
            assert 1 <= int(r.headers["Retry-After"]) <= 60
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    # Refused attempts were not counted as wrong PINs: the member is not locked.
    assert login_card(client, member["card_number"]).status_code == 200


def _answers(client, login, identifier: str, secrets: list[str]) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = []
    for secret in secrets:
        r = login(client, identifier, secret)
        body = r.json()
        out.append((r.status_code, body.get("code"), body.get("detail"), body.get("detail_ja"),
                    sorted(body), r.headers.get("retry-after")))
    return out


def test_lockout_does_not_reveal_which_card_numbers_exist(client, admin_headers):
    real = create_member(client, admin_headers)["card_number"]
    unknown = luhn_fix(real[:14] + ("1" if real[14] != "1" else "2"))
    assert unknown != real
    sequence = [WRONG_PIN, WRONG_PIN, WRONG_PIN, WRONG_PIN, PIN]
    seen_real = _answers(client, login_card, real, sequence)
    seen_unknown = _answers(client, login_card, unknown, sequence)
    assert [s[:5] for s in seen_real] == [s[:5] for s in seen_unknown]  # not Retry-After
    assert [s[1] for s in seen_real] == ["invalid_credentials"] * 2 + ["too_many_attempts"] * 3


def test_lockout_does_not_reveal_which_web_ids_exist(client, admin_headers):
    create_member(client, admin_headers, web_id="hanako.s", password="Maple-Otter-3141")
    sequence = ["Wrong-Pass-0001"] * 4 + ["Maple-Otter-3141"]
    seen_real = _answers(client, login_web, "hanako.s", sequence)
    seen_unknown = _answers(client, login_web, "hanako.t", sequence)
    assert [s[:5] for s in seen_real] == [s[:5] for s in seen_unknown]


# --- secrets -----------------------------------------------------------------------------


def test_secrets_never_in_logs_or_error_bodies(client, admin_headers, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    pin, password, new_pin = "7305", "Birch-Falcon-8826", "6047"
    bodies: list[str] = []

    def call(method, path, **kwargs):  # type: ignore[no-untyped-def]
        r = client.request(method, path, **kwargs)
        if r.status_code >= 400:  # error answers only (a login answer carries its token)
            bodies.append(r.text + " " + str(dict(r.headers)))
        return r

    created = call("POST", "/v1/admin/members", headers=admin_headers,
                   json={"credit_limit": 100_000, "pin": pin, "web_id": "secretcheck",
                         "password": password}).json()
    token = call("POST", "/v1/login", json={"card_number": created["card_number"],
                                            "pin": pin}).json()["access_token"]
    call("POST", "/v1/login", json={"web_id": "secretcheck", "password": password + "x"})
    call("POST", "/v1/login", json={"card_number": created["card_number"], "pin": pin + "0"})
    call("POST", "/v1/login", json={"card_number": created["card_number"], "pin": [pin]})
    call("POST", "/v1/login", json={"web_id": "secretcheck", "password": 12345, "pin": pin})
    call("POST", "/v1/payees", headers=bearer(token), json={**PAYEE, "holder_name": pin + "☃"})
    call("GET", "/v1/me", headers=bearer(token + "x"))
    call("POST", "/v1/admin/members", headers={"X-Admin-Key": admin_headers["X-Admin-Key"] + "z"},
         json={"credit_limit": 1, "pin": pin})
    call("POST", f"/v1/admin/members/{created['member_id']}/reset-pin", headers=admin_headers,
         json={"pin": new_pin})
    call("POST", f"/v1/admin/members/{created['member_id']}/reset-pin", headers=admin_headers,
         json={"pin": {"x": new_pin}})
    call("POST", "/v1/logout", headers=bearer(token))
    assert len(bodies) >= 7
    logs = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records)
    secrets = [pin, new_pin, password, token, admin_headers["X-Admin-Key"]]
    for secret in secrets:
        pattern = rf"(?<![0-9]){re.escape(secret)}(?![0-9])" if secret.isdigit() else re.escape(secret)
        assert not re.search(pattern, logs), f"a secret is in the logs: {secret[:3]}..."
        for body in bodies:
            assert not re.search(pattern, body), f"a secret is in an answer: {body[:200]}"


# --- SQL injection -----------------------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE members; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(5)",
    "' UNION SELECT card_number, pin_hash FROM members --", "0009' --", "%' --",
    "\\'; TRUNCATE transfers; --", "1 OR 1=1", "$$; DROP TABLE payees; $$",
]


def _table_counts(engine) -> dict:  # type: ignore[no-untyped-def]
    from shunfuri.db.models import Base

    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in Base.metadata.sorted_tables}


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_strings_are_inert_in_every_field(client, admin_headers, payload):
    from shunfuri.db.session import get_engine

    member = new_member(client, admin_headers)
    tid = transfer(client, member)["id"]
    engine = get_engine()
    before = _table_counts(engine)
    answers = [
        client.post("/v1/login", json={"card_number": payload, "pin": payload}),
        client.post("/v1/login", json={"web_id": payload, "password": payload}),
        client.post("/v1/login", json={"card_number": member["card_number"], "pin": payload}),
        *[client.post("/v1/payees", headers=member["headers"], json={**PAYEE, field: payload})
          for field in ("bank_code", "branch_code", "account_type", "account_number",
                        "holder_name")],
        client.post("/v1/transfers", headers=member["headers"],
                    json={"payee_id": payload, "amount": 1000}),
        client.post("/v1/transfers", headers=member["headers"],
                    json={"payee_id": member["payee_id"], "amount": payload}),
        client.post("/v1/transfers", headers={**member["headers"], "Idempotency-Key": payload},
                    json={"payee_id": member["payee_id"], "amount": 1000}),
        client.get("/v1/transfers", headers=member["headers"], params={"status": payload}),
        client.get("/v1/transfers", headers=member["headers"], params={"cursor": payload}),
        client.get(f"/v1/transfers/{payload}", headers=member["headers"]),
        client.post(f"/v1/transfers/{payload}/cancel", headers=member["headers"]),
        client.get(f"/v1/payees/{payload}", headers=member["headers"]),
        client.get("/v1/availability", params={"bank_code": payload}),
        client.get("/v1/availability", params={"bank_code": "0009", "at": payload}),
        client.get("/v1/me", headers={"Authorization": f"Bearer {payload}"}),
        client.get(f"/v1/admin/members/{payload}", headers=admin_headers),
        client.post("/v1/admin/members", headers={**admin_headers, "X-Staff-Id": payload},
                    json={"credit_limit": 1000, "pin": "1234", "web_id": payload,
                          "password": payload}),
        client.post("/v1/admin/members", headers={"X-Admin-Key": payload},
                    json={"credit_limit": 1000, "pin": "1234"}),
    ]
    for r in answers:
        assert r.status_code < 500, r.text
    after = _table_counts(engine)
    # At most what the calls legitimately add (an idempotent transfer, a member, audit rows,
    # login-failure counters); nothing removed, every table still there.
    assert all(after[t] >= before[t] for t in before), (before, after)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM members")).scalar() >= 1
    assert client.get(f"/v1/transfers/{tid}", headers=member["headers"]).status_code == 200
    assert login_card(client, member["card_number"]).status_code == 200
