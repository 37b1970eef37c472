"""Issue 23, item 1: a stranger who knows a card number or a Web-ID must not be able to
lock the member out (OWASP's device cookie), nor learn who exists; item 7: a web
session's cookie is no bearer token. Each test performs the attack against the API
in-process (TestClient, real PostgreSQL and Redis) and shows it fails.

The member's own device is a client that sent back the `device_token` of an earlier
login (`Device-Token`); a stranger is a client without one (or with one of another
member's). The lockout period is shortened through the settings where a test waits
for its end, and the end is polled for with a deadline.
"""

from __future__ import annotations

import re
from email import policy as email_policy
from pathlib import Path

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
from tests.system import poll

WRONG_PIN = "9999"
WRONG_PASSWORD = "Not-The-Password-1"
SHORT = 5  # seconds of lockout where a test waits for its end


@pytest.fixture()
def settings_env(monkeypatch):  # type: ignore[no-untyped-def]
    """`settings_env(NAME="value")`: the settings re-read with these, undone afterwards."""
    from shunfuri.settings import get_settings

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def login(client, form: str, member: dict, secret: str | None = None,  # type: ignore[no-untyped-def]
          device: str | None = None):
    if form == "card":
        return login_card(client, member["card_number"], secret or PIN, device=device)
    return login_web(client, member["web_id"], secret or PASSWORD, device=device)


def new_member(client, admin_headers, web_id: str) -> dict:  # type: ignore[no-untyped-def]
    created = create_member(client, admin_headers, web_id=web_id)
    return {**created, "web_id": web_id}


# --- item 1: a stranger cannot send the member to the automatic contract machine -------


@pytest.mark.parametrize("form", ["card", "web"])
def test_a_strangers_wrong_secrets_never_lock_the_member_out(
        client, admin_headers, settings_env, form):
    settings_env(SHUNFURI_UNTRUSTED_LOCKOUT_SECONDS=str(SHORT))
    member = new_member(client, admin_headers, web_id=f"victim.{form}")
    own_device = device_for(client, member["card_number"])
    wrong = WRONG_PIN if form == "card" else WRONG_PASSWORD
    # The stranger: five wrong secrets from a client the member never used.
    answers = [login(client, form, member, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 429, 429, 429]
    assert [a.json()["code"] for a in answers[2:]] == ["too_many_attempts"] * 3
    assert 1 <= int(answers[2].headers["Retry-After"]) <= SHORT
    # The stranger's client is refused even with the right secret...
    refused = login(client, form, member)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_attempts"
    assert "Retry-After" in refused.headers
    # ...while the member's own browser or app logs in, the member is not locked, and a
    # right secret from the member's device never met the stranger's lockout.
    mine = login(client, form, member, device=own_device)
    assert mine.status_code == 200, mine.text
    me = client.get("/v1/me", headers=bearer(mine.json()["access_token"]))
    assert me.json()["status"] == "active"
    # The stranger's lockout ends by itself: no desk, no automatic contract machine.
    poll(lambda: login(client, form, member).status_code == 200, timeout=30, interval=0.25,
         what="the unknown client's lockout to end")


def test_another_members_device_token_is_an_unknown_client(client, admin_headers):
    victim = new_member(client, admin_headers, web_id="victim.x")
    attacker = new_member(client, admin_headers, web_id="attacker.x")
    victims_device = device_for(client, victim["card_number"])
    attackers_device = device_for(client, attacker["card_number"])
    for _ in range(4):
        login(client, "card", victim, WRONG_PIN, device=attackers_device)
    # The attacker's own device counts nothing toward the victim's lock.
    assert login(client, "card", victim, device=victims_device).status_code == 200
    forged = login(client, "card", victim, WRONG_PIN, device="x" * 43)
    assert forged.status_code == 429 and forged.json()["code"] == "too_many_attempts"


@pytest.mark.parametrize("form", ["card", "web"])
def test_known_device_three_wrong_lock_until_the_desk_resets(client, admin_headers, form):
    member = new_member(client, admin_headers, web_id=f"owner.{form}")
    device = device_for(client, member["card_number"])
    wrong = WRONG_PIN if form == "card" else WRONG_PASSWORD
    answers = [login(client, form, member, wrong, device=device) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 401]
    for _ in range(2):  # the right secret does not help, from the device or elsewhere
        locked = login(client, form, member, device=device)
        assert locked.status_code == 423 and locked.json()["code"] == "account_locked"
        assert "自動契約機" in locked.json()["detail_ja"]
    assert login(client, form, member).status_code == 423
    reset = client.post(f"/v1/admin/members/{member['member_id']}/reset-pin",
                        json={"pin": "7305"}, headers=admin_headers)
    assert reset.status_code == 200 and reset.json()["status"] == "active"
    secret = "7305" if form == "card" else None
    assert login(client, form, member, secret, device=device).status_code == 200


def test_the_pin_asked_again_in_a_session_counts_like_a_known_device(client, admin_headers):
    member = new_member(client, admin_headers, web_id="inside.x")
    headers = bearer(token_for(client, member["card_number"]))
    body = {"web_id": "inside.y", "password": PASSWORD, "current_pin": WRONG_PIN}
    for _ in range(3):
        assert client.put("/v1/me/web-id", json=body, headers=headers).status_code == 401
    # Locked: the owner's right PIN, from anywhere, learns it.
    assert login(client, "card", member).status_code == 423


def _whole(response) -> tuple:  # type: ignore[no-untyped-def]
    """A response as an attacker sees it, minus what changes by itself (the Date; the
    Retry-After counting down is compared separately)."""
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "retry-after")}
    return response.status_code, response.content, sorted(headers.items())


@pytest.mark.parametrize("form", ["card", "web"])
def test_an_unknown_identifier_answers_as_a_real_one_under_attack(client, admin_headers, form):
    real = new_member(client, admin_headers, web_id="real.member")
    unknown = {"card_number": luhn_fix(real["card_number"][:14] + (
        "1" if real["card_number"][14] != "1" else "2")), "web_id": "real.membex"}
    device_for(client, real["card_number"])  # the real member has a device; not this client
    wrong = WRONG_PIN if form == "card" else WRONG_PASSWORD
    right = PIN if form == "card" else PASSWORD
    sequence = [wrong, wrong, wrong, wrong, right]

    def answers(member):  # type: ignore[no-untyped-def]
        return [login(client, form, member, secret) for secret in sequence]

    seen_real, seen_unknown = answers(real), answers(unknown)
    assert [_whole(r) for r in seen_real] == [_whole(r) for r in seen_unknown]
    assert [r.status_code for r in seen_real] == [401, 401, 429, 429, 429]
    for a, b in zip(seen_real, seen_unknown, strict=True):
        assert ("retry-after" in a.headers) == ("retry-after" in b.headers)
        if "retry-after" in a.headers:  # the same lockout, counting down in whole seconds
            assert abs(int(a.headers["retry-after"]) - int(b.headers["retry-after"])) <= 1
            assert 850 <= int(a.headers["retry-after"]) <= 900


# --- mail: on a lock and on unknown-client failures, never a secret ------------------


def _confirm(member_id: int, address: str, *, confirmed: bool = True) -> None:
    from datetime import UTC, datetime

    from shunfuri.db.models import MemberMail
    from shunfuri.db.session import session_factory

    now = datetime.now(UTC)
    with session_factory().begin() as session:
        session.add(MemberMail(
            member_id=member_id, updated_at=now,
            address=address if confirmed else None, confirmed_at=now if confirmed else None,
            pending_address=None if confirmed else address))


def _outbox() -> list:
    from sqlalchemy import select

    from shunfuri.db.models import OutgoingMail
    from shunfuri.db.session import session_factory

    with session_factory()() as session:
        return list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_the_member_is_mailed_on_unknown_client_failures_and_on_a_lock(
        client, admin_headers, tmp_path: Path):
    from tests.integration.test_mail_outbox import Wall, mail_ctx

    member = new_member(client, admin_headers, web_id="mailed.member")
    _confirm(member["member_id"], "hanako@example.jp")
    pending = new_member(client, admin_headers, web_id="pending.member")
    _confirm(pending["member_id"], "taro@example.jp", confirmed=False)
    device = device_for(client, member["card_number"])
    devices = {member["member_id"]: device,
               pending["member_id"]: device_for(client, pending["card_number"])}
    for target in (member, pending):
        for _ in range(4):  # a stranger: first failure, then the lockout
            login(client, "card", target, WRONG_PIN)
        for _ in range(3):  # the owner's device, three wrong: the in-person lock
            login(client, "web", target, WRONG_PASSWORD, device=devices[target["member_id"]])
    rows = _outbox()
    # Only a confirmed address gets mail; each event once.
    assert {r.to_address for r in rows} == {"hanako@example.jp"}
    assert [(r.kind, r.payload["id_kind"], r.payload.get("paused_minutes")) for r in rows] == [
        ("login_unknown_client", "card", 0), ("login_unknown_client", "card", 15),
        ("login_locked", "web", None)]
    assert len({(r.kind, r.key) for r in rows}) == 3

    from datetime import UTC, datetime

    from shunfuri.mail.sink import kept_mail, running_sink
    from shunfuri.services.mail import outbox

    with running_sink(tmp_path / "mail") as sink:
        wall = Wall()
        wall.at = datetime.now(UTC)
        assert outbox.send_due(mail_ctx(sink.url, wall)).sent == 3
    kept = kept_mail(tmp_path / "mail")
    texts: dict[str, list[str]] = {m.kind: [] for m in kept}
    for mail in kept:
        # The whole message as sent (headers, and the base64 of the parts, where only
        # long strings could be found), then the parts as the member reads them.
        raw = mail.message.as_bytes(policy=email_policy.SMTP).decode("ascii", "replace")
        long_secrets = (member["card_number"], PASSWORD, WRONG_PASSWORD, member["web_id"],
                        device)
        assert not [s for s in long_secrets if s in raw], mail.kind
        body = mail.text() + mail.message.get_body(("html",)).get_content()
        for secret in (*long_secrets, PIN, WRONG_PIN):
            assert secret not in body, (mail.kind, secret)
        texts[mail.kind].append(mail.text())
    paused = next(t for t in texts["login_unknown_client"] if "お休み" in t)
    assert "15分間" in paused and "自動契約機でのお手続きは必要ありません" in paused
    assert "自動契約機" in texts["login_locked"][0] and "Web-ID" in texts["login_locked"][0]


# --- the Web-ID availability answer is throttled --------------------------------------


def test_asking_whether_web_ids_are_taken_is_throttled(client, admin_headers, settings_env):
    settings_env(SHUNFURI_WEB_ID_RATE_LIMIT="3/hour")
    new_member(client, admin_headers, web_id="someone.else")
    prober = new_member(client, admin_headers, web_id="prober.one")
    headers = bearer(token_for(client, prober["card_number"]))
    answers = [client.put("/v1/me/web-id", headers=headers, json={
        "web_id": "someone.else", "password": PASSWORD, "current_pin": PIN}) for _ in range(4)]
    assert [a.status_code for a in answers] == [409, 409, 409, 429]
    assert answers[3].json()["code"] == "too_many_requests"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 3600
    # Per address too: another member at the same address is refused at once.
    other = new_member(client, admin_headers, web_id="prober.two")
    again = client.put("/v1/me/web-id", headers=bearer(token_for(client, other["card_number"])),
                       json={"web_id": "someone.else", "password": PASSWORD,
                             "current_pin": PIN})
    assert again.status_code == 429 and again.json()["code"] == "too_many_requests"


def test_the_web_id_page_is_throttled_too(client, admin_headers, settings_env):
    from tests.integration.test_web_pages import csrf_of, web_login

    settings_env(SHUNFURI_WEB_ID_RATE_LIMIT="2/hour")
    new_member(client, admin_headers, web_id="someone.else")
    member = new_member(client, admin_headers, web_id="page.prober")
    assert web_login(client, member["card_number"]).status_code == 303
    token = csrf_of(client, "/settings/web-id")
    form = {"web_id": "someone.else", "new_password": PASSWORD, "password_again": PASSWORD,
            "current_pin": PIN, "csrf_token": token}
    assert [client.post("/settings/web-id", data=form).status_code for _ in range(2)] == [
        409, 409]
    refused = client.post("/settings/web-id", data=form)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "一時的にお休みしています" in refused.text and "ほど待ってから" in refused.text


# --- item 7: session kinds, both ways -------------------------------------------------


def test_a_web_session_cookie_is_refused_as_a_bearer_token(client, admin_headers):
    from tests.integration.test_web_pages import web_login

    member = create_member(client, admin_headers)
    api = bearer(token_for(client, member["card_number"]))
    payee = client.post("/v1/payees", headers=api, json={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "pin": PIN}).json()["id"]
    assert web_login(client, member["card_number"]).status_code == 303
    cookie = client.cookies.get("shunfuri_session")
    assert cookie and client.get("/").status_code == 200  # a live web session
    stolen = bearer(cookie)
    for method, path, body in (
        ("GET", "/v1/me", None),
        ("POST", "/v1/transfers", {"payee_id": payee, "amount": 1000}),
        ("GET", "/v1/transfers", None),
        ("GET", "/v1/transfers/00000000-0000-0000-0000-000000000000", None),
        ("GET", "/v1/payees", None),
        ("GET", "/v1/repayments", None),
        ("GET", "/v1/me/mail", None),
        ("PUT", "/v1/me/web-id", {"web_id": "x.y.z", "password": PASSWORD, "current_pin": PIN}),
    ):
        r = client.request(method, path, headers=stolen, json=body)
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["code"] == "not_authenticated", (method, path)
    # An API logout with it ends nothing: the web session is still alive.
    assert client.post("/v1/logout", headers=stolen).status_code == 204
    assert client.get("/", follow_redirects=False).status_code == 200


def test_an_api_token_is_refused_as_a_web_session(client, admin_headers):
    member = create_member(client, admin_headers)
    token = token_for(client, member["card_number"])
    client.cookies.set("shunfuri_session", token)
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert re.search(r"expired=1", page.headers["location"])
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200  # still an API token
