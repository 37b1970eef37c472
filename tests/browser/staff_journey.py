"""Staff console helpers for the browser tests and `make screenshots`: accounts made with
`shunfuri staff add` (as a person would), and the login with its one-time code, computed
with pyotp as an authenticator app would from the key the enrolment page shows."""

from __future__ import annotations

import itertools
import os
import time

import pyotp

STAFF_PASSWORD = "Desk-Lamp-Otter-42"
_numbers = itertools.count(1)


def new_staff(system, role: str, name: str = "山田 花子") -> str:  # type: ignore[no-untyped-def]
    login_id = f"{role}{os.getpid()}-{next(_numbers)}"
    done = system.cli("staff", "add", login_id, "--name", name, "--role", role,
                      "--password-stdin", stdin=STAFF_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    return login_id


def fill_login(page, login_id: str, code: str = "",  # type: ignore[no-untyped-def]
               password: str = STAFF_PASSWORD) -> None:
    page.goto("/staff/login")
    page.get_by_label("ログインID", exact=True).fill(login_id)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_label("確認コード（6桁）", exact=True).fill(code)
    page.get_by_role("button", name="ログイン", exact=True).click()


def enrol(page, login_id: str, checked=None) -> str:  # type: ignore[no-untyped-def]
    """First login: password, then the QR page, then the first code. Returns the key."""
    fill_login(page, login_id)
    page.wait_for_url("**/staff/enrol")
    if checked:
        checked(page)
    return enrol_here(page)


def enrol_here(page) -> str:  # type: ignore[no-untyped-def]
    """On the enrolment page: the key it shows, its first code. Returns the key."""
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("確認コード（6桁）").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登録してログイン").click()
    page.wait_for_url("**/staff/?enrolled=1")
    return secret


def next_code(secret: str) -> str:
    """A code not used yet: the next 30-second step's (accepted as clock drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def add_account(page, login_id: str, name: str = "田中 三郎") -> str:  # type: ignore[no-untyped-def]
    """A supervisor on スタッフ管理 adds a desk account; returns the drawn password."""
    page.get_by_label("ログインID").fill(login_id)
    page.get_by_label("氏名").fill(name)
    page.get_by_label("窓口（desk）").check()
    page.get_by_role("button", name="アカウントを追加する").click()
    return page.locator("#created-password").inner_text()
