"""What the browser tests and `make screenshots` share: the browser, members made at the
staff desk, and the checks every page gets (axe-core, no horizontal scroll on a phone)."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import httpx

from shunfuri.settings import DEV_ADMIN_KEY

# Debian's Chromium builds, the first one installed: its headless shell (the package
# `chromium-headless-shell`, the build Playwright itself runs for headless pages): the
# whole of tests/browser took 98 CPU-s with it, 139 with the full browser in headless mode
# (docs/performance.md); then the full browser. SHUNFURI_TEST_CHROMIUM names another.
CHROMIUMS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
PC = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
ADMIN = {"X-Admin-Key": DEV_ADMIN_KEY}
PIN = "2580"
# Seconds a stranger's browser is locked out in the browser tests' system.
STRANGER_LOCKOUT = 12
_numbers = itertools.count(1)

# Instants of the journeys (Japan time). 2026-12-01 is a Tuesday, a bank business day.
WEEKDAY_AFTERNOON = "2026-12-01T13:00:00+09:00"
BEFORE_CUTOFF = "2026-12-01T14:49:58+09:00"
SUNDAY_NIGHT = "2026-12-06T22:00:00+09:00"


def chromium() -> str | None:
    named = os.environ.get("SHUNFURI_TEST_CHROMIUM")
    return named or next((path for path in CHROMIUMS if os.path.exists(path)), None)


def launch_options() -> dict:
    """Debian's Chromium where it is installed (this project's machines and CI), else
    Playwright's own build (`playwright install chromium`)."""
    options: dict = {"args": LAUNCH_ARGS}
    if path := chromium():
        options["executable_path"] = path
    return options


def new_member(base_url: str, *, credit_limit: int = 500_000, web_id: str | None = None,
               password: str | None = None) -> dict:
    body: dict = {"credit_limit": credit_limit, "pin": PIN}
    if web_id:
        body.update(web_id=web_id, password=password)
    r = httpx.post(f"{base_url}/v1/admin/members", json=body, headers=ADMIN, timeout=30)
    assert r.status_code == 201, r.text
    return {**r.json(), "pin": PIN}


def staff(base_url: str, member: dict, action: str) -> None:
    r = httpx.post(f"{base_url}/v1/admin/members/{member['member_id']}/{action}",
                   headers=ADMIN, timeout=30)
    assert r.status_code == 200, r.text


def api_token(base_url: str, member: dict) -> dict:
    r = httpx.post(f"{base_url}/v1/login", timeout=30,
                   json={"card_number": member["card_number"], "pin": member["pin"]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def api_payee(base_url: str, member: dict, bank_code: str = "0009",
              branch_code: str = "001") -> int:
    """A payee through the API, for journeys that are not about registering one."""
    r = httpx.post(f"{base_url}/v1/payees", headers=api_token(base_url, member), timeout=30,
                   json={"bank_code": bank_code, "branch_code": branch_code,
                         "account_type": "ordinary", "account_number": "1234567",
                         "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": member["pin"]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def api_login_attempt(base_url: str, member: dict, pin: str, device: str | None = None) -> int:
    """`device`: the member's own app (the Device-Token of an earlier login)."""
    headers = {"Device-Token": device} if device else {}
    return httpx.post(f"{base_url}/v1/login", timeout=30, headers=headers,
                      json={"card_number": member["card_number"], "pin": pin}).status_code


def api_device(base_url: str, member: dict) -> str:
    """The device token of the member's own app (one successful login)."""
    r = httpx.post(f"{base_url}/v1/login", timeout=30,
                   json={"card_number": member["card_number"], "pin": member["pin"]})
    assert r.status_code == 200, r.text
    return r.json()["device_token"]


def lock_from_own_app(base_url: str, member: dict) -> None:
    """The article's lock: three wrong PINs from an app the member logged in from."""
    device = api_device(base_url, member)
    for _ in range(3):
        assert api_login_attempt(base_url, member, "0000", device) == 401
    assert api_login_attempt(base_url, member, member["pin"], device) == 423


def api_transfer(base_url: str, member: dict, payee_id: int, amount: int) -> str:
    r = httpx.post(f"{base_url}/v1/transfers", headers=api_token(base_url, member), timeout=30,
                   json={"payee_id": payee_id, "amount": amount})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def transfers_of(base_url: str, member: dict) -> list[dict]:
    r = httpx.get(f"{base_url}/v1/transfers", headers=api_token(base_url, member), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def full_width_hyphenated(card_number: str) -> str:
    """`９１２３－４５６７－…`: how a member may well type it."""
    groups = "－".join(card_number[i:i + 4] for i in range(0, 16, 4))
    return groups.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def log_in(page, member: dict, card_number: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("カード番号（16桁）").fill(card_number or member["card_number"])
    page.get_by_label("暗証番号（4桁）").fill(member["pin"])
    page.get_by_role("button", name="カード番号でログイン").click()


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in ("serious", "critical"):
            targets = [n.get("target") for n in violation.get("nodes", [])][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def horizontal_overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many CSS pixels the page is wider than the viewport (0: no sideways scroll)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def shot(page, folder: Path, name: str) -> Path:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unique_web_id(prefix: str = "member") -> str:
    return f"{prefix}{os.getpid()}{next(_numbers)}"
