"""The nemesis: each fault kind's `start` and `heal`, against a running cluster.

- partition: nftables drops between two hosts (both ways, or one way), or between one
  host and every other; heal: the drops removed.
- link: the server host's proxy delays, stalls, resets or refuses one client host's
  connections, or holds them (blackhole); heal: the link clean.
- kill: `kill -9` of every process group of an app host; heal: all started again.
- postgres: PostgreSQL stopped (`fast`: SIGINT; `immediate`: SIGQUIT, a crash); heal:
  started.
- redis: Redis stopped (SIGTERM; no persistence: every message in flight is lost); heal:
  started.
- bank: the simulator's `POST /v1/control` (answers lost, slow, transient 503s, an
  outage); heal: its defaults.
- clock: the business clock jumps (`shunfuri clock`) to just before a boundary; heal:
  to just before the end of what the boundary opened.
- overload: new instant transfers at twice the knee from the client host, for a minute
  after its set-up (`cluster.overload`, its answers in `overload-<id>.jsonl`); it stops
  by itself.

Faults that stack are merged: a partition is lifted only when no fault still wants it;
proxy and bank faults on the same link add up (the worse rate, the sum of delays). Every
action is logged (`nemesis.jsonl`): what, when, and whether it worked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx

from cluster import netns, proxy
from cluster.business import ClockLine
from cluster.hosts import API_PORT, Topology
from cluster.layout import ROOT, Layout
from cluster.processes import SHUNFURI, base_env
from cluster.schedule import Fault
from cluster.supervisor import request
from cluster.up import names

BANK_DEFAULTS = {"latency_ms": 2.0, "transient_rate": 0.0, "lose_response_rate": 0.0,
                 "outage": False}
STOP_SIGNAL = {"fast": "INT", "immediate": "QUIT"}


class Nemesis:
    def __init__(self, layout: Layout, topology: Topology, log: Path) -> None:
        self.layout, self.topology = layout, topology
        self.state = layout.read_state()
        self.log: IO[str] = open(log, "a", buffering=1)
        self.out = log.parent
        self.loads: dict[str, subprocess.Popen] = {}  # overload fault id -> its sender
        self.blocks: Counter = Counter()  # (from host, to host) -> faults wanting it
        self.links: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
        self.bank: dict[str, dict] = {}
        self.clock: ClockLine | None = None
        self.killed: set[str] = set()

    def close(self) -> None:
        """Wait for the overload senders to write their answers down, then close."""
        for load in self.loads.values():
            if load.poll() is None:
                load.send_signal(signal.SIGTERM)
            try:
                load.wait(timeout=60)
            except subprocess.TimeoutExpired:
                load.kill()
                load.wait()
        self.log.close()

    def note(self, **event: object) -> None:
        self.log.write(json.dumps({"time": time.time(), **event}, default=str) + "\n")

    def act(self, fault: Fault, phase: str) -> bool:
        """Start or heal one fault; a failure is logged and the run goes on."""
        try:
            detail = getattr(self, f"_{fault.kind}")(fault, phase == "start")
        except Exception as exc:  # noqa: BLE001 - a fault that fails is reported, not fatal
            self.note(fault=fault.id, kind=fault.kind, phase=phase, ok=False,
                      error=f"{type(exc).__name__}: {exc}")
            return False
        self.note(fault=fault.id, kind=fault.kind, phase=phase, ok=True, detail=detail)
        return True

    # ---------------------------------------------------------------- kinds

    def _partition(self, fault: Fault, start: bool) -> list:
        p = fault.params
        if p["mode"] == "isolate":
            others = [h.name for h in self.topology.hosts if h.name != p["a"]]
            pairs = [(p["a"], o) for o in others] + [(o, p["a"]) for o in others]
        elif p["mode"] == "one-way":
            pairs = [(p["a"], p["b"])]
        else:
            pairs = [(p["a"], p["b"]), (p["b"], p["a"])]
        for pair in pairs:
            self.blocks[pair] += 1 if start else -1
            if start and self.blocks[pair] == 1:
                netns.block(self.topology, *pair)
            elif not start and self.blocks[pair] <= 0:
                del self.blocks[pair]
                netns.unblock(self.topology, *pair)
        return pairs

    def _link(self, fault: Fault, start: bool) -> dict:
        p = fault.params
        link = (p["client"], p["server"])
        if start:
            self.links[link][fault.id] = p["faults"]
        else:
            self.links[link].pop(fault.id, None)
        return self._push_link(link)

    def _push_link(self, link: tuple[str, str]) -> dict:
        merged = proxy.CLEAN
        for faults in self.links[link].values():
            merged = merged.merged(proxy.LinkFaults.from_dict(faults))
        client, server = link
        proxy.control(self.layout.proxy_socket(server), {
            "op": "set", "client": self.topology.address(client), "faults": vars(merged)})
        return vars(merged)

    def _kill(self, fault: Fault, start: bool) -> list[str]:
        host = fault.params["host"]
        # The bank's own PostgreSQL is the bank's books, not a process of ours to crash.
        procs = [n for n in names(self.state, hosts=[host], network=False)
                 if not n.endswith(".bank-postgres")]
        if start:
            self.killed.add(host)
            request(self.layout, {"op": "stop", "names": procs, "signal": "KILL",
                                  "group": True})
        else:
            self.killed.discard(host)
            request(self.layout, {"op": "start", "names": procs})
            if "bank" in self.topology.host(host).roles:
                self._wait_bank()
                self._push_bank()  # a restarted simulator starts with its faults off
        return procs

    def _postgres(self, fault: Fault, start: bool) -> str:
        return self._server("postgres", STOP_SIGNAL[fault.params["mode"]], start)

    def _redis(self, fault: Fault, start: bool) -> str:
        return self._server("redis", "TERM", start)

    def _server(self, role: str, signal_name: str, start: bool) -> str:
        host = self.topology.first(role).name
        proc = f"{host}.{role}"
        if start:
            request(self.layout, {"op": "stop", "names": [proc], "signal": signal_name})
        else:
            request(self.layout, {"op": "start", "names": [proc]})
        return proc

    def _bank(self, fault: Fault, start: bool) -> dict:
        if start:
            self.bank[fault.id] = fault.params["control"]
        else:
            self.bank.pop(fault.id, None)
        if self.topology.first("bank").name in self.killed:
            # Killed: the faults apply from its restart (the kill's heal pushes them).
            return {"deferred": "the bank is down; applied when it is started again"}
        return self._push_bank()

    def _push_bank(self) -> dict:
        merged = dict(BANK_DEFAULTS)
        for control in self.bank.values():
            for key, value in control.items():
                merged[key] = max(merged[key], value) if key != "outage" else (
                    merged[key] or value)
        httpx.post(f"{self.topology.url('bank')}/v1/control", json=merged,
                   timeout=5).raise_for_status()
        return merged

    def _wait_bank(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.topology.url('bank')}/healthz", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)

    def _overload(self, fault: Fault, start: bool) -> str:
        if not start:
            # It sends for its length after its own set-up, then stops by itself; `close`
            # waits for it. Its summary has the seconds it really sent.
            return "ends by itself"
        out = self.out / f"overload-{fault.id}.jsonl"
        length = fault.heal_s - fault.start_s
        apis = [a for h in self.topology.with_role("api")
                for a in ("--api", f"http://{self.topology.address(h.name)}:{API_PORT}")]
        client = self.topology.netns(self.topology.first("client").name)
        with open(self.out / f"overload-{fault.id}.log", "ab") as log:
            self.loads[fault.id] = subprocess.Popen(
                ["ip", "netns", "exec", client, "timeout", "--kill-after=10",
                 f"{int(length) + 120}s", sys.executable, "-m", "cluster.overload",
                 "--rate", str(fault.params["rate"]), "--seconds", str(length),
                 "--out", str(out), "--seed", str(fault.params["seed"]), *apis],
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        return str(out)

    def _clock(self, fault: Fault, start: bool) -> str:
        return self.jump(fault.params["to" if start else "heal_to"])

    # ---------------------------------------------------------------- clock

    def jump(self, instant: str) -> str:
        """Move every process's business clock, with the public command, and record the
        exact (wall, business) pair it wrote, for the checker's clock line."""
        env = {**base_env(self.layout), "SHUNFURI_CLOCK": instant}
        done = subprocess.run([SHUNFURI, "clock", f"{instant}@1", "--data-dir",
                               str(self.layout.data)], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"shunfuri clock: {done.stderr.strip()}")
        written = json.loads(self.layout.clock_file.read_text())
        business = datetime.fromisoformat(written["start"])
        point = (float(written["anchor"]), business)
        self.clock = ClockLine((point,)) if self.clock is None else self.clock.then(*point)
        self.note(clock=business.isoformat(), anchor=point[0])
        return business.isoformat()

    # ---------------------------------------------------------------- heal all

    def heal_everything(self) -> list[str]:
        """The safety net after the schedule: no drop, no proxy fault, the bank at its
        defaults, every process of every host wanted and running. Returns what it fixed."""
        fixed = []
        for host in self.topology.hosts:
            if netns.blocked(self.topology, host.name):
                fixed.append(f"drops on {host.name}")
        netns.unblock_all(self.topology)
        self.blocks.clear()
        for host in self.topology.hosts:
            if self.layout.proxy_socket(host.name).exists():
                if proxy.control(self.layout.proxy_socket(host.name), {"op": "get"})["faults"]:
                    fixed.append(f"proxy faults on {host.name}")
                proxy.control(self.layout.proxy_socket(host.name), {"op": "clear"})
        self.links.clear()
        self.killed.clear()
        if self.bank:
            fixed.append("bank faults")
        self.bank.clear()
        self._wait_bank()
        self._push_bank()
        status = request(self.layout, {"op": "status"})["procs"]
        held = [n for n, v in status.items() if not v["wanted"]]
        if held:
            fixed.append(f"processes held down: {held}")
            request(self.layout, {"op": "start", "names": held})
        self.note(heal_everything=fixed)
        return fixed
