"""`shunfuri nemesis --seed N --minutes M`: one run, start to verdict.

1. Draw the schedule from the seed; print it and save it (`schedule.json`).
2. Use the running cluster if it is fresh, else start one (and take it down after).
3. Set the business clock to the plan's start, start the clients (in the `client` host),
   wait until their members exist.
4. Play the schedule: each fault's start and heal at its second. Then heal everything.
5. Stop the clients; drain: move the business clock to the last scheduled transfer's
   time if that is later, and wait (bounded) until no transfer or repayment is open.
6. Check (`cluster.checker`), report the alerts, write `verdict.json` and `report.txt`.

Results go to `chaos/results/cluster-<stamp>-seed<N>/` (git-ignored), never into the
cluster's folder, which `cluster down` removes.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import psycopg

from cluster import alerts, report
from cluster.checker import Rule, check
from cluster.facts import clock_line, gather, nemesis_log, windows
from cluster.hosts import API_PORT, Topology
from cluster.layout import ROOT, Layout
from cluster.nemesis import Nemesis
from cluster.overload_check import load_figures, overload_rule, read_loads
from cluster.promise import promise_rule
from cluster.schedule import Plan, draw
from cluster.up import down, is_up, up

DRAIN_S = 240.0
ALERTS_CLEAR_S = 180.0
CLIENTS_READY_S = 120.0


def results_dir(seed: int) -> Path:
    folder = ROOT / "chaos" / "results" / f"cluster-{time.strftime('%Y%m%dT%H%M%S')}-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def nemesis_run(layout: Layout, topology: Topology, *, seed: int, minutes: float,
                keep: bool = False, strict_promise: bool = False) -> int:
    plan = draw(seed, minutes, topology)
    out = results_dir(seed)
    (out / "schedule.json").write_text(plan.to_json())
    print(plan.table(), flush=True)
    print(f"\nresults: {out.relative_to(ROOT)}", flush=True)
    own = not is_up(layout)
    if own:
        up(layout, topology, ttl_s=minutes * 60 + 1800, seed=seed)
    state = layout.read_state()
    if state["runs"]:
        print("this cluster has had a run already: `shunfuri cluster down` and up again, so "
              "the seed starts from a fresh system", file=sys.stderr)
        return 2
    state["runs"].append({"seed": seed, "results": str(out)})
    layout.write_state(state)
    try:
        verdict_ok = _run(layout, topology, plan, out, strict_promise)
    finally:
        _keep_logs(layout, out)
        if own and not keep:
            down(layout, topology)
    return 0 if verdict_ok else 1


def _keep_logs(layout: Layout, out: Path) -> None:
    """Every host's process logs and the supervisor's, with the results: `cluster down`
    removes the cluster's folder."""
    for log in [*layout.root.glob("hosts/*/*.log"), layout.supervisor_log]:
        if log.exists():
            target = out / "logs" / log.relative_to(layout.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, target)


def _run(layout: Layout, topology: Topology, plan: Plan, out: Path,
         strict_promise: bool) -> bool:
    nemesis = Nemesis(layout, topology, out / "nemesis.jsonl")
    try:
        nemesis.jump(plan.start_clock)
        clients, started = _start_clients(layout, topology, plan, out)
        try:
            _play(nemesis, plan, started)
            nemesis.heal_everything()
        finally:
            _stop_clients(clients)
        _drain(layout, nemesis)
    finally:
        nemesis.close()
    return _check(layout, topology, plan, out, started, strict_promise)


def _start_clients(layout: Layout, topology: Topology, plan: Plan,
                   out: Path) -> tuple[subprocess.Popen, float]:
    ready = out / "clients.ready"
    until = time.time() + CLIENTS_READY_S + plan.minutes * 60
    apis = [a for h in topology.with_role("api")
            for a in ("--api", f"http://{topology.address(h.name)}:{API_PORT}")]
    with open(out / "clients.log", "ab") as log:
        clients = subprocess.Popen(
            ["ip", "netns", "exec", topology.netns(topology.first("client").name),
             "timeout", "--kill-after=10", f"{int(until - time.time()) + 60}s",
             sys.executable, "-m", "cluster.clients", "--plan", str(out / "schedule.json"),
             "--history", str(out / "history.jsonl"), "--ready", str(ready),
             "--until", repr(until), *apis],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + CLIENTS_READY_S
    while not ready.exists():
        if clients.poll() is not None or time.monotonic() > deadline:
            _stop_clients(clients)
            raise RuntimeError(f"the clients did not start: see {out / 'clients.log'}")
        time.sleep(0.2)
    return clients, time.time()


def _play(nemesis: Nemesis, plan: Plan, started: float) -> None:
    steps = sorted([(f.start_s, 0, f, "start") for f in plan.faults] +
                   [(f.heal_s, 1, f, "heal") for f in plan.faults], key=lambda s: s[:2])
    for at, _, fault, phase in steps:
        delay = started + at - time.time()
        if delay > 0:
            time.sleep(delay)
        nemesis.act(fault, phase)
        print(f"{time.time() - started:6.1f}s {phase:<5} {fault.id} {fault.describe()}",
              flush=True)
    rest = started + plan.minutes * 60 - time.time()
    if rest > 0:
        time.sleep(rest)


def _stop_clients(clients: subprocess.Popen) -> None:
    if clients.poll() is None:
        clients.send_signal(signal.SIGTERM)  # `timeout` passes it on to the clients
    try:
        clients.wait(timeout=60)
    except subprocess.TimeoutExpired:
        clients.kill()
        clients.wait()


def _drain(layout: Layout, nemesis: Nemesis) -> None:
    """Bring every scheduled transfer's time, then wait for nothing to be open."""
    url = layout.read_state()["database_url"]
    with psycopg.connect(url, connect_timeout=10) as conn:
        latest = conn.execute("SELECT max(settle_at) FROM transfers WHERE status = "
                              "'scheduled'").fetchone()[0]
    now = nemesis.clock.at(time.time()) if nemesis.clock else None
    if latest is not None and now is not None and latest - timedelta(seconds=5) > now:
        nemesis.jump((latest - timedelta(seconds=5)).isoformat())
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        with psycopg.connect(url, connect_timeout=10) as conn:
            open_rows = conn.execute(
                "SELECT (SELECT count(*) FROM transfers WHERE status NOT IN "
                "('settled', 'failed', 'rejected', 'cancelled')) + (SELECT count(*) FROM "
                "repayments WHERE status NOT IN ('settled', 'failed', 'rejected', "
                "'cancelled'))").fetchone()[0]
        if open_rows == 0:
            return
        time.sleep(1)


def _check(layout: Layout, topology: Topology, plan: Plan, out: Path, started: float,
           strict_promise: bool) -> bool:
    facts = gather(layout, topology, out)
    events = nemesis_log(out / "nemesis.jsonl")
    ran = windows(events, plan, topology, time.time())
    verdict = check(facts)
    prometheus = topology.url("prometheus")
    try:
        firings = alerts.fired(prometheus, started - 60, time.time())
    except Exception as exc:  # noqa: BLE001 - a report without alerts beats no report
        firings = []
        print(f"could not read the alerts: {exc}", file=sys.stderr)
    cleared = alerts.wait_cleared(prometheus, ALERTS_CLEAR_S)
    verdict.rules.append(Rule("Prometheus alerts all cleared after healing",
                              checked=len(firings),
                              violations=[] if cleared[0] else [f"still: {cleared[1]}"]))
    latency = report.latencies(facts.ops, facts.payments, ran, facts.clock)
    samples = report.samples(facts.ops, facts.payments, ran, facts.clock)
    with open(out / "latency.jsonl", "w") as file:
        for sample in samples:
            file.write(json.dumps(sample) + "\n")
    verdict.rules.append(promise_rule(samples, ran, {f.id: f for f in plan.faults}, topology,
                                      counted=strict_promise))
    loads = read_loads(out)
    overloads = _judge_overloads(verdict, facts, loads, ran, plan, topology)
    failed = [f"{e['fault']} {e['phase']}: {e.get('error')}" for e in events
              if e.get("ok") is False]
    episodes = alerts.episodes(ran, firings, started)
    text = report.render(plan.seed, verdict, ran, latency, episodes, cleared, failed, started)
    text += report.overloads(overloads)
    (out / "report.txt").write_text(text)
    (out / "verdict.json").write_text(json.dumps({
        "seed": plan.seed, "minutes": plan.minutes, "ok": verdict.ok,
        "counts": verdict.counts, "rules": [asdict(r) for r in verdict.rules],
        "latency": latency, "overloads": overloads, "faults": [asdict(w) for w in ran],
        "alerts": episodes, "alerts_cleared": cleared[0],
        "failed_actions": failed,
        "clock": [(w, b.isoformat()) for w, b in clock_line(
            layout.read_state(), events).points],
    }, indent=2, default=str) + "\n")
    print("\n" + text, flush=True)
    if not verdict.ok:
        print(f"seed {plan.seed} FAILED: replay with `shunfuri nemesis --seed {plan.seed} "
              f"--minutes {plan.minutes:g}`; evidence in {out}", file=sys.stderr)
    return verdict.ok



def _judge_overloads(verdict, facts, loads: dict, ran: list, plan: Plan,  # type: ignore[no-untyped-def]
                     topology: Topology) -> dict:
    """The overload rule (counted) when the plan had an overload; its figures."""
    planned = [f.id for f in plan.faults if f.kind == "overload"]
    if not planned:
        return {}
    rule = overload_rule(facts, loads, ran, {f.id: f for f in plan.faults}, topology)
    rule.violations += [f"{i}: the overload sender left no record" for i in planned
                        if i not in loads]
    verdict.rules.append(rule)
    return load_figures(facts, loads)
