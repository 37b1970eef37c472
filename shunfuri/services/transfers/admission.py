"""Admission control's reading of the instant queue (the decision is
`shunfuri.domain.admission`'s).

The backlog is read from the database, the queue of record, so every API process and
host sees the same queue: how many instant transfers are `accepted` and not yet claimed,
and when (real time, `updated_at`) the oldest of them was accepted. Both come from the
partial index the drain's claim uses (`ix_transfers_accepted`), plus one heap row. Each
process reads it at most once per `SHUNFURI_ADMISSION_SAMPLE` (100 ms): at the knee
that is one small query per hundreds of acceptances, and a decision at most 100 ms
stale.

A refusal is decided *before* the insert, so a refused request leaves no row and no
hold; the fast path hands a would-be refusal to the full path, which first answers an
idempotent replay with the transfer already accepted (a retry must never be told
"nothing was changed" about a transfer that exists).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from shunfuri.domain import admission
from shunfuri.errors import ShunfuriError
from shunfuri.settings import get_settings

_BACKLOG = text(
    "SELECT (SELECT count(*) FROM transfers"
    "        WHERE status = 'accepted' AND decision = 'instant') AS depth,"
    "       (SELECT updated_at FROM transfers"
    "        WHERE status = 'accepted' AND decision = 'instant'"
    "        ORDER BY accepted_at LIMIT 1) AS oldest_at"
)


def read_backlog(session: Session) -> admission.Backlog:
    row = session.execute(_BACKLOG).one()
    return admission.Backlog(depth=int(row.depth), oldest_at=row.oldest_at)


class Gate:
    """The process's cached backlog and the refusal it implies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backlog: admission.Backlog | None = None
        self._read_at = 0.0  # time.monotonic() of the last read
        self._reading = False  # a thread is reading it now

    def forget(self) -> None:
        """Drop the cached reading (tests; a new process starts without one)."""
        with self._lock:
            self._backlog, self._read_at = None, 0.0

    def backlog(self, session: Session) -> admission.Backlog:
        """The cached reading, or a fresh one. The query never runs under the lock: a
        thread may need a pooled connection for it, and threads holding connections
        must never wait for one that waits for theirs (found at 20 requests a second)."""
        every = get_settings().admission_sample_seconds
        with self._lock:
            cached = self._backlog
            if cached is not None and (self._reading
                                       or time.monotonic() - self._read_at < every):
                return cached  # fresh, or being read by another thread: a little stale
            self._reading = True
        try:
            fresh = read_backlog(session)
        finally:
            with self._lock:
                self._reading = False
        with self._lock:
            self._backlog, self._read_at = fresh, time.monotonic()
        return fresh

    def refusal(self, session: Session, decision: str, wall: datetime) -> ShunfuriError | None:
        """`overloaded` (with its Retry-After) if a new transfer of this decision must be
        refused now, else None. Scheduled transfers never read the backlog."""
        max_wait = get_settings().admission_max_wait_seconds
        if decision != "instant" or max_wait <= 0:
            return None
        refused = admission.decide(self.backlog(session), wall, max_wait=max_wait,
                                   decision=decision)
        if refused is None:
            return None
        return ShunfuriError("overloaded", retry_after=refused.retry_after)


GATE = Gate()

