"""Rows for pipeline tests, written straight to the database (no login flow needed)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from shunfuri.db.models import Member, Payee
from shunfuri.db.session import session_factory
from shunfuri.domain.normalise import normalise_holder_name
from shunfuri.domain.own_name import member_kana
from shunfuri.services.members import tokens

_cards = itertools.count(4000_0000_0000_0000)
WALL = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def member(*, credit_limit: int = 1_000_000, status: str = "active",
           name_kana: str | None = None) -> int:
    """`name_kana` as the desk would record it (its key made by `domain.own_name`)."""
    kept, key = member_kana(name_kana) if name_kana is not None else (None, None)
    with session_factory().begin() as session:
        row = Member(
            card_number=str(next(_cards)), pin_hash="x", credit_limit=credit_limit,
            outstanding=0, held=0, status=status, card_lost=False, name_kana=kept,
            name_key=key, created_at=WALL, updated_at=WALL,
        )
        session.add(row)
        session.flush()
        return row.id


BANKS = {"0009": ("三井住友", "001", "本店"), "0005": ("三菱ＵＦＪ", "001", "本店"),
         "0033": ("ＰａｙＰａｙ", "001", "ビジネス営業部")}


def payee(member_id: int, *, bank_code: str = "0009", account_number: str = "1234567",
          holder_name: str = "ﾔﾏﾀﾞ ﾀﾛｳ") -> int:
    """Stored as registering would (no PIN asked: a row, as a member registered it
    before, whatever the member's kana name)."""
    bank_name, branch_code, branch_name = BANKS[bank_code]
    with session_factory().begin() as session:
        row = Payee(
            member_id=member_id, bank_code=bank_code, branch_code=branch_code,
            account_type="ordinary", account_number=account_number,
            holder_name=normalise_holder_name(holder_name),
            bank_name=bank_name, branch_name=branch_name, created_at=WALL,
        )
        session.add(row)
        session.flush()
        return row.id


def token(member_id: int, *, now: datetime = WALL) -> str:
    with session_factory().begin() as session:
        return tokens.issue(session, member_id=member_id, now=now, ttl_seconds=10**8)
