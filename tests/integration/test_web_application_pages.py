"""An application's own pages in-process, screened by the real worker code against the
bureau simulator (a real process): each status explained (a decline never says why), the
live panel, documents asked for and sent, the pre-contract document, the acceptance with
its refusals next to each field, the card number shown once, then a login with it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import select

from shunfuri import messages
from shunfuri.db.models import OutgoingMail
from shunfuri.db.session import session_factory
from shunfuri.domain.contract_terms import REPAYMENT_METHOD_JA
from shunfuri.services.applications import screening
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import context, new_phone
from tests.integration.apply_page_helpers import (
    STEP_VALUES,
    errors_in,
    send,
    submit,
    walk_to_confirm,
)

at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process

CARD = re.compile(r'id="card-number">([0-9 ]{19})<')


def apply_by_page(client, phone: str | None = None, **steps: dict) -> str:  # type: ignore[no-untyped-def]
    """An application sent through the pages; its status page's path (this client keeps
    the code's cookie)."""
    values = {step: {**fields, **steps.get(step, {})} for step, fields in STEP_VALUES.items()}
    values["contact"]["phone"] = phone or new_phone()
    page = submit(client, walk_to_confirm(client, values).text)
    assert page.status_code == 303, errors_in(page.text)
    return page.headers["location"]


def screened(bureau, location: str) -> str:
    return screening.screen(context(bureau), location.rsplit("/", 1)[1])


def test_each_state_is_explained_and_a_decline_never_says_why(client, at, bureau):
    approved = apply_by_page(client)
    assert screened(bureau, approved) == "approved"
    page = client.get(approved).text
    assert re.search(r'id="offer-limit">30万円<', page) and 'id="offer-rate">17.8%<' in page
    assert "12月15日までに" in page and f'href="{approved}/contract"' in page
    assert "data-follow" not in page and "http-equiv" not in page  # nothing more to follow

    declined = apply_by_page(client, work={"employment": "unemployed"})
    assert screened(bureau, declined) == "declined"
    page = client.get(declined).text
    assert messages.APPLICATION_STATUS_JA["declined"] in page
    for secret in ("employment_not_eligible", "無職", "規則", "信用情報に"):
        assert secret not in page, secret

    phone = new_phone()
    bureau.record(kana_name="ヤマダ ハナコ", birth_date="1990-04-01", phone=phone,
                  other_balance=0, other_count=3, delinquent=False)
    review = apply_by_page(client, phone=phone)
    assert screened(bureau, review) == "manual_review"
    assert "follow-up-code" in client.get(review).text  # the first view shows the code...
    page = client.get(review).text  # ...and only that one waits for it to be written down
    assert "担当者が確認しています" in page and "data-follow" in page
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in page
    assert "many_other_lenders" not in page and "他社" not in page


def test_the_panel_waits_for_the_decision(client, another, at, bureau):
    location = apply_by_page(client)
    answers: list = []
    waiting = threading.Thread(
        target=lambda: answers.append(client.get(f"{location}/panel", params={"wait": 20})))
    waiting.start()
    assert screened(bureau, location) == "approved"
    waiting.join(timeout=30)
    assert answers and answers[0].status_code == 200
    panel = answers[0].text
    assert panel.lstrip().startswith('<section class="card status-panel')
    # Held until the decision (or answered at once if it came first): either way, decided.
    assert 'data-status="approved"' in panel and "data-follow" not in panel
    assert "<html" not in panel
    stranger = another()
    assert stranger.get(f"{location}/panel").status_code == 404
    stranger.cookies.set("shunfuri_application", "x" * 43, path=location)
    assert stranger.get(f"{location}/panel").status_code == 404


def test_documents_asked_for_sent_and_screened_again(client, at, bureau):
    phone = new_phone()
    bureau.record(kana_name="ヤマダ ハナコ", birth_date="1990-04-01", phone=phone,
                  other_balance=995_000, other_count=1, delinquent=False)
    location = apply_by_page(client, phone=phone, income={"annual_income": "6000000"})
    assert screened(bureau, location) == "documents_needed"
    status = client.get(location).text
    assert "源泉徴収票" in status and f'href="{location}/documents"' in status
    form = client.get(f"{location}/documents")
    assert form.status_code == 200 and '<legend>収入証明書の種類</legend>' in form.text
    bad = send(client, form.text, f"{location}/documents", {"annual_income": "たくさん"})
    assert bad.status_code == 422 and set(errors_in(bad.text)) == {"kind", "annual_income"}
    sent = send(client, form.text, f"{location}/documents",
                {"kind": "withholding_slip", "annual_income": "６，０００，０００円"})
    assert sent.status_code == 303 and sent.headers["location"] == location
    assert 'data-status="checking"' in client.get(location).text
    assert screened(bureau, location) == "approved"
    again = client.get(f"{location}/documents", follow_redirects=False)
    assert again.status_code == 303  # nothing asked for any more: the status page


def test_contract_pages_refuse_field_by_field_then_show_the_card_once(client, at, bureau):
    location = apply_by_page(client, phone="09087651357")
    assert screened(bureau, location) == "approved"
    terms = client.get(f"{location}/contract").text
    for shown in ("300,000円", "17.8%", REPAYMENT_METHOD_JA, "20.0%", "毎月末日", "30日間",
                  "10万円以下", "3,000円"):
        assert shown in terms, shown
    form = client.get(f"{location}/contract/accept")
    assert form.status_code == 200
    action = f"{location}/contract"
    empty = send(client, form.text, action, {"pin": "25８0", "pin_again": "2581"})
    assert empty.status_code == 422
    assert set(errors_in(empty.text)) == {"agree", "e_delivery", "pin_again", "due_day"}
    agreed = {"agree": "yes", "e_delivery": "yes", "due_day": "25"}
    for pin, why in (("0401", "生年月日の月日"), ("5678", "続いた数字"),
                     ("１３５７", "電話番号の下4桁")):
        refused = send(client, form.text, action, {**agreed, "pin": pin, "pin_again": pin})
        assert refused.status_code == 422
        assert why in errors_in(refused.text)["pin"], (pin, errors_in(refused.text))
    half = send(client, form.text, action, {**agreed, "pin": "2580", "pin_again": "2580",
                                            "web_id": "hanako.y"})
    assert set(errors_in(half.text)) == {"password"}
    done = send(client, form.text, action, {**agreed, "pin": "２５８０", "pin_again": "2580"})
    assert done.status_code == 200, errors_in(done.text)
    card = CARD.search(done.text).group(1).replace(" ", "")
    assert len(card) == 16 and 'action="/login/card"' in done.text
    with session_factory()() as session:
        mailed = [str(m.payload) for m in session.scalars(select(OutgoingMail))]
    assert mailed and all(card not in body for body in mailed)
    again = send(client, form.text, action, {**agreed, "pin": "2580", "pin_again": "2580"})
    assert again.status_code == 409 and card not in again.text and "ご契約済み" in again.text
    assert "ご契約済み" in client.get(location).text
    login = send(client, done.text, "/login/card", {"pin": "2580"})
    assert login.status_code == 303 and login.headers["location"] == "/"
    assert "ご利用可能額" in client.get("/").text


def test_an_offer_left_past_its_days_is_ended_politely(client, at, bureau):
    location = apply_by_page(client)
    assert screened(bureau, location) == "approved"
    at(helpers.TUESDAY + timedelta(days=15))  # open through 15 Dec, ended from 16 Dec
    refused = client.get(f"{location}/contract")
    assert refused.status_code == 409 and "期限が過ぎています" in refused.text
    assert f'href="{location}"' in refused.text  # the way back to the status page
    page = client.get(location).text
    assert 'id="status-label">お手続きの期限切れ<' in page and 'href="/apply"' in page
    assert "data-follow" not in page
