"""The screener's and the ongoing review's paths through real processes (`shunfuri up`: API
and pages, the screening worker that also runs the review, beat, the bureau and bank
simulators): an application rule 5 sends to a screener, who refuses a limit above the
rules' and approves within them in the console; the contract and a settled 瞬フリ; the
next month's review stops the member; the member logs in to the suspended page and sends
new income proof; a screener lifts the stop on the bureau's fresh answer. Then no log
line of any process carries the applicant's name, mail address, income or the proof's
income. Waits are polls with deadlines, never sleeps."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.staff_helpers import CSRF, enrol
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e

# Planted: found nowhere else in a run, so finding them in a log means a leak.
NAME_KANJI, NAME_KANA, EMAIL = "霧ヶ峰 朔弥", "キリガミネ サクヤ", "sakuya.kiri@example.jp"
BIRTH, PHONE = "1985-06-15", "09044445555"
INCOME, PROOF_INCOME = 6_543_210, 8_765_432
TRACES = (NAME_KANJI, NAME_KANA, "キリガミネ", "ｷﾘｶﾞﾐﾈ", EMAIL, "6543210", "6,543,210",
          "8765432", "8,765,432")
PASSWORD = "Screen-Lamp-Otter-42"


@pytest.fixture(scope="module")
def system():
    with running_system(clock="2026-12-01T10:00:00+09:00") as running:
        yield running


def record(system, **answer) -> None:  # type: ignore[no-untyped-def]
    url = system.env_of_children()["SHUNFURI_BUREAU_URL"]
    body = {"kana_name": NAME_KANA, "birth_date": BIRTH, "phone": PHONE, "other_balance": 0,
            "other_count": 0, "delinquent": False, **answer}
    assert httpx.put(f"{url}/v1/bureau/records", json=body, timeout=10).status_code == 200


def token_of(page: httpx.Response) -> str:
    return CSRF.search(page.text).group(1)


def application_status(system, app: dict, status: str) -> dict:  # type: ignore[no-untyped-def]
    def check() -> dict | None:
        r = system.http.get(f"/v1/applications/{app['id']}", params={"wait": 5},
                            headers=app["headers"])
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] == status else None

    return poll(check, timeout=60, interval=0, what=f"application {status}")


def screener(system) -> httpx.Client:  # type: ignore[no-untyped-def]
    added = system.cli("staff", "add", "sato", "--name", "佐藤 審査", "--role", "screener",
                       "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    console = httpx.Client(base_url=system.url, timeout=30)
    enrol(console, "sato", PASSWORD)
    return console


def become_a_borrowing_member(system, console: httpx.Client) -> dict:  # type: ignore[no-untyped-def]
    record(system, other_count=3, other_balance=100_000)
    made = system.http.post("/v1/applications", headers={"Idempotency-Key": str(uuid.uuid4())},
                            json={"name_kanji": NAME_KANJI, "name_kana": NAME_KANA,
                                  "birth_date": BIRTH, "phone": PHONE, "email": EMAIL,
                                  "postal_code": "1500001", "address": "東京都渋谷区神宮前1-2-3",
                                  "employment": "employee", "employer_name": "株式会社サンプル",
                                  "employer_phone": "0312345678", "annual_income": INCOME,
                                  "other_count": 3, "other_balance": 100_000,
                                  "requested_limit": 300_000})
    assert made.status_code == 202, made.text
    app = {"id": made.json()["id"],
           "headers": {"Authorization": f"Bearer {made.json()['token']}"}}
    application_status(system, app, "manual_review")
    queue = console.get("/staff/applications")
    assert queue.status_code == 200 and NAME_KANJI in queue.text
    page = console.get(f"/staff/applications/{app['id']}")
    assert page.status_code == 200 and "6,543,210円" in page.text
    approve = f"/staff/applications/{app['id']}/approve"
    too_much = console.post(approve, data={"csrf_token": token_of(page), "limit": "310000"})
    assert too_much.status_code == 422
    done = console.post(approve, data={"csrf_token": token_of(page), "limit": "300000"})
    assert done.status_code == 303, done.text
    application_status(system, app, "approved")
    contract = system.http.post(f"/v1/applications/{app['id']}/contract", headers=app["headers"],
                                json={"agree": True, "pin": "2580", "due_day": 25})
    assert contract.status_code == 201, contract.text
    member = {**contract.json(), "pin": "2580"}
    login = system.http.post("/v1/login", json={"card_number": member["card_number"],
                                                "pin": "2580"})
    member["headers"] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    payee = system.http.post("/v1/payees", headers=member["headers"], json={
        "bank_code": "0033", "branch_code": "001", "account_type": "ordinary",
        "account_number": "7654321", "holder_name": "ｷﾘｶﾞﾐﾈ ｻｸﾔ", "pin": "2580"})
    assert payee.status_code == 201, payee.text
    sent = system.http.post("/v1/transfers", headers={**member["headers"], "Prefer": "wait=20"},
                            json={"payee_id": payee.json()["id"], "amount": 50_000})
    assert sent.status_code == 201 and sent.json()["status"] == "settled", sent.text
    return member


def status(system, member: dict) -> str:  # type: ignore[no-untyped-def]
    me = system.http.get("/v1/me", headers=member["headers"])
    assert me.status_code == 200, me.text
    return me.json()["status"]


def send_proof_from_the_site(system, member: dict) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=system.url, timeout=30) as site:
        login_page = site.get("/login")
        signed = site.post("/login/card", data={"csrf_token": token_of(login_page),
                                                "card_number": member["card_number"],
                                                "pin": member["pin"]})
        assert signed.status_code == 303, signed.text
        assert site.get("/transfer").headers["location"] == "/suspended"
        page = site.get("/suspended")
        assert page.status_code == 200 and "ご利用を停止しています" in page.text
        sent = site.post("/suspended/income", data={
            "csrf_token": token_of(page), "kind": "tax_return", "annual_income": "8,765,432"})
        assert (sent.status_code, sent.headers["location"]) == (303, "/suspended?sent=1")


def test_the_screener_and_the_review_leave_no_personal_field_in_any_log(system):
    console = screener(system)
    member = become_a_borrowing_member(system, console)
    # The January review: another lender's balance has grown beyond the rule. The bureau
    # is down at first, so the review path writes its warning (and the grep below reads
    # a log the review wrote to), decides nothing, then decides once it answers.
    record(system, other_count=4, other_balance=3_000_000)
    control = f"{system.env_of_children()['SHUNFURI_BUREAU_URL']}/v1/bureau/control"
    httpx.post(control, json={"outage": True}, timeout=10)
    moved = system.cli("clock", "2027-01-05T10:00:00+09:00")
    assert moved.returncode == 0, moved.stderr
    poll(lambda: "credit review" in system.up.log.read_text(errors="replace"), timeout=90,
         interval=0.5, what="the review's warning about the bureau")
    assert status(system, member) == "active"  # nothing decided on a guess
    httpx.post(control, json={"outage": False}, timeout=10)
    poll(lambda: status(system, member) == "suspended", timeout=120, interval=0.5,
         what="the January review to stop the member")
    refused = system.http.post("/v1/transfers", headers=member["headers"],
                               json={"payee_id": 1, "amount": 10_000})
    assert refused.status_code == 403 and refused.json()["code"] == "account_suspended"
    record(system, other_count=1, other_balance=500_000)  # repaid since
    send_proof_from_the_site(system, member)

    def answered() -> str | None:
        found = re.search(r'<tr id="review-(\d+)">(?:(?!</tr>).)*基準を満たす<',
                          console.get("/staff/applications").text, re.S)
        return found.group(1) if found else None

    review_id = poll(answered, timeout=60, interval=0.5, what="the bureau's fresh answer")
    page = console.get(f"/staff/reviews/{review_id}")
    assert "8,765,432円" in page.text
    lifted = console.post(f"/staff/reviews/{review_id}/lift",
                          data={"csrf_token": token_of(page)})
    assert lifted.status_code == 303, lifted.text
    assert status(system, member) == "active"
    console.close()

    scraped = system.http.get("/metrics").text
    assert "shunfuri_credit_reviews_total" in scraped
    logs = {path: path.read_text(errors="replace")
            for path in Path(system.data_dir).rglob("*.log")}
    assert system.up.log in logs and "no answer from the credit bureau" in logs[system.up.log]
    for trace in TRACES:
        assert trace not in scraped, trace
        for path, content in logs.items():
            assert trace not in content, f"{trace} in {path}"
