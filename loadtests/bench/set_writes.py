"""What a pass's written rows cost to mark clean (`shunfuri.db.set_writes`), per row, in
CPU time of this process:

- `private_commit_all`: SQLAlchemy's private `InstanceState._commit_all` per row (what
  the code called until issue 25 item 8): the rows leave the session's modified set, the
  commit's flush has nothing to look at;
- `set_committed_value` (kept): the public `attributes.set_committed_value` per written
  column; the rows stay in the modified set, and the commit's flush walks them, finds no
  change and writes nothing;
- `set_committed_value_then_expunge`, `expunge_only`: public too, measured and not kept
  (the rows leave the session before the commit; `expunge_only` also leaves their history
  on them, to be written again by any session they are added to);
- `unit_of_work`: no set write at all, the flush writes each row itself (SQLite runs its
  UPDATEs here; on PostgreSQL each is also a round trip).

The set UPDATE the first four need is the same for all and is not counted. The rows are
real `Transfer`s, made persistent without loading them (`make_transient_to_detached`)
and changed as a pass changes them (status, next_attempt_at, attempts), in an SQLite
session.

    .venv/bin/python -m loadtests.bench.set_writes
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, attributes, make_transient_to_detached

from shunfuri.db.models import Transfer

ROWS = 500  # a 09:30 chunk
RUNS = 100
AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
CHANGED = ("status", "next_attempt_at", "attempts")


def _rows(session: Session) -> list[Transfer]:
    rows = []
    for i in range(ROWS):
        t = Transfer(id=f"{i:036d}", member_id=1, payee_id=1, amount=10_000,
                     status="accepted", decision="bulk", bank_code="0005", accepted_at=AT,
                     settle_at=AT, attempts=0, next_attempt_at=None, updated_at=AT)
        make_transient_to_detached(t)
        session.add(t)
        rows.append(t)
    for t in rows:
        t.status, t.next_attempt_at, t.attempts = "processing", AT + timedelta(seconds=30), 1
    return rows


def private_commit_all(session: Session, rows: list[Transfer]) -> None:
    for t in rows:
        state = inspect(t)
        state._commit_all(state.dict, session.identity_map)


def set_committed_value(session: Session, rows: list[Transfer]) -> None:
    for t in rows:
        for key in CHANGED:
            attributes.set_committed_value(t, key, getattr(t, key))


def set_committed_value_then_expunge(session: Session, rows: list[Transfer]) -> None:
    set_committed_value(session, rows)
    for t in rows:
        session.expunge(t)


def expunge_only(session: Session, rows: list[Transfer]) -> None:
    for t in rows:
        session.expunge(t)


def unit_of_work(session: Session, rows: list[Transfer]) -> None:
    pass  # the flush below writes every row


def _engine() -> Engine:
    engine = create_engine("sqlite://")
    Transfer.__table__.create(engine)  # for `unit_of_work`'s UPDATEs to find the rows
    with Session(engine) as session, session.begin():
        session.execute(Transfer.__table__.insert(), [
            dict(id=f"{i:036d}", member_id=1, payee_id=1, amount=10_000, status="accepted",
                 decision="bulk", bank_code="0005", accepted_at=AT, settle_at=AT,
                 attempts=0, updated_at=AT) for i in range(ROWS)])
    return engine


def _time(mark: Callable[[Session, list[Transfer]], None], engine: Engine) -> list[float]:
    runs = []
    for _ in range(RUNS):
        with Session(engine) as session:
            rows = _rows(session)
            started = time.process_time()
            mark(session, rows)
            session.flush()  # what the commit does next
            runs.append((time.process_time() - started) / ROWS * 1e6)
            session.rollback()
    return runs


def main() -> None:
    engine = _engine()
    for mark in (private_commit_all, set_committed_value, set_committed_value_then_expunge,
                 expunge_only, unit_of_work):
        runs = _time(mark, engine)
        print(f"{mark.__name__:34} median {statistics.median(runs):6.2f} µs/row  "
              f"best {min(runs):6.2f}")


if __name__ == "__main__":
    main()
