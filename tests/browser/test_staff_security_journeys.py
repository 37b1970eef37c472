"""Issue 23, items 2 and 3, in a real browser: each attack performed, now failing.

- A second browser reads the enrolment page with the password alone, before the real
  person enrols: after enrolment its secret opens nothing, and the page shows nothing.
- A supervisor adds an account: its first login changes the password (the supervisor
  saw it), then enrols. A supervisor disables an account: its open page is refused at
  once and its login answers like a wrong password; enabling restores it. A
  supervisor's reset of the second factor ends the sessions and makes a new secret.
  A staff member changes their password from the menu.
- A stranger loops on a desk's login ID from fresh browsers: the answers are those an
  ID nobody has gets, and the desk's own browser logs in all the same; the supervisor's
  audit log shows the alert.
Every page is checked with axe."""

from __future__ import annotations

import re
import uuid

import pyotp
from playwright.sync_api import expect

from tests.browser.staff_journey import (
    STAFF_PASSWORD,
    add_account,
    enrol,
    enrol_here,
    fill_login,
    new_staff,
    next_code,
)
from tests.browser.test_staff_journeys import audit_shows, menu, other_page

WRONG_TEXT = "ログインID・パスワード・確認コードのいずれかが正しくありません"
PAUSED_TEXT = "このブラウザからはしばらくログインできません"


def open_account(page, login_id: str) -> None:  # type: ignore[no-untyped-def]
    menu(page, "スタッフ管理")
    page.get_by_role("link", name=login_id, exact=True).click()
    expect(page.get_by_role("heading", name=f"スタッフ {login_id}")).to_be_visible()


def act_with_reason(page, section: str, button: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    region = page.locator("section").filter(has=page.get_by_role("heading", name=section))
    region.get_by_label("理由（記録に残ります）").fill(reason)
    region.get_by_role("button", name=button).click()


def test_a_secret_read_before_enrolment_opens_nothing_after_it(page, browser, system, checked):
    desk = new_staff(system, "desk")
    with other_page(browser, system) as attacker:
        fill_login(attacker, desk)  # the password alone, before the real person
        attacker.wait_for_url("**/staff/enrol")
        captured = attacker.locator("#totp-secret").inner_text().replace(" ", "")
        real = enrol(page, desk, checked)
        assert real != captured
        attacker.goto("/staff/enrol")  # its enrolment session ended with the enrolment
        expect(attacker.get_by_role("heading", name="スタッフログイン")).to_be_visible()
        fill_login(attacker, desk, code=pyotp.TOTP(captured).now())
        expect(attacker.get_by_role("alert")).to_contain_text(WRONG_TEXT)
        checked(attacker)
    page.goto("/staff/enrol")  # after enrolment: the top page, no secret anywhere
    expect(page.get_by_role("heading", name="スタッフトップ")).to_be_visible()
    expect(page.locator("#totp-secret")).to_have_count(0)


def test_a_new_accounts_first_login_changes_the_password_then_enrols(
        page, browser, system, checked):
    enrol(page, new_staff(system, "supervisor", name="鈴木 一郎"))
    menu(page, "スタッフ管理")
    login_id = f"newdesk-{uuid.uuid4().hex[:8]}"
    drawn = add_account(page, login_id)
    with other_page(browser, system) as person:
        fill_login(person, login_id, password=drawn)
        person.wait_for_url("**/staff/password")
        expect(person.get_by_role("status")).to_contain_text("初めてのログインです")
        expect(person.get_by_role("navigation", name="スタッフメニュー")).to_have_count(0)
        checked(person)
        person.get_by_label("現在のパスワード").fill(drawn)
        person.get_by_label("新しいパスワード", exact=True).fill("short-pw-1")
        person.get_by_label("新しいパスワード（確認のためもう一度）").fill("short-pw-1")
        person.get_by_role("button", name="パスワードを変更する").click()
        expect(person.get_by_role("alert")).to_contain_text("入力内容に誤りがあります")
        checked(person)
        person.get_by_label("現在のパスワード").fill(drawn)
        person.get_by_label("新しいパスワード", exact=True).fill("Quiet-Harbour-Lamp-3")
        person.get_by_label("新しいパスワード（確認のためもう一度）").fill("Quiet-Harbour-Lamp-3")
        person.get_by_role("button", name="パスワードを変更する").click()
        person.wait_for_url("**/staff/enrol")
        enrol_here(person)
        expect(person.get_by_role("heading", name="スタッフトップ")).to_be_visible()
    with other_page(browser, system) as peeker:  # the password the supervisor saw: nothing
        fill_login(peeker, login_id, password=drawn)
        expect(peeker.get_by_role("alert")).to_contain_text(WRONG_TEXT)


def test_a_disabled_accounts_open_page_is_refused_at_once_and_enabling_restores_it(
        page, browser, system, checked):
    desk = new_staff(system, "desk")
    with other_page(browser, system) as desk_page:
        secret = enrol(desk_page, desk)
        enrol(page, new_staff(system, "supervisor", name="鈴木 一郎"))
        open_account(page, desk)
        checked(page)
        act_with_reason(page, "アカウントの無効化", "アカウントを無効にする", "退職のため")
        expect(page.locator("#account-state")).to_have_text("無効")
        expect(page.get_by_role("status")).to_contain_text("アカウントを無効にしました")
        checked(page)
        menu(desk_page, "会員検索")  # the open session is refused at once
        expect(desk_page.get_by_role("heading", name="スタッフログイン")).to_be_visible()
        fill_login(desk_page, desk, code=next_code(secret))  # right, but like a wrong one
        expect(desk_page.get_by_role("alert")).to_contain_text(WRONG_TEXT)
        act_with_reason(page, "アカウントの再有効化", "アカウントを有効にする", "復職のため")
        expect(page.locator("#account-state")).to_have_text("有効")
        fill_login(desk_page, desk, code=next_code(secret))
        expect(desk_page.get_by_role("heading", name="スタッフトップ")).to_be_visible()
    audit_shows(browser, system, checked, query="refused=0&text=" + desk,
                expected=["スタッフの無効化", "退職のため", "スタッフの再有効化", "復職のため"])


def test_a_reset_second_factor_ends_the_sessions_and_makes_a_new_secret(
        page, browser, system, checked):
    desk = new_staff(system, "desk")
    with other_page(browser, system) as desk_page:
        old = enrol(desk_page, desk)
        enrol(page, new_staff(system, "supervisor", name="鈴木 一郎"))
        open_account(page, desk)
        act_with_reason(page, "確認コードのリセット", "確認コードをリセットする",
                        "スマートフォンの紛失")
        expect(page.locator("#account-totp")).to_have_text("未登録")
        desk_page.reload()
        expect(desk_page.get_by_role("heading", name="スタッフログイン")).to_be_visible()
        fill_login(desk_page, desk)
        desk_page.wait_for_url("**/staff/enrol")
        checked(desk_page)
        new = enrol_here(desk_page)
        assert new != old


def test_a_password_changed_from_the_menu_is_the_one_that_logs_in(page, system, checked):
    desk = new_staff(system, "operator", name="佐藤 次郎")
    secret = enrol(page, desk)
    menu(page, "パスワード変更")
    checked(page)
    page.get_by_label("現在のパスワード").fill(STAFF_PASSWORD)
    page.get_by_label("新しいパスワード", exact=True).fill("Orchid-Kettle-Stone-7")
    page.get_by_label("新しいパスワード（確認のためもう一度）").fill("Orchid-Kettle-Stone-7")
    page.get_by_role("button", name="パスワードを変更する").click()
    expect(page.get_by_role("status")).to_contain_text("パスワードを変更しました")
    page.get_by_role("button", name="ログアウト").click()
    fill_login(page, desk, code=next_code(secret), password="Orchid-Kettle-Stone-7")
    expect(page.get_by_role("heading", name="スタッフトップ")).to_be_visible()


def _six_tries(browser, system, login_id: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Six wrong logins at `login_id`, each from a fresh browser: (status, message)."""
    seen = []
    for _ in range(6):
        with other_page(browser, system) as stranger:
            stranger.goto("/staff/login")
            stranger.get_by_label("ログインID", exact=True).fill(login_id)
            stranger.get_by_label("パスワード", exact=True).fill("Guessed-Password-1")
            stranger.get_by_label("確認コード（6桁）", exact=True).fill("123456")
            with stranger.expect_response(re.compile(r".*/staff/login$")) as answer:
                stranger.get_by_role("button", name="ログイン", exact=True).click()
            message = stranger.get_by_role("alert").inner_text()
            seen.append((answer.value.status, message))
    return seen


def test_a_strangers_loop_neither_tells_the_id_exists_nor_keeps_the_desk_out(
        page, browser, system, checked):
    desk = new_staff(system, "desk")
    secret = enrol(page, desk)  # this browser is now known for the desk's ID
    page.get_by_role("button", name="ログアウト").click()
    real = _six_tries(browser, system, desk)
    ghost = _six_tries(browser, system, f"{desk}-nobody")
    assert [status for status, _ in real] == [401] * 5 + [429]
    assert real == ghost  # an ID nobody has answers exactly the same
    assert PAUSED_TEXT in real[-1][1]
    fill_login(page, desk, code=next_code(secret))  # the desk's own browser: in, as always
    expect(page.get_by_role("heading", name="スタッフトップ")).to_be_visible()
    audit_shows(browser, system, checked, query="action=staff_login_lockout",
                expected=[f"staff:{desk}", "unknown_browsers", "ログインの一時停止（警告）"])
