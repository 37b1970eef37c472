"""The chaos harness: a steady load of transfers through the HTTP API, a probe of the
credit invariant while it runs, and the checks after each scenario.

A scenario is: start the load, inject one fault (one or more times), clear it, stop
the load, then wait - bounded - until every transfer is final and check the money:
invariants (`shunfuri.services.operations.invariants`, queries over the ledger), `shunfuri
reconcile` (our ledger against the bank's record), and that every transfer the API
accepted (202) exists and is final.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, text

from shunfuri.services.operations import invariants
from tests.system import System

FINAL = ("settled", "rejected", "failed", "cancelled")
# The bound this suite states and asserts: every transfer reaches a final state within
# this many seconds of the fault being cleared (lease 10 s + backoff cap 30 s + sweep).
RECOVERY_BOUND_S = 90.0
BANKS = ("0009", "0033", "0005")  # two real-time banks, one standard bank


@dataclass
class Result:
    scenario: str
    transfers: int = 0
    faults: int = 0
    lost: int = 0
    doubled: int = 0
    over_limit: int = 0
    max_recovery_s: float = 0.0
    # Shown in the printed table, not in summary.json:
    refused: dict = field(default_factory=dict)
    http_5xx_unclear: int = 0
    max_latency_s: float = 0.0
    problems: list = field(default_factory=list)

    def summary(self) -> dict:
        keys = ("scenario", "transfers", "faults", "lost", "doubled", "over_limit",
                "max_recovery_s")
        return {k: asdict(self)[k] for k in keys}


class Load:
    """`threads` clients posting transfers at about `rate` per second in total.

    Like a well-behaved client, each request carries an Idempotency-Key and is retried
    with the same key on a 503 or a broken connection, for up to `retry_for` seconds.
    """

    def __init__(self, system: System, members: list[dict], *, rate: float, threads: int = 4,
                 retry_for: float = 45.0, banks: tuple[str, ...] = BANKS) -> None:
        self.system, self.members, self.banks = system, members, banks
        self.period = threads / rate
        self.threads_n = threads
        self.retry_for = retry_for
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.accepted: dict[str, float] = {}  # transfer id -> wall time of the 202
        self.owners: dict[str, dict] = {}  # transfer id -> the member who asked for it
        self.refused: Counter = Counter()
        self.unclear_5xx = 0
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.stop_event.clear()
        for i in range(self.threads_n):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=self.retry_for + 15)
        self.threads = []

    def _run(self, index: int) -> None:
        rng = random.Random(index * 7919 + int(time.time()))
        with httpx.Client(base_url=self.system.url, timeout=10) as http:
            next_at = time.monotonic() + rng.uniform(0, self.period)
            while not self.stop_event.is_set():
                delay = next_at - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    return
                next_at += self.period
                member = rng.choice(self.members)
                bank = rng.choice(self.banks)
                self._post(http, member, bank, 1000 * rng.randint(1, 5))

    def _post(self, http: httpx.Client, member: dict, bank: str, amount: int) -> None:
        headers = {**member["headers"], "Idempotency-Key": uuid.uuid4().hex}
        body = {"payee_id": member["payees"][bank], "amount": amount}
        give_up = time.monotonic() + self.retry_for
        while True:
            try:
                r = http.post("/v1/transfers", json=body, headers=headers)
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code == 202:
                with self.lock:
                    self.accepted[r.json()["id"]] = time.time()
                    self.owners[r.json()["id"]] = member
                return
            if r is not None and r.status_code < 500:
                with self.lock:
                    self.refused[r.json().get("code", str(r.status_code))] += 1
                return
            code = None
            if r is not None:
                try:
                    code = r.json().get("code")
                except ValueError:
                    code = None
                with self.lock:
                    self.refused[code or f"http_{r.status_code}"] += 1
                    if r.status_code != 503 or code not in ("database_unavailable", "not_ready",
                                                            "overloaded"):
                        self.unclear_5xx += 1
            else:
                with self.lock:
                    self.refused["connection_error"] += 1
            if time.monotonic() > give_up:
                return
            time.sleep(0.5)


class OverLimitProbe:
    """Runs the ledger over-limit query every 0.25 s; keeps the worst count seen."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.worst = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_event.wait(0.25):
            try:
                with self.engine.connect() as conn:
                    rows = list(conn.execute(invariants.OVER_LIMIT))
                self.worst = max(self.worst, len(rows))
            except Exception:  # noqa: BLE001 - the database may be the fault under test
                pass

    def __enter__(self) -> OverLimitProbe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)


class Run:
    """One scenario in progress: record faults with `fault()` / `window()`."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.windows: list[tuple[float, float]] = []  # (start, end) wall times of faults
        self.extra_recovery: list[float] = []
        self.stats: dict = {}
        # When the faults are counted after the fact (e.g. answers the bank lost, which
        # show as transfers it was asked for more than once), the stats key to use.
        self.faults_from: str | None = None

    def fault(self, count: int = 1) -> None:
        """An instantaneous fault (a kill): injected and 'cleared' at once."""
        now = time.time()
        self.result.faults += count
        self.windows.append((now, now))

    @contextmanager
    def window(self, count: int = 1) -> Iterator[None]:
        """A fault that lasts: from entering the block until it is cleared on exit."""
        start = time.time()
        self.result.faults += count
        try:
            yield
        finally:
            self.windows.append((start, time.time()))

    def recovered_in(self, seconds: float) -> None:
        """A recovery measured by the scenario itself (e.g. /readyz back to 200)."""
        self.extra_recovery.append(seconds)


class Harness:
    def __init__(self, system: System, engine: Engine, members: list[dict], *, rate: float,
                 results: list[Result]) -> None:
        self.system, self.engine, self.members = system, engine, members
        self.rate = rate
        self.results = results

    def ids_now(self) -> set[str]:
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT id FROM transfers"))}

    @contextmanager
    def scenario(self, name: str, *, load: Load | None = None) -> Iterator[tuple[Run, Load]]:
        result = Result(scenario=name)
        run = Run(result)
        before = self.ids_now()
        load = load or Load(self.system, self.members, rate=self.rate)
        with OverLimitProbe(self.engine) as probe:
            load.start()
            try:
                yield run, load
            finally:
                load.stop()
            self._settle_and_check(run, load, before)
            result.over_limit = max(result.over_limit, probe.worst)
        self.results.append(result)
        print(f"\n[chaos] {name}: {json.dumps(result.summary())} refused={dict(load.refused)}"
              f" problems={result.problems}", flush=True)

    def _settle_and_check(self, run: Run, load: Load, before: set[str]) -> None:
        result = run.result
        result.transfers = len(load.accepted)
        result.refused = dict(load.refused)
        result.http_5xx_unclear = load.unclear_5xx
        cleared = max((end for _, end in run.windows), default=time.time())
        deadline = time.monotonic() + RECOVERY_BOUND_S - max(0.0, time.time() - cleared)

        def unfinished() -> list:
            with self.engine.connect() as conn:
                return list(conn.execute(text(
                    "SELECT id, status FROM transfers WHERE status NOT IN "
                    "('settled', 'rejected', 'failed', 'cancelled')"
                )))

        pending = unfinished()
        while pending and time.monotonic() < deadline:
            time.sleep(0.25)
            pending = unfinished()
        with self.engine.connect() as conn:
            rows = {
                r.id: r for r in conn.execute(text(
                    "SELECT t.id, t.status, t.updated_at, "
                    "(SELECT COUNT(*) FROM ledger_entries l WHERE l.transfer_id = t.id) AS entries, "
                    "(SELECT requests FROM bank_sim_payments b WHERE b.transfer_id = t.id) AS asked "
                    "FROM transfers t"
                ))
            }
        mine = {i: r for i, r in rows.items() if i not in before}
        missing = [i for i in load.accepted if i not in rows]
        result.lost = len(missing) + len(pending)
        if missing:
            result.problems.append(f"accepted but not stored: {missing[:5]}")
        if pending:
            result.problems.append(f"not final after the bound: {pending[:5]}")
        run.stats["settled"] = sum(1 for r in mine.values() if r.status == "settled")
        run.stats["failed"] = sum(1 for r in mine.values() if r.status in ("failed", "rejected"))
        run.stats["asked_again"] = sum(1 for r in mine.values() if (r.asked or 0) > 1)
        run.stats["orphans"] = len(set(mine) - set(load.accepted))  # committed, client gave up
        result.doubled = sum(1 for r in mine.values() if r.entries > 1)
        # Recovery: for each transfer a fault delayed, how long after that fault was cleared
        # (or after its acceptance, if later) it became final.
        worst = worst_latency = 0.0
        for transfer_id, accepted_at in load.accepted.items():
            row = mine.get(transfer_id)
            if row is None or row.status not in FINAL:
                continue
            final_at = row.updated_at.replace(tzinfo=row.updated_at.tzinfo or UTC).timestamp()
            worst_latency = max(worst_latency, final_at - accepted_at)
            hit = [end for start, end in run.windows if start <= final_at and end >= accepted_at]
            if hit:
                worst = max(worst, final_at - max(accepted_at, min(hit)))
        result.max_recovery_s = round(max([worst, *run.extra_recovery]), 2)
        result.max_latency_s = round(worst_latency, 2)
        # The money, from the ledger: shared invariants, then the bank's record.
        broken = invariants.check(self.engine, wall=datetime.now(UTC),
                                  recovery_bound_s=RECOVERY_BOUND_S)
        for name, offending in broken.items():
            if offending:
                result.problems.append(f"invariant {name}: {offending[:5]}")
        result.over_limit = len(broken["over_limit"])
        rec = self.system.cli("reconcile", "--json", "--data-dir", str(self.system.data_dir))
        try:
            report = json.loads(rec.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {"missing": -1, "doubled": -1, "mismatched": -1}
            result.problems.append(f"reconcile output unreadable: {rec.stdout} {rec.stderr}")
        result.doubled += max(0, report.get("doubled", 0))
        result.lost += max(0, report.get("missing", 0))
        if report.get("mismatched"):
            result.problems.append(f"reconcile mismatched {report['mismatched']}")
        if rec.returncode != 0:
            result.problems.append(f"reconcile exit {rec.returncode}: {rec.stdout.strip()}")
        run.stats["reconcile"] = report
        if run.faults_from:
            result.faults = run.stats[run.faults_from]


def format_table(results: list[Result]) -> str:
    head = ("scenario", "transfers", "faults", "lost", "doubled", "over_limit",
            "max_recovery_s", "max_latency_s", "refused (retried or not)")
    rows = [head] + [
        (r.scenario, str(r.transfers), str(r.faults), str(r.lost), str(r.doubled),
         str(r.over_limit), f"{r.max_recovery_s:.2f}", f"{r.max_latency_s:.2f}",
         ", ".join(f"{k} {v}" for k, v in sorted(r.refused.items())) or "-")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
