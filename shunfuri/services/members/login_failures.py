"""An identifier's failed logins (the `login_failures` row) and what they lead to: the
in-person lock for the member's own devices, a lockout of unknown clients for everyone
else (the rules: `shunfuri.domain.lockout`), and the member's mail about either.

Every function runs inside the login's transaction with the row locked `FOR UPDATE`, so
concurrent guesses at one identifier are serialised and all counted. An unknown
identifier runs the same statements as a real one (member id -1, matching no row), so
neither the answers nor their cost tell who exists.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import JSON, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri.db.models import LoginFailure, Member, MemberMail, OutgoingMail
from shunfuri.domain import lockout
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError
from shunfuri.mail.compose import LoginLocked, MailContent, UnknownClientFailures
from shunfuri.services.mail import outbox
from shunfuri.services.members import tokens

NO_MEMBER = -1


def row(session: Session, key: str, now: datetime) -> LoginFailure:
    """The identifier's row, created if absent, locked FOR UPDATE."""
    found = session.scalar(
        select(LoginFailure).where(LoginFailure.identifier_key == key).with_for_update()
    )
    if found is not None:
        return found
    session.execute(
        insert(LoginFailure)
        .values(identifier_key=key, consecutive=0, locked=False, updated_at=now)
        .on_conflict_do_nothing(index_elements=["identifier_key"])
    )
    found = session.scalar(
        select(LoginFailure)
        .where(LoginFailure.identifier_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


# --- the member's own devices: the article's rule ------------------------------------


def known_failure(session: Session, failures: LoginFailure, *, member_id: int, id_kind: str,
                  now: datetime) -> bool:
    """One more wrong secret from the member's own device; True when it locked the login
    (the member `locked`, their sessions ended, a mail queued)."""
    failures.consecutive += 1
    failures.updated_at = now
    if failures.consecutive < lockout.KNOWN_DEVICE_FAILURES:
        return False
    failures.locked = True
    session.execute(
        update(Member)
        .where(Member.id == member_id, Member.status == "active")
        .values(status="locked", updated_at=now)
    )
    tokens.revoke_all(session, member_id=member_id, now=now)
    notify(session, member_id=member_id, content=LoginLocked(id_kind=id_kind, at=now),
           key=_key(id_kind, now), wall=now)
    return True


def succeeded(failures: LoginFailure, *, known: bool, now: datetime) -> None:
    failures.consecutive = 0
    failures.updated_at = now
    if not known:
        _store(failures, lockout.after_success(_state(failures)))


# --- everyone else: a lockout of unknown clients, for a while ------------------------


def refuse_unknown_client(failures: LoginFailure, now: datetime) -> None:
    """`too_many_attempts` while this identifier is closed to unknown clients."""
    wait = lockout.retry_after(_state(failures), now)
    if wait is not None:
        raise too_many_attempts(wait)


def unknown_client_failure(session: Session, failures: LoginFailure, *, member_id: int,
                           id_kind: str, now: datetime,
                           policy: lockout.UntrustedPolicy) -> ShunfuriError:
    """Count one failure from an unknown client; the refusal to answer with: the failure
    that closes the identifier answers `too_many_attempts` at once. The member is mailed
    at the first failure of a series and at every lockout."""
    before = lockout.forgotten(_state(failures), now, policy)
    after = lockout.after_failure(before, now, policy)
    _store(failures, after)
    wait = lockout.retry_after(after, now)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        notify(session, member_id=member_id, key=_key(id_kind, now), wall=now,
               content=UnknownClientFailures(id_kind=id_kind, at=now, paused_minutes=minutes))
        return too_many_attempts(wait)
    if before.last_failure_at is None:
        notify(session, member_id=member_id, key=_key(id_kind, now), wall=now,
               content=UnknownClientFailures(id_kind=id_kind, at=now, paused_minutes=0))
    return unknown_client_wrong()


def too_many_attempts(wait: int) -> ShunfuriError:
    return ShunfuriError("too_many_attempts", retry_after=wait)


def unknown_client_wrong() -> ShunfuriError:
    """`invalid_credentials` as an unknown client hears it: what its failures lead to."""
    return ShunfuriError("invalid_credentials:unknown_client")


def _state(failures: LoginFailure) -> lockout.Untrusted:
    last, until = failures.untrusted_last_failure_at, failures.untrusted_locked_until
    return lockout.Untrusted(
        failures=failures.untrusted_failures or 0, lockouts=failures.untrusted_lockouts or 0,
        last_failure_at=aware(last) if last is not None else None,
        locked_until=aware(until) if until is not None else None,
    )


def _store(failures: LoginFailure, state: lockout.Untrusted) -> None:
    failures.untrusted_failures = state.failures
    failures.untrusted_lockouts = state.lockouts
    failures.untrusted_last_failure_at = state.last_failure_at
    failures.untrusted_locked_until = state.locked_until


# --- mail ----------------------------------------------------------------------------


def _key(id_kind: str, now: datetime) -> str:
    """The event's outbox key: the identifier's kind and the event's instant (µs)."""
    return f"{id_kind}:{round(now.timestamp() * 1_000_000)}"


def notify(session: Session, *, member_id: int, content: MailContent, key: str,
           wall: datetime) -> None:
    """Queue a login notice for the member's confirmed address, once per key, whatever
    the mail settings say (they are about news, this is about the account's safety). One
    INSERT ... SELECT: nothing is queued when there is no confirmed address, or no member
    (-1), and the statement costs the same either way."""
    payload = outbox.to_payload(content)
    source = select(
        MemberMail.member_id, literal(content.KIND), literal(key), MemberMail.address,
        literal(payload, type_=JSON), literal(outbox.QUEUED), literal(0),
        literal(wall, type_=OutgoingMail.next_attempt_at.type),
        literal(wall, type_=OutgoingMail.created_at.type),
    ).where(MemberMail.member_id == member_id, MemberMail.confirmed_at.is_not(None),
            MemberMail.address.is_not(None))
    columns = ["member_id", "kind", "key", "to_address", "payload", "status", "attempts",
               "next_attempt_at", "created_at"]
    session.execute(
        insert(OutgoingMail).from_select(columns, source)
        .on_conflict_do_nothing(constraint="uq_outgoing_mail_once")
    )
