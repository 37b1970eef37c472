"""The member site's payee and 瞬フリ pages in-process (TestClient, real PostgreSQL and
Redis, the simulated clock set in-process): isolation, the review/confirm rules, history."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from shunfuri.clock import SimulatedClock, set_clock
from tests.integration.member_helpers import PIN, bearer, create_member, token_for
from tests.integration.test_web_pages import CSRF, signed_in


@pytest.fixture()
def weekday():
    """Tuesday 2026-12-01 13:00 JST: every bank instant."""
    set_clock(SimulatedClock(start=datetime(2026, 12, 1, 4, 0, tzinfo=UTC), speed=1))
    yield
    set_clock(None)


def test_another_members_transfer_and_unknown_pages_are_404_pages(client, admin_headers, weekday):
    owner = create_member(client, admin_headers)
    headers = bearer(token_for(client, owner["card_number"]))
    payee = client.post("/v1/payees", headers=headers, json={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN}).json()
    transfer = client.post("/v1/transfers", headers=headers,
                           json={"payee_id": payee["id"], "amount": 1000}).json()
    signed_in(client, admin_headers)
    page = client.get(f"/transfers/{transfer['id']}")
    assert page.status_code == 404 and "ページが見つかりません" in page.text
    assert client.get(f"/transfers/{transfer['id']}/cancel").status_code == 404
    assert client.get("/no/such/page", headers={"accept": "text/html"}).status_code == 404
    assert "text/html" in client.get("/nope", headers={"accept": "text/html"}).headers["content-type"]
    api = client.get("/v1/nope")
    assert api.headers["content-type"].startswith("application/problem+json")


def test_payee_preview_shows_the_name_as_sent_then_registers(client, admin_headers):
    signed_in(client, admin_headers)
    picker = client.get("/payees/new", params={"bank_q": "みついすみとも"})
    assert 'href="/payees/new?bank=0009"' in picker.text
    branches = client.get("/payees/new", params={"bank": "0009", "branch_q": "じんぼうちょう"})
    assert "branch=001" in branches.text
    token = CSRF.search(branches.text).group(1)
    bad = client.post("/payees/preview", data={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "12345678", "holder_name": "山田", "csrf_token": token})
    assert bad.status_code == 422
    assert 'id="e-account_number"' in bad.text and 'id="e-holder_name"' in bad.text
    assert "「山」（1文字目）は口座名義に使えません" in bad.text
    preview = client.post("/payees/preview", data={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "１２３４５", "holder_name": "ヤマダ　タロウ", "csrf_token": token})
    assert preview.status_code == 200 and "ﾔﾏﾀﾞ ﾀﾛｳ" in preview.text and "0012345" in preview.text
    done = client.post("/payees", data={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "１２３４５", "holder_name": "ヤマダ　タロウ", "pin": PIN,
        "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert "ﾔﾏﾀﾞ ﾀﾛｳ" in client.get("/payees").text


def test_transfer_review_confirm_is_idempotent_per_form(client, admin_headers, weekday):
    member = signed_in(client, admin_headers)
    headers = bearer(token_for(client, member["card_number"]))
    payee = client.post("/v1/payees", headers=headers, json={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN}).json()
    form = client.get("/transfer")
    key = re.search(r'name="key" value="(web-[0-9a-f]+)"', form.text).group(1)
    token = CSRF.search(form.text).group(1)
    review = client.post("/transfer/review", data={
        "payee_id": str(payee["id"]), "amount": "１０，０００円", "key": key, "csrf_token": token})
    assert review.status_code == 200 and "最短10秒" in review.text
    data = {"payee_id": str(payee["id"]), "amount": "10000", "key": key, "shown": "instant",
            "csrf_token": token}
    first = client.post("/transfer/confirm", data=data, follow_redirects=False)
    again = client.post("/transfer/confirm", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    listed = client.get("/v1/transfers", headers=headers).json()["items"]
    assert len(listed) == 1 and listed[0]["amount"] == 10000
    history = client.get("/transfers")
    assert history.text.count('class="transfer"') == 1, history.text
    assert client.get("/transfers", params={"status": "settled"}).status_code == 200
    over = client.post("/transfer/review", data={
        "payee_id": str(payee["id"]), "amount": "999,000", "key": key, "csrf_token": token})
    assert over.status_code == 409 and 'id="e-amount"' in over.text


def _clock_at(iso: str) -> None:
    from shunfuri.domain.instants import parse_instant

    set_clock(SimulatedClock(start=parse_instant(iso), speed=1))


def _api_payee(client, member, bank_code="0005") -> tuple[dict, int]:
    headers = bearer(token_for(client, member["card_number"]))
    payee = client.post("/v1/payees", headers=headers, json={
        "bank_code": bank_code, "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN}).json()
    return headers, payee["id"]


def test_a_decision_that_moved_since_the_review_is_shown_again_not_accepted(client, admin_headers):
    try:
        member = signed_in(client, admin_headers)
        headers, payee = _api_payee(client, member, "0005")  # a standard bank
        _clock_at("2026-12-01T14:49:59+09:00")
        form = client.get("/transfer")
        token = CSRF.search(form.text).group(1)
        key = re.search(r'name="key" value="(web-[0-9a-f]+)"', form.text).group(1)
        review = client.post("/transfer/review", data={
            "payee_id": str(payee), "amount": "3000", "key": key, "csrf_token": token})
        shown = re.search(r'name="shown" value="([^"]+)"', review.text).group(1)
        assert shown == "instant"
        _clock_at("2026-12-01T14:50:00+09:00")
        data = {"payee_id": str(payee), "amount": "3000", "key": key, "shown": shown,
                "csrf_token": token}
        changed = client.post("/transfer/confirm", data=data)
        assert changed.status_code == 200 and 'id="decision-changed"' in changed.text
        assert "2026年12月2日(水) 09:30ごろ" in changed.text
        assert client.get("/v1/transfers", headers=headers).json()["items"] == []
        new_shown = re.search(r'name="shown" value="([^"]+)"', changed.text).group(1)
        done = client.post("/transfer/confirm", data={**data, "shown": new_shown},
                           follow_redirects=False)
        assert done.status_code == 303
        made = client.get("/v1/transfers", headers=headers).json()["items"]
        assert [t["decision"] for t in made] == ["scheduled"]
        assert made[0]["settle_at"] == "2026-12-02T09:30:00+09:00"
    finally:
        set_clock(None)


def test_service_closed_page_says_when_to_come_back(client, admin_headers):
    try:
        member = signed_in(client, admin_headers)
        _, payee = _api_payee(client, member, "0009")
        _clock_at("2026-12-07T03:00:00+09:00")  # Monday night: the whole service is closed
        form = client.get("/transfer")
        response = client.post("/transfer/review", data={
            "payee_id": str(payee), "amount": "3000", "csrf_token": CSRF.search(form.text).group(1),
            "key": "web-1"})
        assert response.status_code == 503
        assert "2026年12月7日(月) 07:00以降に" in response.text
        assert 4 * 3600 - 30 <= int(response.headers["retry-after"]) <= 4 * 3600
    finally:
        set_clock(None)


def test_history_filters_and_pages(client, admin_headers, weekday):
    member = signed_in(client, admin_headers)
    headers, payee = _api_payee(client, member, "0009")
    for _ in range(22):
        assert client.post("/v1/transfers", headers=headers,
                           json={"payee_id": payee, "amount": 1000}).status_code == 202
    first = client.get("/transfers")
    assert first.text.count('class="transfer"') == 20
    cursor = re.search(r'cursor=([A-Za-z0-9_-]+)" rel="next"', first.text).group(1)
    second = client.get("/transfers", params={"cursor": cursor})
    assert second.text.count('class="transfer"') == 2 and 'rel="next"' not in second.text
    none = client.get("/transfers", params={"status": "settled"})
    assert none.text.count('class="transfer"') == 0 and "この状況のお取引はありません" in none.text
    bad = client.get("/transfers", params={"cursor": "not-ours"})
    assert bad.status_code == 422 and "入力内容" in bad.text
