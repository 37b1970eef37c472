"""Every status change of the services goes through `transitions`: a move the rules
forbid is refused there and changes nothing, for one row and for a bulk UPDATE."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from shunfuri.db.models import Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain import orders
from shunfuri.domain.orders import Move
from shunfuri.services.orders import transitions
from tests import factories
from tests.factories import WALL
from tests.unit.test_orders import ALLOWED

LATER = WALL.replace(hour=2)


def _rows(member_id: int, payee_id: int) -> dict[tuple[str, bool], str]:
    """One transfer per (status, sent), straight into the table."""
    ids = {}
    with session_factory().begin() as session:
        for status in orders.STATUSES:
            for sent in (False, True):
                transfer_id = str(uuid.uuid4())
                session.add(Transfer(
                    id=transfer_id, member_id=member_id, payee_id=payee_id, amount=1000,
                    status=status, decision="instant", bank_code="0009", accepted_at=WALL,
                    settle_at=WALL, attempts=1 if sent else 0, updated_at=WALL,
                    sent_at=WALL if sent else None,
                ))
                ids[(status, sent)] = transfer_id
    return ids


@pytest.mark.parametrize("move", list(Move))
def test_move_refuses_every_forbidden_transition_and_changes_nothing(db, move: Move):
    member = factories.member()
    ids = _rows(member, factories.payee(member))
    with session_factory().begin() as session:
        for (status, sent), transfer_id in ids.items():
            row = session.get(Transfer, transfer_id)
            expected = ALLOWED.get((status, sent, move))
            if expected is None:
                with pytest.raises(transitions.MoveRefused):
                    transitions.move(row, move, wall=LATER)
                assert (row.status, row.updated_at) == (status, WALL)
            else:
                assert transitions.move(row, move, wall=LATER) == expected
                assert row.updated_at == LATER


@pytest.mark.parametrize("move", list(Move))
def test_a_bulk_move_only_matches_rows_the_rule_allows(db, move: Move):
    member = factories.member()
    ids = _rows(member, factories.payee(member))
    with session_factory().begin() as session:
        moved = transitions.move_where(session, Transfer, ids.values(), move, wall=LATER)
    with session_factory()() as session:
        after = {r.id: r.status for r in session.scalars(select(Transfer))}
    allowed = {(s, sent): target for (s, sent, m), target in ALLOWED.items() if m == move}
    assert moved == len(allowed)
    for (status, sent), transfer_id in ids.items():
        assert after[transfer_id] == allowed.get((status, sent), status)
