"""The application API in-process (PostgreSQL, Redis events, the bureau simulator as a real
process, screening run in this process as a worker would): POST /v1/applications with
Idempotency-Key, the follow-up token, GET ?wait, documents, field-by-field refusals that
store nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shunfuri.clock import wall_now
from shunfuri.db.applications import APPLICATION_PERSONAL_FIELDS, Application
from shunfuri.db.session import session_factory
from shunfuri.services.applications import screening
from shunfuri.services.applications.tokens import token_hash
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import (
    application,
    bearer,
    context,
    count_applications,
    form,
)
from tests.system import poll

# Fixtures (pytest finds them by these names).
at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process


def test_apply_answers_at_once_and_the_token_opens_only_its_application(client, at):
    r = client.post("/v1/applications", json=form(), headers={"Idempotency-Key": "k-1"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) == {"id", "token", "status"} and body["status"] == "received"
    assert len(body["token"]) >= 43  # 256 bits, base64url
    row = application(body["id"])
    assert row.token_hash == token_hash(body["token"]) and body["token"] not in str(vars(row))
    got = client.get(f"/v1/applications/{body['id']}", headers=bearer(body["token"]))
    assert got.status_code == 200 and got.json()["status"] == "received"
    assert "token" not in got.json() and "ご融資" not in got.json()["detail_ja"]
    other = client.post("/v1/applications", json=form()).json()
    for headers, app_id in ((bearer(other["token"]), body["id"]),
                            (bearer(body["token"] + "x"), body["id"]),
                            (bearer(body["token"]), "00000000-0000-0000-0000-000000000000")):
        refused = client.get(f"/v1/applications/{app_id}", headers=headers)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert client.get(f"/v1/applications/{body['id']}").status_code == 401


def test_idempotency_key_same_body_same_answer_other_body_refused(client, at):
    body = form()
    first = client.post("/v1/applications", json=body, headers={"Idempotency-Key": "same"})
    again = client.post("/v1/applications", json=body, headers={"Idempotency-Key": "same"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()  # the same id and the very same token
    other = client.post("/v1/applications", json={**body, "annual_income": 4_100_000},
                        headers={"Idempotency-Key": "same"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert count_applications() == 1


def test_malformed_form_is_refused_field_by_field_and_nothing_is_stored(client, at):
    body = form(name_kana="Yamada", birth_date="1990-02-30", phone="03-1234",
                email="not an address", requested_limit=15_000, employer_name=None)
    r = client.post("/v1/applications", json=body)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["name_kana", "birth_date", "phone", "email",
                                            "employer_name", "requested_limit"]
    assert all(e["message_ja"] for e in errors)
    assert "Yamada" not in r.text and "03-1234" not in r.text and "not an address" not in r.text
    text = client.post("/v1/applications", json=form(annual_income="4000000"))
    assert text.status_code == 422 and text.json()["errors"][0]["field"] == "annual_income"
    extra = client.post("/v1/applications", json={**form(), "nickname": "x"})
    assert extra.status_code == 422
    assert count_applications() == 0


def test_wait_returns_when_screening_decides(client, at, bureau):
    created = client.post("/v1/applications", json=form()).json()
    headers = bearer(created["token"])
    answers: dict = {}

    def wait() -> None:
        answers["waited"] = client.get(f"/v1/applications/{created['id']}?wait=20",
                                       headers=headers)

    waiter = threading.Thread(target=wait)
    waiter.start()
    # The long-poll watches the id before it reads the row: wait for that, not a time.
    poll(lambda: created["id"] in client.app.state.waiter._events, timeout=10,
         what="the long-poll's watch")
    assert screening.screen(context(bureau), created["id"]) == "approved"
    waiter.join(timeout=25)
    waited = answers["waited"]
    assert waited.status_code == 200
    view = waited.json()
    assert view["status"] in ("checking", "approved")  # the first change it heard
    final = client.get(f"/v1/applications/{created['id']}", headers=headers).json()
    assert final["status"] == "approved"
    assert final["offer"] == {"credit_limit": 300_000, "rate_bp": 1780}
    assert "30万円" in final["detail_ja"] and "12月15日" in final["detail_ja"]
    assert final["expires_at"] == "2026-12-16T00:00:00+09:00"


class NoWatching:
    """A waiter that fails the request if the route starts a long-poll."""

    def watch(self, application_id: str):  # type: ignore[no-untyped-def]
        raise AssertionError(f"held a long-poll for {application_id}")


def test_wait_on_a_decided_application_answers_at_once(client, at, bureau):
    """Only the applicant moves an approved application on: a GET ?wait= that comes after
    the decision (a loaded API, a slow client) answers with it instead of holding its
    whole wait for a change that will not come."""
    created = client.post("/v1/applications", json=form(phone="09055556666")).json()
    assert screening.screen(context(bureau), created["id"]) == "approved"
    state = client.app.state
    waiter, state.waiter = state.waiter, NoWatching()
    try:
        got = client.get(f"/v1/applications/{created['id']}?wait=30",
                         headers=bearer(created["token"]))
        other = client.get(f"/v1/applications/{created['id']}?wait=30",
                           headers=bearer(created["token"] + "x"))
    finally:
        state.waiter = waiter
    assert got.status_code == 200 and got.json()["status"] == "approved"
    assert other.status_code == 404


def test_documents_needed_then_proof_then_approved(client, at, bureau):
    body = form(annual_income=6_000_000, requested_limit=600_000, phone="09011112222")
    bureau.record(kana_name="ヤマダ ハナコ", birth_date="1990-04-01", phone="09011112222",
                  other_balance=995_000, other_count=1)
    created = client.post("/v1/applications", json=body).json()
    headers = bearer(created["token"])
    assert screening.screen(context(bureau), created["id"]) == "documents_needed"
    view = client.get(f"/v1/applications/{created['id']}", headers=headers).json()
    assert view["reason_code"] == "income_proof_required"
    assert view["documents"] == ["withholding_slip", "payslip", "tax_return"]
    assert "源泉徴収票" in view["detail_ja"]
    bad = client.post(f"/v1/applications/{created['id']}/documents", headers=headers,
                      json={"kind": "selfie", "annual_income": 6_000_000})
    assert bad.status_code == 422
    sent = client.post(f"/v1/applications/{created['id']}/documents", headers=headers,
                       json={"kind": "withholding_slip", "annual_income": 6_000_000})
    assert sent.status_code == 200 and sent.json()["status"] == "checking"
    assert screening.screen(context(bureau), created["id"]) == "approved"
    row = application(created["id"])
    # Room ¥2,000,000 - ¥995,000; with proof no cap: min(600,000, 1,005,000).
    assert (row.offer_limit, row.proof_kind, row.proof_income) == (600_000, "withholding_slip",
                                                                   6_000_000)
    again = client.post(f"/v1/applications/{created['id']}/documents", headers=headers,
                        json={"kind": "payslip", "annual_income": 6_000_000})
    assert again.status_code == 409 and again.json()["code"] == "documents_not_requested"
    assert again.json()["application_status"] == "approved"


def test_rule_one_declines_without_asking_the_bureau(client, at, bureau):
    before = bureau.stats()["inquiries"]
    created = client.post("/v1/applications", json=form(
        employment="pension_only", employer_name=None, employer_phone=None)).json()
    assert screening.screen(context(bureau), created["id"]) == "declined"
    assert bureau.stats()["inquiries"] == before
    view = client.get(f"/v1/applications/{created['id']}",
                      headers=bearer(created["token"])).json()
    assert view["reason_code"] == "employment_not_eligible" and "offer" not in view
    with session_factory()() as session:
        row = session.scalar(select(Application).where(Application.id == created["id"]))
        assert row.employer_name is None and row.ended_at is not None


def test_personal_fields_can_be_erased_and_the_decision_stays(client, at, bureau):
    """What the 180-day erasure will do: every personal column to NULL with `erased_at`;
    the database refuses it without `erased_at`, and the applicant still reads the
    decision."""
    created = client.post("/v1/applications", json=form(
        employment="unemployed", employer_name=None, employer_phone=None)).json()
    assert screening.screen(context(bureau), created["id"]) == "declined"
    erased = dict.fromkeys(APPLICATION_PERSONAL_FIELDS)
    where = Application.id == created["id"]
    with pytest.raises(IntegrityError), session_factory().begin() as session:
        session.execute(update(Application).where(where).values(**erased))
    with session_factory().begin() as session:
        session.execute(update(Application).where(where).values(**erased, erased_at=wall_now(),
                                                                token_nonce=None,
                                                                request_hash=None))
    view = client.get(f"/v1/applications/{created['id']}",
                      headers=bearer(created["token"])).json()
    assert (view["status"], view["reason_code"]) == ("declined", "employment_not_eligible")
    row = application(created["id"])
    assert all(getattr(row, name) is None for name in APPLICATION_PERSONAL_FIELDS)
