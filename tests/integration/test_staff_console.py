"""The staff console in-process (TestClient, real PostgreSQL and Redis): login with a
one-time code, roles checked on the server, a member's session worth nothing here,
desk actions audited with the document, reason and source, and an audit log the
database will not let anyone change. The browser journeys are in tests/browser."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from tests.integration.member_helpers import PIN, create_member, device_for, login_card
from tests.integration.staff_helpers import (
    CSRF,
    code_at,
    csrf_of,
    enrolled,
    log_in,
    make_staff,
)
from tests.integration.test_web_pages import web_login


def audit_rows(action: str | None = None) -> list:
    from shunfuri.db.session import get_engine

    query = "SELECT actor, action, member_id, ok, detail, reason, source FROM audit_log"
    with get_engine().connect() as conn:
        rows = conn.execute(text(query + " ORDER BY id")).all()
    return [r for r in rows if action is None or r.action == action]


def search(client, q: str):  # type: ignore[no-untyped-def]
    """The member search form, posted (a card number is never in a URL)."""
    return client.post("/staff/members", follow_redirects=False,
                       data={"q": q, "csrf_token": csrf_of(client, "/staff/members")})


def full_width_hyphenated(card: str) -> str:
    return "－".join(card[i:i + 4] for i in range(0, 16, 4)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))


def test_first_login_enrols_totp_then_every_login_needs_a_fresh_code(client):
    secret = enrolled(client, "sato", "desk")
    home = client.get("/staff/")
    assert home.status_code == 200 and "山田 花子" in home.text and "窓口" in home.text
    cookie = client.cookies.get("shunfuri_staff")
    assert cookie
    client.post("/staff/logout", data={"csrf_token": csrf_of(client, "/staff/")})
    assert client.get("/staff/", follow_redirects=False).status_code == 303
    # Password alone no longer enough; the code just used (enrolment) cannot be replayed.
    assert log_in(client, "sato").status_code == 401
    assert log_in(client, "sato", code=code_at(secret)).status_code == 401
    ok = log_in(client, "sato", code=code_at(secret, 1))
    assert (ok.status_code, ok.headers["location"]) == (303, "/staff/")
    logins = [(r.ok, r.detail.get("refused")) for r in audit_rows("staff_login")]
    assert logins == [(True, None), (False, "invalid_credentials"),
                      (False, "invalid_credentials"), (True, None)]
    assert all(r.source for r in audit_rows("staff_login"))


def test_five_wrong_attempts_lock_the_account(client):
    secret = enrolled(client, "kato", "operator")
    for _ in range(5):
        assert log_in(client, "kato", password="wrong-password-1", code="000000"
                      ).status_code == 401
    locked = log_in(client, "kato", code=code_at(secret, 1))
    assert locked.status_code == 423


def test_the_enrolment_page_is_for_half_signed_in_accounts_only(client):
    make_staff("ito", "desk")
    assert client.get("/staff/enrol", follow_redirects=False).status_code == 303
    log_in(client, "ito")
    wrong = client.post("/staff/enrol", data={
        "code": "123456", "csrf_token": csrf_of(client, "/staff/enrol")})
    assert wrong.status_code == 422 and "確認コードが正しくありません" in wrong.text
    # Half signed in is not signed in: other pages send the person back to the login.
    assert client.get("/staff/members", follow_redirects=False).status_code == 303


def test_a_member_session_never_reaches_staff_pages_nor_the_other_way(client, admin_headers):
    member = create_member(client, admin_headers)
    assert web_login(client, member["card_number"]).status_code == 303
    for path in ("/staff/", "/staff/members", "/staff/queue", "/staff/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/staff/login"), path
    client.cookies.clear()
    enrolled(client, "desk1", "desk")
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_desk_finds_a_full_width_card_resets_the_pin_and_the_audit_names_the_document(
        client, admin_headers):
    member = create_member(client, admin_headers)
    device = device_for(client, member["card_number"])  # the member's own app
    for _ in range(3):
        login_card(client, member["card_number"], "9999", device=device)
    assert login_card(client, member["card_number"]).json()["code"] == "account_locked"
    enrolled(client, "desk2", "desk")
    found = search(client, full_width_hyphenated(member["card_number"]))
    assert found.headers["location"] == f"/staff/members/{member['member_id']}"
    page = client.get(found.headers["location"])
    assert "ログインロック中" in page.text and "運転免許証" in page.text
    token = CSRF.search(page.text).group(1)
    path = f"/staff/members/{member['member_id']}/reset-pin"
    missing = client.post(path, data={"csrf_token": token, "document": "driving_licence"})
    assert missing.status_code == 422 and "チェックを入れてください" in missing.text
    done = client.post(path, data={"csrf_token": token, "document": "driving_licence",
                                   "checked": "yes"})
    assert done.status_code == 200
    new_pin = re.search(r'id="new-pin">(\d{4})<', done.text).group(1)
    assert login_card(client, member["card_number"], new_pin).status_code == 200
    again = client.get(f"/staff/members/{member['member_id']}")
    assert 'id="new-pin"' not in again.text  # shown once
    [row] = audit_rows("reset_pin")
    assert row.actor == "staff:desk2" and row.detail["id_document"] == "driving_licence"
    assert row.detail["role"] == "desk" and row.source
    assert new_pin not in json.dumps([tuple(map(str, r)) for r in audit_rows()])
    assert PIN not in json.dumps([tuple(map(str, r)) for r in audit_rows()])
    assert member["card_number"] not in json.dumps([tuple(map(str, r)) for r in audit_rows()])
    [searched] = audit_rows("search_member")
    assert (searched.member_id, searched.detail["searched_as"]) == (member["member_id"],
                                                                    "card_number")
    assert len(audit_rows("view_member")) == 2  # the page before the reset, and after


def test_search_by_web_id_and_member_id_and_nothing_found(client, admin_headers):
    member = create_member(client, admin_headers, web_id="hanako.y")
    enrolled(client, "desk3", "desk")
    for q in ("HANAKO.Y", str(member["member_id"])):
        found = search(client, q)
        assert found.headers["location"] == f"/staff/members/{member['member_id']}", q
    none = search(client, "9" * 16)
    assert none.status_code == 200 and "見つかりませんでした" in none.text


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/queue/live", "/staff/doubts",
                                  "/staff/audit"])
def test_desk_is_refused_other_roles_pages_and_the_refusal_is_audited(client, path):
    enrolled(client, "desk4", "desk")
    refused = client.get(path)
    assert refused.status_code == 403 and "この画面は利用できません" in refused.text
    [row] = audit_rows("staff_refused")
    assert (row.actor, row.ok, row.detail["path"]) == ("staff:desk4", False, path)


def test_desk_cannot_suspend_even_by_posting_the_form(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "desk5", "desk")
    page = client.get(f"/staff/members/{member['member_id']}")
    assert "ご利用を停止する" not in page.text
    refused = client.post(f"/staff/members/{member['member_id']}/suspend", data={
        "csrf_token": CSRF.search(page.text).group(1), "reason": "試し"})
    assert refused.status_code == 403
    assert login_card(client, member["card_number"]).status_code == 200


def test_operator_is_refused_member_pages(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "ops1", "operator")
    assert client.get(f"/staff/members/{member['member_id']}").status_code == 403
    assert client.get("/staff/queue").status_code == 200


def test_supervisor_suspends_with_a_reason_and_the_member_cannot_log_in(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "boss", "supervisor")
    page = client.get(f"/staff/members/{member['member_id']}")
    token = CSRF.search(page.text).group(1)
    path = f"/staff/members/{member['member_id']}/suspend"
    blank = client.post(path, data={"csrf_token": token, "reason": "  "})
    assert blank.status_code == 422 and "理由を入力してください" in blank.text
    done = client.post(path, data={"csrf_token": token, "reason": "返済の遅れが3か月"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert login_card(client, member["card_number"]).json()["code"] == "account_suspended"
    [row] = audit_rows("suspend")
    assert (row.actor, row.reason) == ("staff:boss", "返済の遅れが3か月")
    audit_page = client.get("/staff/audit", params={"text": "返済の遅れ"})
    assert audit_page.status_code == 200 and "返済の遅れが3か月" in audit_page.text


def test_a_form_without_csrf_is_refused_on_staff_pages(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "boss2", "supervisor")
    refused = client.post(f"/staff/members/{member['member_id']}/suspend",
                          data={"reason": "x"})
    assert refused.status_code == 403 and "csrf_failed" in refused.text
    assert login_card(client, member["card_number"]).status_code == 200


def test_the_audit_log_is_append_only_in_the_database(client, admin_headers):
    from sqlalchemy.exc import DBAPIError

    from shunfuri.db.session import get_engine

    create_member(client, admin_headers)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as conn:
            conn.execute(text(statement))
    assert len(audit_rows("create_member")) == 1


def test_queue_page_shows_counts_batch_and_bank_and_refreshes_without_inline_script(client):
    enrolled(client, "ops2", "operator")
    page = client.get("/staff/queue")
    assert page.status_code == 200
    assert 'id="count-accepted">0<' in page.text and "次の9:30バッチ" in page.text
    assert '<script src="/static/staff-refresh.js"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    live = client.get("/staff/queue/live")
    assert live.status_code == 200 and "<html" not in live.text


def test_staff_add_cli_makes_an_account_that_can_log_in(client):
    from typer.testing import CliRunner

    import shunfuri.cli.staff  # noqa: F401 - registers `staff add`
    from shunfuri.cli.main import app

    done = CliRunner().invoke(app, ["staff", "add", "chief", "--name", "鈴木 一郎",
                                    "--password-stdin"], input="Chief-Lamp-Otter-9\n")
    assert done.exit_code == 0, done.output
    made = json.loads(done.output.strip().splitlines()[-1])
    assert made["role"] == "supervisor"
    first = log_in(client, "chief", password="Chief-Lamp-Otter-9")
    assert first.headers["location"] == "/staff/enrol"
    [row] = audit_rows("staff_create")
    assert (row.actor, row.source, row.detail["new_role"]) == ("staff:cli", "cli", "supervisor")
    taken = CliRunner().invoke(app, ["staff", "add", "chief", "--name", "x",
                                     "--password-stdin"], input="Chief-Lamp-Otter-9\n")
    assert taken.exit_code == 2


def test_make_staff_refuses_an_unknown_role(configured, db):
    from shunfuri.errors import ShunfuriError

    with pytest.raises(ShunfuriError):
        make_staff("nobody", "janitor")


def test_the_admin_key_api_is_off_in_production_unless_configured(client):
    import os

    from shunfuri.settings import DEV_ADMIN_KEY, get_settings

    production = {"SHUNFURI_ENV": "production", "SHUNFURI_PIN_PEPPER": "p" * 20,
                  "SHUNFURI_SMTP_ALLOW_INSECURE": "true", "SHUNFURI_LOGIN_RATE_LIMIT": "100/minute",
                  "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "100/minute", "SHUNFURI_APPLICATION_RATE_LIMIT": "100/minute",
                  "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "100/minute",
                  "SHUNFURI_PUBLIC_URL": "https://shunfuri.example"}
    saved = {k: os.environ.get(k) for k in (*production, "SHUNFURI_ADMIN_KEY")}
    os.environ.update(production)
    os.environ.pop("SHUNFURI_ADMIN_KEY", None)
    get_settings.cache_clear()
    try:
        refused = client.post("/v1/admin/members", headers={"X-Admin-Key": DEV_ADMIN_KEY},
                              json={"credit_limit": 100_000, "pin": "2580"})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
    assert refused.status_code == 403
    assert "/staff/" in refused.json()["detail"]
    [row] = audit_rows("staff_key_refused")
    assert row.detail["reason"] == "key_not_configured"
    assert audit_rows("create_member") == []


def test_supervisor_changes_a_limit_with_a_reason_and_adds_a_desk_account(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "boss3", "supervisor")
    page = client.get(f"/staff/members/{member['member_id']}")
    token = CSRF.search(page.text).group(1)
    path = f"/staff/members/{member['member_id']}/credit-limit"
    too_big = client.post(path, data={"csrf_token": token, "limit": "9,000,000", "reason": "x"})
    assert too_big.status_code == 422 and "0〜5,000,000円" in too_big.text
    done = client.post(path, data={"csrf_token": token, "limit": "４００，０００",
                                   "reason": "年収の確認"}, follow_redirects=False)
    assert done.status_code == 303
    [row] = [r for r in audit_rows("set_credit_limit") if r.ok]
    assert (row.reason, row.detail["credit_limit"]) == ("年収の確認", 400_000)
    form = client.get("/staff/accounts")
    assert form.status_code == 200
    made = client.post("/staff/accounts", data={
        "csrf_token": CSRF.search(form.text).group(1), "login_id": "new.desk",
        "name": "田中 三郎", "role": "desk"})
    assert made.status_code == 200
    password = re.search(r'id="created-password">([^<]+)<', made.text).group(1)
    client.cookies.clear()
    first = log_in(client, "new.desk", password=password)
    assert first.headers["location"] == "/staff/password"  # the supervisor has seen it


def test_desk_cannot_manage_staff_or_limits(client, admin_headers):
    member = create_member(client, admin_headers)
    enrolled(client, "desk6", "desk")
    assert client.get("/staff/accounts").status_code == 403
    page = client.get(f"/staff/members/{member['member_id']}")
    assert "限度額を変更する" not in page.text
    refused = client.post(f"/staff/members/{member['member_id']}/credit-limit", data={
        "csrf_token": CSRF.search(page.text).group(1), "limit": "1000", "reason": "x"})
    assert refused.status_code == 403


def test_a_disabled_account_ends_its_sessions_and_answers_like_a_wrong_password(client):
    from shunfuri.db.session import get_engine

    secret = enrolled(client, "gone", "desk")
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE staff_accounts SET disabled = true WHERE login_id = 'gone'"))
    assert client.get("/staff/", follow_redirects=False).status_code == 303
    wrong = log_in(client, "gone", password="wrong-password-1", code=code_at(secret, 1))
    right = log_in(client, "gone", code=code_at(secret, 1))
    # The right password and code say nothing more than wrong ones: no oracle.
    assert wrong.status_code == right.status_code == 401
    assert wrong.text == right.text
