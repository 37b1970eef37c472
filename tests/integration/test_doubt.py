"""Transfers in doubt against PostgreSQL, with the in-process fake bank: what is sent is
never cancelled, rejected or rescheduled; the bank is asked before any resend; the
retry budget hands a transfer to staff, who resolve it with the bank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from shunfuri import catalogue
from shunfuri.db.models import AuditEntry, LedgerEntry, Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.domain.orders import Budget
from shunfuri.errors import ShunfuriError
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.orders import doubts, pipeline
from shunfuri.services.transfers import accept as transfers
from tests import factories
from tests.integration.test_settlement import WALL, Clocks, accept, make_ctx, member_row, row

BEFORE_2100 = parse_instant("2026-11-29T20:59:52+09:00")  # Sunday, SMBC still open
AFTER_2100 = parse_instant("2026-11-29T21:00:05+09:00")  # inside SMBC's maintenance
MONDAY_0700 = parse_instant("2026-11-30T07:00:00+09:00")
TUESDAY_15 = parse_instant("2026-12-01T15:00:00+09:00")


def cancel(member_id: int, transfer_id: str, now: datetime) -> dict:
    with session_factory()() as session:
        return transfers.cancel(session, member_id=member_id, transfer_id=transfer_id,
                                now=now, wall=WALL)


def ledger_count() -> int:
    with session_factory()() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def lost_answer_across_2100(speed: float = 1.0):  # type: ignore[no-untyped-def]
    """The issue's reproduction, in-process: sent at 20:59:52, paid, answer lost; the
    retry comes at 21:00:05, inside SMBC's maintenance."""
    m = factories.member(credit_limit=500_000)
    p = factories.payee(m, bank_code="0009")
    accepted = accept(m, p, 10_000, BEFORE_2100).transfer
    bank, clocks = FakeBank(lose_next_answers=1), Clocks(BEFORE_2100)
    ctx = make_ctx(bank, clocks)
    ctx.real_delay = lambda business: business / speed
    outcome, _ = pipeline.drain(ctx)
    assert outcome.retrying == 1 and accepted["id"] in bank.paid
    clocks.business, clocks.real = AFTER_2100, WALL + timedelta(seconds=13)
    pipeline.drain(ctx)
    return m, accepted["id"], bank, clocks, ctx


def test_a_transfer_sent_before_maintenance_stays_processing_and_cannot_be_cancelled(db):
    m, transfer_id, bank, clocks, ctx = lost_answer_across_2100()
    t = row(transfer_id)
    assert t.status == "processing"  # never `scheduled`: that would be cancellable
    assert t.settle_at.astimezone(UTC) == BEFORE_2100  # the promise is not moved
    left = MONDAY_0700 - AFTER_2100
    assert t.next_attempt_at.astimezone(UTC) == clocks.real + left
    assert "maintenance" in t.note and bank.inquiries == 0  # nobody asked a closed bank
    with pytest.raises(ShunfuriError) as refused:
        cancel(m, transfer_id, AFTER_2100)
    body = catalogue.problem(refused.value)
    assert (body["code"], body["status"], body["transfer_status"], body["in_doubt"]) == (
        "not_cancellable", 409, "processing", True)
    assert "銀行に結果を確認しています" in body["detail_ja"]
    assert (member_row(m).held, member_row(m).outstanding) == (10_000, 0)
    # The bank reopens; the next attempt asks it first, and it says "paid".
    clocks.business, clocks.real = MONDAY_0700, t.next_attempt_at.astimezone(UTC)
    outcome, _ = pipeline.drain(ctx)
    assert outcome.settled == 1 and bank.inquiries == 1 and bank.calls == 1
    assert row(transfer_id).status == "settled" and row(transfer_id).note is None
    assert (member_row(m).held, member_row(m).outstanding) == (0, 10_000)
    assert ledger_count() == 1 and len(bank.paid) == 1


def test_the_wait_for_the_window_end_is_real_time_at_the_clocks_speed(db):
    _m, transfer_id, _bank, clocks, _ctx = lost_answer_across_2100(speed=60)
    t = row(transfer_id)
    assert t.next_attempt_at.astimezone(UTC) == clocks.real + (MONDAY_0700 - AFTER_2100) / 60


def test_a_transfer_the_bank_never_received_is_sent_again_under_the_same_id(db):
    m = factories.member()
    accepted = accept(m, factories.payee(m), 9_000, TUESDAY_15.replace(hour=1)).transfer
    bank, clocks = FakeBank(fail_next=1), Clocks(TUESDAY_15.replace(hour=1))
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)
    t = row(accepted["id"])
    assert t.status == "processing" and t.sent_at is not None and t.last_error
    clocks.real = WALL + timedelta(minutes=1)
    assert pipeline.drain(ctx)[0].settled == 1
    assert bank.inquiries == 1 and bank.calls == 2 and list(bank.paid) == [accepted["id"]]


def test_an_inquiry_that_finds_a_refusal_fails_the_transfer_and_releases_the_hold(db):
    m = factories.member()
    accepted = accept(m, factories.payee(m, account_number="9999999"), 7_000,
                      TUESDAY_15.replace(hour=1)).transfer
    bank = FakeBank(lose_next_answers=1, rejections={"9999999": "account_closed"})
    clocks = Clocks(TUESDAY_15.replace(hour=1))
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)
    assert row(accepted["id"]).status == "processing"
    clocks.real = WALL + timedelta(minutes=1)
    assert pipeline.drain(ctx)[0].failed == 1
    t = row(accepted["id"])
    assert (t.status, t.failure_code) == ("failed", "account_closed")
    assert bank.calls == 1 and member_row(m).held == 0


def test_one_refused_order_does_not_hold_up_the_rest_of_its_batch(db):
    m = factories.member()
    good, bad = factories.payee(m), factories.payee(m, account_number="9999998")
    at = TUESDAY_15.replace(hour=1)
    ids = [accept(m, good, 1_000, at).transfer["id"] for _ in range(3)]
    refused = accept(m, bad, 1_000, at).transfer["id"]
    bank = FakeBank(rejections={"9999998": "name_mismatch"})
    outcome, _ = pipeline.drain(make_ctx(bank, Clocks(at)))
    assert (outcome.settled, outcome.failed, outcome.retrying, bank.calls) == (3, 1, 0, 1)
    assert {row(i).status for i in ids} == {"settled"}
    assert row(refused).failure_code == "name_mismatch"


def test_a_suspension_never_decides_a_transfer_in_doubt_the_inquiry_does(db):
    m = factories.member()
    accepted = accept(m, factories.payee(m, bank_code="0005"), 10_000, TUESDAY_15).transfer
    bank, clocks = FakeBank(), Clocks(TUESDAY_15)
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)  # scheduled for Wednesday 09:30
    clocks.business = parse_instant("2026-12-02T09:30:00+09:00")
    ids = pipeline.dispatch_due(ctx)
    bank.lose_next_answers = 1
    pipeline.settle_chunk(ctx, ids)  # paid at 09:30, answer lost
    with session_factory().begin() as session:
        session.execute(sql_update(Member).where(Member.id == m).values(status="suspended"))
    clocks.real = WALL + timedelta(minutes=1)
    assert pipeline.drain(ctx)[0].settled == 1
    assert row(accepted["id"]).status == "settled" and member_row(m).outstanding == 10_000


def test_a_scheduled_transfer_marked_sent_is_not_rejected_for_a_suspension(db):
    """Rows the old maintenance guard rescheduled after sending them (the migration marks
    them sent): at 09:30 a suspension does not reject them; the bank is asked."""
    m = factories.member(credit_limit=50_000)
    accepted = accept(m, factories.payee(m, bank_code="0005"), 10_000, TUESDAY_15).transfer
    bank, clocks = FakeBank(), Clocks(TUESDAY_15)
    ctx = make_ctx(bank, clocks)
    pipeline.drain(ctx)
    with session_factory()() as session:  # the old guard's victim: sent, then rescheduled
        bank.pay(pipeline.settlement.orders_for(session, [row(accepted["id"])]))
    with session_factory().begin() as session:
        session.execute(sql_update(Transfer).where(Transfer.id == accepted["id"])
                        .values(sent_at=WALL, attempts=1))
        session.execute(sql_update(Member).where(Member.id == m).values(status="suspended"))
    with pytest.raises(ShunfuriError) as refused:
        cancel(m, accepted["id"], TUESDAY_15)
    assert refused.value.extra["in_doubt"] is True
    clocks.business = parse_instant("2026-12-02T09:30:00+09:00")
    ids = pipeline.dispatch_due(ctx)
    assert ids == [accepted["id"]]
    assert pipeline.settle_chunk(ctx, ids).settled == 1
    assert bank.inquiries == 1 and bank.calls == 1  # asked, not sent again
    assert member_row(m).outstanding == 10_000


def test_a_worker_dying_during_the_call_leaves_a_row_that_says_it_was_sent(db):
    m = factories.member()
    accepted = accept(m, factories.payee(m), 4_000, TUESDAY_15.replace(hour=1)).transfer
    clocks = Clocks(TUESDAY_15.replace(hour=1))
    ctx = make_ctx(FakeBank(), clocks)

    class Died(Exception):
        pass

    class DiesDuringTheCall(FakeBank):
        def pay(self, orders):  # type: ignore[no-untyped-def]
            super().pay(orders)
            raise Died

    dying = make_ctx(DiesDuringTheCall(), clocks)
    with pytest.raises(Died):
        pipeline.drain(dying)
    t = row(accepted["id"])
    assert (t.status, t.attempts) == ("processing", 1) and t.sent_at is not None
    clocks.real = WALL + timedelta(minutes=1)  # past the lease
    outcome, _ = pipeline.drain(ctx)
    # Asked first; this bank has no record of it, so it is sent again, same id.
    assert outcome.settled == 1 and ctx.gateway.inquiries == 1
    assert list(ctx.gateway.paid) == [accepted["id"]] and row(accepted["id"]).attempts == 2


def budget_run(budget: Budget):  # type: ignore[no-untyped-def]
    m = factories.member()
    accepted = accept(m, factories.payee(m), 6_000, TUESDAY_15.replace(hour=1)).transfer
    bank = FakeBank(lose_next_answers=1, fail_next_inquiries=100)
    clocks = Clocks(TUESDAY_15.replace(hour=1))
    ctx = make_ctx(bank, clocks)
    ctx.budget = budget
    return m, accepted["id"], bank, clocks, ctx


def test_the_attempt_budget_hands_a_transfer_to_staff_with_its_hold(db):
    m, transfer_id, bank, clocks, ctx = budget_run(Budget(max_attempts=3))
    for minute in range(1, 6):
        pipeline.drain(ctx)
        clocks.real = WALL + timedelta(minutes=minute)
    t = row(transfer_id)
    assert (t.status, t.attempts) == ("needs_attention", 3)
    assert "inquiry" in t.last_error and member_row(m).held == 6_000
    assert bank.inquiries == 2  # then nothing more: no automatic retry, no release
    with session_factory()() as session:
        listed = doubts.list_doubts(session)
        assert [(d.id, d.status, d.attempts) for d in listed] == [
            (transfer_id, "needs_attention", 3)]
        assert doubts.counts(session) == {"in_doubt": 0, "needs_attention": 1}


def test_the_time_budget_counts_real_time_since_the_first_send(db):
    m, transfer_id, _bank, clocks, ctx = budget_run(Budget(after=timedelta(minutes=30)))
    pipeline.drain(ctx)
    clocks.real = WALL + timedelta(minutes=29)
    pipeline.drain(ctx)
    assert row(transfer_id).status == "processing"
    clocks.real = WALL + timedelta(minutes=31)
    pipeline.drain(ctx)
    assert row(transfer_id).status == "needs_attention" and member_row(m).held == 6_000


def staff_inquire(bank: FakeBank, transfer_id: str, resend: bool = False):  # type: ignore[no-untyped-def]
    with session_factory()() as session:
        return doubts.inquire(
            session, bank, transfer_id=transfer_id, now=TUESDAY_15, wall=WALL, actor="staff:t",
            budget=Budget(), resend=resend,
        )


def audit_log() -> list[tuple[str, bool, dict]]:
    with session_factory()() as session:
        return [(a.action, a.ok, a.detail) for a in
                session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_staff_settle_a_transfer_needing_attention_once_the_bank_answers(db):
    m, transfer_id, bank, clocks, ctx = budget_run(Budget(max_attempts=2))
    for minute in range(1, 4):
        pipeline.drain(ctx)
        clocks.real = WALL + timedelta(minutes=minute)
    assert row(transfer_id).status == "needs_attention"
    bank.fail_next_inquiries = 1
    with pytest.raises(ShunfuriError) as unavailable:
        staff_inquire(bank, transfer_id)
    assert unavailable.value.code == "bank_unavailable"
    bank.fail_next_inquiries = 0
    resolved = staff_inquire(bank, transfer_id)
    assert resolved.bank["answer"] == "paid" and resolved.transfer["status"] == "settled"
    assert (member_row(m).held, member_row(m).outstanding) == (0, 6_000)
    assert ledger_count() == 1 and bank.calls == 1
    assert [(a, ok, d.get("status_after") or d.get("refused")) for a, ok, d in audit_log()] == [
        ("inquire_transfer", False, "bank_unavailable"),
        ("inquire_transfer", True, "settled"),
    ]
    again = staff_inquire(bank, transfer_id)  # settled: the answer is for information only
    assert again.transfer["status"] == "settled" and ledger_count() == 1


def test_staff_send_again_only_what_the_bank_never_received(db):
    m = factories.member()
    accepted = accept(m, factories.payee(m), 5_000, TUESDAY_15.replace(hour=1)).transfer
    bank = FakeBank(fail_next=100)  # every payment fails before the bank records it
    clocks = Clocks(TUESDAY_15.replace(hour=1))
    ctx = make_ctx(bank, clocks)
    ctx.budget = Budget(max_attempts=2)
    for minute in range(1, 4):
        pipeline.drain(ctx)
        clocks.real = WALL + timedelta(minutes=minute)
    transfer_id = accepted["id"]
    assert row(transfer_id).status == "needs_attention"
    bank.fail_next = 0
    with pytest.raises(ShunfuriError) as refused:
        staff_inquire(bank, accepted["id"].replace("-", "0"), resend=True)
    assert refused.value.code == "not_found"
    looked = staff_inquire(bank, transfer_id)  # not_found: nothing is decided on it
    assert looked.bank["answer"] == "not_found" and row(transfer_id).status == "needs_attention"
    resent = staff_inquire(bank, transfer_id, resend=True)
    assert resent.transfer["status"] == "processing" and row(transfer_id).attempts == 0
    with pytest.raises(ShunfuriError) as not_waiting:
        staff_inquire(bank, transfer_id, resend=True)
    assert not_waiting.value.code == "not_in_doubt"
    assert pipeline.drain(ctx)[0].settled == 1
    assert list(bank.paid) == [transfer_id] and member_row(m).outstanding == 5_000
    actions = [(a, ok) for a, ok, _ in audit_log()]
    assert actions == [("resend_transfer", False), ("inquire_transfer", True),
                       ("resend_transfer", True), ("resend_transfer", False)]
