"""The repayment API end to end in-process: POST /v1/repayments (202, Idempotency-Key),
GET list / one, /v1/me's dues, the overdue refusal of a new transfer and its lifting,
the statement (JSON and CSV), the due day, and the staff's rate and due-day routes."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from shunfuri.broker import events_channel, get_redis, publish_transfer_events
from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Member
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.orders import pipeline
from shunfuri.services.repayments import overdue_marks
from tests import factories
from tests.integration.member_helpers import bearer
from tests.integration.test_dues import advance
from tests.integration.test_settlement import Clocks

ADVANCED = datetime(2026, 11, 2, 10, tzinfo=JST)  # due 25 Nov 2026 (first due day >= 16 Nov)
DEC_12 = datetime(2026, 12, 12, 10, tzinfo=JST)  # 10 charged days: 3 .. 12 Dec


@pytest.fixture()
def at() -> Iterator:
    def stand(instant: datetime) -> None:
        set_clock(SimulatedClock(start=instant, speed=0.0001))

    yield stand
    set_clock(None)


def borrower(principal: int = 100_000) -> tuple[int, int, dict]:
    m = factories.member(credit_limit=500_000)
    p = factories.payee(m)
    advance(m, p, principal, ADVANCED)
    with session_factory().begin() as session:
        session.get(Member, m).outstanding = principal
    return m, p, bearer(factories.token(m))


def collect(now: datetime) -> None:
    ctx = pipeline.Context(sessions=session_factory(), gateway=FakeBank(), now=lambda: now,
                           wall=Clocks(now).wall,
                           publish=lambda changes: publish_transfer_events(get_redis(), changes))
    pipeline.drain_repayments(ctx)


def test_repay_202_then_collected_and_me_shows_the_dues(client, at):
    at(datetime(2026, 11, 20, 10, tzinfo=JST))
    m, p, headers = borrower()
    me = client.get("/v1/me", headers=headers).json()
    assert (me["interest_due"], me["payoff_today"], me["next_due_date"], me["minimum_due"],
            me["overdue"]) == (0, 100_000, "2026-11-25", 4_000, False)
    body = {"payee_id": p, "amount": 4_000}
    first = client.post("/v1/repayments", json=body, headers={**headers, "Idempotency-Key": "a"})
    again = client.post("/v1/repayments", json=body, headers={**headers, "Idempotency-Key": "a"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] and first.json()["status"] == "accepted"
    reused = client.post("/v1/repayments", json={**body, "amount": 5_000},
                         headers={**headers, "Idempotency-Key": "a"})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    rid = first.json()["id"]
    waited: dict = {}

    def wait() -> None:
        waited.update(client.get(f"/v1/repayments/{rid}?wait=10", headers=headers).json())

    waiter = threading.Thread(target=wait)
    waiter.start()
    try:
        import time

        deadline = time.monotonic() + 5
        while not get_redis().pubsub_numsub(events_channel(get_redis()))[0][1]:
            assert time.monotonic() < deadline, "the long-poll never subscribed"
            time.sleep(0.02)
        collect(datetime(2026, 11, 20, 10, tzinfo=JST))
    finally:
        waiter.join(timeout=15)
    assert waited["status"] == "settled"
    assert (waited["to_interest"], waited["to_principal"]) == (0, 4_000)  # free days
    me = client.get("/v1/me", headers=headers).json()
    assert (me["outstanding"], me["available"], me["minimum_due"]) == (96_000, 404_000, 0)
    listed = client.get("/v1/repayments", headers=headers).json()
    assert [r["id"] for r in listed["items"]] == [rid]
    other = bearer(factories.token(factories.member()))
    assert client.get(f"/v1/repayments/{rid}", headers=other).status_code == 404


def test_refusals_say_the_payoff_and_take_nothing(client, at):
    at(DEC_12)
    m, p, headers = borrower()
    too_much = client.post("/v1/repayments", json={"payee_id": p, "amount": 100_488},
                           headers=headers)
    assert too_much.status_code == 422
    problem = too_much.json()
    assert problem["code"] == "repayment_too_large" and problem["payoff_today"] == 100_487
    assert "100,487円" in problem["detail_ja"]
    assert client.get("/v1/repayments", headers=headers).json()["items"] == []
    mine = factories.payee(factories.member())
    not_mine = client.post("/v1/repayments", json={"payee_id": mine, "amount": 1_000},
                           headers=headers)
    assert not_mine.status_code == 404 and not_mine.json()["code"] == "not_found"


def test_overdue_refuses_new_transfers_until_a_repayment_lifts_it(client, at):
    # Due 25 Nov 2026 (¥4,000 for ¥100,000), nothing paid: overdue from 26 Nov.
    m, p, headers = borrower()
    nov_27 = datetime(2026, 11, 27, 10, tzinfo=JST)
    at(nov_27)
    result = overdue_marks.mark_overdue(session_factory(), now=nov_27)
    assert (result.marked, result.lifted) == (1, 0)
    me = client.get("/v1/me", headers=headers).json()
    assert me["overdue"] is True
    refused = client.post("/v1/transfers", json={"payee_id": p, "amount": 1_000},
                          headers=headers)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "repayment_overdue" and problem["amount_due"] == 4_000
    assert problem["missed_due_date"] == "2026-11-25"
    assert "11月25日" in problem["detail_ja"] and "4,000円" in problem["detail_ja"]
    assert "インターネット返済" in problem["detail_ja"]
    assert client.post("/v1/repayments", json={"payee_id": p, "amount": 4_000},
                       headers=headers).status_code == 202
    collect(nov_27)
    assert client.get("/v1/me", headers=headers).json()["overdue"] is False
    with session_factory()() as session:
        assert session.get(Member, m).overdue_since is None  # lifted at once, by the payment
    accepted = client.post("/v1/transfers", json={"payee_id": p, "amount": 1_000},
                           headers=headers)
    assert accepted.status_code == 202, accepted.text


def test_the_overdue_job_run_twice_at_once_marks_once(db):
    members = [borrower()[0] for _ in range(5)]
    nov_27 = datetime(2026, 11, 27, 10, tzinfo=JST)
    results: list = []
    runs = [threading.Thread(target=lambda: results.append(
        overdue_marks.mark_overdue(session_factory(), now=nov_27))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert sum(r.marked for r in results) == 5  # each member marked by exactly one run
    with session_factory()() as session:
        assert {session.get(Member, m).overdue_since for m in members} == {date(2026, 11, 26)}
    again = overdue_marks.mark_overdue(session_factory(), now=nov_27)
    assert (again.checked, again.marked, again.lifted) == (5, 0, 0)
    seen: list[str] = []
    done = overdue_marks.run_once_per_day(session_factory(), now=nov_27,
                                          last_day=lambda: seen[-1] if seen else None,
                                          done=seen.append)
    assert done is not None and seen == ["2026-11-27"]
    assert overdue_marks.run_once_per_day(session_factory(), now=nov_27,
                                          last_day=lambda: seen[-1], done=seen.append) is None


def test_statement_json_and_csv(client, at):
    at(DEC_12)
    m, p, headers = borrower()
    client.post("/v1/repayments", json={"payee_id": p, "amount": 10_000}, headers=headers)
    collect(DEC_12)
    body = client.get("/v1/statement?month=2026-12", headers=headers).json()
    assert (body["opening_principal"], body["opening_interest_due"]) == (100_000, 0)
    kinds = [(line["kind"], line["amount"]) for line in body["lines"]]
    # 2 .. 2 Dec free (first advance 2 Nov: free 3 Nov .. 2 Dec), 3 .. 12 Dec charged.
    assert kinds == [("interest", 0), ("interest", 487), ("repayment", 10_000)]
    assert body["lines"][1]["period_from"] == "2026-12-03" and body["lines"][1]["days"] == 10
    assert body["closing_principal"] == 100_000 - (10_000 - 487)
    november = client.get("/v1/statement?month=2026-11", headers=headers).json()
    assert november["due_dates"] == [{"due_date": "2026-11-25", "required": 4_000, "paid": 0,
                                      "shortfall": 4_000, "met": False}]
    csv_response = client.get("/v1/statement?month=2026-12&format=csv", headers=headers)
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    text = csv_response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["日付", "内容", "金額"] and rows[1][1] == "前月からの繰越"
    assert [r[1] for r in rows[2:5]] == ["利息", "利息", "ご返済"]
    assert rows[4][3:5] == ["487", str(10_000 - 487)]
    bad = client.get("/v1/statement?month=2026-13", headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


def test_due_day_change_keeps_the_pending_due_date(client, at):
    at(datetime(2026, 11, 10, 10, tzinfo=JST))
    m, p, headers = borrower()
    changed = client.put("/v1/me/due-day", json={"due_day": 5}, headers=headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["next_due_date"], body["due_day"], body["pending_due_day"]) == (
        "2026-11-25", 25, 5)
    bad = client.put("/v1/me/due-day", json={"due_day": 10}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_due_day"


def test_staff_set_rate_within_the_legal_cap_and_see_the_statement(client, admin_headers, at):
    at(DEC_12)
    m, p, headers = borrower()  # limit ¥500,000: cap 18 %
    refused = client.put(f"/v1/admin/members/{m}/rate", json={"rate_bp": 1801},
                         headers=admin_headers)
    assert refused.status_code == 409  # the member's limit decides: state, not shape
    assert refused.json()["code"] == "rate_above_legal_cap" and refused.json()["cap_bp"] == 1800
    ok = client.put(f"/v1/admin/members/{m}/rate", json={"rate_bp": 1800},
                    headers=admin_headers)
    assert ok.status_code == 200 and ok.json()["rate_bp"] == 1800
    # The higher limit's cap (15 %) is below the rate: refused until the rate is lowered.
    raised = client.patch(f"/v1/admin/members/{m}", json={"credit_limit": 1_000_000},
                          headers=admin_headers)
    assert raised.status_code == 409 and raised.json()["code"] == "limit_needs_lower_rate"
    dues = client.get(f"/v1/admin/members/{m}/dues", headers=admin_headers).json()
    assert dues["payoff_today"] == 100_487
    statement = client.get(f"/v1/admin/members/{m}/statement?month=2026-12",
                           headers=admin_headers)
    assert statement.status_code == 200 and statement.json()["lines"][-1]["kind"] == "rate_change"
    assert client.get(f"/v1/admin/members/{m}/dues").status_code == 403
    due = client.put(f"/v1/admin/members/{m}/due-day", json={"due_day": 31},
                     headers=admin_headers)
    assert due.status_code == 200 and due.json()["pending_due_day"] == 31


def test_a_member_created_with_a_large_limit_starts_at_the_legal_cap(client, admin_headers):
    from tests.integration.member_helpers import create_member

    big = create_member(client, admin_headers, credit_limit=1_000_000)["member_id"]
    small = create_member(client, admin_headers, credit_limit=300_000)["member_id"]
    rates = {m: client.get(f"/v1/admin/members/{m}/dues", headers=admin_headers).json()["rate_bp"]
             for m in (big, small)}
    assert rates == {big: 1500, small: 1780}  # 15 % from ¥1,000,000; else the default
