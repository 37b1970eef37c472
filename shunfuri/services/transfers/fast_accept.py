"""The common acceptance as ONE autocommitted statement, derived from the rules.

`INSERT ... SELECT` inserts the transfer only when the token is live and every rule of
`domain.acceptance` marked `STATEMENT` holds, each as its condition in `CONDITIONS`; the
rules marked `BEFORE` (the amount, the service window) are run first, in Python, from
the domain itself. A condition may be stricter than its rule (a member marked overdue
is left to the full path, which asks the ledger), never looser. None means "not the
common case": `accept.submit` then takes the full path, which gives the precise refusal
(or the idempotent replay). Same rules, fewer round trips: on the hot path each round
trip costs more than the work it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import AuthSession, Member, Payee, Transfer
from shunfuri.db.session import autocommit
from shunfuri.domain import acceptance
from shunfuri.domain.banks import get_bank
from shunfuri.domain.windows import quote
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.members import own_name, tokens
from shunfuri.services.transfers.payee_cache import BANK_BY_ID, remember_bank
from shunfuri.settings import get_settings

MEMBER, PAYEE = "member", "payee"

# Each `STATEMENT` rule's condition: on the member's row, or on the payee's (inside one
# EXISTS over the member's payee at the requested id).
CONDITIONS: dict[str, tuple[str, Callable[[], ColumnElement[bool]]]] = {
    # Stricter than the rule (which refuses "suspended" only): any status but active.
    "account_suspended": (MEMBER, lambda: (Member.status == "active")
                          & Member.credit_review_since.is_(None)),
    # Stricter: any mark; the full path asks the ledger whether it still stands.
    "repayment_overdue": (MEMBER, lambda: Member.overdue_since.is_(None)),
    "not_found": (PAYEE, lambda: (Payee.id == bindparam("payee", type_=Payee.id.type))
                  & (Payee.member_id == Member.id)),
    "payee_not_own_name": (PAYEE, own_name.sql_is_own),
    "insufficient_credit": (MEMBER, lambda: Member.credit_limit - Member.outstanding
                            - Member.held >= bindparam("need", type_=Member.credit_limit.type)),
}

_stated = {rule.code for rule in acceptance.in_statement()}
if set(CONDITIONS) != _stated:  # a rule added to the domain must be stated here too
    raise RuntimeError(f"fast path conditions {sorted(CONDITIONS)} != rules {sorted(_stated)}")

_BEFORE = acceptance.before_statement()  # once: this runs on every request

_COLUMNS = (
    "id", "payee_id", "amount", "status", "decision", "bank_code", "accepted_at",
    "settle_at", "idempotency_key", "request_hash", "attempts", "updated_at",
)


def _passes_before(amount: Any, now: datetime) -> bool:
    settings = get_settings()
    bare = acceptance.Request(borrower=None, payee=None, amount=amount, now=now,  # type: ignore[arg-type]
                              minimum=settings.amount_minimum, step=settings.amount_step)
    return acceptance.refusal(bare, _BEFORE) is None


def try_accept(
    session: Session, *, token: str, payee_id: int, amount: int,
    idempotency_key: str | None, now: datetime, wall: datetime, row_id: str,
    request_hash: str, view: Callable[[Transfer], dict[str, Any]],
    after: Callable[[str], tuple[effects.Effect, ...]],
    admit: Callable[[Session, str, datetime], ShunfuriError | None] | None = None,
) -> dict[str, Any] | None:
    """The transfer's view if the one statement inserted it, else None. `after(decision)`:
    the acceptance's after-commit effects, run once the statement has committed."""
    if not _passes_before(amount, now):
        return None
    autocommit(session)
    bank_code = BANK_BY_ID.get(payee_id)
    if bank_code is None:
        # A member's first transfer through this process: one short read instead of the
        # full path. Who owns the payee is checked by the insert itself.
        bank_code = session.scalar(select(Payee.bank_code).where(Payee.id == payee_id))
        if bank_code is None:
            return None
        remember_bank(payee_id, bank_code)
    decided = quote(get_bank(bank_code), now)
    if admit is not None and admit(session, decided.decision, wall) is not None:
        return None  # the full path replays an earlier transfer of this key, or refuses
    row = dict(
        id=row_id, payee_id=payee_id, amount=amount, status="accepted",
        decision=decided.decision, bank_code=bank_code, accepted_at=now,
        settle_at=decided.settle_at, idempotency_key=idempotency_key,
        request_hash=request_hash, attempts=0, updated_at=wall,
    )
    params = {f"v_{k}": v for k, v in row.items()}
    params.update(token_hash=tokens.digest(token), wall=wall, need=amount, payee=payee_id)
    try:
        inserted = session.execute(_statement(), params).first()
    except IntegrityError:
        return None  # the key was used before: the full path replays or refuses
    if inserted is None:
        return None
    effects.after_commit(session, *after(decided.decision))
    effects.committed(session)  # the insert autocommitted when it returned
    return view(Transfer(member_id=inserted.member_id, **row))


@lru_cache(maxsize=1)
def _statement():  # type: ignore[no-untyped-def]
    """Built once with bound parameters: constructing the statement and its cache key on
    every request cost more CPU than PostgreSQL spends running it."""
    columns = Transfer.__table__.c
    values = [bindparam(f"v_{k}", type_=columns[k].type).label(k) for k in _COLUMNS]
    on_member = [make() for scope, make in CONDITIONS.values() if scope == MEMBER]
    on_payee = [make() for scope, make in CONDITIONS.values() if scope == PAYEE]
    source = (
        select(Member.id.label("member_id"), *values)
        .join(AuthSession, AuthSession.member_id == Member.id)
        .where(
            AuthSession.token_hash == bindparam("token_hash", type_=AuthSession.token_hash.type),
            AuthSession.kind == tokens.API, AuthSession.revoked_at.is_(None),  # no web session
            AuthSession.expires_at > bindparam("wall", type_=AuthSession.expires_at.type),
            *on_member,
            exists().where(*on_payee),
        )
    )
    return (
        cast(Table, Transfer.__table__).insert()
        .from_select(["member_id", *_COLUMNS], source)
        .returning(columns.member_id)
    )
