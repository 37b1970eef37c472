"""From an approved application to a member who logs in and 瞬フリ: the contract over the
API (guessable PINs refused, once only, audited with the applicant as actor), the contract
document in the outbox (card masked, the address's confirmation link in it), the desk's
PIN reset under the same PIN rule, and expiry on the business clock (two beats)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shunfuri.clock import get_clock, wall_now
from shunfuri.db.applications import Application
from shunfuri.db.models import AuditEntry, Member, MemberMail, OutgoingMail
from shunfuri.db.session import session_factory
from shunfuri.services.applications import screening, sweep
from shunfuri.services.mail import outbox
from shunfuri.services.repayments import dues
from shunfuri.services.staff.desk import new_pin
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import (
    TUESDAY,
    application,
    bearer,
    context,
    form,
    stand,
)

# Fixtures (pytest finds them by these names).
at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process

PHONE = "08055557913"


def approved(client, bureau, **changes) -> dict:
    created = client.post("/v1/applications", json=form(phone=PHONE, **changes)).json()
    assert screening.screen(context(bureau), created["id"]) == "approved"
    return {"id": created["id"], "headers": bearer(created["token"])}


def accept(client, app: dict, **body) -> object:
    payload = {"agree": True, "pin": "2580", "due_day": 5, **body}
    return client.post(f"/v1/applications/{app['id']}/contract", json=payload,
                       headers=app["headers"])


@pytest.mark.parametrize("pin, reason", [
    ("0401", "birth_mmdd"), ("0104", "birth_ddmm"), ("1990", "birth_year"),
    ("6666", "all_same"), ("5678", "run_up"), ("3210", "run_down"),
    ("7913", "phone_last4"), ("７９１３", "phone_last4"), ("0000", "all_same"),
])
def test_a_guessable_pin_is_refused_with_why(client, at, bureau, pin, reason):
    app = approved(client, bureau)
    refused = accept(client, app, pin=pin)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert (body["code"], body["reason"]) == ("guessable_pin", reason)
    assert "推測されやすい" in body["detail_ja"] and pin not in refused.text
    assert application(app["id"]).status == "approved"


def test_employer_phone_counts_too(client, at, bureau):
    app = approved(client, bureau, employer_phone="03-9876-4352")
    assert accept(client, app, pin="4352").json()["reason"] == "phone_last4"


def test_contract_makes_a_member_once_who_logs_in_and_transfers(client, at, bureau):
    app = approved(client, bureau)
    made = accept(client, app, web_id="hanako.yamada", password="Lamp-Otter-4471")
    assert made.status_code == 201, made.text
    member_id, card = made.json()["member_id"], made.json()["card_number"]
    assert re.fullmatch(r"\d{16}", card)
    again = accept(client, app)
    assert again.status_code == 409 and again.json()["code"] == "already_contracted"
    assert again.json()["member_id"] == member_id and card not in again.text
    row = application(app["id"])
    assert (row.status, row.member_id) == ("contracted", member_id)
    assert row.e_delivery_consent_at is not None
    with session_factory()() as session:
        member = session.get(Member, member_id)
        assert (member.credit_limit, member.rate_bp, member.due_day, member.name_kana) == (
            300_000, 1780, 5, "ヤマダ ハナコ")
        assert dues.dues(session, member_id, get_clock().now()).due_day == 5
        [audit] = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "create_member", AuditEntry.ok.is_(True))).all()
        assert (audit.actor, audit.member_id) == (f"applicant:{app['id']}", member_id)
        assert audit.detail["electronic_delivery"] is True and card not in str(audit.detail)
    login = client.post("/v1/login", json={"card_number": card, "pin": "2580"})
    assert login.status_code == 200
    headers = bearer(login.json()["access_token"])
    assert client.post("/v1/login", json={"web_id": "hanako.yamada",
                                          "password": "Lamp-Otter-4471"}).status_code == 200
    me = client.get("/v1/me", headers=headers).json()
    assert (me["credit_limit"], me["available"]) == (300_000, 300_000)
    payee = client.post("/v1/payees", headers=headers, json={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾊﾅｺ", "pin": "2580"})
    assert payee.status_code == 201, payee.text
    transfer = client.post("/v1/transfers", headers=headers,
                           json={"payee_id": payee.json()["id"], "amount": 10_000})
    assert transfer.status_code == 202 and transfer.json()["status"] == "accepted"


def test_contract_document_is_queued_once_masked_with_the_confirmation_link(client, at, bureau):
    app = approved(client, bureau)
    made = accept(client, app).json()
    card = made["card_number"]
    with session_factory()() as session:
        [mail] = session.scalars(select(OutgoingMail).where(
            OutgoingMail.member_id == made["member_id"])).all()
        settings = session.get(MemberMail, made["member_id"])
    assert (mail.kind, mail.key, mail.to_address) == ("contract_document", app["id"],
                                                      "hanako@example.jp")
    assert card not in str(mail.payload) and mail.payload["card_last4"] == card[-4:]
    assert settings.address is None and settings.pending_address == "hanako@example.jp"
    claimed = outbox.Claimed(mail.id, mail.member_id, mail.kind, mail.key, mail.to_address,
                             dict(mail.payload), 1)
    ctx = outbox.MailContext(sessions=session_factory(), sender=None, now=get_clock().now,
                             wall=wall_now, mail_from="瞬フリ <no-reply@shunfuri.example>",
                             public_url="https://shunfuri.example", pepper="dev-pin-pepper-change-me")
    message = outbox.message_for(claimed, ctx)
    text = message.get_body(("plain",)).get_content()
    assert "契約締結時書面" in message["Subject"] and card not in message.as_string()
    for needed in ("****-****-****-" + card[-4:], "300,000円", "年17.8%", "年20.0%",
                   "毎月5日", "残高スライド元利定額リボルビング方式", "4,000円", "30日間"):
        assert needed in text, needed
    token = re.search(r"/mail/confirm\?t=([0-9a-f]+)", text).group(1)
    assert client.post("/v1/mail/confirm", json={"token": token}).status_code == 200
    with session_factory()() as session:
        assert session.get(MemberMail, made["member_id"]).address == "hanako@example.jp"


def test_the_desk_reset_refuses_a_pin_guessable_from_the_application(client, at, bureau,
                                                                     admin_headers):
    app = approved(client, bureau)
    member_id = accept(client, app).json()["member_id"]
    path = f"/v1/admin/members/{member_id}/reset-pin"
    refused = client.post(path, json={"pin": "1990"}, headers=admin_headers)
    assert refused.status_code == 422 and refused.json()["reason"] == "birth_year"
    assert client.post(path, json={"pin": "2468"}, headers=admin_headers).status_code == 200
    from shunfuri.services.applications.facts import known_person

    with session_factory()() as session:
        person = known_person(session, member_id)
    assert person is not None and person.phones == (PHONE, "0312345678")
    from shunfuri.domain.pins import guessable_reason

    assert all(guessable_reason(new_pin(person), birth_date=person.birth_date,
                                phones=person.phones) is None for _ in range(300))


def test_offers_expire_after_14_days_once_and_a_late_contract_is_refused(client, at, bureau):
    first, second = approved(client, bureau), approved(client, bureau)
    stand(TUESDAY + timedelta(days=14, hours=13))  # 15 Dec 23:00 JST: still open
    assert sweep.expire(session_factory(), now=get_clock().now(), wall=wall_now()) == 0
    stand(TUESDAY + timedelta(days=14, hours=14))  # 16 Dec 00:00 JST
    late = accept(client, first)  # before any beat: refused and recorded there and then
    assert late.status_code == 409 and late.json()["code"] == "application_expired"
    beats = [sweep.expire(session_factory(), now=get_clock().now(), wall=wall_now())
             for _ in range(2)]
    assert beats == [1, 0]
    for app in (first, second):
        row = application(app["id"])
        assert (row.status, row.expires_at) == ("expired", None)
        assert row.offer_limit == 300_000  # the decision stays
        view = client.get(f"/v1/applications/{app['id']}", headers=app["headers"]).json()
        assert view["status"] == "expired" and "offer" not in view
    assert accept(client, second).json()["code"] == "application_expired"
    with session_factory()() as session:
        assert session.scalar(select(Application.status).where(
            Application.id == second["id"])) == "expired"
