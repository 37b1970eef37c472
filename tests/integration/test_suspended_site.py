"""The member site of a member whose new advances the ongoing review stopped: the login
leads to the suspended page (use stopped, repaying still open, how to reach us - never
the bureau's answer nor which rule failed); every other page sends them there; repaying
and what it needs stay open; new income proof is sent from a page and becomes a lift
request. A stop recorded or lifted mid-session applies at the next page."""

from __future__ import annotations

import re

from shunfuri.db.credit_reviews import CreditReview
from shunfuri.db.session import session_factory
from tests.integration.review_helpers import (
    audit_rows,
    card_of,
    joined_member,
    reviews,
    stop,
    unstop,
)
from tests.integration.test_web_pages import csrf_of, web_login

PIN = "4821"
BUREAU_WORDS = ("信用情報機関の回答", "他社", "異動", "総量規制", "年収の3分の1", "延滞")


def signed_in_stopped(client, *, stopped: bool = True) -> int:
    member_id, _ = joined_member(pin=PIN)
    if stopped:
        stop(member_id, "bureau_delinquent,over_total_volume")
    response = web_login(client, card_of(member_id), PIN)
    assert response.status_code == 303, response.text
    return member_id


def test_the_login_leads_to_the_suspended_page_and_no_other(client):
    signed_in_stopped(client)
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/suspended")
    page = client.get("/suspended")
    assert page.status_code == 200
    assert "ご利用を停止しています" in page.text and "新しいお借入れ（瞬フリ）" in page.text
    assert "ご返済はこれまでどおり" in page.text and 'href="/repay"' in page.text
    assert "お問い合わせ窓口" in page.text and 'id="contact-phone"' in page.text
    for word in BUREAU_WORDS:
        assert word not in page.text, word
    nav = re.findall(r'<li><a href="([^"]+)"', page.text)
    assert nav == ["/suspended", "/repay", "/dues", "/statement"]
    token = csrf_of(client, "/suspended")
    for method, path in (("GET", "/transfer"), ("GET", "/payees"), ("GET", "/payees/new"),
                         ("GET", "/transfers"), ("GET", "/settings/web-id"),
                         ("GET", "/settings/mail"), ("POST", "/transfer/confirm"),
                         ("POST", "/dues/due-day"), ("POST", "/payees")):
        answer = client.request(method, path, follow_redirects=False,
                                data={"csrf_token": token} if method == "POST" else None)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/suspended"), path
    for path in ("/repay", "/dues", "/statement"):
        assert client.get(path).status_code == 200, path
    assert 'action="/dues/due-day"' not in client.get("/dues").text


def test_a_stopped_member_sends_new_income_proof_from_the_site(client):
    member_id = signed_in_stopped(client)
    form = client.get("/suspended/income")
    assert form.status_code == 200 and '<label for="f-annual-income">' in form.text
    token = csrf_of(client, "/suspended/income")
    refused = client.post("/suspended/income", data={
        "csrf_token": token, "kind": "diary", "annual_income": "たくさん"})
    assert refused.status_code == 422
    assert 'id="e-kind"' in refused.text and 'id="e-annual-income"' in refused.text
    assert reviews(member_id) == []
    sent = client.post("/suspended/income", follow_redirects=False, data={
        "csrf_token": token, "kind": "withholding_slip", "annual_income": "４，８００，０００円"})
    assert (sent.status_code, sent.headers["location"]) == (303, "/suspended?sent=1")
    [row] = reviews(member_id)
    assert (row.kind, row.status, row.proof_kind, row.proof_income) == (
        "lift", "asking", "withholding_slip", 4_800_000)
    page = client.get("/suspended?sent=1")
    assert "お預かりしました" in page.text and 'id="proof-pending"' in page.text
    assert 'href="/suspended/income"' not in page.text
    [audited] = audit_rows("send_income_proof")
    assert (audited.actor, audited.member_id) == (f"member:{member_id}", member_id)
    assert "4800000" not in str(audited.detail)


def test_a_member_not_stopped_is_sent_home_from_the_suspended_pages(client):
    member_id = signed_in_stopped(client, stopped=False)
    for path in ("/suspended", "/suspended/income"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/"), path
    token = csrf_of(client, "/")
    posted = client.post("/suspended/income", follow_redirects=False, data={
        "csrf_token": token, "kind": "payslip", "annual_income": "5000000"})
    assert posted.status_code == 303
    with session_factory()() as session:
        assert session.query(CreditReview).filter_by(member_id=member_id).count() == 0


def test_a_stop_recorded_or_lifted_mid_session_applies_at_the_next_page(client):
    member_id = signed_in_stopped(client, stopped=False)
    assert client.get("/transfer").status_code == 200
    stop(member_id)
    moved = client.get("/transfer", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, "/suspended")
    unstop(member_id)
    assert client.get("/transfer").status_code == 200
