"""Bearer tokens: random, short-lived, stored only as SHA-256, revocable.

A token is 256 random bits, so a plain SHA-256 is a sufficient at-rest hash (no
salt or stretching needed), and the lookup by hash is constant-time in effect: the
attacker never controls a comparison against a secret.

Two kinds share the table and never stand in for each other: `api` (a bearer token of
`POST /v1/login`) and `web` (the member site's session cookie). Every lookup filters on
the kind in the same statement, so a session cookie's value sent as a bearer token is
`not_authenticated` on every API route, and a bearer token as the cookie is no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shunfuri.db.models import AuthSession, Member
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError

API = "api"
WEB = "web"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def issue(
    session: Session, *, member_id: int, now: datetime, ttl_seconds: int, kind: str = API
) -> str:
    token = new_token()
    session.add(
        AuthSession(
            token_hash=digest(token),
            member_id=member_id,
            kind=kind,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    return token


def _check(row: Any, now: datetime) -> None:
    if row is None:
        raise ShunfuriError("not_authenticated")
    if row.revoked_at is not None or aware(row.expires_at) <= now:
        raise ShunfuriError("token_expired")
    if row.status == "suspended":
        raise ShunfuriError("account_suspended")
    if row.status == "locked":
        raise ShunfuriError("account_locked")


def member_for(session: Session, *, token: str, now: datetime) -> Member:
    """The member behind a live *API* token; refuses expired, revoked and suspended ones,
    and a web session's (`not_authenticated`, as if unknown)."""
    row: Any = session.execute(
        select(Member, AuthSession.expires_at, AuthSession.revoked_at, Member.status)
        .join(Member, Member.id == AuthSession.member_id)
        .where(AuthSession.token_hash == digest(token), AuthSession.kind == API)
    ).first()
    _check(row, now)
    return cast(Member, row.Member)


# A web session slides forward at most once a minute: one write per minute of use,
# not one per page.
SLIDE_EVERY = timedelta(seconds=60)
# However busy, a web session ends this long after its login.
WEB_SESSION_MAX = timedelta(hours=8)


def member_for_web_session(
    session: Session, *, token: str, now: datetime, ttl_seconds: int
) -> Member:
    """The member behind a live *web* session (a cookie), refused exactly as a bearer
    token is (expired, revoked, suspended, locked), and kept alive while in use: each use
    moves the expiry to `now + ttl` (an idle timeout), never past `WEB_SESSION_MAX` after
    the login. An API bearer token is not a web session (`not_authenticated`)."""
    row: Any = session.execute(
        select(Member, AuthSession, AuthSession.expires_at, AuthSession.revoked_at,
               Member.status)
        .join(Member, Member.id == AuthSession.member_id)
        .where(AuthSession.token_hash == digest(token), AuthSession.kind == WEB)
    ).first()
    _check(row, now)
    slide(row.AuthSession, now=now, ttl_seconds=ttl_seconds, session=session)
    return cast(Member, row.Member)


def slide(auth: Any, *, now: datetime, ttl_seconds: int, session: Session) -> None:
    """Move a web session's expiry to `now + ttl` (at most once a minute), never past
    `WEB_SESSION_MAX` after its login; commits when it moves."""
    wanted = min(now + timedelta(seconds=ttl_seconds), aware(auth.created_at) + WEB_SESSION_MAX)
    if wanted - aware(auth.expires_at) >= SLIDE_EVERY:
        auth.expires_at = wanted
        session.commit()


# The columns the transfer hot path needs, read without building ORM objects.
_CREDIT = select(
    Member.id, Member.status, Member.credit_limit, Member.outstanding, Member.held,
    Member.overdue_since, Member.name_key, Member.credit_review_since,
    AuthSession.expires_at, AuthSession.revoked_at,
).join(Member, Member.id == AuthSession.member_id)


def credit_for(session: Session, *, token: str, now: datetime) -> Any:
    """Like `member_for` (API tokens only), as a plain row (id, status, credit_limit,
    outstanding, held, overdue_since, name_key, credit_review_since)."""
    row = session.execute(
        _CREDIT.where(AuthSession.token_hash == digest(token), AuthSession.kind == API)
    ).first()
    _check(row, now)
    return row


def revoke(session: Session, *, token: str, now: datetime, kind: str = API) -> None:
    """Log out one token of `kind` (an API logout cannot end a web session, nor the
    reverse)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == digest(token), AuthSession.kind == kind,
               AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all(session: Session, *, member_id: int, now: datetime) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.member_id == member_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
