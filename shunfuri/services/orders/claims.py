"""The drain's claim statement: which transfers a pass may take, best first, in one read.

Built once per kind (a drain's, the recovery sweep's) with bound parameters; the pass
itself is `settlement.claim`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    CompoundSelect,
    DateTime,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import contains_eager

from shunfuri.db.models import Transfer

_WALL = bindparam("wall", type_=DateTime(timezone=True))
_OLDER_THAN = bindparam("older_than", type_=DateTime(timezone=True))
_LIMIT = bindparam("limit", type_=Integer)


def _ready(recovering: bool) -> CompoundSelect[*tuple[Any, ...]]:
    """Ids a drain may take now, at most `limit` of each kind: new instant transfers, new
    scheduled ones, and `processing` rows whose lease or backoff ran out. Each branch
    reads its own partial index (`ix_transfers_accepted`, `ix_transfers_retry`), so the
    claim stays index-only however large a bulk backlog of scheduled rows grows."""

    def accepted(decision: str) -> Select[*tuple[Any, ...]]:
        query = select(Transfer.id).where(_new(recovering),
                                          Transfer.decision == literal_column(f"'{decision}'"))
        return query.order_by(Transfer.accepted_at).limit(_LIMIT)

    retries = select(Transfer.id).where(_RETRY).order_by(Transfer.next_attempt_at).limit(_LIMIT)
    return union_all(accepted("instant"), accepted("scheduled"), retries)


# Statuses as SQL literals, not parameters: a partial index's predicate matches only a
# literal, and so the prepared statement's generic plan still reads those indexes.
_ACCEPTED: ColumnClause[str] = literal_column("'accepted'")
_PROCESSING: ColumnClause[str] = literal_column("'processing'")
_INSTANT: ColumnClause[str] = literal_column("'instant'")
_RETRY = and_(Transfer.status == _PROCESSING, Transfer.next_attempt_at <= _WALL)


def _new(recovering: bool) -> ColumnElement[bool]:
    """New rows; for the recovery sweep, only those nobody has touched since `older_than`."""
    if not recovering:
        return Transfer.status == _ACCEPTED
    return and_(Transfer.status == _ACCEPTED, Transfer.updated_at < _OLDER_THAN)


# New instant transfers first, so a bulk import of scheduled ones (whose money is due
# hours later) never queues ahead of a member waiting for seconds; then new scheduled
# ones; then retries, oldest due first.
_RANK = case((and_(Transfer.status == _ACCEPTED, Transfer.decision == _INSTANT), 0),
             (Transfer.status == _ACCEPTED, 1), else_=2)
_AGE = case((Transfer.status == _PROCESSING, Transfer.next_attempt_at),
            else_=Transfer.accepted_at)


@lru_cache(maxsize=2)
def statement(recovering: bool) -> Select[*tuple[Any, ...]]:
    """The claim: params `wall`, `limit`, and with `recovering` `older_than`."""
    return (
        select(Transfer)
        .join(Transfer.payee)
        .options(contains_eager(Transfer.payee))
        # Repeated outside the subquery: a row changed since the subquery's snapshot is
        # locked only if it is still claimable.
        .where(Transfer.id.in_(_ready(recovering)), or_(_new(recovering), _RETRY))
        .order_by(_RANK, _AGE)
        .limit(_LIMIT)
        .with_for_update(skip_locked=True, key_share=True, of=Transfer)
    )
