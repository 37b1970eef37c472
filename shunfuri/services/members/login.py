"""Login: the article's catalogue of reasons a member cannot log in, answered safely, and
OWASP's device cookie so that a stranger's guesses cannot lock the member out.

Order of checks (each step reveals nothing the previous ones did not):

1. (edge) rate limit per client address, before any parsing or hashing;
2. normalise the identifier and secret; malformed -> `validation_error`, not counted;
3. lock the LoginFailure row of HMAC(identifier) (created if absent) so that
   concurrent guesses at one identifier are serialised and all counted;
4. look the member up, and whether the client's device token is one of that member's
   (`devices`; an unknown identifier has none). Then the gate: a *known* device of a
   locked identifier -> `account_locked`; an *unknown* client while the identifier is
   closed to unknown clients -> `too_many_attempts` (the same for unknown and real
   identifiers, since both are keyed on what was typed);
5. verify the secret with argon2 - against a dummy hash when nobody has this
   identifier, so both cost the same;
6. wrong secret (or unknown identifier): from a known device, +1 toward the in-person
   lock (`invalid_credentials`; the 3rd in a row locks the identifier and the member);
   from an unknown client, +1 toward a lockout of unknown clients only
   (`invalid_credentials`, and `too_many_attempts` from the failure that closes it);
7. right secret -> count reset; only now, since only the secret's owner may learn
   it: `account_locked` (this identifier locked, or the member through the other one),
   `account_suspended`, `card_reported_lost` (card login only); else a bearer token and
   the client's device token (kept if it was known, else a new one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import Member
from shunfuri.domain import lockout, normalise
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import devices, login_failures, passwords, tokens

log = logging.getLogger("shunfuri.login")

Kind = Literal["card", "web"]


@dataclass(frozen=True)
class LoginResult:
    access_token: str
    expires_in: int
    member_id: int
    device_token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme name)


def _outcome(outcome: str) -> None:
    metrics.LOGINS.labels(outcome=outcome).inc()


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
    device_token: str | None = None,
    policy: lockout.UntrustedPolicy | None = None,
) -> LoginResult:
    """One login attempt. Commits its bookkeeping whatever the answer, then answers.

    `identifier` and `secret` are raw as typed: card number / Web-ID, PIN / password.
    `device_token` is what the client sent back from an earlier login (cookie or
    `Device-Token`), if anything; `policy` the lockout of unknown clients (the settings'
    by default). `now` is real time. Raises ShunfuriError: validation_error (422, not
    counted), invalid_credentials (401), too_many_attempts (429, `retry_after`),
    account_locked (423), account_suspended (403), card_reported_lost (403).
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
    if policy is None:
        from shunfuri.settings import get_settings

        policy = get_settings().untrusted_policy
    key = passwords.identifier_key(kind, ident, pepper=pepper)
    try:
        result = _attempt(session, kind=kind, ident=ident, key=key, secret=clean_secret,
                          now=now, pepper=pepper, ttl_seconds=ttl_seconds,
                          session_kind=session_kind, device_token=device_token, policy=policy)
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


def _verify(kind: Kind, member: Member | None, secret: str, pepper: str) -> tuple[bool, str]:
    if kind == "card":
        stored = member.pin_hash if member else None
        return passwords.verify_pin(stored, secret, pepper=pepper), stored or ""
    stored = member.password_hash if member else None
    return passwords.verify_password(stored, secret, pepper=pepper), stored or ""


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
    device_token: str | None,
    policy: lockout.UntrustedPolicy,
) -> LoginResult:
    failures = login_failures.row(session, key, now)
    column = Member.card_number if kind == "card" else Member.web_id
    member = session.scalar(select(Member).where(column == ident))
    member_id = member.id if member is not None else login_failures.NO_MEMBER
    known = devices.is_known(session, token=device_token, member_id=member_id, now=now)
    if known and failures.locked:
        raise ShunfuriError("account_locked")
    if not known:
        login_failures.refuse_unknown_client(failures, now)

    ok, stored = _verify(kind, member, secret, pepper)
    if member is None or not ok:
        if known:
            login_failures.known_failure(session, failures, member_id=member_id,
                                         id_kind=kind, now=now)
            raise ShunfuriError("invalid_credentials")
        raise login_failures.unknown_client_failure(
            session, failures, member_id=member_id, id_kind=kind, now=now, policy=policy)

    if failures.locked:  # an unknown client with the right secret: its owner may know
        raise ShunfuriError("account_locked")
    login_failures.succeeded(failures, known=known, now=now)
    if member.status == "suspended":
        raise ShunfuriError("account_suspended")
    if member.status == "locked":
        raise ShunfuriError("account_locked")
    if kind == "card" and member.card_lost:
        raise ShunfuriError("card_reported_lost")
    if passwords.needs_rehash(stored):
        if kind == "card":
            member.pin_hash = passwords.hash_pin(secret, pepper=pepper)
        else:
            member.password_hash = passwords.hash_password(secret, pepper=pepper)
    token = tokens.issue(
        session, member_id=member.id, now=now, ttl_seconds=ttl_seconds, kind=session_kind
    )
    device = devices.remember(session, member_id=member.id, token=device_token,
                              client=session_kind, now=now, known=known)
    return LoginResult(access_token=token, expires_in=ttl_seconds, member_id=member.id,
                       device_token=device)


def confirm_pin(
    session: Session, *, member_id: int, pin: str, now: datetime, pepper: str,
    field: str = "current_pin",
) -> Member:
    """A logged-in member types their PIN again before a security change (Web-ID,
    password, a new payee). A session is a client the member logged in from, so this
    counts exactly like a login from a known device: a wrong PIN is +1 on the card
    number's counter and the 3rd in a row locks (and mails), so a borrowed or stolen
    session cannot be used to try PINs. Returns the member row, locked FOR UPDATE, with
    the counter reset (uncommitted: the caller commits it with its change). On a refusal
    the count is committed before raising `invalid_credentials` / `account_locked`; a
    malformed PIN is a `validation_error` on `field` (the form's or body's name for it)
    and is not counted."""
    clean = normalise.normalise_pin(pin, field=field)
    member = session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise ShunfuriError("not_authenticated")
    key = passwords.identifier_key("card", member.card_number, pepper=pepper)
    failures = login_failures.row(session, key, now)
    refusal = None
    if failures.locked:
        refusal = ShunfuriError("account_locked")
    elif not passwords.verify_pin(member.pin_hash, clean, pepper=pepper):
        login_failures.known_failure(session, failures, member_id=member.id, id_kind="card",
                                     now=now)
        refusal = ShunfuriError(
            "invalid_credentials:current_pin", errors=[{"field": field, "message": "wrong PIN"}],
        )
    if refusal is not None:
        session.commit()
        _outcome(f"reauth_{refusal.code}")
        raise refusal
    login_failures.succeeded(failures, known=True, now=now)
    return member


def logout(session: Session, *, token: str, now: datetime, kind: str = tokens.API) -> None:
    tokens.revoke(session, token=token, now=now, kind=kind)
    session.commit()
