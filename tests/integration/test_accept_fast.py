"""The one-statement acceptance path, straight against PostgreSQL (no HTTP).

A process that has not seen a payee yet looks its bank up with one short read and
still takes the one-statement insert; ownership, status and credit stay checked by the
insert itself, so a looked-up payee of another member never becomes a transfer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from shunfuri.db.models import Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import payee_cache
from tests import factories

NOW = parse_instant("2026-12-01T10:00:00+09:00")
WALL = datetime(2026, 12, 1, 1, 0, 1, tzinfo=UTC)


def fast(token: str, payee_id: int, amount: int = 10_000, key: str | None = None):
    with session_factory()() as session:
        return transfers.try_accept_fast(
            session, token=token, payee_id=payee_id, amount=amount,
            idempotency_key=key, now=NOW, wall=WALL,
        )


def count() -> int:
    with session_factory()() as session:
        return session.scalar(select(func.count()).select_from(Transfer))


def test_a_payee_not_seen_by_this_process_still_takes_the_fast_path(db):
    member = factories.member()
    payee = factories.payee(member, bank_code="0005")
    payee_cache.forget_payees()
    accepted = fast(factories.token(member), payee)
    assert accepted is not None
    assert (accepted["status"], accepted["payee_id"], accepted["decision"]) == (
        "accepted", payee, "instant"  # a standard bank inside its 09:00-15:00 window
    )
    assert count() == 1


def test_another_members_payee_is_never_inserted_even_once_its_bank_is_known(db):
    mine, theirs = factories.member(), factories.member()
    foreign = factories.payee(theirs)
    payee_cache.forget_payees()
    assert fast(factories.token(mine), foreign) is None
    assert fast(factories.token(mine), foreign) is None  # now with the bank remembered
    assert count() == 0


def test_unknown_payee_and_short_credit_fall_back_to_the_full_path(db):
    member = factories.member(credit_limit=5_000)
    payee = factories.payee(member)
    token = factories.token(member)
    assert fast(token, 999_999) is None
    assert fast(token, payee, amount=6_000) is None
    assert count() == 0


def test_once_the_kana_name_is_recorded_an_old_payee_in_another_name_is_never_inserted(db):
    """The process remembers payees' banks, never whether they are the member's own: the
    desk may record the name between two transfers."""
    from sqlalchemy import update

    from shunfuri.db.models import Member
    from shunfuri.domain.own_name import member_kana

    member = factories.member()
    theirs = factories.payee(member, holder_name="ｽｽﾞｷ ﾊﾅｺ")
    own = factories.payee(member, bank_code="0005", holder_name="ﾔﾏﾀﾞﾀﾛｳ")
    token = factories.token(member)
    assert fast(token, theirs) is not None  # no name known yet: any payee of theirs
    kept, key = member_kana("ヤマダ　タロウ")
    with session_factory().begin() as session:
        session.execute(update(Member).where(Member.id == member)
                        .values(name_kana=kept, name_key=key))
    assert fast(token, theirs) is None  # the bank was remembered; the name is asked afresh
    assert fast(token, own) is not None  # the same name, spaced otherwise
    assert count() == 2
