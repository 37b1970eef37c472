"""No PIN, password, token or staff key in any log line or error body.

Captures every logger at DEBUG - including SQLAlchemy's statement and parameter
echo, which is the most likely place for a secret to leak - across a whole
create / login / wrong-PIN / lock / reset / logout flow.
"""

from __future__ import annotations

import logging
import re

from tests.integration.member_helpers import bearer

PIN = "5073"
NEW_PIN = "6194"
WRONG_PIN = "8362"
PASSWORD = "Quartz-Heron-5521"
WRONG_PASSWORD = "Lantern-Fig-0048"


def _present(secret: str, text: str) -> bool:
    if secret.isdigit():  # a 4-digit PIN: only as a number of its own, not inside others
        return re.search(rf"(?<![0-9]){secret}(?![0-9])", text) is not None
    return secret in text


def test_no_secret_in_logs_or_error_bodies(client, admin_headers, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    bodies: list[str] = []

    def call(method, path, **kwargs):
        response = getattr(client, method)(path, **kwargs)
        bodies.append(response.text)
        return response

    created = call("post", "/v1/admin/members", headers=admin_headers,
                   json={"credit_limit": 100_000, "pin": PIN, "web_id": "logcheck",
                         "password": PASSWORD}).json()
    mid, card = created["member_id"], created["card_number"]
    tokens = []
    response = call("post", "/v1/login", json={"card_number": card, "pin": PIN})
    tokens.append(response.json()["access_token"])
    device = response.json()["device_token"]
    devices = [device]
    response = call("post", "/v1/login", json={"web_id": "logcheck", "password": PASSWORD})
    tokens.append(response.json()["access_token"])
    devices.append(response.json()["device_token"])
    call("get", "/v1/me", headers=bearer(tokens[0]))
    call("post", "/v1/logout", headers=bearer(tokens[0]))
    call("get", "/v1/me", headers=bearer(tokens[0]))  # revoked: an error body
    call("post", "/v1/login", json={"web_id": "logcheck", "password": WRONG_PASSWORD})
    for _ in range(3):  # from the member's own device: the lock
        call("post", "/v1/login", json={"card_number": card, "pin": WRONG_PIN},
             headers={"Device-Token": device})
    call("post", "/v1/login", json={"card_number": card, "pin": PIN},
         headers={"Device-Token": device})  # locked
    for _ in range(4):  # a stranger: unknown clients locked out
        call("post", "/v1/login", json={"web_id": "logcheck", "password": WRONG_PASSWORD})
    call("post", "/v1/login", json={"card_number": card, "pin": "12x4"})  # malformed
    call("post", "/v1/login", json={"card_number": card, "pin": PIN, "password": PASSWORD})
    call("post", "/v1/login", json={"web_id": "logcheck", "password": 12345})
    call("post", f"/v1/admin/members/{mid}/reset-pin", headers=admin_headers,
         json={"pin": NEW_PIN})
    call("post", f"/v1/admin/members/{mid}/reset-pin", headers={"X-Admin-Key": "not-the-key"},
         json={"pin": NEW_PIN})
    call("post", f"/v1/admin/members/{mid}/reset-pin", headers=admin_headers,
         json={"pin": NEW_PIN, "extra": PASSWORD})
    response = call("post", "/v1/login", json={"card_number": card, "pin": NEW_PIN},
                    headers={"Device-Token": device})
    tokens.append(response.json()["access_token"])
    call("post", "/v1/logout", headers=bearer(tokens[-1]))

    log_text = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    assert caplog.records, "nothing was logged at all: the capture is not working"
    # SQL parameters are in the capture (the card number is one), so a PIN or a token
    # written to the database in the clear would show up here.
    assert card in log_text
    secrets = [PIN, NEW_PIN, WRONG_PIN, PASSWORD, WRONG_PASSWORD, "not-the-key",
               admin_headers["X-Admin-Key"], *tokens, *devices]
    for secret in secrets:
        assert not _present(secret, log_text), f"a secret leaked into the logs: {secret[:3]}..."
        for body in bodies:
            if body in (bodies[1], bodies[2], bodies[-2]):  # the login answers carry the tokens
                continue
            assert not _present(secret, body), f"a secret leaked into an answer: {secret[:3]}..."
    # the card number (not a secret, but sensitive) is not in our own log lines either
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("shunfuri")]
    assert ours and not any(card in line for line in ours)


def test_audit_rows_hold_no_secret(client, admin_headers):
    from sqlalchemy import select

    from shunfuri.db.models import AuditEntry
    from shunfuri.db.session import session_factory

    created = client.post("/v1/admin/members", headers=admin_headers,
                          json={"credit_limit": 1000, "pin": PIN, "web_id": "audited",
                                "password": PASSWORD}).json()
    client.post(f"/v1/admin/members/{created['member_id']}/reset-pin", headers=admin_headers,
                json={"pin": NEW_PIN})
    with session_factory()() as session:
        rows = list(session.scalars(select(AuditEntry)))
    dumped = repr([(r.actor, r.action, r.detail) for r in rows])
    for secret in (PIN, NEW_PIN, PASSWORD, created["card_number"]):
        assert not _present(secret, dumped)
