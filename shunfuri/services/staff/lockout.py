"""Who may be locked out of the staff login, and by whom: OWASP's device cookies.

A browser that has completed a full login as a staff member gets a device cookie of
the console's own (`StaffDevice`, stored as SHA-256). Wrong attempts from such a
browser are the account holder's own: they count toward the account lock (5 in a row,
15 minutes, for every browser). Wrong attempts from any other browser count only
against *unknown browsers for that login ID* (`StaffLoginThrottle`): 5 within 15
minutes pause the login from browsers not known for it for 15 minutes, even with the
right password, while the desk's own browsers go on logging in. So a stranger who
knows (or guesses) a login ID cannot keep the desk out, however long they loop.

The throttle is keyed on a keyed hash of the ID as typed, created on first use, so an
ID nobody has is throttled exactly as a real one is: the answers tell a stranger
nothing. Each lockout is an audit alert (`staff_login_lockout`; for an ID nobody has,
a counted refusal) and `shunfuri_staff_login_lockouts_total`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import StaffAccount, StaffDevice, StaffLoginThrottle
from shunfuri.domain.instants import aware
from shunfuri.services.members import passwords, tokens
from shunfuri.services.staff import refusals
from shunfuri.services.staff.audit import Actor, audit

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
WINDOW = timedelta(minutes=15)
DEVICE_KNOWN_FOR = timedelta(days=180)
# A throttle row untouched this long says nothing any more (its window and lock are
# long over); rows are pruned so IDs tried once do not pile up.
PRUNE_AFTER = timedelta(days=1)


def id_key(login_id: str, *, pepper: str) -> str:
    return passwords.identifier_key("staff", login_id, pepper=pepper)


def throttle(session: Session, key: str, now: datetime) -> StaffLoginThrottle:
    """The ID's throttle row, created if absent, locked FOR UPDATE (concurrent guesses at
    one ID are serialised and all counted)."""
    for _ in range(3):  # a row pruned by another login between our insert and select
        inserted = cast("CursorResult[Any]", session.execute(
            insert(StaffLoginThrottle)
            .values(id_key=key, failures=0, window_started_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["id_key"])
        )).rowcount
        if inserted:
            session.execute(delete(StaffLoginThrottle).where(
                StaffLoginThrottle.updated_at < now - PRUNE_AFTER))
        row = session.scalar(
            select(StaffLoginThrottle).where(StaffLoginThrottle.id_key == key)
            .with_for_update().execution_options(populate_existing=True))
        if row is not None:
            return row
    raise RuntimeError("the staff login throttle row vanished three times")


def paused(row: StaffLoginThrottle, now: datetime) -> int:
    """Whole seconds left of the pause for unknown browsers (0: not paused)."""
    if row.locked_until is None or aware(row.locked_until) <= now:
        return 0
    return max(1, int((aware(row.locked_until) - now).total_seconds() + 0.999))


def known(session: Session, account: StaffAccount | None, device: str | None,
          now: datetime) -> bool:
    """Whether this browser's device cookie is one of this account's (and recent)."""
    if account is None or not device or len(device) > 128:
        return False
    seen = session.scalar(select(StaffDevice.last_seen_at).where(
        StaffDevice.token_hash == tokens.digest(device), StaffDevice.staff_id == account.id))
    return seen is not None and aware(seen) > now - DEVICE_KNOWN_FOR


def remember(session: Session, account: StaffAccount, device: str | None,
             now: datetime) -> str:
    """After a full login: this browser is known for the account from now on. Returns
    the device token the cookie holds (the browser's own, or a new one)."""
    token = device if device and len(device) <= 128 else tokens.new_token()
    session.execute(
        insert(StaffDevice)
        .values(token_hash=tokens.digest(token), staff_id=account.id, created_at=now,
                last_seen_at=now)
        .on_conflict_do_update(index_elements=["token_hash", "staff_id"],
                               set_={"last_seen_at": now}))
    return token


def fail_known(session: Session, account: StaffAccount, *, now: datetime,
               source: str | None) -> None:
    """A wrong attempt from a browser known for the account: toward the account lock."""
    account.failures += 1
    if account.failures < MAX_FAILURES:
        return
    account.failures = 0
    account.locked_until = now + LOCK_FOR
    _alert(session, "account", account, now=now, source=source)


def fail_unknown(session: Session, row: StaffLoginThrottle, account: StaffAccount | None,
                 *, now: datetime, source: str | None) -> None:
    """A wrong attempt from a browser not known for the ID (or at an ID nobody has)."""
    if now - aware(row.window_started_at) > WINDOW:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.updated_at = now
    if row.failures < MAX_FAILURES:
        return
    row.failures, row.window_started_at = 0, now
    row.locked_until = now + LOCK_FOR
    _alert(session, "unknown_browsers", account, now=now, source=source)


def _alert(session: Session, scope: str, account: StaffAccount | None, *, now: datetime,
           source: str | None) -> None:
    metrics.STAFF_LOCKOUTS.labels(scope=scope).inc()
    detail = {"scope": scope, "until": (now + LOCK_FOR).isoformat(), "after": MAX_FAILURES}
    if account is None:  # an ID nobody has: counted, so a spray of IDs stays bounded
        refusals.record(session, action="staff_login_lockout", reason="unknown_id",
                        now=now, source=source, detail=detail)
        return
    audit(session, actor=Actor(f"staff:{account.login_id}", source=source),
          action="staff_login_lockout", now=now, ok=False, detail=detail)
