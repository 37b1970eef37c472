"""The one door every status change of an order goes through.

`move` changes one row, `move_where` many rows in one UPDATE (the 09:30 batch); both
ask `shunfuri.domain.orders` whether the move is allowed from the row's status, given
whether the order was ever sent (`sent_at`). A row is any order table's row with
`status`, `sent_at` and `updated_at`: transfers and repayments' collections both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from shunfuri.domain import orders
from shunfuri.domain.orders import Move, MoveRefused

__all__ = ["Move", "MoveRefused", "may", "move", "move_where", "sent"]


class OrderRow(Protocol):
    status: str
    sent_at: datetime | None
    updated_at: datetime


def sent(row: OrderRow) -> bool:
    return row.sent_at is not None


def may(row: OrderRow, what: Move) -> bool:
    return orders.allows(row.status, what, sent=sent(row))


def move(row: OrderRow, what: Move, *, wall: datetime) -> str:
    """Apply `what` to `row` or raise MoveRefused (the row is then left untouched)."""
    row.status = orders.target(row.status, what, sent=sent(row))
    row.updated_at = wall
    return row.status


def move_where(
    session: Session, model: Any, ids: Iterable[str], what: Move, *, wall: datetime,
    **values: Any,
) -> int:
    """`move` for many rows in one statement: the rule becomes the WHERE clause, so a
    row the rule refuses is simply not matched. Returns how many rows moved."""
    rule = orders.RULES[what]
    conditions = [model.id.in_(list(ids)), model.status.in_(sorted(rule.sources))]
    if rule.sent == "never":
        conditions.append(model.sent_at.is_(None))
    elif rule.sent == "only":
        conditions.append(model.sent_at.is_not(None))
    result = cast("CursorResult[Any]", session.execute(
        update(model).where(*conditions).values(status=rule.target, updated_at=wall, **values),
        execution_options={"synchronize_session": False},
    ))
    return result.rowcount
