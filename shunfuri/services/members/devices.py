"""The member's devices: OWASP's device cookie, as a random token bound to one member.

A successful login gives the client a device token (the member site keeps it in a cookie
of its own, an app gets it as `device_token` and sends it back in `Device-Token`). Only
its SHA-256 is stored, like a session token's (`tokens.digest`: 256 random bits need no
salt or stretching). A device token is *known* for the member it was given to, and only
for that member: the same token presented while logging in as someone else is an
unknown client. The token stays the same while it is used; a device unused for
`IDLE_LIMIT` is forgotten, and a member keeps at most `PER_MEMBER` of them (the least
recently used go first), so a client that never sends its token back cannot grow the
table without bound.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shunfuri.db.models import MemberDevice
from shunfuri.services.members import tokens

IDLE_LIMIT = timedelta(days=180)
PER_MEMBER = 20
# Longer than any token we issue (43 characters); a longer value is no device of ours.
MAX_TOKEN_LENGTH = 128


def _usable(token: str | None) -> bool:
    return bool(token) and len(token or "") <= MAX_TOKEN_LENGTH


def is_known(session: Session, *, token: str | None, member_id: int, now: datetime) -> bool:
    """True when `token` was given to `member_id` and used within `IDLE_LIMIT`. Runs the
    same query for a member id that matches no one (-1), so an unknown identifier costs
    what a real one does."""
    if not _usable(token):
        return False
    assert token is not None
    found = session.scalar(
        select(MemberDevice.token_hash).where(
            MemberDevice.token_hash == tokens.digest(token),
            MemberDevice.member_id == member_id,
            MemberDevice.last_used_at > now - IDLE_LIMIT,
        )
    )
    return found is not None


def remember(session: Session, *, member_id: int, token: str | None, client: str,
             now: datetime, known: bool) -> str:
    """After a successful login: the client's device token, kept (`known`) or new."""
    if known and token is not None:
        session.execute(
            update(MemberDevice).where(MemberDevice.token_hash == tokens.digest(token))
            .values(last_used_at=now)
        )
        return token
    fresh = tokens.new_token()
    session.add(MemberDevice(token_hash=tokens.digest(fresh), member_id=member_id,
                             client=client, created_at=now, last_used_at=now))
    session.flush()
    _prune(session, member_id=member_id, now=now)
    return fresh


def _prune(session: Session, *, member_id: int, now: datetime) -> None:
    keep = (
        select(MemberDevice.token_hash)
        .where(MemberDevice.member_id == member_id, MemberDevice.last_used_at > now - IDLE_LIMIT)
        .order_by(MemberDevice.last_used_at.desc(), MemberDevice.created_at.desc())
        .limit(PER_MEMBER)
    )
    session.execute(
        delete(MemberDevice).where(
            MemberDevice.member_id == member_id, MemberDevice.token_hash.not_in(keep)
        )
    )
