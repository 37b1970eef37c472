"""The overload rule: under load past the knee, a new instant transfer is refused up
front or kept to its promise, never accepted and then late.

- Every 503 `overloaded` answer (to the overload sender or to the steady clients) left
  nothing: no transfer with that member and Idempotency-Key exists. (A hold is only ever
  placed on a transfer row, and reconcile checks held = the rows' sum, so no row is no
  hold.)
- Every instant transfer accepted while an overload ran (the sender's and the clients')
  was paid within 10 s of its acceptance, where the promise rule would judge it (the
  bank up, no fault but worker-only ones beginning in the next 10 s,
  `cluster.promise.judged_hit`). One the bank or the worker refused is final, not late.

Counted in the verdict (unlike the promise rule, which is reported): the overload
fault is the test of admission control.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

from cluster.checker import Facts, Rule
from cluster.history import pairs
from cluster.hosts import Topology
from cluster.promise import PROMISE_S, judged_hit
from cluster.schedule import Fault

NAME = "overload: refused up front (nothing stored) or paid within 10 s"


def read_loads(run_dir: Path) -> dict[str, dict]:
    """Fault id -> {"summary": ..., "records": [...]} for each overload sender's file."""
    out = {}
    for path in sorted(run_dir.glob("overload-*.jsonl")):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if lines and "summary" in lines[0]:
            out[path.stem.removeprefix("overload-")] = {"summary": lines[0]["summary"],
                                                        "records": lines[1:]}
    return out


def _accepted_wall(facts: Facts, accepted_at: str, done: float) -> float:
    wall = facts.clock.wall_of(datetime.fromisoformat(accepted_at), before=done)
    return done if wall is None else wall


def overload_rule(facts: Facts, loads: dict[str, dict], windows: list,
                  plan_faults: dict[str, Fault], topology: Topology) -> Rule:
    rule = Rule(NAME)
    rows = {(r.member_id, r.key): r for r in facts.transfers.values() if r.key}
    refused = [(r["member_id"], r["key"]) for load in loads.values()
               for r in load["records"] if r.get("code") == "overloaded"]
    accepted = [(r["id"], r["accepted_at"], r["done"]) for load in loads.values()
                for r in load["records"]
                if r.get("status") == 202 and r.get("decision") == "instant"]
    for pair in pairs(facts.ops):
        if pair.invoke.f != "transfer" or pair.done is None:
            continue
        value = pair.value
        if pair.type == "fail" and value.get("code") == "overloaded":
            refused.append((value["member_id"], value["key"]))
        elif pair.type == "ok" and value.get("decision") == "instant":
            accepted.append((value["id"], value["accepted_at"], pair.done.time))
    for member_id, key in refused:
        rule.checked += 1
        row = rows.get((member_id, key))
        if row is not None:
            rule.violations.append(f"refused as overloaded, yet stored: {row.id} "
                                   f"({row.status}, member {member_id}, key {key})")
    overloads = [w for w in windows if w.kind == "overload"]
    for transfer_id, accepted_at, done in accepted:
        at = _accepted_wall(facts, accepted_at, done)
        if not any(w.start <= at <= w.end for w in overloads):
            continue
        if judged_hit(at, windows, plan_faults, topology) is None:
            continue
        rule.checked += 1
        paid, row = facts.payments.get(transfer_id), facts.transfers.get(transfer_id)
        if paid is None or paid.status != "paid":
            if row is None or row.status not in ("failed", "rejected"):
                rule.violations.append(f"{transfer_id} accepted under overload, not paid "
                                       f"({row.status if row else 'no row'})")
        elif paid.paid_at - at > PROMISE_S:
            rule.violations.append(f"{transfer_id} accepted under overload, paid "
                                   f"{paid.paid_at - at:.1f} s later")
    return rule


def load_figures(facts: Facts, loads: dict[str, dict]) -> dict[str, dict]:
    """Per overload: what was offered and answered, and accept -> paid of the
    acceptances (instant, paid by the bank)."""
    out = {}
    for fault_id, load in loads.items():
        s, records = load["summary"], load["records"]
        seconds = max(1e-9, s["ended"] - s["started"])
        codes: dict[str, int] = {}
        paid_s = []
        for r in records:
            code = "accepted" if r.get("status") == 202 else (r.get("code") or
                                                              f"http_{r.get('status')}")
            codes[code] = codes.get(code, 0) + 1
            paid = facts.payments.get(r.get("id") or "")
            if r.get("status") == 202 and paid is not None and paid.status == "paid":
                paid_s.append(paid.paid_at - _accepted_wall(facts, r["accepted_at"], r["done"]))
        out[fault_id] = {
            "target_rate": s["rate"], "seconds": round(seconds, 1), "due": s["due"],
            "sent": s["sent"], "not_sent": s["not_sent"],
            "sent_rate": round(s["sent"] / seconds, 1), "answers": dict(sorted(codes.items())),
            "accepted_per_s": round(codes.get("accepted", 0) / seconds, 1),
            "accept_to_paid": _stats(paid_s),
        }
    return out


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"n": len(ordered), "p50": round(rank(0.5), 2), "p99": round(rank(0.99), 2),
            "max": round(ordered[-1], 2), "over_10s": sum(1 for v in ordered if v > PROMISE_S)}
