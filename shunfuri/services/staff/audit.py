"""The audit log: who did what to whom, when, why and from where. Rows are only ever
added (the database refuses UPDATE and DELETE of them), and never carry a secret: no
PIN, password, one-time code or full card number (the last 4 digits at most)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, func, or_, select
from sqlalchemy.orm import Session

from shunfuri.db.models import AuditEntry

MAX_REASON = 500


@dataclass(frozen=True)
class Actor:
    """Who acts, with what the audit row should say beyond the action itself.

    `name` is `staff:<login id>` (a person), `staff:cli`, `staff` (the automation key)
    or `member:<id>`; `source` the client address (or `cli`); `reason` what the person
    typed; `detail` facts to add to the row (e.g. which identity document was checked).
    """

    name: str
    source: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def audit(
    session: Session,
    *,
    actor: str | Actor,
    action: str,
    now: datetime,
    member_id: int | None = None,
    ok: bool = True,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one row (the caller commits it with the change it records)."""
    who = actor if isinstance(actor, Actor) else Actor(actor)
    merged = {**who.detail, **(detail or {})} or None
    session.add(
        AuditEntry(
            at=now, actor=who.name[:64], action=action, member_id=member_id, ok=ok,
            detail=merged, reason=(who.reason or None) and who.reason[:MAX_REASON],
            source=who.source and who.source[:64],
        )
    )


def for_member(session: Session, member_id: int, *, limit: int = 50) -> list[AuditEntry]:
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.member_id == member_id)
        .order_by(AuditEntry.id.desc()).limit(limit)
    ))


def search(
    session: Session,
    *,
    actor: str = "",
    action: str = "",
    member_id: int | None = None,
    text: str = "",
    refused_only: bool = False,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first. `actor` matches a prefix (`staff:` finds every person), `text` the
    reason or the detail; `before_id` pages back."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor.startswith(actor, autoescape=True))
    if action:
        query = query.where(AuditEntry.action == action)
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    if text:
        pattern = f"%{_escape(text)}%"
        query = query.where(or_(
            AuditEntry.reason.ilike(pattern, escape="\\"),
            AuditEntry.detail.cast(Text).ilike(pattern, escape="\\"),
        ))
    if refused_only:
        query = query.where(AuditEntry.ok.is_(False))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def actions(session: Session) -> list[str]:
    """Every action name recorded so far (for the search form's choices)."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")



def count_since(session: Session, *, action: str, since: datetime) -> int:
    """How many rows of `action` from `since` on (e.g. lockout alerts of the last day)."""
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.at >= since)) or 0


def actor_name(actor: str | Actor) -> str:
    return actor.name if isinstance(actor, Actor) else actor
