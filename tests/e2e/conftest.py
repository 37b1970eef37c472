"""End-to-end helpers: members, logins and payees through the public API."""

from __future__ import annotations

import itertools

import pytest

from shunfuri.settings import DEV_ADMIN_KEY

ADMIN = {"X-Admin-Key": DEV_ADMIN_KEY}
_pins = itertools.count(1357)

BRANCHES = {"0009": "001", "0005": "001", "0033": "001"}


def new_member(system, *, credit_limit: int = 1_000_000) -> dict:
    """Create a member at the staff desk, log in, register a payee per bank."""
    pin = f"{next(_pins) % 10000:04d}"
    created = system.http.post(
        "/v1/admin/members", json={"credit_limit": credit_limit, "pin": pin}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    card = created.json()["card_number"]
    login = system.http.post("/v1/login", json={"card_number": card, "pin": pin})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    payees = {}
    for bank, branch in BRANCHES.items():
        r = system.http.post(
            "/v1/payees",
            json={"bank_code": bank, "branch_code": branch, "account_type": "ordinary",
                  "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": pin},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        payees[bank] = r.json()["id"]
    return {"member_id": created.json()["member_id"], "headers": headers, "payees": payees,
            "pin": pin}


@pytest.fixture()
def member_factory():
    return new_member
