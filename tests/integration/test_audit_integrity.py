"""Issue 23, item 6, performed: `X-Staff-Id` cannot write an actor into the audit log
(the key's actor is `admin-key`, from the client's address); a flood of unauthenticated
refusals leaves the append-only audit log bounded (counted per action, reason and
hour); a staff search by card number leaves no card number in the access log of a real
uvicorn process, as production runs it (access log on)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import text

from tests.integration.member_helpers import create_member
from tests.integration.staff_helpers import CSRF, SECRET, STAFF_PASSWORD, log_in, make_staff
from tests.system import ROOT, free_port, poll


def count(query: str, **params: object) -> int:
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.execute(text(query), params).scalar() or 0


def test_x_staff_id_cannot_set_the_actor_and_the_source_is_recorded(client, admin_headers):
    make_staff("chief", "supervisor")
    member = create_member(client, admin_headers)
    path = f"/v1/admin/members/{member['member_id']}/suspend"
    done = client.post(path, headers={**admin_headers, "X-Staff-Id": "chief"})
    assert done.status_code == 200
    from shunfuri.db.session import get_engine

    with get_engine().connect() as conn:
        row = conn.execute(text("SELECT actor, source, detail FROM audit_log "
                                "WHERE action = 'suspend'")).one()
    assert (row.actor, row.source) == ("admin-key", "testclient")
    assert row.detail["claimed_staff_id"] == "chief"  # a claim, recorded as one
    assert count("SELECT count(*) FROM audit_log WHERE actor LIKE 'staff:chief%'") == 0
    # A header that is no staff ID at all is not even recorded as a claim.
    client.post(f"/v1/admin/members/{member['member_id']}/reinstate",
                headers={**admin_headers, "X-Staff-Id": "x" * 60})
    assert count("SELECT count(*) FROM audit_log WHERE action = 'reinstate' "
                 "AND detail::text LIKE '%claimed_staff_id%'") == 0


def test_a_flood_of_unauthenticated_refusals_keeps_the_audit_log_bounded(
        client, admin_headers):
    from shunfuri import metrics

    member = create_member(client, admin_headers)
    before_rows = count("SELECT count(*) FROM audit_log")
    before_metric = metrics.UNAUTHENTICATED_REFUSALS.labels(
        action="staff_key_refused", reason="wrong_key")._value.get()
    path = f"/v1/admin/members/{member['member_id']}"
    sent = 0
    for i in range(150):
        client.get(path)  # no key
        client.get(path, headers={"X-Admin-Key": f"guess-{i}"})
        sent += 2
    for i in range(40):  # staff IDs nobody has, each once, and one ID again and again
        log_in(client, f"nobody-{i}", "Guessed-Password-1", "123456")
        log_in(client, "nobody-looped", "Guessed-Password-1", "123456")
        log_in(client, "!!", "x", "1")  # malformed
        sent += 3
    grown = count("SELECT count(*) FROM audit_log") - before_rows
    windows = count("SELECT count(DISTINCT window_start) FROM refusal_counts")
    kinds = count("SELECT count(DISTINCT (action, reason)) FROM refusal_counts")
    # One audit row per (action, reason, hour) at most, however many requests came.
    assert 1 <= windows <= 2 and grown <= kinds * windows
    assert kinds <= 6 and grown < sent / 20
    assert count("SELECT sum(count) FROM refusal_counts "
                 "WHERE action <> 'staff_login_lockout'") == sent
    assert metrics.UNAUTHENTICATED_REFUSALS.labels(
        action="staff_key_refused", reason="wrong_key")._value.get() == before_metric + 150


def _staff_browser(base: str, login_id: str) -> httpx.Client:
    """Log `login_id` in over HTTP as a browser would, enrolling its second factor."""
    http = httpx.Client(base_url=base, timeout=20, follow_redirects=False)
    token = CSRF.search(http.get("/staff/login").text).group(1)
    first = http.post("/staff/login", data={"login_id": login_id, "password": STAFF_PASSWORD,
                                            "code": "", "csrf_token": token})
    assert first.headers["location"] == "/staff/enrol", first.text
    page = http.get("/staff/enrol")
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    done = http.post("/staff/enrol", data={"code": pyotp.TOTP(secret).now(),
                                           "csrf_token": CSRF.search(page.text).group(1)})
    assert done.status_code == 303, done.text
    return http


def test_a_card_search_leaves_no_card_number_in_the_access_log(
        client, admin_headers, database_url, broker_url, tmp_path: Path):
    card = create_member(client, admin_headers)["card_number"]
    make_staff("logwatch", "desk")
    port = free_port()
    log = tmp_path / "uvicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url, "BROKER_URL": broker_url,
           "SHUNFURI_LOGIN_RATE_LIMIT": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("w") as out:
        # As the Docker image runs it: access log on, at its default level.
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return server.poll() is not None  # died: fail below, not by timeout

            poll(up, timeout=60, interval=0.2, what="uvicorn to answer")
            assert server.poll() is None, log.read_text()
            http = _staff_browser(base, "logwatch")
            form = http.get("/staff/members")
            found = http.post("/staff/members", data={
                "q": card, "csrf_token": CSRF.search(form.text).group(1)})
            assert found.status_code == 303 and "/staff/members/" in found.headers["location"]
            # A number typed into a URL by hand is not searched, and not logged either.
            typed = http.get(f"/staff/members?q={card}")
            assert typed.status_code == 200 and card not in typed.text
            http.get(f"/v1/admin/members/{card}", headers=admin_headers)
            http.close()
            poll(lambda: "POST /staff/members" in log.read_text(), timeout=10,
                 what="the access log line of the search")
        finally:
            server.terminate()
            server.wait(timeout=30)
    printed = log.read_text()
    assert "POST /staff/members HTTP/1.1" in printed  # the access log is on
    assert "GET /staff/members?[query not logged]" in printed
    assert card not in printed and card[:12] not in printed
    assert f"****{card[-4:]}" in printed  # the admin path's number, masked


def test_the_access_log_mask():
    from api.access_log import masked

    assert masked("/staff/audit?text=x&member=1") == "/staff/audit?[query not logged]"
    assert masked("/v1/admin/members/4980123412341234") == "/v1/admin/members/****1234"
    assert masked("/v1/transfers/123?wait=10") == "/v1/transfers/123?wait=10"
    assert masked("/staff?next=1") == "/staff?[query not logged]"
    assert masked("/staffing?q=1") == "/staffing?q=1"
