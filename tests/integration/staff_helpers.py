"""Helpers for the staff console tests: accounts made with the service, and the login
with its one-time code (pyotp, as an authenticator app would compute it)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pyotp

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
STAFF_PASSWORD = "Desk-Lamp-Otter-42"


def csrf_of(client: Any, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def make_staff(login_id: str, role: str, name: str = "山田 花子", *,
               must_change_password: bool = False, password: str = STAFF_PASSWORD) -> None:
    from shunfuri.db.session import session_factory
    from shunfuri.services.staff import accounts as staff
    from shunfuri.services.staff.audit import Actor
    from shunfuri.settings import get_settings

    with session_factory()() as session:
        staff.create_account(
            session, login_id=login_id, name=name, role=role, password=password,
            now=datetime.now(UTC), pepper=get_settings().pin_pepper.get_secret_value(),
            by=Actor("staff:test"), must_change_password=must_change_password,
        )


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code of the step `offset_steps` from now: a second login within 30 s must use
    the next step's code (a code is accepted once)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def log_in(client: Any, login_id: str, password: str = STAFF_PASSWORD, code: str = "") -> Any:
    token = csrf_of(client, "/staff/login")
    return client.post("/staff/login", follow_redirects=False, data={
        "login_id": login_id, "password": password, "code": code, "csrf_token": token})


def enrolled(client: Any, login_id: str, role: str) -> str:
    """A new account of `role`, logged in with TOTP enrolled; returns its TOTP secret."""
    make_staff(login_id, role)
    return enrol(client, login_id)


def shown_secret(page: Any) -> str:
    return SECRET.search(page.text).group(1).replace(" ", "")


def enrol(client: Any, login_id: str, password: str = STAFF_PASSWORD) -> str:
    """Log in with the password alone and enrol the secret the page shows; returns it."""
    first = log_in(client, login_id, password)
    assert (first.status_code, first.headers["location"]) == (303, "/staff/enrol"), first.text
    page = client.get("/staff/enrol")
    assert page.status_code == 200 and "<svg" in page.text
    secret = shown_secret(page)
    done = client.post("/staff/enrol", follow_redirects=False, data={
        "code": code_at(secret), "csrf_token": CSRF.search(page.text).group(1)})
    assert (done.status_code, done.headers["location"]) == (303, "/staff/?enrolled=1"), done.text
    return secret
