"""POST /v1/login and /v1/logout against PostgreSQL: every row of the catalogue."""

from __future__ import annotations

import time

import pytest

from tests.integration.member_helpers import (
    PASSWORD,
    PIN,
    bearer,
    create_member,
    device_for,
    login_card,
    login_web,
    luhn_fix,
    token_for,
)

WRONG_PIN = "9999"


def dashed(card: str) -> str:
    return "-".join(card[i : i + 4] for i in range(0, 16, 4))


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


def test_login_returns_a_bearer_token(client, admin_headers):
    member = create_member(client, admin_headers)
    response = login_card(client, member["card_number"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "device_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert len(body["device_token"]) >= 43 and body["device_token"] != body["access_token"]
    # Sent back, the device token is known and stays the same; a new client gets another.
    again = login_card(client, member["card_number"], device=body["device_token"]).json()
    assert again["device_token"] == body["device_token"]
    assert login_card(client, member["card_number"]).json()["device_token"] not in (
        body["device_token"], again["device_token"])
    me = client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["member_id"] == member["member_id"]


@pytest.mark.parametrize(
    "form",
    [
        dashed,
        full_width,
        lambda c: full_width(dashed(c)),
        lambda c: " ".join(c[i : i + 4] for i in range(0, 16, 4)),
        lambda c: "\u3000".join(c[i : i + 4] for i in range(0, 16, 4)),
        lambda c: "ー".join(c[i : i + 4] for i in range(0, 16, 4)),
    ],
    ids=["hyphens", "full-width", "full-width-hyphens", "spaces", "ideographic-spaces", "chouon"],
)
def test_typed_forms_of_the_card_number_log_in(client, admin_headers, form):
    member = create_member(client, admin_headers)
    response = login_card(client, form(member["card_number"]))
    assert response.status_code == 200, response.text


def test_full_width_pin_logs_in(client, admin_headers):
    member = create_member(client, admin_headers)
    assert login_card(client, member["card_number"], full_width(PIN)).status_code == 200


def test_web_id_login_normalised(client, admin_headers):
    create_member(client, admin_headers, web_id="taro.yamada01")
    assert login_web(client, "Ｔａｒｏ．Ｙａｍａｄａ－０１").status_code == 200
    assert login_web(client, "taro.yamada01", "wrong password").status_code == 401


def test_malformed_input_is_422_and_never_counts(client, admin_headers):
    member = create_member(client, admin_headers)
    card = member["card_number"]
    typo = card[:-1] + str((int(card[-1]) + 1) % 10)  # fails the check digit
    for bad in (typo, card[:-1], card + "0", "abcd" + card[4:]):
        for _ in range(3):
            response = login_card(client, bad)
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "validation_error"
    for _ in range(3):
        assert login_card(client, card, "12a4").status_code == 422
        assert login_card(client, card, "123").status_code == 422
    # Twelve malformed attempts later, the right PIN still works.
    assert login_card(client, card).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"card_number": "4539148803436467"},
        {"pin": "1234"},
        {"web_id": "taro"},
        {"card_number": "4539148803436467", "pin": "1234", "web_id": "taro", "password": "x"},
        {"card_number": "4539148803436467", "password": "secret"},
        {"card_number": 4539148803436467, "pin": "1234"},
        {"card_number": "4539148803436467", "pin": 1234},
        {"card_number": "4539148803436467", "pin": "1234", "remember": True},
        {"card_number": None, "pin": "1234"},
    ],
)
def test_exactly_one_form(client, body):
    response = client.post("/v1/login", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_non_json_body_is_422(client):
    response = client.post("/v1/login", content=b"card=1", headers={"content-type": "text/plain"})
    assert response.status_code == 422


def test_three_wrong_pins_from_a_known_device_lock_and_the_right_pin_is_then_refused(
        client, admin_headers):
    member = create_member(client, admin_headers)
    card = member["card_number"]
    device = device_for(client, card)
    for _ in range(3):
        response = login_card(client, card, WRONG_PIN, device=device)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
        assert "3回続けて間違えるとロック" in response.json()["detail_ja"]
    response = login_card(client, card, device=device)
    assert response.status_code == 423
    body = response.json()
    assert body["code"] == "account_locked"
    assert "自動契約機" in body["detail_ja"]
    # Whatever form the number is typed in, it is the same locked identifier; and from a
    # new client the owner's right PIN learns the same (only the owner can).
    assert login_card(client, dashed(card), device=device).status_code == 423
    assert login_card(client, card).status_code == 423


@pytest.mark.parametrize("known", [True, False], ids=["known-device", "new-client"])
def test_correct_secret_resets_the_count(client, admin_headers, known):
    member = create_member(client, admin_headers)
    card = member["card_number"]
    device = device_for(client, card) if known else None
    for _ in range(2):
        assert login_card(client, card, WRONG_PIN, device=device).status_code == 401
    assert login_card(client, card, device=device).status_code == 200
    for _ in range(2):
        assert login_card(client, card, WRONG_PIN, device=device).status_code == 401
    assert login_card(client, card, device=device).status_code == 200


def test_lock_locks_the_member_and_its_tokens(client, admin_headers):
    member = create_member(client, admin_headers, web_id="hanako")
    token = token_for(client, member["card_number"])
    device = device_for(client, member["card_number"])
    for _ in range(3):
        login_card(client, member["card_number"], WRONG_PIN, device=device)
    assert client.get("/v1/me", headers=bearer(token)).status_code in (401, 423)
    response = login_web(client, "hanako")
    assert response.status_code == 423


def test_unknown_identifier_gets_the_same_answers_as_a_real_one(client, admin_headers):
    member = create_member(client, admin_headers)
    real = member["card_number"]
    unknown = luhn_fix("900000000000001")
    assert unknown != real

    def answers(card):
        seen = []
        for pin in (WRONG_PIN, WRONG_PIN, WRONG_PIN, PIN):
            response = login_card(client, card, pin)
            body = response.json()
            seen.append((response.status_code, body["code"], body["detail"], body["detail_ja"]))
        return seen

    real_answers = answers(real)
    unknown_answers = answers(unknown)
    assert real_answers == unknown_answers
    # From a client the member never used: a lockout of such clients, not the lock.
    assert [a[1] for a in real_answers] == [
        "invalid_credentials", "invalid_credentials", "too_many_attempts", "too_many_attempts",
    ]


def test_unknown_web_id_is_paused_like_a_real_one(client, admin_headers):
    create_member(client, admin_headers, web_id="realuser")
    for web_id in ("realuser", "nobodyhere"):
        codes = [login_web(client, web_id, "wrong-password").json()["code"] for _ in range(3)]
        assert codes == ["invalid_credentials"] * 2 + ["too_many_attempts"]
        assert login_web(client, web_id).json()["code"] == "too_many_attempts"


def test_unknown_identifier_costs_the_same_time(client, admin_headers):
    """The dummy verification makes an unknown identifier as slow as a wrong PIN."""
    member = create_member(client, admin_headers)
    unknowns = [luhn_fix(f"9{n:014d}") for n in range(1, 7)]

    def timed(card):
        start = time.perf_counter()
        login_card(client, card, WRONG_PIN)
        return time.perf_counter() - start

    # Two wrong attempts each (stays below the lock), interleaved to share noise.
    real_times, unknown_times = [], []
    for unknown in unknowns[:2]:
        real_times.append(timed(member["card_number"]))
        unknown_times.append(timed(unknown))
        login_card(client, member["card_number"])  # reset the real count
    real_times.append(timed(member["card_number"]))
    unknown_times.append(timed(unknowns[2]))
    fastest_real, fastest_unknown = min(real_times), min(unknown_times)
    # Both are dominated by one argon2id verification (~15 ms); without the dummy
    # verification the unknown one would take ~2 ms.
    assert fastest_unknown > 0.5 * fastest_real
    assert fastest_real > 0.5 * fastest_unknown


def test_reset_pin_unlocks(client, admin_headers):
    member = create_member(client, admin_headers, web_id="lockme")
    card = member["card_number"]
    device = device_for(client, card)
    for _ in range(3):
        login_card(client, card, WRONG_PIN, device=device)
    for _ in range(3):
        login_web(client, "lockme", "not-the-password", device=device)
    assert login_card(client, card, device=device).status_code == 423
    response = client.post(
        f"/v1/admin/members/{member['member_id']}/reset-pin", json={"pin": "7305"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert login_card(client, card, device=device).status_code == 401  # the old PIN is gone
    assert login_card(client, card, "7305", device=device).status_code == 200
    assert login_web(client, "lockme", device=device).status_code == 200  # both keys cleared


def test_suspended_member_cannot_log_in_nor_use_an_old_token(client, admin_headers):
    member = create_member(client, admin_headers, web_id="suspendme")
    token = token_for(client, member["card_number"])
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    response = client.post(
        f"/v1/admin/members/{member['member_id']}/suspend", headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    old = client.get("/v1/me", headers=bearer(token))
    assert old.status_code in (401, 403)
    for response in (login_card(client, member["card_number"]), login_web(client, "suspendme")):
        assert response.status_code == 403
        assert response.json()["code"] == "account_suspended"
        assert "お問い合わせ" in response.json()["detail_ja"]
    # A wrong PIN on a suspended account says nothing about the suspension.
    assert login_card(client, member["card_number"], WRONG_PIN).json()["code"] == (
        "invalid_credentials"
    )
    client.post(f"/v1/admin/members/{member['member_id']}/reinstate", headers=admin_headers)
    assert login_card(client, member["card_number"]).status_code == 200
    assert client.get("/v1/me", headers=bearer(token)).status_code == 401  # still revoked


def test_lost_card_cannot_log_in_and_the_reissued_one_can(client, admin_headers):
    member = create_member(client, admin_headers, web_id="lostcard")
    old_card = member["card_number"]
    response = client.post(
        f"/v1/admin/members/{member['member_id']}/report-card-lost", headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["card_lost"] is True
    refused = login_card(client, old_card)
    assert refused.status_code == 403
    assert refused.json()["code"] == "card_reported_lost"
    assert "再発行" in refused.json()["detail_ja"]
    assert login_web(client, "lostcard").status_code == 200  # Web-ID still works
    reissued = client.post(
        f"/v1/admin/members/{member['member_id']}/reissue-card", headers=admin_headers
    )
    assert reissued.status_code == 200
    new_card = reissued.json()["card_number"]
    assert new_card != old_card and len(new_card) == 16
    assert login_card(client, new_card).status_code == 200
    assert login_card(client, old_card).status_code == 401  # the old number is no one's now


def test_logout_revokes_the_token(client, admin_headers):
    member = create_member(client, admin_headers)
    token = token_for(client, member["card_number"])
    assert client.post("/v1/logout", headers=bearer(token)).status_code == 204
    response = client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert client.post("/v1/logout").status_code == 401


def test_rate_limit_answers_429_with_retry_after(client, admin_headers, monkeypatch):
    from shunfuri.settings import get_settings

    member = create_member(client, admin_headers)
    monkeypatch.setenv("SHUNFURI_LOGIN_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    try:
        for _ in range(3):
            assert login_card(client, member["card_number"]).status_code == 200
        # Anything over the limit is refused before it is parsed or hashed,
        # even a malformed body or a different identifier.
        for body in ({"card_number": member["card_number"], "pin": PIN}, {}, {"web_id": "x"}):
            response = client.post("/v1/login", json=body)
            assert response.status_code == 429
            assert response.json()["code"] == "too_many_requests"
            retry_after = int(response.headers["Retry-After"])
            assert 1 <= retry_after <= 60
    finally:
        monkeypatch.undo()  # back to the suite's "0" (off), and re-read settings
        get_settings.cache_clear()


def test_rate_limit_window_slides(db):
    """Unit-level check of the Redis window with an injected clock."""
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.members import login_rate

    rate = (2, 10)
    login_rate.check("198.51.100.7", rate, now=1000.0)
    login_rate.check("198.51.100.7", rate, now=1004.0)
    with pytest.raises(ShunfuriError) as caught:
        login_rate.check("198.51.100.7", rate, now=1005.0)
    assert caught.value.extra["retry_after"] == 5  # the 1000.0 attempt leaves at 1010
    login_rate.check("203.0.113.9", rate, now=1005.0)  # another address is unaffected
    login_rate.check("198.51.100.7", rate, now=1010.5)  # a slot freed up
    login_rate.check("198.51.100.7", None, now=1010.6)  # off


def test_password_login_and_web_id_clash(client, admin_headers):
    create_member(client, admin_headers, web_id="sameid")
    response = client.post(
        "/v1/admin/members",
        json={"credit_limit": 1000, "pin": PIN, "web_id": "SAME-ID", "password": PASSWORD},
        headers=admin_headers,
    )
    # Well formed, the name is simply in use: 409, as when a member changes their own.
    assert response.status_code == 409
    assert response.json()["code"] == "web_id_taken"
    assert response.json()["errors"][0]["field"] == "web_id"


def test_odd_input_never_yields_500(client, admin_headers):
    create_member(client, admin_headers, web_id="oddinput")
    raws = [
        b'{"web_id":"oddinput","password":"ab\\ud800cd"}',
        b'{"card_number":"\\ud800","pin":"1234"}',
        b'{"card_number":"4539148803436467","pin":"' + b"1" * 40 + b'"}',
        b'{"web_id":"' + b"a" * 500 + b'","password":"x"}',
        b"[]",
        b"null",
        b'{"card_number":"4539148803436467","pin":"1234"',
    ]
    for raw in raws:
        response = client.post("/v1/login", content=raw,
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, (raw, response.text)


@pytest.mark.parametrize(("known", "expected"), [
    (True, ["account_locked"] * 5 + ["invalid_credentials"] * 3),
    (False, ["invalid_credentials"] * 2 + ["too_many_attempts"] * 6)], ids=["known", "new"])
def test_parallel_guesses_are_all_counted(client, admin_headers, known, expected):
    """Guesses fired at once are serialised on the counter row: from the member's device
    exactly 3 get through and lock; from a new client 3 are tried and the rest paused."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from shunfuri.db.session import session_factory
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.members import login
    from shunfuri.settings import get_settings

    member = create_member(client, admin_headers)
    device = device_for(client, member["card_number"]) if known else None
    pepper = get_settings().pin_pepper.get_secret_value()

    def guess(pin):
        with session_factory()() as session:
            try:
                login.attempt(session, kind="card", identifier=member["card_number"],
                              secret=pin, now=datetime.now(UTC), pepper=pepper, ttl_seconds=60,
                              device_token=device)
            except ShunfuriError as error:
                return error.code
            return "ok"

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(guess, [f"{n:04d}" for n in range(1000, 1008)]))
    assert sorted(codes) == sorted(expected)
    assert login_card(client, member["card_number"], device=device).json()["code"] == (
        "account_locked" if known else "too_many_attempts")
