"""The run's report: the verdict table, faults by kind, operations, accept -> paid
latency of instant transfers by the fault kinds active at acceptance, and the alerts
each fault raised."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime

from cluster.business import ClockLine
from cluster.checker import Payment, Verdict
from cluster.history import Op, pairs

PROMISE_S = 10.0


def samples(ops: list[Op], payments: dict[str, Payment], windows: list,
            clock: ClockLine) -> list[dict]:
    """One per instant transfer the bank paid: acceptance (its `accepted_at`, placed on
    the wall clock by the clock line), the bank's payment (its own record), and the faults
    active at acceptance."""
    out = []
    for pair in pairs(ops):
        value = pair.value
        if pair.invoke.f != "transfer" or pair.type != "ok" or value["decision"] != "instant":
            continue
        paid = payments.get(value["id"])
        if paid is None or paid.status != "paid":
            continue
        done = pair.done.time  # type: ignore[union-attr]
        accepted = clock.wall_of(datetime.fromisoformat(value["accepted_at"]), before=done)
        accepted = done if accepted is None else accepted
        active = [w for w in windows if w.start <= accepted <= w.end]
        out.append({"id": value["id"], "bank": value["bank"], "accepted": round(accepted, 3),
                    "paid": round(paid.paid_at, 3),
                    "seconds": round(max(0.0, paid.paid_at - accepted), 3),
                    "faults": [w.fault for w in active],
                    "labels": sorted({w.label or w.kind for w in active})})
    return out


def latencies(ops: list[Op], payments: dict[str, Payment], windows: list,
              clock: ClockLine) -> dict[str, dict]:
    """Accept -> paid seconds per fault (kind and target) active at acceptance, over
    every such transfer and, `(alone)`, over those accepted while it was the only one;
    `none`: no fault active."""
    by: dict[str, list[float]] = defaultdict(list)
    for sample in samples(ops, payments, windows, clock):
        labels = sample["labels"] or ["none"]
        for label in labels:
            by[label].append(sample["seconds"])
        if len(labels) == 1 and labels != ["none"]:
            by[f"{labels[0]} (alone)"].append(sample["seconds"])
    return {label: _stats(values) for label, values in sorted(by.items())}


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"n": len(ordered), "p50": round(rank(0.5), 2), "p99": round(rank(0.99), 2),
            "max": round(ordered[-1], 2), "over_10s": sum(1 for v in ordered if v > PROMISE_S)}


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def render(seed: int, verdict: Verdict, windows: list, latency: dict, alerts: list[dict],
           cleared: tuple, failed_actions: list[str], started: float) -> str:
    c = verdict.counts
    head = (f"seed {seed}: {'PASS' if verdict.ok else 'FAIL'} - lost {c['lost']}, "
            f"doubled {c['doubled']}, over limit {c['over_limit']}")
    rules = table([["rule", "verdict", "checked", "violations"]] + [
        [r.name, "ok" if r.ok else "VIOLATED" if r.counted else "violated (reported only)",
         str(r.checked), str(len(r.violations))]
        for r in verdict.rules])
    details = [f"  {r.name}: {v}" for r in verdict.rules for v in r.violations[:10]]
    kinds = Counter(w.kind for w in windows)
    faults = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
    ops = table([["operation", "ok", "fail", "info", "refusals and unknowns by code"]] + [
        [f, str(t.get("ok", 0)), str(t.get("fail", 0)), str(t.get("info", 0)),
         ", ".join(f"{k} {v}" for k, v in sorted(t.items()) if ":" in k) or "-"]
        for f, t in c["operations"].items()])
    lat = table([["fault at acceptance", "n", "p50 s", "p99 s", "max s", "> 10 s"]] + [
        [k, str(s["n"]), f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['max']:.2f}",
         str(s["over_10s"])] for k, s in latency.items()]) if latency else "(none paid)"
    faults_table = table([["fault", "from s", "to s", "what"]] + [
        [w.fault, f"{w.start - started:.1f}", f"{w.end - started:.1f}", w.what]
        for w in windows]) if windows else "(no faults)"
    fired = table([["alert", "host", "firing from s", "to s", "faults active (or just healed)"]]
                  + [[a["alert"], a["host"] or "-", f"{a['from_s']:.0f}", f"{a['to_s']:.0f}",
                      ", ".join(a["faults"]) or "-"] for a in alerts]) \
        if alerts else "no alert fired"
    ok, still, waited = cleared
    bank = c.get("bank") or {}
    parts = [
        head, "", rules, *(["", "violations:", *details] if details else []), "",
        f"faults injected by kind: {faults}" + (
            f"; {len(failed_actions)} actions failed: {failed_actions[:5]}"
            if failed_actions else ""),
        f"transfers in our records {c['transfers']}, paid by the bank {c['bank_paid']}, "
        f"asked for again {c['resent']}; bank: answers lost {bank.get('lost_answers', '?')}, "
        f"inquiries {bank.get('inquiries', '?')}", "", ops, "",
        "accept -> paid, instant transfers, by the faults active at acceptance:", lat,
        "", "faults as they ran (seconds into the run):", faults_table, "",
        "alerts that fired:", fired, "",
        f"alerts after healing: {'all cleared' if ok else 'STILL FIRING: ' + ', '.join(still)}"
        f" (waited {waited} s)",
    ]
    return "\n".join(parts) + "\n"


def overloads(figures: dict[str, dict]) -> str:
    """The overload senders' lines: offered, answered, accept -> paid of acceptances."""
    if not figures:
        return ""
    lines = ["", "overload (new instant transfers from the client host, never retried):"]
    for fault_id, f in figures.items():
        paid = f["accept_to_paid"]
        lat = (f"accept -> paid n {paid['n']}, p50 {paid['p50']:.2f} s, p99 {paid['p99']:.2f} s, "
               f"max {paid['max']:.2f} s, > 10 s {paid['over_10s']}") if paid["n"] else \
            "none paid"
        answers = ", ".join(f"{k} {v}" for k, v in f["answers"].items())
        lines.append(f"  {fault_id}: target {f['target_rate']:g}/s for {f['seconds']} s; sent "
                     f"{f['sent']} ({f['sent_rate']}/s; {f['not_sent']} due but not sent, "
                     f"in flight capped); answers: {answers}; accepted "
                     f"{f['accepted_per_s']}/s; {lat}")
    return "\n".join(lines) + "\n"
