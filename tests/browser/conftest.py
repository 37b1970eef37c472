"""Browser tests: Playwright driving Chromium against one running system (`shunfuri up`:
API, workers, beat, bank simulator on a simulated clock) shared by every test here.

Each test makes its own member at the staff desk, and a test that needs a moment of
the week moves the system's clock there (`shunfuri clock`) itself, so no test depends
on another's leftovers. Every page a test opens is checked with axe-core (no serious or
critical violation) and, on the phone viewport, for horizontal scrolling.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shunfuri.domain.instants import parse_instant
from tests.browser import journey
from tests.system import poll, running_system

expect.set_options(timeout=20_000)


@pytest.fixture(scope="package")
def system():
    """Stopped once this folder's tests are done (not at the end of the whole run), so its
    processes and database connections are gone before the other suites start theirs."""
    # A transfer whose answers are all lost needs staff after 3 attempts (not 100), so the
    # staff console's journey has one to resolve within seconds; a stranger's browser is
    # locked out for seconds (not 15 minutes), so a journey sees it end.
    with running_system(clock=f"{journey.WEEKDAY_AFTERNOON}@1", redis_db=12,
                        SHUNFURI_DOUBT_MAX_ATTEMPTS="3",
                        SHUNFURI_UNTRUSTED_LOCKOUT_SECONDS=str(journey.STRANGER_LOCKOUT)
                        ) as running:
        yield running


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, **journey.launch_options()}


@pytest.fixture()
def page(browser, system):
    """A PC-sized page of a fresh browser context (cookies of its own) on the system."""
    context = browser.new_context(base_url=system.url, locale="ja-JP",
                                  timezone_id="Asia/Tokyo", viewport=journey.PC)
    pc_page = context.new_page()
    pc_page.set_default_timeout(20_000)
    yield pc_page
    context.close()


@pytest.fixture()
def phone(browser, system):
    context = browser.new_context(base_url=system.url, locale="ja-JP", viewport=journey.PHONE,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    phone_page = context.new_page()
    phone_page.set_default_timeout(20_000)
    yield phone_page
    context.close()


@pytest.fixture()
def clock(system):
    """`clock("2026-12-06T22:00:00+09:00")` moves the running system's simulated clock."""

    def move(spec: str) -> None:
        done = system.cli("clock", spec)
        assert done.returncode == 0, done.stderr

        # Every process sees the clock file at its next reading. PayPay (0033) is instant at
        # every instant the journeys use, so its quote's settle_at is the API's "now".
        target = parse_instant(spec.split("@")[0])

        def moved() -> bool:
            quote = system.http.get("/v1/availability", params={"bank_code": "0033"})
            settle_at = quote.json().get("settle_at") if quote.status_code == 200 else None
            return bool(settle_at) and abs(parse_instant(settle_at) - target) < timedelta(
                seconds=30)

        poll(moved, timeout=10, interval=0.05, what=f"the clock to reach {spec}")
        poll(moved, timeout=10, interval=0.05, what=f"every API process at {spec}")

    return move


@pytest.fixture()
def checked():
    """`checked(page)`: axe-core finds nothing serious; on a phone, no sideways scroll."""

    def check(page, phone: bool = False) -> None:  # type: ignore[no-untyped-def]
        violations = journey.axe_violations(page)
        assert not violations, f"{page.url}: {violations}"
        if phone:
            assert journey.horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways"

    return check
