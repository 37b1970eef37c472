"""What the checker reads, gathered once the run is healed and drained: the clients'
history, the nemesis log (fault windows, clock jumps), the bank simulator's own record
and counters, our rows' identities and statuses, and `shunfuri reconcile --json`.

Our tables are read by SQL for ids, amounts and statuses only (never the members'
`outstanding` / `held` counters): the checker recomputes balances itself.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from cluster.business import ClockLine
from cluster.checker import Facts, Payment, Row
from cluster.history import read
from cluster.hosts import Topology
from cluster.layout import ROOT, Layout
from cluster.processes import SHUNFURI, bank_database_url, base_env
from cluster.schedule import Plan


@dataclass(frozen=True)
class Window:
    """A fault as it really ran: from its start to its heal (wall clock)."""

    fault: str
    kind: str
    start: float
    end: float
    what: str = ""
    label: str = ""  # kind and target role, e.g. "kill worker" (cluster.schedule)


def nemesis_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def clock_line(state: dict, events: list[dict]) -> ClockLine:
    line = ClockLine(((state["clock_anchor"], datetime.fromisoformat(state["clock"])),))
    for event in events:
        if "clock" in event:
            line = line.then(float(event["anchor"]), datetime.fromisoformat(event["clock"]))
    return line


def windows(events: list[dict], plan: Plan, topology: Topology, end: float) -> list[Window]:
    """Each fault from its start to its heal, as logged; one whose start failed is left
    out, one never healed ends at `end`."""
    faults = {f.id: f for f in plan.faults}
    starts: dict[str, float] = {}
    spans = []
    for event in events:
        if event.get("phase") == "start" and event.get("ok"):
            starts[event["fault"]] = event["time"]
        elif event.get("phase") == "heal" and event.get("fault") in starts:
            spans.append((event["fault"], starts.pop(event["fault"]), event["time"]))
    spans += [(fault, at, end) for fault, at in starts.items()]
    return sorted((Window(i, faults[i].kind, a, b, faults[i].describe(),
                          faults[i].label(topology)) for i, a, b in spans),
                  key=lambda w: w.start)


def _epoch(value: datetime) -> float:
    return value.replace(tzinfo=value.tzinfo or UTC).timestamp()


def gather(layout: Layout, topology: Topology, run_dir: Path) -> Facts:
    state = layout.read_state()
    events = nemesis_log(run_dir / "nemesis.jsonl")
    line = clock_line(state, events)
    with psycopg.connect(state["database_url"], connect_timeout=10) as conn:
        transfers = {r[0]: Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                               _epoch(r[8]) if r[8] else None) for r in
                     conn.execute("SELECT id, member_id, amount, status, idempotency_key, "
                                  "decision, settle_at, bank_code, sent_at FROM transfers")}
        repayments = {r[0]: Row(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
            "SELECT id, member_id, amount, status, idempotency_key FROM repayments")}
        ledger: dict[str, list[int]] = defaultdict(list)
        for transfer_id, amount in conn.execute(
                "SELECT transfer_id, amount FROM ledger_entries"):
            ledger[transfer_id].append(amount)
        checks = [r[0] for r in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'members'::regclass AND contype = 'c'")]
    limit_check = any("outstanding" in c and "held" in c and "credit_limit" in c
                      for c in checks)
    with psycopg.connect(bank_database_url(layout), connect_timeout=10) as conn:
        payments = {r[0]: Payment(r[0], r[1], r[2], _epoch(r[3]), r[4], r[5]) for r in
                    conn.execute("SELECT transfer_id, amount, status, paid_at, requests, "
                                 "bank_code FROM bank_sim_payments")}
        collections = {r[0]: Payment(r[0], r[1], r[2], _epoch(r[3]), r[4], r[5]) for r in
                       conn.execute("SELECT repayment_id, amount, status, paid_at, "
                                    "requests, bank_code FROM bank_sim_collections")}
    try:
        stats = httpx.get(f"{topology.url('bank')}/v1/stats", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        stats = {}
    return Facts(
        ops=read(run_dir / "history.jsonl"), transfers=transfers, repayments=repayments,
        ledger=dict(ledger), payments=payments, collections=collections, clock=line,
        business_end=line.at(time.time()), limit_check=limit_check,
        reconcile=reconcile(layout, state, topology.url("bank")), bank_stats=stats)


def reconcile(layout: Layout, state: dict, bank_url: str) -> dict:
    """The product's own reconciliation, run as an operator runs it: our database
    against the bank's statement, asked over HTTP."""
    env = {**base_env(layout), "DATABASE_URL": state["database_url"],
           "SHUNFURI_BANK_URL": bank_url}
    done = subprocess.run([SHUNFURI, "reconcile", "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"clean": False, "error": (done.stdout + done.stderr)[-500:]}
