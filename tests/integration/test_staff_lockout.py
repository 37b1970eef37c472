"""Issue 23, item 3, performed in-process (each `another()` is a fresh browser with a
cookie jar of its own): an unknown login ID answers exactly like a real one attacked
from an unknown browser, all the way into the pause; a stranger's failures never keep
the desk's own browser out; the desk's own mistakes still lock the account; each
lockout is an audit alert and a metric. The browser journey is in
tests/browser/test_staff_security_journeys.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.staff_helpers import CSRF, code_at, enrolled, log_in

WRONG = "Not-The-Password-1"


def seen(response) -> tuple:  # type: ignore[no-untyped-def]
    """What a stranger can observe: status, Retry-After, and the page less the ID typed
    and the CSRF token (bound to each browser)."""
    page = CSRF.sub("", response.text)
    page = re.sub(r'id="f-login_id" name="login_id" type="text" value="[^"]*"', "", page)
    return response.status_code, response.headers.get("retry-after") is not None, page


def audit_rows(action: str) -> list:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text("SELECT actor, ok, detail, source FROM audit_log "
                                 "WHERE action = :a ORDER BY id"), {"a": action}).all()


def metric(scope: str) -> float:
    from shunfuri import metrics

    return metrics.STAFF_LOCKOUTS.labels(scope=scope)._value.get()


def test_an_unknown_id_answers_exactly_like_a_real_one_into_the_pause(client, another):
    enrolled(client, "desk.real", "desk")
    real_answers = [seen(log_in(another(), "desk.real", WRONG, "123456")) for _ in range(6)]
    ghost_answers = [seen(log_in(another(), "desk.ghost", WRONG, "123456")) for _ in range(6)]
    assert [a[0] for a in real_answers] == [401] * 5 + [429]
    assert real_answers == ghost_answers
    assert "このブラウザからはしばらくログインできません" in real_answers[-1][2]


def test_a_strangers_failures_never_keep_the_desks_own_browser_out(client, another):
    before = metric("unknown_browsers")
    secret = enrolled(client, "desk.mine", "desk")  # this browser is now known for it
    client.post("/staff/logout", data={"csrf_token": CSRF.search(
        client.get("/staff/").text).group(1)})
    for _ in range(12):  # a stranger looping on the ID from new browsers
        log_in(another(), "desk.mine", WRONG, "000000")
    # Even the right password and code from an unknown browser wait now...
    paused = log_in(another(), "desk.mine", code=code_at(secret, 1))
    assert paused.status_code == 429 and int(paused.headers["retry-after"]) > 0
    # ...while the desk's own browser logs in as always.
    own = log_in(client, "desk.mine", code=code_at(secret, 1))
    assert (own.status_code, own.headers["location"]) == (303, "/staff/")
    [alert] = audit_rows("staff_login_lockout")
    assert (alert.actor, alert.ok, alert.detail["scope"]) == (
        "staff:desk.mine", False, "unknown_browsers")
    assert alert.source
    assert metric("unknown_browsers") == before + 1
    # The supervisor sees the alert on the home page and in the audit log.
    boss = another()
    enrolled(boss, "boss.watch", "supervisor")
    assert 'id="lockout-alert"' in boss.get("/staff/").text
    page = boss.get("/staff/audit", params={"action": "staff_login_lockout"})
    assert "ログインの一時停止（警告）" in page.text and "unknown_browsers" in page.text


def test_the_desks_own_mistakes_lock_the_account_and_only_the_owner_learns_it(
        client, another):
    before = metric("account")
    secret = enrolled(client, "desk.fumble", "desk")
    for _ in range(5):
        assert log_in(client, "desk.fumble", WRONG, "000000").status_code == 401
    locked = log_in(client, "desk.fumble", code=code_at(secret, 1))
    assert locked.status_code == 423 and "15分間ログインできません" in locked.text
    # A stranger's browser sees a wrong password as wrong, as for any ID...
    assert log_in(another(), "desk.fumble", WRONG, "000000").status_code == 401
    # ...and only the right password and code learn of the lock.
    assert log_in(another(), "desk.fumble", code=code_at(secret, 1)).status_code == 423
    [alert] = audit_rows("staff_login_lockout")
    assert alert.detail["scope"] == "account"
    assert metric("account") == before + 1


def test_the_pause_for_unknown_browsers_ends_after_its_time(configured, db):
    from shunfuri.db.session import session_factory
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.staff import login as staff_login
    from shunfuri.settings import get_settings
    from tests.integration.staff_helpers import make_staff

    make_staff("desk.later", "desk")
    pepper = get_settings().pin_pepper.get_secret_value()
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

    def attempt(at: datetime, password: str) -> str:
        with session_factory()() as session:
            try:
                return staff_login.attempt(
                    session, login_id="desk.later", password=password, code="", device=None,
                    now=at, pepper=pepper, ttl_seconds=600, source="192.0.2.7").kind
            except ShunfuriError as exc:
                return exc.code

    answers = [attempt(start + timedelta(seconds=i), WRONG) for i in range(5)]
    assert answers == ["invalid_credentials"] * 5
    from tests.integration.staff_helpers import STAFF_PASSWORD

    assert attempt(start + timedelta(minutes=14), STAFF_PASSWORD) == "staff_login_paused"
    assert attempt(start + timedelta(minutes=16), STAFF_PASSWORD) == "enrol"


def test_failures_spread_beyond_the_window_do_not_pause(configured, db):
    from shunfuri.db.session import session_factory
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.staff import login as staff_login
    from shunfuri.settings import get_settings

    pepper = get_settings().pin_pepper.get_secret_value()
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    codes = []
    for i in range(8):  # one every 4 minutes: never 5 within 15 minutes
        with session_factory()() as session:
            try:
                staff_login.attempt(session, login_id="nobody.here", password=WRONG, code="",
                                    device=None, now=start + timedelta(minutes=4 * i),
                                    pepper=pepper, ttl_seconds=600, source=None)
            except ShunfuriError as exc:
                codes.append(exc.code)
    assert codes == ["invalid_credentials"] * 8
