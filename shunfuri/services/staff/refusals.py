"""Refusals of requests that carry no valid credential (a missing or wrong staff key, a
staff login with an unknown ID, a malformed one, one refused by a lockout), counted
instead of written one row each.

Anyone can send such requests, as fast as they like and from many addresses, and the
audit log is append-only: a row per refusal would let a stranger grow it without bound.
So each (action, reason, hour) is one row of `refusal_counts`, whose `count` goes up;
the first refusal of each hour is also an audit row (what, from where, which path), so
the audit log shows that it began and the supervisor's page shows how many. The
Prometheus counter `shunfuri_unauthenticated_refusals_total` counts every one.

Refusals tied to a real account (a wrong password at a known login ID) stay one audit
row each: the lockouts bound them (a few per account per quarter hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri import metrics
from shunfuri.db.models import RefusalCount
from shunfuri.services.staff.audit import Actor, audit

WINDOW = timedelta(hours=1)
UNAUTHENTICATED = "unauthenticated"


def window_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def record(session: Session, *, action: str, reason: str, now: datetime,
           source: str | None, member_id: int | None = None,
           detail: dict[str, Any] | None = None) -> bool:
    """Count one refusal (the caller commits); True when it was the hour's first, which
    is then also written to the audit log."""
    metrics.UNAUTHENTICATED_REFUSALS.labels(action=action, reason=reason).inc()
    window = window_of(now)
    statement = insert(RefusalCount).values(
        action=action, reason=reason, window_start=window, count=1, last_at=now)
    count = session.scalar(statement.on_conflict_do_update(
        index_elements=["action", "reason", "window_start"],
        set_={"count": RefusalCount.count + 1, "last_at": now},
    ).returning(RefusalCount.count))
    if count != 1:
        return False
    audit(session, actor=Actor(UNAUTHENTICATED, source=source), action=action, now=now,
          member_id=member_id, ok=False,
          detail={"refused": reason, **(detail or {}),
                  "counted": f"the rest of this hour in refusal_counts ({window.isoformat()})"})
    return True


@dataclass(frozen=True)
class Counted:
    action: str
    reason: str
    window_start: datetime
    count: int
    last_at: datetime


def recent(session: Session, *, now: datetime, hours: int = 24) -> list[Counted]:
    """The counts of the last `hours` hours, newest hour first."""
    since = window_of(now) - timedelta(hours=hours - 1)
    rows = session.scalars(
        select(RefusalCount).where(RefusalCount.window_start >= since)
        .order_by(RefusalCount.window_start.desc(), RefusalCount.action, RefusalCount.reason))
    return [Counted(r.action, r.reason, r.window_start, r.count, r.last_at) for r in rows]
