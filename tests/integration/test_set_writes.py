"""`write_changes`: the changed rows of a session as one UPDATE per table, against PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select

from shunfuri.db.models import Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.db.set_writes import write_changes
from shunfuri.domain.instants import parse_instant
from tests import factories
from tests.integration.test_settlement import accept

TUESDAY_10 = parse_instant("2026-12-01T10:00:00+09:00")
LATER = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _statements(session) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: seen.append(sql.split()[0]))
    return seen


def test_each_row_gets_its_own_values_in_one_statement_per_table_and_commit_writes_nothing(db):
    ids = []
    members = [factories.member(credit_limit=100_000) for _ in range(3)]
    for m in members:
        ids.append(accept(m, factories.payee(m), 10_000, TUESDAY_10).transfer["id"])
    with session_factory().begin() as session:
        rows = {t.id: t for t in session.scalars(select(Transfer).where(Transfer.id.in_(ids)))}
        owner = session.get(Member, members[0])  # read before any change: reads autoflush
        first, second, third = (rows[i] for i in ids)
        first.status, first.next_attempt_at = "processing", LATER
        second.note = "only the note"  # another column set, on another row
        third.attempts = third.attempts  # set to what it was: written back unchanged
        owner.held += 10_000
        with session.no_autoflush:
            seen = _statements(session)
            assert write_changes(session) == 4
        assert seen == ["UPDATE", "UPDATE"]
        # Written and marked clean: no change left for the unit of work to find.
        assert not any(session.is_modified(o) for o in (first, second, third, owner))
        seen.clear()
        session.flush()
        assert seen == []  # marked clean: the unit of work has nothing left to write
    with session_factory()() as session:
        got = {t.id: t for t in session.scalars(select(Transfer).where(Transfer.id.in_(ids)))}
        assert (got[ids[0]].status, got[ids[0]].next_attempt_at) == ("processing", LATER)
        assert got[ids[0]].note is None
        assert (got[ids[1]].status, got[ids[1]].note) == ("accepted", "only the note")
        assert got[ids[1]].next_attempt_at is None
        assert (got[ids[2]].status, got[ids[2]].attempts) == ("accepted", 0)
        assert session.get(Member, members[0]).held == 10_000
        assert session.get(Member, members[1]).held == 0


def test_nothing_changed_writes_nothing(db):
    m = factories.member()
    accept(m, factories.payee(m), 10_000, TUESDAY_10)
    with session_factory().begin() as session:
        session.scalars(select(Transfer)).all()
        seen = _statements(session)
        assert write_changes(session) == 0
        assert seen == []


def test_insert_rows_writes_every_row_in_one_statement_nulls_and_instants_kept(db):
    from shunfuri.db.models import LedgerEntry
    from shunfuri.db.set_writes import insert_rows

    member = factories.member(credit_limit=100_000)
    payee = factories.payee(member)
    ids = [accept(member, payee, 1_000 * (i + 1), TUESDAY_10).transfer["id"] for i in range(3)]
    rows = [dict(transfer_id=t, member_id=member, amount=1_000 * (i + 1), bank_code="0005",
                 bank_reference=None, created_at=LATER) for i, t in enumerate(ids)]
    rows[1]["bank_reference"] = "B-2"
    with session_factory().begin() as session:
        seen = _statements(session)
        insert_rows(session, LedgerEntry.__table__, rows)
        insert_rows(session, LedgerEntry.__table__, [])
    assert seen == ["INSERT"]
    with session_factory()() as session:
        got = session.execute(
            select(LedgerEntry.transfer_id, LedgerEntry.amount, LedgerEntry.bank_reference,
                   LedgerEntry.created_at).order_by(LedgerEntry.amount)
        ).all()
    assert [tuple(r) for r in got] == [
        (ids[0], 1_000, None, LATER), (ids[1], 2_000, "B-2", LATER), (ids[2], 3_000, None, LATER)
    ]
