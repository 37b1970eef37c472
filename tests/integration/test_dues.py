"""`services.repayments.dues`: a member's dues replayed from the database rows, as the spec says."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shunfuri.db.models import LedgerEntry, MemberEvent, Repayment, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.services.repayments.dues import dues
from tests import factories


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JST)


def advance(member_id: int, payee_id: int, amount: int, at: datetime) -> str:
    tid = str(uuid.uuid4())
    with session_factory().begin() as s:
        s.add(Transfer(id=tid, member_id=member_id, payee_id=payee_id, amount=amount,
                       status="settled", decision="instant", bank_code="0009",
                       accepted_at=at, settle_at=at, settled_at=at, attempts=1,
                       updated_at=at, sent_at=at))
        s.flush()
        s.add(LedgerEntry(transfer_id=tid, member_id=member_id, amount=amount,
                          bank_code="0009", created_at=at))
    return tid


def settled_repayment(member_id: int, payee_id: int, amount: int, at: datetime) -> None:
    with session_factory().begin() as s:
        s.add(Repayment(id=str(uuid.uuid4()), member_id=member_id, payee_id=payee_id,
                        amount=amount, status="settled", bank_code="0009", accepted_at=at,
                        settled_at=at, attempts=1, updated_at=at, sent_at=at))


def test_the_first_advance_is_free_for_30_days_then_accrues_one_end_counted(db):
    # Spec: "a transfer settled on 1 December starts accruing on 2 December"; the first
    # advance's 30 days after settlement are interest-free.
    m = factories.member()
    p = factories.payee(m)
    advance(m, p, 100_000, jst(2026, 12, 1, 10))
    with session_factory()() as s:
        free = dues(s, m, jst(2026, 12, 20, 23))
        last_free = dues(s, m, jst(2026, 12, 31, 23))
        charged = dues(s, m, jst(2027, 1, 10, 12))
    assert free.interest_due == 0 and free.payoff_today == 100_000
    assert last_free.interest_due == 0
    # 1..10 January: floor(100,000 x 1780 x 10 / (10000 x 365)) = 487
    assert charged.interest_due == 100_000 * 1780 * 10 // (10000 * 365) == 487
    assert charged.payoff_today == 100_487
    # First due date: the first due day 25 at least 14 days after 1 Dec -> 25 Dec 2026
    # (a Friday, a business day); the minimum for ¥100,000 is ¥4,000.
    assert free.next_due_date == date(2026, 12, 25)
    assert free.minimum_due == 4_000
    assert not free.overdue


def test_an_unmet_due_date_makes_the_member_overdue_from_the_next_day(db):
    m = factories.member()
    p = factories.payee(m)
    advance(m, p, 150_000, jst(2026, 12, 1, 10))
    with session_factory()() as s:
        on_due = dues(s, m, jst(2026, 12, 25, 23, 59))
        after = dues(s, m, jst(2026, 12, 26, 0, 1))
    assert not on_due.overdue and on_due.minimum_due == 8_000
    assert after.overdue and after.overdue_since == date(2026, 12, 26)
    assert after.missed_due_date == date(2026, 12, 25)
    assert after.amount_to_lift == 8_000  # still inside the free days: no interest


def test_a_repayment_pays_interest_first_and_a_rate_change_counts_from_the_next_day(db):
    m = factories.member()
    p = factories.payee(m)
    advance(m, p, 100_000, jst(2026, 11, 1, 10))  # free 2 Nov .. 1 Dec
    with session_factory().begin() as s:
        s.add(MemberEvent(member_id=m, at=jst(2026, 12, 10, 9), kind="rate", value=1500,
                          actor="staff"))
    settled_repayment(m, p, 5_000, jst(2026, 12, 20, 12))
    with session_factory()() as s:
        d = dues(s, m, jst(2026, 12, 20, 13))
    # 2..10 Dec at 17.8 % (9 days), 11..20 Dec at 15 % (10 days)
    first = 100_000 * 1780 * 9 // 3_650_000
    second = 100_000 * 1500 * 10 // 3_650_000
    repaid = [line for line in d.view.lines if line.kind == "repayment"][0]
    assert repaid.to_interest == first + second
    assert repaid.to_principal == 5_000 - first - second
    assert d.principal == 100_000 - repaid.to_principal
    assert d.interest_due == 0 and d.rate_bp == 1500
