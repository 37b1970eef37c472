"""Reading a member's transfers: one by id (the long-poll's path checks the token in the
same query), and the history page by page. Accepting and cancelling live in
`shunfuri.services.transfers.accept`."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from shunfuri.db.models import AuthSession, Member, Transfer
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import tokens
from shunfuri.services.orders.cursors import decode_cursor, encode_cursor
from shunfuri.services.transfers.accept import view


def read_with_token(session: Session, *, token: str, transfer_id: str, wall: datetime
                    ) -> dict[str, Any]:
    """A member's transfer in one query that also checks the token: the long-poll path
    reads twice per wait, so authentication rides along instead of costing a query."""
    row = session.execute(
        _read_statement(), {"token_hash": tokens.digest(token), "transfer_id": transfer_id}
    ).first()
    if row is not None and row.revoked_at is None and row.status == "active":
        if aware(row.expires_at) > wall:
            return view(row.Transfer)
    # Slow path: the precise refusal (expired, revoked, suspended...) or not_found.
    member = tokens.member_for(session, token=token, now=wall)
    return get(session, member_id=member.id, transfer_id=transfer_id)


@lru_cache(maxsize=1)
def _read_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(Transfer, AuthSession.expires_at, AuthSession.revoked_at, Member.status)
        .join(AuthSession, AuthSession.member_id == Transfer.member_id)
        .join(Member, Member.id == Transfer.member_id)
        .where(
            AuthSession.token_hash == bindparam("token_hash", type_=AuthSession.token_hash.type),
            AuthSession.kind == tokens.API,
            Transfer.id == bindparam("transfer_id", type_=Transfer.id.type),
        )
    )


def get(session: Session, *, member_id: int, transfer_id: str) -> dict[str, Any]:
    transfer = session.scalar(
        select(Transfer).where(Transfer.id == transfer_id, Transfer.member_id == member_id)
    )
    if transfer is None:
        raise ShunfuriError("not_found")
    return view(transfer)


def list_for(
    session: Session, *, member_id: int, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = select(Transfer).where(Transfer.member_id == member_id)
    if status is not None:
        query = query.where(Transfer.status == status)
    if cursor:
        stamp, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Transfer.accepted_at < stamp,
                and_(Transfer.accepted_at == stamp, Transfer.id < last_id),
            )
        )
    rows = session.scalars(
        query.order_by(Transfer.accepted_at.desc(), Transfer.id.desc()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    return {
        "items": [view(t) for t in page],
        "next_cursor": encode_cursor(page[-1]) if len(rows) > limit else None,
    }
