"""`batch`: N transfers scheduled for 09:30, then their settle time measured beside instant load.

At simulated 08:45 JST the transfers to a standard bank are accepted in bulk through the
product's own acceptance; the workers hold their credit (`scheduled`); then instant load
runs while the batch is watched in the database (read-only SQL) from 09:30 until every
row is `settled`.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from loadtests.context import Run, Target
from loadtests.figures import collect, cpu_figures, finish
from loadtests.locust_run import console, run_locust
from loadtests.scenarios import BATCH_DUE, BATCH_INSTANT_WINDOW_OPENS, STANDARD_PAYEES
from loadtests.seeding import (
    create_members,
    members_file,
    members_needed,
    register_payees,
    seed_batch,
)

PER_MEMBER = 2_000  # scheduled transfers per batch member
HOLD_WAIT_S = 120  # at most this long for the workers to hold the seeded rows' credit
AFTER_DONE_S = 5  # instant load kept running this long after the batch settled
GIVE_UP_AFTER_DUE_S = 240
# The watch's status count reads every batch row (~40 ms of PostgreSQL's CPU at 100,000):
# at a fixed 0.5 s it took 7-9 % of a core from the system it measures. Before 09:30
# there is nothing to see; after, it reads often only when the end is near.
POLL_BEFORE_DUE_S = 5.0
POLL_MIN_S, POLL_MAX_S = 0.25, 2.0


def read_interval(now: float, due_wall: float | None, settled: int, seeded: int) -> float:
    """Seconds to the batch watch's next read: half the time the batch still needs at its
    pace so far, within [POLL_MIN_S, POLL_MAX_S], so the end is seen within POLL_MIN_S."""
    if due_wall is None:
        return POLL_BEFORE_DUE_S
    pace = settled / max(now - due_wall, 1e-3)
    if pace <= 0:
        return POLL_MIN_S
    return min(POLL_MAX_S, max(POLL_MIN_S, (seeded - settled) / pace / 2))


class BatchWatch:
    """The batch rows' statuses, read at most every `POLL_EVERY_S`; the wall times at which
    09:30 (simulated) came and the last row settled. Tells Locust when to stop."""

    def __init__(self, target: Target, member_ids: list[int], seeded: int, due: datetime):
        from sqlalchemy import text

        from shunfuri.db.session import make_engine

        if not target.database_url:
            raise RuntimeError("the batch scenario reads the database: set LOADTEST_DATABASE_URL")
        self.target = target
        self.member_ids = member_ids
        self.seeded = seeded
        self.due = due
        self.engine = make_engine(target.database_url, pool_size=1)
        self.sql = text(
            "SELECT status, count(*) FROM transfers WHERE member_id = ANY(:ids) GROUP BY status"
        )
        self.counts: dict[str, int] = {}
        self.due_wall: float | None = None
        self.done_wall: float | None = None
        self._read_at = 0.0
        self._next_read_in = 0.0

    def read(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(self.sql, {"ids": self.member_ids}).all())

    def poll(self) -> None:
        now = time.time()
        sim = self.target.simulated_now()
        if self.due_wall is None and sim is not None and sim >= self.due:
            self.due_wall = now - (sim - self.due).total_seconds() / self.target.speed
            self._next_read_in = 0.0
        if now - self._read_at < self._next_read_in:
            return
        self.counts = self.read()
        self._read_at = now
        settled = self.counts.get("settled", 0)
        if self.due_wall is not None and self.done_wall is None and settled >= self.seeded:
            self.done_wall = now
        self._next_read_in = read_interval(now, self.due_wall, settled, self.seeded)

    def should_stop(self) -> bool:
        self.poll()
        if self.done_wall is not None:
            return time.time() - self.done_wall > AFTER_DONE_S
        return self.due_wall is not None and time.time() - self.due_wall > GIVE_UP_AFTER_DUE_S

    def status(self) -> str:
        sim = self.target.simulated_now()
        shown = sim.astimezone(self.due.tzinfo).strftime("%H:%M:%S") if sim else "?"
        return (f"simulated {shown} UTC (09:30 JST = 00:30 UTC); batch: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())))

    def wait_for_holds(self) -> float | None:
        """Seconds until every seeded row is `scheduled` (credit held), or None."""
        started = time.time()
        while time.time() - started < HOLD_WAIT_S:
            sim = self.target.simulated_now()
            if sim is not None and sim >= self.due:
                return None
            counts = self.read()
            if counts.get("scheduled", 0) + counts.get("settled", 0) >= self.seeded:
                return time.time() - started
            time.sleep(0.25)
        return None

    @property
    def settle_seconds(self) -> float | None:
        if self.done_wall is None or self.due_wall is None:
            return None
        return self.done_wall - self.due_wall


def drive(run: Run) -> dict:
    from shunfuri.domain.instants import parse_instant

    opts, target = run.opts, run.target
    if not target.database_url:
        raise RuntimeError("the batch scenario reads the database: set LOADTEST_DATABASE_URL")
    if target.simulated_now() is None:
        raise RuntimeError("the batch scenario needs the simulated clock (SHUNFURI_CLOCK[_ANCHOR])")
    count = opts.count or opts.scenario.count
    due = parse_instant(BATCH_DUE)
    batch_members = create_members(target, max(1, math.ceil(count / PER_MEMBER)), STANDARD_PAYEES)
    users = opts.users or max(1, math.ceil(opts.rate))
    horizon = (due - target.simulated_now()).total_seconds() / target.speed + 150
    instant_members = create_members(
        target, members_needed(users, opts.rate, horizon), opts.scenario.payees
    )
    mfile = members_file(run.out / "members.json", instant_members)

    console.print(f"seeding {count:,} scheduled transfers through accept_many ...")
    seed_started = time.time()
    seeded = seed_batch(target, batch_members, register_payees(target, batch_members), count)
    seed_seconds = time.time() - seed_started
    now_sim = target.simulated_now()
    if now_sim is not None and now_sim >= parse_instant(BATCH_INSTANT_WINDOW_OPENS):
        raise RuntimeError(
            f"seeding ended at simulated {now_sim.isoformat()}, after 09:00: the transfers were "
            "not all scheduled; lower --speed or --count"
        )
    watch = BatchWatch(target, [m["member_id"] for m in batch_members], seeded, due)
    try:
        # The workers first take the seeded rows up (credit hold -> `scheduled`). That burst
        # is timed on its own; the instant load starts once it is over, so what the instant
        # rows measure is the 09:30 batch beside them (see docs/performance.md).
        hold_seconds = watch.wait_for_holds()
        console.print(f"seeded rows scheduled (credit held) after {hold_seconds} s")
        lr = run_locust(run, folder=run.out, members_file=mfile, users=users, rate=opts.rate,
                        seconds=horizon + 120, watch=watch,
                        label=f"batch {count:,} + instant {opts.rate:g}/s")
        watch.poll()
    finally:
        watch.engine.dispose()
    summary, samples = collect(run.out, "batch", speed=target.speed)
    settle = watch.settle_seconds
    # The whole batch settled inside the CPU window (it closes when Locust is stopped).
    in_window = seeded if (lr.cpu and watch.done_wall and watch.due_wall
                           and lr.cpu.start <= watch.due_wall) else 0
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": users,
            "locust_exit_code": lr.returncode,
            **cpu_figures(lr, samples, extra_settled=in_window),
            "batch": {
                "count": count,
                "seeded": seeded,
                "seed_seconds": round(seed_seconds, 2),
                "hold_seconds": None if hold_seconds is None else round(hold_seconds, 2),
                "members": len(batch_members),
                "final_counts": watch.counts,
                "settle_seconds": round(settle, 3) if settle is not None else None,
                "settled_per_s": round(seeded / settle, 1) if settle else None,
            },
        }
    )
    return finish(target, summary, samples, run.out)
