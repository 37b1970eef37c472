"""Internet repayment against PostgreSQL with the in-process fake bank: accepted, collected
once, split interest first, available credit back at once; a collection whose answer was
lost is asked about, never collected twice nor failed on a guess."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from shunfuri import catalogue
from shunfuri.db.models import Member, Repayment
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.orders import doubts, pipeline
from shunfuri.services.repayments import accept as repayments
from shunfuri.services.repayments.dues import dues
from tests import factories
from tests.integration.test_dues import advance
from tests.integration.test_settlement import WALL, Clocks, make_ctx

ADVANCED = datetime(2026, 11, 2, 10, tzinfo=JST)  # free 3 Nov .. 2 Dec
REPAID = datetime(2026, 12, 12, 10, tzinfo=JST)  # 10 charged days: 3 .. 12 Dec


def ask(member_id: int, payee_id: int, amount: int, at: datetime = REPAID,
        key: str | None = None) -> repayments.Accepted:
    with session_factory()() as session:
        return repayments.accept(session, member_id=member_id, payee_id=payee_id,
                                 amount=amount, idempotency_key=key, now=at, wall=WALL)


def row(repayment_id: str) -> Repayment:
    with session_factory()() as session:
        return session.get(Repayment, repayment_id)


def member_row(member_id: int) -> Member:
    with session_factory()() as session:
        return session.get(Member, member_id)


def borrower(principal: int = 100_000, credit_limit: int = 500_000) -> tuple[int, int]:
    m = factories.member(credit_limit=credit_limit)
    p = factories.payee(m)
    advance(m, p, principal, ADVANCED)
    with session_factory().begin() as session:
        session.get(Member, m).outstanding = principal
    return m, p


def test_a_repayment_is_collected_once_interest_first_and_credit_returns_at_once(db):
    m, p = borrower()
    interest = 100_000 * 1780 * 10 // 3_650_000  # 487: 10 days at 17.8 %
    accepted = ask(m, p, 10_000, key="k1")
    assert accepted.created and accepted.repayment["status"] == "accepted"
    assert ask(m, p, 10_000, key="k1").repayment["id"] == accepted.repayment["id"]
    bank, events = FakeBank(), []
    outcome, _ = pipeline.drain_repayments(make_ctx(bank, Clocks(REPAID), events))
    assert outcome.settled == 1
    r = row(accepted.repayment["id"])
    assert (r.status, r.to_interest, r.to_principal) == ("settled", interest, 10_000 - interest)
    assert len(bank.collections().paid) == 1 and not bank.paid  # collected, nothing paid out
    assert member_row(m).outstanding == 100_000 - (10_000 - interest)
    assert [view["status"] for _, view in events] == ["settled"]
    with session_factory()() as session:
        d = dues(session, m, REPAID)
    assert d.principal == member_row(m).outstanding and d.interest_due == 0


def test_more_than_the_full_payoff_is_refused_and_nothing_is_taken(db):
    m, p = borrower()
    payoff = 100_000 + 487
    with pytest.raises(ShunfuriError) as refused:
        ask(m, p, payoff + 1)
    assert refused.value.code == "repayment_too_large"
    assert catalogue.problem(refused.value)["payoff_today"] == payoff
    with pytest.raises(ShunfuriError) as small:
        ask(m, p, 999)
    assert small.value.code == "invalid_repayment_amount"
    # Two repayments on their way can never together exceed the payoff.
    ask(m, p, payoff - 1_000)
    with pytest.raises(ShunfuriError) as second:
        ask(m, p, 1_001)
    assert second.value.code == "repayment_too_large"
    with session_factory()() as session:
        assert len(session.scalars(select(Repayment)).all()) == 1


def test_the_full_payoff_whatever_its_yen_clears_everything(db):
    m, p = borrower(principal=500)
    accepted = ask(m, p, 502)  # ¥500 + floor(500 x 1780 x 10 / 3,650,000) = ¥2 interest
    pipeline.drain_repayments(make_ctx(FakeBank(), Clocks(REPAID)))
    r = row(accepted.repayment["id"])
    assert (r.status, r.to_interest, r.to_principal) == ("settled", 2, 500)
    assert member_row(m).outstanding == 0


def test_a_lost_answer_is_asked_about_not_collected_twice(db):
    m, p = borrower()
    accepted = ask(m, p, 5_000)
    bank = FakeBank()
    bank.collections().lose_next_answers = 1
    clocks = Clocks(REPAID)
    ctx = make_ctx(bank, clocks)
    outcome, _ = pipeline.drain_repayments(ctx)
    r = row(accepted.repayment["id"])
    assert outcome.retrying == 1 and r.status == "processing" and r.sent_at is not None
    assert member_row(m).outstanding == 100_000  # not settled on a guess either
    with session_factory()() as session:  # staff and `shunfuri doubts` see it
        listed = doubts.list_doubts(session)
    assert [(d.kind, d.id) for d in listed] == [("repayment", r.id)]
    clocks.real = r.next_attempt_at
    outcome, _ = pipeline.drain_repayments(ctx)
    collected = bank.collections()
    assert outcome.settled == 1 and collected.inquiries == 1 and collected.calls == 1
    assert len(collected.paid) == 1 and row(accepted.repayment["id"]).status == "settled"


def test_a_refused_collection_fails_and_changes_no_balance(db):
    m = factories.member(credit_limit=500_000)
    p = factories.payee(m, account_number="9999999")
    advance(m, p, 100_000, ADVANCED)
    with session_factory().begin() as session:
        session.get(Member, m).outstanding = 100_000
    accepted = ask(m, p, 5_000)
    pipeline.drain_repayments(make_ctx(FakeBank(rejections={"9999999": "account_closed"}),
                                       Clocks(REPAID)))
    r = row(accepted.repayment["id"])
    assert (r.status, r.failure_code, r.to_principal) == ("failed", "account_closed", None)
    assert member_row(m).outstanding == 100_000
