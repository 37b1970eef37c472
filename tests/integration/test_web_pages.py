"""The member site in-process (TestClient, real PostgreSQL and Redis): sessions, CSRF,
headers, the login catalogue as pages, isolation. The browser journeys are in
tests/browser; these are the rules a browser test would only show indirectly."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.integration.member_helpers import PASSWORD, PIN, bearer, create_member, token_for

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(client, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def web_login(client, card_number: str, pin: str = PIN, **extra):
    token = csrf_of(client)
    return client.post(
        "/login/card",
        data={"card_number": card_number, "pin": pin, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def signed_in(client, admin_headers, **kwargs) -> dict:
    member = create_member(client, admin_headers, **kwargs)
    response = web_login(client, member["card_number"])
    assert response.status_code == 303, response.text
    return member



def test_login_page_has_two_doors_with_the_right_inputs(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ja">' in html
    assert 'action="/login/card"' in html and 'action="/login/web"' in html
    assert re.search(r'id="f-card_number"[^>]*inputmode="numeric"[^>]*autocomplete="username"', html)
    assert re.search(r'id="f-pin"[^>]*inputmode="numeric"[^>]*autocomplete="current-password"', html)
    assert re.search(r'<label for="f-web_id">', html)


def test_pages_carry_the_security_headers_and_cookies_are_safe(client, admin_headers):
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    form_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in form_cookie and "SameSite=lax" in form_cookie.replace("Lax", "lax")
    member = create_member(client, admin_headers)
    response = web_login(client, member["card_number"])
    cookie = response.headers["set-cookie"]
    assert "shunfuri_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # development over http; production sets Secure + __Host-
    home = client.get("/")
    assert home.status_code == 200 and home.headers["cache-control"] == "no-store"


def test_login_with_full_width_hyphenated_card_number(client, admin_headers):
    member = create_member(client, admin_headers)
    card = member["card_number"]
    typed = "－".join(card[i:i + 4] for i in range(0, 16, 4)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))
    response = web_login(client, typed, "４８２１")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = client.get("/")
    assert "ご利用可能額" in home.text and "300,000円" in home.text


def test_a_form_without_its_csrf_token_is_refused(client, admin_headers):
    member = create_member(client, admin_headers)
    client.get("/login")
    no_token = client.post("/login/card", data={"card_number": member["card_number"], "pin": PIN})
    assert no_token.status_code == 403
    assert "送信を受け付けられませんでした" in no_token.text
    assert "shunfuri_session" not in no_token.headers.get("set-cookie", "")
    wrong = client.post("/login/card", data={"card_number": member["card_number"], "pin": PIN,
                                             "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    # A token is bound to the visitor's cookie: another visitor's token does not pass.
    from fastapi.testclient import TestClient

    other = TestClient(client.app)
    stolen = csrf_of(other)
    assert client.post("/login/card", data={"card_number": member["card_number"], "pin": PIN,
                                            "csrf_token": stolen}).status_code == 403


def test_wrong_pin_three_times_then_the_locked_page_even_with_the_right_pin(client, admin_headers):
    """In a browser the member logged in from before (its device cookie): the article's
    lock. A new browser is only paused: test_a_new_browser_is_paused_not_locked."""
    member = create_member(client, admin_headers)
    assert web_login(client, member["card_number"]).status_code == 303
    client.cookies.delete("shunfuri_session")  # logged out; the device cookie stays
    for attempt in range(3):
        response = web_login(client, member["card_number"], "0000")
        assert response.status_code == 401, attempt
        assert "正しくありません" in response.text
    locked = web_login(client, member["card_number"], PIN)
    assert locked.status_code == 423
    assert "ログインがロックされています" in locked.text
    assert "自動契約機" in locked.text and "運転免許証" in locked.text
    assert "メールやお電話では" in locked.text


def test_a_new_browser_is_paused_not_locked_and_says_so_politely(client, admin_headers,
                                                                monkeypatch):
    from fastapi.testclient import TestClient

    member = create_member(client, admin_headers)
    assert web_login(client, member["card_number"]).status_code == 303
    assert client.cookies.get("shunfuri_device")  # this browser is now the member's own
    stranger = TestClient(client.app)
    wrong = [web_login(stranger, member["card_number"], "0000") for _ in range(3)]
    assert [r.status_code for r in wrong] == [401, 401, 429]
    assert "これまでにログインしたことのない" in wrong[0].text
    for paused in (wrong[2], web_login(stranger, member["card_number"], PIN)):
        assert paused.status_code == 429 and paused.headers["Retry-After"]
        assert "一時的にお休みしています" in paused.text and "15分ほど待ってから" in paused.text
        assert "以前にこのサービスへログインしたことのあるブラウザ" in paused.text
        assert "ロックされています" not in paused.text
    # An ID nobody has reads exactly the same (but for the form's token and what was typed).
    from tests.integration.member_helpers import luhn_fix

    real = member["card_number"]
    nobody = luhn_fix(real[:14] + ("1" if real[14] != "1" else "2"))
    unknown = TestClient(client.app)
    pages = [web_login(unknown, nobody, "0000") for _ in range(4)]
    assert [p.status_code for p in pages] == [401, 401, 429, 429]

    def shown(page, card):  # type: ignore[no-untyped-def]
        return CSRF.sub("", page.text).replace(card, "CARD")

    assert shown(pages[0], nobody) == shown(wrong[0], real)
    assert shown(pages[3], nobody) == shown(web_login(stranger, real, PIN), real)
    # The member's own browser is not affected at all.
    client.cookies.delete("shunfuri_session")
    assert web_login(client, member["card_number"]).status_code == 303


def test_malformed_card_number_is_a_field_error_and_never_counts(client, admin_headers):
    member = create_member(client, admin_headers)
    for _ in range(4):
        response = web_login(client, member["card_number"][:-1] + "x", "0000")
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.text
    assert web_login(client, member["card_number"]).status_code == 303


def test_lost_card_and_suspended_pages(client, admin_headers):
    lost = create_member(client, admin_headers)
    client.post(f"/v1/admin/members/{lost['member_id']}/report-card-lost", headers=admin_headers)
    page = web_login(client, lost["card_number"])
    assert page.status_code == 403 and "このカードではログインできません" in page.text
    assert "Web-ID" in page.text
    gone = create_member(client, admin_headers)
    client.post(f"/v1/admin/members/{gone['member_id']}/suspend", headers=admin_headers)
    page = web_login(client, gone["card_number"])
    assert page.status_code == 403 and "ご利用が停止されています" in page.text


def test_suspension_ends_a_live_web_session(client, admin_headers):
    member = signed_in(client, admin_headers)
    assert client.get("/").status_code == 200
    client.post(f"/v1/admin/members/{member['member_id']}/suspend", headers=admin_headers)
    page = client.get("/", follow_redirects=False)
    # Revoked with every token at suspension: back to the login page.
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_logout_ends_the_session(client, admin_headers):
    signed_in(client, admin_headers)
    token = CSRF.search(client.get("/").text).group(1)
    cookie = client.cookies.get("shunfuri_session")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("shunfuri_session", cookie)  # even if the browser kept it
    assert client.get("/", follow_redirects=False).status_code == 303


def test_pages_need_a_session(client):
    response = client.get("/transfers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ftransfers"


def test_open_redirect_after_login_is_refused(client, admin_headers):
    member = create_member(client, admin_headers)
    response = web_login(client, member["card_number"], next="//evil.example/")
    assert response.headers["location"] == "/"


def test_set_web_id_then_log_in_with_it(client, admin_headers):
    signed_in(client, admin_headers)
    token = csrf_of(client, "/settings/web-id")
    response = client.post("/settings/web-id", data={
        "web_id": "Taro.Yamada", "new_password": PASSWORD, "password_again": PASSWORD,
        "current_pin": PIN, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "Web-IDとパスワードを登録しました" in client.get("/?done=web_id").text
    from fastapi.testclient import TestClient

    fresh = TestClient(client.app)
    login = fresh.post("/login/web", data={"web_id": "taro.yamada", "password": PASSWORD,
                                           "csrf_token": csrf_of(fresh)}, follow_redirects=False)
    assert login.status_code == 303


def test_web_id_form_marks_a_wrong_pin_and_a_taken_id(client, admin_headers):
    create_member(client, admin_headers, web_id="taken.id")
    signed_in(client, admin_headers)
    token = csrf_of(client, "/settings/web-id")
    wrong = client.post("/settings/web-id", data={
        "web_id": "new.one", "new_password": PASSWORD, "password_again": PASSWORD,
        "current_pin": "0000", "csrf_token": token})
    assert wrong.status_code == 401 and "暗証番号が正しくありません" in wrong.text
    taken = client.post("/settings/web-id", data={
        "web_id": "taken.id", "new_password": PASSWORD, "password_again": PASSWORD,
        "current_pin": PIN, "csrf_token": token})
    assert taken.status_code == 409 and "ほかの方が使用しています" in taken.text


def test_put_web_id_api(client, admin_headers):
    member = create_member(client, admin_headers)
    token = token_for(client, member["card_number"])
    other = token_for(client, member["card_number"])
    body = {"web_id": "Hanako＿Web", "password": PASSWORD, "current_pin": PIN}
    ok = client.put("/v1/me/web-id", json=body, headers=bearer(token))
    assert ok.status_code == 200 and ok.json() == {"web_id": "hanako_web"}
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    assert client.get("/v1/me", headers=bearer(other)).json()["code"] == "token_expired"
    assert client.post("/v1/login", json={"web_id": "hanako_web", "password": PASSWORD}).status_code == 200
    second = create_member(client, admin_headers)
    clash = client.put("/v1/me/web-id", json=body,
                       headers=bearer(token_for(client, second["card_number"])))
    assert clash.status_code == 409 and clash.json()["code"] == "web_id_taken"
    short = client.put("/v1/me/web-id", json={**body, "password": "short"}, headers=bearer(token))
    assert short.status_code == 422


def test_put_web_id_wrong_pins_lock_like_logins(client, admin_headers):
    member = create_member(client, admin_headers)
    token = token_for(client, member["card_number"])
    body = {"web_id": "someone", "password": PASSWORD, "current_pin": "0000"}
    for _ in range(2):
        response = client.put("/v1/me/web-id", json=body, headers=bearer(token))
        assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    third = client.put("/v1/me/web-id", json=body, headers=bearer(token))
    assert third.status_code == 401
    # Locked now: the token is revoked and the right PIN does not log in.
    assert client.get("/v1/me", headers=bearer(token)).status_code in (401, 423)
    login = client.post("/v1/login", json={"card_number": member["card_number"], "pin": PIN})
    assert login.status_code == 423
    audit = client.get(f"/v1/admin/members/{member['member_id']}", headers=admin_headers).json()
    assert audit["status"] == "locked"


def test_an_idle_web_session_ends(client, admin_headers):
    from sqlalchemy import update

    from shunfuri.db.models import AuthSession
    from shunfuri.db.session import session_factory

    signed_in(client, admin_headers)
    assert client.get("/").status_code == 200
    with session_factory()() as session:
        session.execute(update(AuthSession).where(AuthSession.kind == "web")
                        .values(expires_at=datetime(2020, 1, 1, tzinfo=UTC)))
        session.commit()
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert "ログアウトしました" in page.text


def test_a_web_session_slides_forward_while_used(client, admin_headers):
    from sqlalchemy import select, update

    from shunfuri.db.models import AuthSession
    from shunfuri.db.session import session_factory

    signed_in(client, admin_headers)
    from datetime import timedelta

    soon = datetime.now(UTC)
    with session_factory()() as session:
        session.execute(update(AuthSession).where(AuthSession.kind == "web")
                        .values(expires_at=soon + timedelta(seconds=30)))
        session.commit()
    assert client.get("/").status_code == 200
    with session_factory()() as session:
        expires = session.scalar(select(AuthSession.expires_at).where(AuthSession.kind == "web"))
    assert (expires - soon).total_seconds() > 800  # moved to now + 900 s


def test_an_api_token_is_not_a_web_session(client, admin_headers):
    member = create_member(client, admin_headers)
    client.cookies.set("shunfuri_session", token_for(client, member["card_number"]))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_web_logins_share_the_apis_rate_limit(client, admin_headers):
    import os

    from shunfuri.settings import get_settings

    member = create_member(client, admin_headers)
    os.environ["SHUNFURI_LOGIN_RATE_LIMIT"] = "2/minute"
    get_settings.cache_clear()
    try:
        assert client.post("/v1/login", json={"card_number": member["card_number"],
                                               "pin": PIN}).status_code == 200
        assert web_login(client, member["card_number"]).status_code == 303
        limited = web_login(client, member["card_number"])
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert "秒ほど待ってから" in limited.text
    finally:
        os.environ["SHUNFURI_LOGIN_RATE_LIMIT"] = "0"
        get_settings.cache_clear()
