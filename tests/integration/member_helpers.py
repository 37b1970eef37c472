"""Helpers for the member/login/payee tests: create members through the staff API."""

from __future__ import annotations

from typing import Any

PIN = "4821"
PASSWORD = "kx9-Lamp-Otter-77"


def create_member(
    client: Any,
    admin_headers: dict[str, str],
    *,
    credit_limit: int = 300_000,
    pin: str = PIN,
    web_id: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"credit_limit": credit_limit, "pin": pin}
    if web_id is not None:
        body["web_id"] = web_id
        body["password"] = password or PASSWORD
    response = client.post("/v1/admin/members", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    return response.json()


def _device(device: str | None) -> dict[str, str]:
    return {"Device-Token": device} if device is not None else {}


def login_card(client: Any, card_number: str, pin: str = PIN, device: str | None = None) -> Any:
    """`device`: the Device-Token of an earlier login (a known device); None: a client
    the member never logged in from."""
    return client.post("/v1/login", json={"card_number": card_number, "pin": pin},
                       headers=_device(device))


def login_web(client: Any, web_id: str, password: str = PASSWORD,
              device: str | None = None) -> Any:
    return client.post("/v1/login", json={"web_id": web_id, "password": password},
                       headers=_device(device))


def device_for(client: Any, card_number: str, pin: str = PIN) -> str:
    """A device of the member's own: the device token of a successful login."""
    response = login_card(client, card_number, pin)
    assert response.status_code == 200, response.text
    return response.json()["device_token"]


def token_for(client: Any, card_number: str, pin: str = PIN) -> str:
    response = login_card(client, card_number, pin)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def luhn_fix(payload15: str) -> str:
    """A valid 16-digit card number from 15 digits (for 'unknown but well-formed')."""
    from shunfuri.domain.normalise import luhn_check_digit

    return payload15 + luhn_check_digit(payload15)
