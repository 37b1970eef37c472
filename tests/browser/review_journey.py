"""Applications and members who joined by one, through the API of the browser tests'
system (and `make screenshots`): the bureau simulator told what to answer, an
application followed to its decision, a contract, a settled first advance."""

from __future__ import annotations

import itertools
import os
import uuid

import httpx

from tests.system import poll

KANA, BIRTH = "ヤマダ ハナコ", "1990-04-01"
PIN = "2580"
_phones = itertools.count(1)


def new_phone() -> str:
    return f"070{os.getpid() % 10_000:04d}{next(_phones):04d}"


def bureau(system, phone: str, **answer) -> None:  # type: ignore[no-untyped-def]
    url = system.env_of_children()["SHUNFURI_BUREAU_URL"]
    body = {"kana_name": KANA, "birth_date": BIRTH, "phone": phone, "other_balance": 0,
            "other_count": 0, "delinquent": False, **answer}
    r = httpx.put(f"{url}/v1/bureau/records", json=body, timeout=10)
    assert r.status_code == 200, r.text


def apply(system, phone: str, **changes) -> dict:  # type: ignore[no-untyped-def]
    body = {"name_kanji": "山田 花子", "name_kana": KANA, "birth_date": BIRTH, "phone": phone,
            "email": "hanako@example.jp", "postal_code": "150-0001",
            "address": "東京都渋谷区神宮前1-2-3", "employment": "employee",
            "employer_name": "株式会社サンプル", "employer_phone": "03-1234-5678",
            "annual_income": 4_000_000, "other_count": 0, "other_balance": 0,
            "requested_limit": 300_000, **changes}
    r = system.http.post("/v1/applications", json=body,
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 202, r.text
    made = r.json()
    return {"id": made["id"], "headers": {"Authorization": f"Bearer {made['token']}"}}


def status_of(system, app: dict, *, wait: int = 0) -> dict:  # type: ignore[no-untyped-def]
    r = system.http.get(f"/v1/applications/{app['id']}", params={"wait": wait},
                        headers=app["headers"])
    assert r.status_code == 200, r.text
    return r.json()


def until_status(system, app: dict, status: str, timeout: float = 60) -> dict:  # type: ignore[no-untyped-def]
    def check() -> dict | None:
        view = status_of(system, app, wait=5)
        return view if view["status"] == status else None

    return poll(check, timeout=timeout, interval=0, what=f"application {status}")


def in_manual_review(system) -> dict:  # type: ignore[no-untyped-def]
    phone = new_phone()
    bureau(system, phone, other_balance=200_000, other_count=3)
    app = apply(system, phone)
    until_status(system, app, "manual_review")
    return app


def borrowing_member(system, amount: int = 30_000) -> dict:  # type: ignore[no-untyped-def]
    """A member by application (income ¥4,000,000, limit ¥300,000) who has borrowed
    `amount` at a real-time bank; with their phone (the bureau's key) and API headers."""
    phone = new_phone()
    bureau(system, phone)
    app = apply(system, phone)
    until_status(system, app, "approved")
    made = system.http.post(f"/v1/applications/{app['id']}/contract", headers=app["headers"],
                            json={"agree": True, "pin": PIN, "due_day": 25})
    assert made.status_code == 201, made.text
    member = {**made.json(), "pin": PIN, "phone": phone}
    login = system.http.post("/v1/login", json={"card_number": member["card_number"],
                                                "pin": PIN})
    assert login.status_code == 200, login.text
    member["headers"] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    payee = system.http.post("/v1/payees", headers=member["headers"], json={
        "bank_code": "0033", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾊﾅｺ", "pin": PIN})
    assert payee.status_code == 201, payee.text
    member["payee_id"] = payee.json()["id"]
    sent = system.http.post("/v1/transfers", headers={**member["headers"], "Prefer": "wait=20"},
                            json={"payee_id": member["payee_id"], "amount": amount})
    assert sent.status_code == 201 and sent.json()["status"] == "settled", sent.text
    return member


def me(system, member: dict) -> dict:  # type: ignore[no-untyped-def]
    r = system.http.get("/v1/me", headers=member["headers"])
    assert r.status_code == 200, r.text
    return r.json()
