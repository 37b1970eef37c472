"""Login: the article's catalogue of reasons a member cannot log in, answered safely.

Order of checks (each step reveals nothing the previous ones did not):

1. (edge) rate limit per client address, before any parsing or hashing;
2. normalise the identifier and secret; malformed -> `validation_error`, not counted;
3. lock the LoginFailure row of HMAC(identifier) (created if absent) so that
   concurrent guesses at one identifier are serialised and all counted;
   already locked -> `account_locked` (the same for unknown and real identifiers);
4. look the member up and verify the secret with argon2 - against a dummy hash when
   nobody has this identifier, so both cost the same;
5. wrong secret (or unknown identifier) -> count it; `invalid_credentials`, and the
   3rd in a row locks the identifier (and a real member, `status=locked`);
6. right secret -> count reset; only now, since only the secret's owner may learn
   it: `account_suspended`, `account_locked` (member locked via another identifier),
   `card_reported_lost` (card login only); else a bearer token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import LoginFailure, Member
from shunfuri.domain import normalise
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import passwords, tokens

log = logging.getLogger("shunfuri.login")

MAX_CONSECUTIVE_FAILURES = 3

Kind = Literal["card", "web"]


@dataclass(frozen=True)
class LoginResult:
    access_token: str
    expires_in: int
    member_id: int
    token_type: str = "bearer"  # noqa: S105 (the scheme name)


def _outcome(outcome: str) -> None:
    metrics.LOGINS.labels(outcome=outcome).inc()


def _failure_row(session: Session, key: str, now: datetime) -> LoginFailure:
    """The identifier's counter row, created if absent, locked FOR UPDATE."""
    row = session.scalar(
        select(LoginFailure).where(LoginFailure.identifier_key == key).with_for_update()
    )
    if row is not None:
        return row
    session.execute(
        insert(LoginFailure)
        .values(identifier_key=key, consecutive=0, locked=False, updated_at=now)
        .on_conflict_do_nothing(index_elements=["identifier_key"])
    )
    row = session.scalar(
        select(LoginFailure)
        .where(LoginFailure.identifier_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def attempt(
    session: Session,
    *,
    kind: Kind,
    identifier: str,
    secret: str,
    now: datetime,
    pepper: str,
    ttl_seconds: int,
    session_kind: str = "api",
) -> LoginResult:
    """One login attempt. Commits its bookkeeping whatever the answer, then answers.

    `identifier` and `secret` are raw as typed: card number / Web-ID, PIN / password.
    Raises ShunfuriError: validation_error (422, not counted), invalid_credentials
    (401), account_locked (423), account_suspended (403), card_reported_lost (403).
    """
    try:
        if kind == "card":
            ident = normalise.normalise_card_number(identifier)
            clean_secret = normalise.normalise_pin(secret)
        else:
            ident = normalise.normalise_web_id(identifier)
            clean_secret = normalise.normalise_password(secret)
    except ShunfuriError:
        _outcome("malformed")
        raise

    key = passwords.identifier_key(kind, ident, pepper=pepper)
    try:
        result = _attempt(session, kind=kind, ident=ident, key=key, secret=clean_secret,
                          now=now, pepper=pepper, ttl_seconds=ttl_seconds,
                          session_kind=session_kind)
    except ShunfuriError as exc:
        session.commit()  # the failure count (or its reset) stands whatever we answer
        _outcome(exc.code)
        log.info("login refused: %s (identifier key %s...)", exc.code, key[:8])
        raise
    except BaseException:
        session.rollback()
        raise
    session.commit()
    _outcome("ok")
    log.info("login ok: member %s", result.member_id)
    return result


def _attempt(
    session: Session,
    *,
    kind: Kind,
    ident: str,
    key: str,
    secret: str,
    now: datetime,
    pepper: str,
    ttl_seconds: int,
    session_kind: str,
) -> LoginResult:
    failures = _failure_row(session, key, now)
    if failures.locked:
        raise ShunfuriError("account_locked")

    column = Member.card_number if kind == "card" else Member.web_id
    member = session.scalar(select(Member).where(column == ident))
    if kind == "card":
        stored = member.pin_hash if member else None
        ok = passwords.verify_pin(stored, secret, pepper=pepper)
    else:
        stored = member.password_hash if member else None
        ok = passwords.verify_password(stored, secret, pepper=pepper)

    if member is None or not ok:
        failures.consecutive += 1
        failures.updated_at = now
        if failures.consecutive >= MAX_CONSECUTIVE_FAILURES:
            failures.locked = True
            # The same statements run for an unknown identifier (matching no row), so
            # the locking answer costs the same either way.
            member_id = member.id if member is not None else -1
            session.execute(
                update(Member)
                .where(Member.id == member_id, Member.status == "active")
                .values(status="locked", updated_at=now)
            )
            tokens.revoke_all(session, member_id=member_id, now=now)
        raise ShunfuriError("invalid_credentials")

    failures.consecutive = 0
    failures.updated_at = now
    if member.status == "suspended":
        raise ShunfuriError("account_suspended")
    if member.status == "locked":
        raise ShunfuriError("account_locked")
    if kind == "card" and member.card_lost:
        raise ShunfuriError("card_reported_lost")
    if passwords.needs_rehash(stored or ""):
        if kind == "card":
            member.pin_hash = passwords.hash_pin(secret, pepper=pepper)
        else:
            member.password_hash = passwords.hash_password(secret, pepper=pepper)
    token = tokens.issue(
        session, member_id=member.id, now=now, ttl_seconds=ttl_seconds, kind=session_kind
    )
    return LoginResult(access_token=token, expires_in=ttl_seconds, member_id=member.id)


def confirm_pin(
    session: Session, *, member_id: int, pin: str, now: datetime, pepper: str
) -> Member:
    """A logged-in member types their PIN again before a security change (Web-ID,
    password). Counted exactly like a login with the card: a wrong PIN is +1 on the card
    number's counter and the 3rd in a row locks, so a borrowed or stolen session cannot
    be used to try PINs. Returns the member row, locked FOR UPDATE, with the counter reset
    (uncommitted: the caller commits it with its change). On a refusal the count is
    committed before raising `invalid_credentials` / `account_locked`; a malformed PIN is
    a `validation_error` on `current_pin` and is not counted."""
    clean = normalise.normalise_pin(pin, field="current_pin")
    member = session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise ShunfuriError("not_authenticated")
    key = passwords.identifier_key("card", member.card_number, pepper=pepper)
    failures = _failure_row(session, key, now)
    refusal = None
    if failures.locked:
        refusal = ShunfuriError("account_locked")
    elif not passwords.verify_pin(member.pin_hash, clean, pepper=pepper):
        failures.consecutive += 1
        failures.updated_at = now
        if failures.consecutive >= MAX_CONSECUTIVE_FAILURES:
            failures.locked = True
            if member.status == "active":
                member.status = "locked"
                member.updated_at = now
            tokens.revoke_all(session, member_id=member.id, now=now)
        refusal = ShunfuriError(
            "invalid_credentials",
            "The current PIN is wrong. After 3 wrong PINs in a row the account is locked.",
            errors=[{"field": "current_pin", "message": "wrong PIN"}],
        )
    if refusal is not None:
        session.commit()
        _outcome(f"reauth_{refusal.code}")
        raise refusal
    failures.consecutive = 0
    failures.updated_at = now
    return member


def logout(session: Session, *, token: str, now: datetime) -> None:
    tokens.revoke(session, token=token, now=now)
    session.commit()
