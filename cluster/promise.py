"""The 10-second promise where the system had what it needs to keep it.

An instant transfer must be paid within 10 s of acceptance (rules.md). A fault that
takes the bank, PostgreSQL, Redis or an API host away may rightly delay it; a fault that
takes away only some worker hosts must not: the others can take its transfers (issue 24:
"with three worker hosts, killing one must not break the 10-second promise").

So the rule judges each instant transfer the bank paid that was accepted while every
active fault touched worker hosts only (killed, isolated, partitioned from a server, a
slow or broken link of theirs), at least one worker host was untouched, and no other
fault began in the next 10 s (one that began later may rightly catch it in flight): it
must have been paid within 10 s. Transfers accepted with no fault active (and none
beginning in the next 10 s) are judged the same way. Transfers accepted before a worker
fault began are not judged: the worker that took one may hold it for its lease (10 s).
"""

from __future__ import annotations

from cluster.checker import Rule
from cluster.hosts import Topology
from cluster.schedule import Fault

PROMISE_S = 10.0
NAME = "10-second promise where workers were to spare"


def worker_hosts_hit(fault: Fault, topology: Topology) -> set[str] | None:
    """The worker hosts a fault takes away, or None when it touches anything else."""
    p = fault.params

    def worker(host: str | None) -> bool:
        return host is not None and topology.host(host).is_worker

    if fault.kind == "overload":
        return set()  # takes nothing away: admission control must keep the promise
    if fault.kind == "kill":
        return {p["host"]} if worker(p["host"]) else None
    if fault.kind == "partition":
        if p["mode"] == "isolate":
            return {p["a"]} if worker(p["a"]) else None
        hosts = [h for h in (p["a"], p["b"]) if worker(h)]
        others = [h for h in (p["a"], p["b"]) if not worker(h)]
        # A worker cut from a server loses it; the server and the others keep their links.
        if len(hosts) == 1 and all("api" not in topology.host(h).roles
                                   and "client" not in topology.host(h).roles for h in others):
            return set(hosts)
        return None
    if fault.kind == "link":
        return {p["client"]} if worker(p["client"]) else None
    return None


def judged_hit(accepted: float, windows: list, plan_faults: dict[str, Fault],
               topology: Topology) -> set[str] | None:
    """The worker hosts taken away at `accepted` when a transfer accepted then must keep
    the promise (at least one worker host left, every active fault a worker-only one or
    an overload, none beginning in the next 10 s); None when it is not judged."""
    workers = {h.name for h in topology.hosts if h.is_worker}
    if any(accepted < w.start <= accepted + PROMISE_S for w in windows):
        return None
    hit: set[str] = set()
    for w in windows:
        if w.start <= accepted <= w.end:
            hosts = worker_hosts_hit(plan_faults[w.fault], topology)
            if hosts is None:
                return None
            hit |= hosts
    return None if hit >= workers else hit


def promise_rule(samples: list[dict], windows: list, plan_faults: dict[str, Fault],
                 topology: Topology, *, counted: bool) -> Rule:
    """`samples`: `cluster.report.samples` (instant transfers the bank paid)."""
    workers = {h.name for h in topology.hosts if h.is_worker}
    rule = Rule(NAME, counted=counted)
    for sample in samples:
        accepted = sample["accepted"]
        active = [w for w in windows if w.start <= accepted <= w.end]
        hit = judged_hit(accepted, windows, plan_faults, topology)
        if hit is None:
            continue
        rule.checked += 1
        if sample["seconds"] > PROMISE_S:
            rule.violations.append(
                f"{sample['id']} paid {sample['seconds']:.1f} s after acceptance with "
                f"{', '.join(w.fault for w in active) or 'no fault'} active; worker hosts "
                f"there: {', '.join(sorted(workers - hit))}")
    return rule
