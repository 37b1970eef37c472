"""The ongoing review (途上与信) in the workers, against the bureau simulator process: each
member with a balance who joined by application is asked about once per review month;
over the total-volume rule or delinquent -> new advances stop (audited, no figure in the
audit); two beats at once, a redelivery or an overtaken lease decide nothing twice; the
bureau down, failing or losing answers decides nothing, and the review is decided once
it answers again."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from shunfuri.db.credit_reviews import CreditReview
from shunfuri.db.session import session_factory
from shunfuri.domain.credit_review import ReviewPolicy
from shunfuri.domain.instants import JST
from shunfuri.services.credit_review import worker
from tests import factories
from tests.integration import application_helpers as app_helpers
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


def record(bureau, phone: str, **answer) -> None:
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, **answer)


def periodic_rows() -> int:
    with session_factory()() as session:
        return session.scalar(select(func.count()).select_from(CreditReview)) or 0


def test_over_the_rule_or_delinquent_stops_new_advances_and_the_rest_are_clear(db, bureau):
    over, over_phone = joined_member(credit_limit=300_000, income=3_000_000)
    record(bureau, over_phone, other_balance=700_001, other_count=2)  # 300,000 + 700,001
    edge, edge_phone = joined_member(credit_limit=300_000, income=3_000_000)
    record(bureau, edge_phone, other_balance=700_000, other_count=2)  # exactly a third
    late, late_phone = joined_member()
    record(bureau, late_phone, delinquent=True)
    proven, proven_phone = joined_member(income=1_200_000, proof_income=6_000_000)
    record(bureau, proven_phone, other_balance=1_500_000)  # the proof's income counts
    paid_up, _ = joined_member(principal=0)
    desk = factories.member(credit_limit=300_000)  # no application: no bureau key

    ran = worker.run(context(bureau, Clocks()))

    assert ran.opened == 4 and ran.outcomes == {"suspended": 2, "clear": 2}
    assert (member(over).credit_review_reasons, member(late).credit_review_reasons) == (
        "over_total_volume", "bureau_delinquent")
    assert member(over).credit_review_since == datetime(2027, 1, 4, 10, tzinfo=JST)
    for clear in (edge, proven, paid_up, desk):
        assert member(clear).credit_review_since is None
    assert reviews(paid_up) == [] and reviews(desk) == []
    [row] = reviews(over)
    assert (row.kind, row.status, row.income, row.credit_limit, row.bureau_other_balance) == (
        "periodic", "suspended", 3_000_000, 300_000, 700_001)
    audits = audit_rows("credit_review_suspend")
    assert sorted(a.member_id for a in audits) == sorted([over, late])
    assert all(a.actor == "system:credit_review" for a in audits)
    # The desk reads a member's audit rows: reason codes and ids, never a figure.
    assert "700001" not in str([a.detail for a in audits])
    assert audits[0].detail["reasons"] in (["over_total_volume"], ["bureau_delinquent"])


def test_two_beats_at_once_review_each_member_once_then_not_again_this_month(db, bureau):
    members = [joined_member() for _ in range(6)]
    for _, phone in members[:3]:
        record(bureau, phone, other_balance=900_000)
    bureau.control(latency_ms=150)  # the two runs overlap while the bureau answers
    before = bureau.stats()["inquiries"]
    clocks, results = Clocks(), []

    def beat() -> None:
        results.append(worker.run(context(bureau, clocks)))

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join(timeout=60)

    assert sum(r.opened for r in results) == 6 and periodic_rows() == 6
    assert sum(sum(r.outcomes.values()) for r in results) == 6
    assert bureau.stats()["inquiries"] - before == 6
    assert len(audit_rows("credit_review_suspend")) == 3
    # Redelivered, or the beat again within the month: nothing opened, nobody asked.
    again = worker.run(context(bureau, clocks))
    assert (again.opened, sum(again.outcomes.values())) == (0, 0)
    assert bureau.stats()["inquiries"] - before == 6
    # The next month opens a new review for each member with a balance.
    next_month = worker.run(context(bureau, Clocks(datetime(2027, 2, 1, 0, 5, tzinfo=JST))))
    assert next_month.opened == 6 and periodic_rows() == 12


def test_the_bureau_down_decides_nothing_until_it_answers_then_once(db, bureau):
    stopped, phone = joined_member()
    record(bureau, phone, delinquent=True)
    clocks = Clocks()
    for fault in ({"outage": True}, {"lose_response_rate": 1.0}, {"transient_rate": 1.0}):
        bureau.calm()
        bureau.control(**fault)
        ran = worker.run(context(bureau, clocks))
        assert (ran.no_answer, dict(ran.outcomes)) == (1, {}), fault
        [row] = reviews(stopped)
        assert row.status == "asking" and row.last_error and row.answered_at is None
        assert member(stopped).credit_review_since is None
        # Backing off: the next beat a moment later does not even ask.
        asked = bureau.stats()["inquiries"]
        assert dict(worker.run(context(bureau, clocks)).outcomes) == {}
        assert bureau.stats()["inquiries"] == asked
        clocks.later(60)
    bureau.calm()
    ran = worker.run(context(bureau, clocks))
    assert dict(ran.outcomes) == {"suspended": 1}
    assert member(stopped).credit_review_reasons == "bureau_delinquent"
    assert len(audit_rows("credit_review_suspend")) == 1
    assert reviews(stopped)[0].attempts == 4


def test_a_worker_overtaken_after_its_lease_records_nothing(db, bureau):
    stopped, phone = joined_member()
    record(bureau, phone, other_balance=2_000_000)
    slow, fast = Clocks(), Clocks()
    with session_factory().begin() as session:
        from shunfuri.services.credit_review import periods

        periods.open_period(session, today=slow.now().date(), now=slow.now(), wall=slow.wall())
    first = worker._claim(context(bureau, slow))
    fast.later(worker.LEASE.total_seconds() + 1)  # the first worker looks dead
    second = worker._claim(context(bureau, fast))
    assert isinstance(first, worker.Claim) and isinstance(second, worker.Claim)
    assert second.attempt == first.attempt + 1
    assert worker._claim(context(bureau, fast)) is None  # leased: nobody else takes it
    assert worker.ask_and_record(context(bureau, slow), first) is None
    assert worker.ask_and_record(context(bureau, fast), second) == "suspended"
    assert worker.ask_and_record(context(bureau, fast), second) is None  # redelivered
    assert len(audit_rows("credit_review_suspend")) == 1


def test_a_stopped_member_on_whom_the_rule_holds_again_waits_for_a_screener(db, bureau):
    stopped, phone = joined_member()
    record(bureau, phone, other_balance=2_000_000)
    worker.run(context(bureau, Clocks()))
    assert member(stopped).credit_review_since is not None
    record(bureau, phone, other_balance=0)
    february = Clocks(datetime(2027, 2, 2, 10, tzinfo=JST), datetime(2027, 2, 2, 1, tzinfo=JST))
    ran = worker.run(context(bureau, february))
    assert dict(ran.outcomes) == {"ready": 1}
    assert member(stopped).credit_review_since is not None  # never lifted on its own
    assert [r.status for r in reviews(stopped)] == ["suspended", "ready"]


def test_a_member_without_an_answerable_key_is_never_decided(db, bureau):
    stopped, _ = joined_member()
    with session_factory().begin() as session:
        from shunfuri.db.applications import Application

        row = session.scalar(select(Application).where(Application.member_id == stopped))
        row.member_id = None  # as if made at the desk after the month was opened
        session.add(CreditReview(member_id=stopped, kind="periodic",
                                 period=datetime(2027, 1, 1).date(), status="asking",
                                 created_at=Clocks().now(), updated_at=Clocks().wall()))
    before = bureau.stats()["inquiries"]
    ran = worker.run(context(bureau, Clocks()))
    assert dict(ran.outcomes) == {"unreviewable": 1}
    assert bureau.stats()["inquiries"] == before
    assert member(stopped).credit_review_since is None


def test_the_interval_setting_reviews_every_three_months(db, bureau):
    joined_member()
    quarterly = ReviewPolicy(interval_months=3)
    assert worker.run(context(bureau, Clocks(), policy=quarterly)).opened == 1
    for month in (2, 3):
        at = Clocks(datetime(2027, month, 2, 10, tzinfo=JST))
        assert worker.run(context(bureau, at, policy=quarterly)).opened == 0
    april = Clocks(datetime(2027, 4, 1, 0, 1, tzinfo=JST) + timedelta(days=1))
    assert worker.run(context(bureau, april, policy=quarterly)).opened == 1
