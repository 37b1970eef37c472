"""One staff login: login ID + password + one-time code, from a browser that may or may
not be known for the account (`staff_lockout`).

Order of checks (each step reveals nothing the previous ones did not):

1. (edge) rate limit per client address;
2. the login ID's form; malformed -> `validation_error` (counted, not an audit row each);
3. the ID's throttle row FOR UPDATE (created if absent, for IDs nobody has too), then
   the account FOR UPDATE; a disabled account is treated as no account at all;
4. a browser known for the account while the account is locked -> `account_locked`;
   a browser not known for it while the ID is paused for such browsers ->
   `staff_login_paused` (429, `retry_after`), even for the right password: an unknown
   ID answers exactly as a real one does;
5. the password (argon2 against a dummy hash when there is no account: the same cost),
   then the code (once per 30-second step: never replayed);
6. wrong -> counted toward the account lock (known browser) or the ID's pause for
   unknown browsers; `invalid_credentials`, never saying which part was wrong;
7. right, but the account is locked -> `account_locked` (only the password's owner
   learns it); else a session of the kind `staff.first_kind` says.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import StaffAccount, StaffLoginThrottle
from shunfuri.domain import normalise
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import passwords
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import lockout as staff_lockout
from shunfuri.services.staff import refusals
from shunfuri.services.staff.audit import Actor, audit

_CODE = re.compile(r"[0-9]{6}", re.ASCII)


@dataclass(frozen=True)
class StaffLogin:
    token: str
    kind: str  # "password", "enrol" or "full"
    staff_id: int
    device: str | None = None  # the device cookie to set (after a full login)


def take_code(account: StaffAccount, code: str, unix: float,
              secret: str | None = None) -> bool:
    """The code of this 30-second step or the one either side (clock drift), once.
    `secret` is the enrolment's pending one; otherwise the account's."""
    secret = secret or account.totp_secret
    clean = normalise.normalise_identifier(code or "")
    if not secret or not _CODE.fullmatch(clean):
        return False
    totp = pyotp.TOTP(secret)
    step = int(unix // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if candidate > account.totp_last_step and pyotp.utils.strings_equal(
            totp.at(candidate * totp.interval), clean
        ):
            account.totp_last_step = candidate
            return True
    return False


def attempt(session: Session, *, login_id: str, password: str, code: str, device: str | None,
            now: datetime, pepper: str, ttl_seconds: int, source: str | None,
            unix: float | None = None) -> StaffLogin:
    """One login; commits its bookkeeping and audit whatever the answer."""
    try:
        clean_id = staff.normalise_login_id(login_id)
    except ShunfuriError:
        refusals.record(session, action="staff_login", reason="validation_error", now=now,
                        source=source)
        session.commit()
        raise
    gate = staff_lockout.throttle(session, staff_lockout.id_key(clean_id, pepper=pepper), now)
    found = session.scalar(
        select(StaffAccount).where(StaffAccount.login_id == clean_id).with_for_update())
    account = found if found is not None and not found.disabled else None
    trusted = staff_lockout.known(session, account, device, now)
    try:
        result = _decide(session, account, gate, trusted=trusted, password=password, code=code,
                         device=device, now=now, pepper=pepper, ttl_seconds=ttl_seconds,
                         source=source, unix=time.time() if unix is None else unix)
    except ShunfuriError as exc:
        _refused(session, exc, found, account, trusted=trusted, now=now, source=source)
        session.commit()
        raise
    assert account is not None
    audit(session, actor=Actor(f"staff:{clean_id}", source=source), action="staff_login",
          now=now, detail={"role": account.role, "session": result.kind,
                           "browser": "known" if trusted else "new"})
    session.commit()
    return result


def _decide(session: Session, account: StaffAccount | None, gate: StaffLoginThrottle, *,
            trusted: bool, password: str, code: str, device: str | None, now: datetime,
            pepper: str, ttl_seconds: int, source: str | None, unix: float) -> StaffLogin:
    if trusted and (until := _locked(account, now)):
        raise ShunfuriError("account_locked", retry_at=until.isoformat())
    if not trusted and (wait := staff_lockout.paused(gate, now)):
        raise ShunfuriError("staff_login_paused", retry_after=wait)
    stored = account.password_hash if account is not None else None
    right = passwords.verify_password(stored, password or "", pepper=pepper)
    if right and account is not None and account.totp_enrolled_at is not None:
        right = take_code(account, code, unix)
    if not right or account is None:
        if trusted and account is not None:  # trusted: a browser known for the account
            staff_lockout.fail_known(session, account, now=now, source=source)
        else:
            staff_lockout.fail_unknown(session, gate, account, now=now, source=source)
        raise ShunfuriError("invalid_credentials")
    if until := _locked(account, now):
        raise ShunfuriError("account_locked", retry_at=until.isoformat())
    account.failures = 0
    account.locked_until = None
    kind = staff.first_kind(account)
    token = staff.issue(session, account, kind, now, ttl_seconds)
    known = staff_lockout.remember(session, account, device, now) if kind == "full" else None
    return StaffLogin(token, kind, account.id, known)


def _locked(account: StaffAccount | None, now: datetime) -> datetime | None:
    """When the account's lock ends, if it is locked at `now`."""
    if account is None or account.locked_until is None or aware(account.locked_until) <= now:
        return None
    return account.locked_until


def _refused(session: Session, exc: ShunfuriError, found: StaffAccount | None,
             account: StaffAccount | None, *, trusted: bool, now: datetime,
             source: str | None) -> None:
    """A wrong attempt at a real account is an audit row of its own (the lockouts bound
    how many); anything else anyone can send is counted (`refusals`)."""
    counted_failure = exc.code == "invalid_credentials" and account is not None
    owner_told = exc.code == "account_locked" and account is not None and not trusted
    if account is not None and (counted_failure or owner_told):
        audit(session, actor=Actor(f"staff:{account.login_id}", source=source),
              action="staff_login", now=now, ok=False,
              detail={"refused": exc.code, "browser": "known" if trusted else "new"})
        return
    reason = exc.code if account is not None else (
        "disabled_account" if found is not None else f"unknown_id:{exc.code}")
    refusals.record(session, action="staff_login", reason=reason, now=now, source=source)
