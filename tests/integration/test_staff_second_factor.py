"""Issue 23, item 2, performed in-process (TestClient; each `another()` has cookies of
its own): a secret read by a password-only session before enrolment is worthless after
it; the enrolment page shows a secret once and nothing after enrolment; a supervisor's
reset makes a new secret and ends the account's sessions; a password someone else saw
is changed at the first login; a disabled account's open session is refused at once.
The same journeys in a real browser: tests/browser/test_staff_security_journeys.py."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.integration.staff_helpers import (
    CSRF,
    STAFF_PASSWORD,
    code_at,
    enrol,
    enrolled,
    log_in,
    make_staff,
    shown_secret,
)


def without_csrf(page: str) -> str:
    """A page as any browser would get it (the CSRF token is bound to each browser)."""
    return CSRF.sub("", page)


def audit_rows(action: str) -> list:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text("SELECT actor, ok, detail, reason, source FROM audit_log "
                                 "WHERE action = :a ORDER BY id"), {"a": action}).all()


def stored_secret(login_id: str) -> str | None:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text("SELECT totp_secret FROM staff_accounts WHERE login_id = :l"),
                            {"l": login_id}).scalar()


def staff_id(login_id: str) -> int:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text("SELECT id FROM staff_accounts WHERE login_id = :l"),
                            {"l": login_id}).scalar()


def test_a_secret_read_before_enrolment_is_worthless_after_it(client, another):
    make_staff("newdesk", "desk")
    assert stored_secret("newdesk") is None  # no secret exists until someone enrols
    attacker = another()
    assert log_in(attacker, "newdesk").headers["location"] == "/staff/enrol"
    captured = shown_secret(attacker.get("/staff/enrol"))
    real = enrol(client, "newdesk")  # the real person, in their own browser
    assert real != captured and stored_secret("newdesk") == real
    # The attacker's enrolment session ended with the enrolment...
    assert attacker.get("/staff/enrol", follow_redirects=False).headers["location"].startswith(
        "/staff/login")
    # ...and password + a code from the captured secret opens nothing, from any browser.
    for who in (attacker, another()):
        refused = log_in(who, "newdesk", code=code_at(captured, 1))
        assert refused.status_code == 401 and "いずれかが正しくありません" in refused.text
    assert log_in(another(), "newdesk", code=code_at(real, 1)).status_code == 303


def test_the_attackers_own_code_cannot_finish_an_enrolment_the_owner_began(client, another):
    make_staff("newops", "operator")
    attacker = another()
    log_in(attacker, "newops")
    captured = shown_secret(attacker.get("/staff/enrol"))
    log_in(client, "newops")
    page = client.get("/staff/enrol")
    # The owner's session enrols only the secret it was shown, never another session's.
    wrong = client.post("/staff/enrol", data={"code": code_at(captured),
                                              "csrf_token": CSRF.search(page.text).group(1)})
    assert wrong.status_code == 422 and 'id="totp-secret"' not in wrong.text
    assert stored_secret("newops") is None


def test_each_showing_draws_a_new_secret_and_after_enrolment_none_is_shown(client):
    make_staff("reload", "desk")
    log_in(client, "reload")
    first = client.get("/staff/enrol")
    second = client.get("/staff/enrol")
    old, new = shown_secret(first), shown_secret(second)
    assert old != new  # a reload makes the secret shown before worthless
    token = CSRF.search(second.text).group(1)
    stale = client.post("/staff/enrol", data={"code": code_at(old), "csrf_token": token})
    assert stale.status_code == 422 and 'id="totp-secret"' not in stale.text
    done = client.post("/staff/enrol", follow_redirects=False,
                       data={"code": code_at(new), "csrf_token": token})
    assert done.headers["location"] == "/staff/?enrolled=1"
    after = client.get("/staff/enrol", follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, "/staff/")
    assert "totp-secret" not in client.get("/staff/enrol").text
    [row] = [r for r in audit_rows("staff_totp_enrol") if r.ok]
    assert new not in str(row.detail) and old not in str(row.detail)


def test_a_supervisors_reset_rotates_the_secret_and_ends_the_accounts_sessions(
        client, another):
    boss = another()
    enrolled(boss, "boss", "supervisor")
    old = enrolled(client, "lostphone", "desk")
    assert client.get("/staff/").status_code == 200
    target = staff_id("lostphone")
    page = boss.get(f"/staff/accounts/{target}")
    assert page.status_code == 200 and "確認コードをリセットする" in page.text
    token = CSRF.search(page.text).group(1)
    blank = boss.post(f"/staff/accounts/{target}/reset-totp", data={"csrf_token": token})
    assert blank.status_code == 422 and stored_secret("lostphone") == old
    done = boss.post(f"/staff/accounts/{target}/reset-totp", follow_redirects=False,
                     data={"csrf_token": token, "reason": "スマートフォンの紛失"})
    assert done.status_code == 303 and stored_secret("lostphone") is None
    # The desk's open session ended at once.
    assert client.get("/staff/", follow_redirects=False).headers["location"].startswith(
        "/staff/login")
    new = enrol(another(), "lostphone")
    assert new != old
    assert log_in(another(), "lostphone", code=code_at(old, 1)).status_code == 401
    [row] = audit_rows("staff_totp_reset")
    assert (row.actor, row.reason, row.detail["login_id"]) == (
        "staff:boss", "スマートフォンの紛失", "lostphone")
    assert row.detail["sessions_ended"] >= 1


def test_a_supervisor_cannot_reset_or_disable_their_own_account(client):
    enrolled(client, "selfish", "supervisor")
    mine = staff_id("selfish")
    page = client.get(f"/staff/accounts/{mine}")
    assert "無効にする" not in page.text
    for action in ("disable", "reset-totp"):
        refused = client.post(f"/staff/accounts/{mine}/{action}", data={
            "csrf_token": CSRF.search(page.text).group(1), "reason": "試し"})
        assert refused.status_code == 422, action
    assert client.get("/staff/").status_code == 200
    assert all(r.detail["refused"] == "own_account" for r in audit_rows("staff_disable"))


def test_a_password_the_supervisor_saw_is_changed_at_the_first_login(client, another):
    boss = another()
    enrolled(boss, "boss2", "supervisor")
    form = boss.get("/staff/accounts")
    made = boss.post("/staff/accounts", data={
        "csrf_token": CSRF.search(form.text).group(1), "login_id": "fresh.person.1",
        "name": "田中 三郎", "role": "desk"})
    drawn = re.search(r'id="created-password">([^<]+)<', made.text).group(1)
    # Whoever saw the password (the supervisor) gets no further than the change page:
    # no enrolment, no secret.
    peeker = another()
    first = log_in(peeker, "fresh.person.1", password=drawn)
    assert first.headers["location"] == "/staff/password"
    assert peeker.get("/staff/enrol", follow_redirects=False).headers[
        "location"] == "/staff/password"
    assert "totp-secret" not in peeker.get("/staff/enrol").text
    person = another()
    log_in(person, "fresh.person.1", password=drawn)
    page = person.get("/staff/password")
    assert "初めてのログインです" in page.text and "スタッフメニュー" not in page.text
    token = CSRF.search(page.text).group(1)

    def change(current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
        return person.post("/staff/password", follow_redirects=False, data={
            "csrf_token": token, "current_password": current, "new_password": new,
            "new_password_confirm": new if again is None else again})

    assert change(drawn, "short-pw-1").status_code == 422  # under 12 characters
    assert change(drawn, "FRESH.PERSON.1").status_code == 422  # the login ID
    assert change(drawn, drawn).status_code == 422  # the same password
    assert change(drawn, "Quiet-Harbour-Lamp", "Quiet-Harbour-Lanp").status_code == 422
    assert change("not-the-password", "Quiet-Harbour-Lamp").status_code == 422
    done = change(drawn, "Quiet-Harbour-Lamp")
    assert (done.status_code, done.headers["location"]) == (303, "/staff/enrol")
    # The peeker's session on the account ended; the drawn password opens nothing.
    assert peeker.get("/staff/password", follow_redirects=False).headers[
        "location"].startswith("/staff/login")
    assert log_in(another(), "fresh.person.1", password=drawn).status_code == 401
    rows = audit_rows("staff_password_change")
    assert [(r.ok, (r.detail or {}).get("refused")) for r in rows] == [
        (False, "wrong_current_password"), (True, None)]
    assert rows[-1].detail["forced"] is True and drawn not in str(rows)


def test_password_change_from_the_menu_ends_the_other_sessions(client, another):
    secret = enrolled(client, "changer", "operator")
    other = another()
    assert log_in(other, "changer", code=code_at(secret, 1)).status_code == 303
    page = client.get("/staff/password")
    assert page.status_code == 200 and "スタッフメニュー" in page.text
    done = client.post("/staff/password", follow_redirects=False, data={
        "csrf_token": CSRF.search(page.text).group(1), "current_password": STAFF_PASSWORD,
        "new_password": "Orchid-Kettle-Stone-7", "new_password_confirm": "Orchid-Kettle-Stone-7"})
    assert (done.status_code, done.headers["location"]) == (303, "/staff/?password=1")
    assert "パスワードを変更しました" in client.get(done.headers["location"]).text
    assert other.get("/staff/", follow_redirects=False).headers["location"].startswith(
        "/staff/login")
    [row] = audit_rows("staff_password_change")
    assert (row.ok, row.detail["forced"], row.detail["other_sessions_ended"]) == (
        True, False, 1)
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM staff_accounts "
                                   "WHERE login_id = 'changer'")).scalar()
    assert stored.startswith("$argon2id$") and "Orchid" not in stored


def test_a_disabled_accounts_open_session_is_refused_at_once_and_enabling_restores_it(
        client, another):
    boss = another()
    enrolled(boss, "boss3", "supervisor")
    secret = enrolled(client, "leaver", "desk")
    assert client.get("/staff/members").status_code == 200
    target = staff_id("leaver")
    page = boss.get(f"/staff/accounts/{target}")
    token = CSRF.search(page.text).group(1)
    done = boss.post(f"/staff/accounts/{target}/disable", follow_redirects=False,
                     data={"csrf_token": token, "reason": "退職のため"})
    assert done.status_code == 303
    assert "無効" in boss.get(done.headers["location"]).text
    refused = client.get("/staff/members", follow_redirects=False)
    assert refused.headers["location"].startswith("/staff/login")
    # The right password and code answer exactly as a wrong password does.
    right = log_in(another(), "leaver", code=code_at(secret, 1))
    wrong = log_in(another(), "leaver", password="Wrong-Password-99", code="000000")
    assert right.status_code == wrong.status_code == 401
    assert without_csrf(right.text) == without_csrf(wrong.text)
    page = boss.get(f"/staff/accounts/{target}")
    boss.post(f"/staff/accounts/{target}/enable", data={
        "csrf_token": CSRF.search(page.text).group(1), "reason": "復職のため"})
    assert log_in(another(), "leaver", code=code_at(secret, 1)).status_code == 303
    rows = audit_rows("staff_disable") + audit_rows("staff_enable")
    assert [(r.actor, r.reason) for r in rows] == [("staff:boss3", "退職のため"),
                                                   ("staff:boss3", "復職のため")]
    assert rows[0].detail["sessions_ended"] == 1 and all(r.source for r in rows)


def test_the_staff_add_cli_owner_is_not_forced_but_temporary_is(client):
    from typer.testing import CliRunner

    import shunfuri.cli.staff  # noqa: F401 - registers `staff add`
    from shunfuri.cli.main import app

    own = CliRunner().invoke(app, ["staff", "add", "owner1", "--name", "鈴木 一郎",
                                   "--password-stdin"], input="Owner-Lamp-Otter-9\n")
    assert own.exit_code == 0, own.output
    assert log_in(client, "owner1", password="Owner-Lamp-Otter-9").headers[
        "location"] == "/staff/enrol"
    other = CliRunner().invoke(app, ["staff", "add", "typed.for", "--name", "山田 花子",
                                     "--role", "desk", "--temporary", "--password-stdin"],
                               input="Typed-For-Someone-1\n")
    assert other.exit_code == 0, other.output
    client.cookies.clear()
    assert log_in(client, "typed.for", password="Typed-For-Someone-1").headers[
        "location"] == "/staff/password"
    short = CliRunner().invoke(app, ["staff", "add", "shorty", "--name", "x",
                                     "--password-stdin"], input="Short-pw-1\n")
    assert short.exit_code == 2  # staff passwords are 12+ characters


def test_a_code_for_the_enrolled_secret_is_needed_even_from_the_enrol_page(client):
    """An enrol session cannot be had once enrolled: the password alone gives nothing."""
    secret = enrolled(client, "twofa", "desk")
    client.cookies.clear()
    assert log_in(client, "twofa").status_code == 401
    assert client.get("/staff/enrol", follow_redirects=False).headers["location"].startswith(
        "/staff/login")
    assert log_in(client, "twofa", code=code_at(secret, 1)).status_code == 303
