"""What the review's stop does, and how it is lifted: new advances refused with the
spec's `account_suspended` (never why), repayments accepted, a transfer not yet sent
refused at the worker's claim; new income proof becomes a lift request that the bureau
answers afresh; a screener lifts only when the rule holds on that answer, or keeps the
stop with a reason; audited either way, and never lifted on its own."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from shunfuri.catalogue import VARIANTS
from shunfuri.db.models import Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.credit_review import facts, lifts, proofs, stops, worker
from shunfuri.services.orders import pipeline
from shunfuri.services.staff.audit import Actor
from tests import factories
from tests.integration import application_helpers as app_helpers
from tests.integration.member_helpers import bearer
from tests.integration.review_helpers import (
    BIRTH,
    KANA,
    Clocks,
    audit_rows,
    context,
    joined_member,
    member,
    reviews,
)

bureau = app_helpers.bureau
bureau_process = app_helpers.bureau_process
at = app_helpers.at

SCREENER = Actor("staff:sato", source="127.0.0.1", detail={"role": "screener"})
JAN_5 = datetime(2027, 1, 5, 10, tzinfo=JST)  # a Tuesday: real-time banks pay at once


def stopped_member(bureau, **answer) -> tuple[int, str]:
    member_id, phone = joined_member(credit_limit=300_000, income=3_000_000)
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone,
                  **(answer or {"other_balance": 900_000, "other_count": 2}))
    worker.run(context(bureau, Clocks()))
    assert stops.is_stopped(member(member_id))
    return member_id, phone


def proof(member_id: int, income: int, kind: str = "withholding_slip") -> int:
    with session_factory()() as session:
        return proofs.send_proof(session, member_id, {"kind": kind, "annual_income": income},
                                 now=JAN_5, wall=Clocks().wall()).id


def test_the_stop_refuses_new_advances_but_takes_repayments(client, at, bureau):
    at(JAN_5)
    member_id, _ = stopped_member(bureau)
    payee = factories.payee(member_id, bank_code="0033", holder_name="ﾔﾏﾀﾞ ﾊﾅｺ")
    headers = bearer(factories.token(member_id))
    refused = client.post("/v1/transfers", json={"payee_id": payee, "amount": 10_000},
                          headers=headers)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert (body["code"], body["suspension"]) == ("account_suspended", "credit_review")
    assert body["detail_ja"] == VARIANTS["account_suspended:credit_review"].detail_ja
    for secret in ("信用情報", "他社", "年収", "900"):  # never why, never a figure
        assert secret not in refused.text
    me = client.get("/v1/me", headers=headers).json()
    assert me["status"] == "suspended" and me["outstanding"] == 100_000
    repaid = client.post("/v1/repayments", json={"payee_id": payee, "amount": 10_000},
                         headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert repaid.status_code == 202, repaid.text


def test_a_transfer_accepted_before_the_stop_is_refused_when_a_worker_claims_it(db, at, bureau):
    at(JAN_5)
    member_id, phone = joined_member(credit_limit=300_000, income=3_000_000)
    payee = factories.payee(member_id, bank_code="0033", holder_name="ﾔﾏﾀﾞ ﾊﾅｺ")
    tid = str(uuid.uuid4())
    with session_factory().begin() as session:
        session.add(Transfer(id=tid, member_id=member_id, payee_id=payee, amount=10_000,
                             status="accepted", decision="instant", bank_code="0033",
                             accepted_at=JAN_5, settle_at=JAN_5, attempts=0, updated_at=JAN_5))
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, delinquent=True)
    worker.run(context(bureau, Clocks()))
    bank = FakeBank()
    ctx = pipeline.Context(sessions=session_factory(), gateway=bank, now=lambda: JAN_5,
                           wall=lambda: JAN_5, publish=lambda changes: None)
    pipeline.drain(ctx, budget_s=1.0)
    with session_factory()() as session:
        done = session.get(Transfer, tid)
        assert (done.status, done.failure_code) == ("rejected", "account_suspended")
    assert bank.paid == {} and bank.calls == 0 and member(member_id).held == 0


def test_proof_becomes_a_lift_request_and_a_screener_lifts_on_the_fresh_answer(client, at, bureau):
    at(JAN_5)
    member_id, phone = stopped_member(bureau)
    with session_factory()() as session, pytest.raises(ShunfuriError) as bad:
        proofs.send_proof(session, member_id, {"kind": "diary", "annual_income": "たくさん"},
                          now=JAN_5, wall=Clocks().wall())
    assert bad.value.code == "validation_error"
    assert [e["field"] for e in bad.value.extra["errors"]] == ["kind", "annual_income"]
    assert [r.kind for r in reviews(member_id)] == ["periodic"]  # nothing stored
    review_id = proof(member_id, 4_800_000)
    with session_factory()() as session, pytest.raises(ShunfuriError) as early:
        lifts.lift(session, review_id, actor=SCREENER, now=JAN_5, wall=Clocks().wall())
    assert early.value.code == "not_in_review"  # the bureau has not answered it yet
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, other_balance=1_200_000)
    assert dict(worker.run(context(bureau, Clocks())).outcomes) == {"ready": 1}
    with session_factory()() as session:
        item = lifts.item(session, review_id)
        # 300,000 + 1,200,000 <= 4,800,000 / 3: the rule holds on the proof's income.
        assert (item.can_lift, item.reasons, item.limit_within) == (True, (), 400_000)
        assert "4800000" not in repr(item)
        lifts.lift(session, review_id, actor=SCREENER, now=JAN_5, wall=Clocks().wall())
    assert not stops.is_stopped(member(member_id))
    refused, lifted = audit_rows("credit_review_lift")  # the early try is audited too
    assert (refused.ok, refused.detail["refused"]) == (False, "not_in_review")
    assert (lifted.ok, lifted.actor, lifted.member_id, lifted.detail) == (
        True, "staff:sato", member_id, {"role": "screener", "review_id": review_id})
    [sent] = audit_rows("send_income_proof")
    assert sent.detail == {"review_id": review_id, "proof_kind": "withholding_slip"}
    with session_factory()() as session:
        assert facts.known_income(session, member_id) == 4_800_000
    payee = factories.payee(member_id, bank_code="0033", holder_name="ﾔﾏﾀﾞ ﾊﾅｺ")
    again = client.post("/v1/transfers", json={"payee_id": payee, "amount": 10_000},
                        headers=bearer(factories.token(member_id)))
    assert again.status_code == 202, again.text


def test_no_lift_while_the_rule_fails_and_a_screener_keeps_the_stop_with_a_reason(db, bureau):
    member_id, _ = stopped_member(bureau)  # other balance 900,000
    review_id = proof(member_id, 3_300_000)  # a third: 1,100,000 < 300,000 + 900,000
    worker.run(context(bureau, Clocks()))
    with session_factory()() as session:
        item = lifts.item(session, review_id)
        assert (item.can_lift, item.reasons, item.limit_within) == (
            False, ("over_total_volume",), 200_000)
        with pytest.raises(ShunfuriError) as refused:
            lifts.lift(session, review_id, actor=SCREENER, now=JAN_5, wall=Clocks().wall())
        assert (refused.value.code, refused.value.extra["reasons"]) == (
            "lift_not_allowed", ["over_total_volume"])
        with pytest.raises(ShunfuriError) as empty:
            lifts.keep(session, review_id, reason=" ", actor=SCREENER, now=JAN_5,
                       wall=Clocks().wall())
        assert empty.value.code == "validation_error"
        lifts.keep(session, review_id, reason="他社借入が減ってから再度ご相談", actor=SCREENER,
                   now=JAN_5, wall=Clocks().wall())
    assert stops.is_stopped(member(member_id))
    assert [r.status for r in reviews(member_id)] == ["suspended", "kept"]
    assert [(r.ok, r.detail.get("refused")) for r in audit_rows("credit_review_lift")] == [
        (False, "lift_not_allowed")]
    [kept] = audit_rows("credit_review_keep")
    assert (kept.reason, kept.member_id) == ("他社借入が減ってから再度ご相談", member_id)


def test_a_newer_proof_replaces_the_open_one_and_costs_one_inquiry(db, bureau):
    member_id, _ = stopped_member(bureau)
    first, second = proof(member_id, 4_000_000), proof(member_id, 4_500_000, kind="payslip")
    before = bureau.stats()["inquiries"]
    worker.run(context(bureau, Clocks()))
    assert bureau.stats()["inquiries"] - before == 1
    assert {r.id: r.status for r in reviews(member_id)}[first] == "superseded"
    assert {r.id: r.status for r in reviews(member_id)}[second] == "ready"
    with session_factory()() as session, pytest.raises(ShunfuriError) as closed:
        lifts.keep(session, first, reason="古い申告", actor=SCREENER, now=JAN_5,
                   wall=Clocks().wall())
    assert closed.value.code == "not_in_review"


def test_only_a_stopped_member_sends_proof(db):
    member_id, _ = joined_member()
    with session_factory()() as session, pytest.raises(ShunfuriError) as refused:
        proofs.send_proof(session, member_id, {"kind": "payslip", "annual_income": 5_000_000},
                          now=JAN_5, wall=Clocks().wall())
    assert refused.value.code == "documents_not_requested"
    assert reviews(member_id) == []


def test_a_newer_answer_replaces_one_still_waiting_for_a_screener(db, bureau):
    member_id, phone = stopped_member(bureau)
    review_id = proof(member_id, 6_000_000)
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, other_balance=0)
    worker.run(context(bureau, Clocks()))
    with session_factory()() as session:
        assert lifts.item(session, review_id).can_lift
    # A month on, before any screener looked: the other lender's balance is back up, and
    # the periodic answer (on the income a screener has seen) is the one that counts.
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, other_balance=2_000_000)
    february = Clocks(datetime(2027, 2, 2, 10, tzinfo=JST), datetime(2027, 2, 2, 1, tzinfo=JST))
    assert dict(worker.run(context(bureau, february)).outcomes) == {"suspended": 1}
    assert {r.id: r.status for r in reviews(member_id)}[review_id] == "superseded"
    with session_factory()() as session, pytest.raises(ShunfuriError) as stale:
        lifts.lift(session, review_id, actor=SCREENER, now=JAN_5, wall=Clocks().wall())
    assert stale.value.code == "not_in_review" and stops.is_stopped(member(member_id))
