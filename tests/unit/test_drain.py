"""The drain's life (`shunfuri.services.orders.drain.serve`): claim, serve, hand over or release.

The lock here is an in-memory model of the Redis one (claimed when free or handed over
by its holder; renewed and released only by its holder), which
`tests/integration/test_drainer_lock.py` holds the Redis scripts to; time is a counter
that each pass moves on, so a life ends after a known number of passes.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from shunfuri.services.orders.drain import Ending, Life, serve

LIFE = Life(lifetime_s=60.0, idle_wait_s=0.5, gather_s=0.003)
PASS_S = 10.0  # each pass takes this long: a life of 60 s is six passes


@dataclass
class Lease:
    lost: threading.Event = field(default_factory=threading.Event)


@dataclass
class Lock:
    holder: str | None = None
    log: list[str] = field(default_factory=list)  # what happened, in order
    wakes: list[bool] = field(default_factory=list)  # what each idle wait returns
    stolen_after: int | None = None  # the lease is lost after this many passes
    issued: int = 0

    def claim(self, handover: str | None) -> str | None:
        if self.holder is None or (handover is not None and handover == self.holder):
            self.issued += 1
            self.holder = handover or f"token-{self.issued}"
            self.log.append(f"claim {self.holder}")
            return self.holder
        self.log.append("claim refused")
        return None

    @contextmanager
    def lease(self, token: str):  # type: ignore[no-untyped-def]
        self.current = Lease()
        yield self.current

    def renew(self, token: str) -> bool:
        ours = self.holder == token
        self.log.append(f"renew {'ok' if ours else 'refused'}")
        return ours

    def release(self, token: str) -> bool:
        ours = self.holder == token
        if ours:
            self.holder = None
        self.log.append(f"release {'ok' if ours else 'refused'}")
        return ours

    def wait_for_wake(self, timeout: float) -> bool:
        assert timeout == LIFE.idle_wait_s
        woke = self.wakes.pop(0) if self.wakes else False
        self.log.append("woken" if woke else "idle")
        return woke


@dataclass
class Queue:
    """Scripted passes: how many rows each claims and whether more is left."""

    lock: Lock
    script: list[tuple[int, bool]]
    now: float = 0.0
    passes: int = 0
    fail_at: int | None = None

    def drain_pass(self) -> tuple[int, bool]:
        self.passes += 1
        self.now += PASS_S
        self.lock.log.append("pass")
        if self.passes == self.fail_at:
            raise RuntimeError("the database went away")
        if self.lock.stolen_after is not None and self.passes >= self.lock.stolen_after:
            self.lock.holder = "someone-else"
            self.lock.current.lost.set()
        return self.script.pop(0) if self.script else (0, False)


def run(lock: Lock, queue: Queue, handover: str | None = None) -> tuple[Ending, list[str]]:
    successors: list[str] = []
    slept: list[float] = []

    def start_successor(token: str) -> None:
        lock.log.append(f"successor {token}")
        successors.append(token)

    ending = serve(lock, handover, drain_pass=queue.drain_pass, start_successor=start_successor,
                   life=LIFE, monotonic=lambda: queue.now, sleep=slept.append)
    assert all(s == LIFE.gather_s for s in slept)
    return ending, successors


def test_a_duplicate_message_helps_once_and_leaves_the_lock_alone():
    lock = Lock(holder="token-live")
    queue = Queue(lock, [(3, False)])
    assert run(lock, queue) == (Ending.HELPED, [])
    assert lock.log == ["claim refused", "pass"]
    assert lock.holder == "token-live"


def test_a_busy_drain_hands_over_to_its_successor_while_holding_the_lock():
    lock = Lock()
    queue = Queue(lock, [(5, True)] * 6)
    ending, successors = run(lock, queue)
    assert ending is Ending.HANDED_OVER
    assert successors == ["token-1"]
    assert lock.holder == "token-1"  # kept for the successor, never released
    assert lock.log == ["claim token-1"] + ["pass"] * 6 + ["renew ok", "successor token-1", "pass"]


def test_the_successor_takes_over_with_the_token_it_was_handed():
    lock = Lock(holder="token-7")
    ending, _ = run(lock, Queue(lock, []), handover="token-7")
    assert ending is Ending.RELEASED  # it found nothing to do
    assert lock.log[0] == "claim token-7"
    other = Lock(holder="token-7")
    assert run(other, Queue(other, []), handover="token-6")[0] is Ending.HELPED


def test_an_idle_drain_releases_the_lock_before_its_last_pass():
    lock = Lock()
    queue = Queue(lock, [])
    ending, successors = run(lock, queue)
    assert (ending, successors) == (Ending.RELEASED, [])
    assert lock.holder is None
    # Release first, then the last pass: a transfer committed before an API process saw
    # the flag gone is picked up here; a later one starts a new drain.
    assert lock.log[-2:] == ["release ok", "pass"]
    assert lock.log.count("idle") == 6  # asleep on the wake list between passes


def test_a_wake_up_lets_arrivals_gather_before_the_next_pass():
    lock = Lock(wakes=[True, False])
    queue = Queue(lock, [(1, False), (2, False)])
    ending, _ = run(lock, queue)
    assert lock.log[:6] == ["claim token-1", "pass", "woken", "pass", "idle", "pass"]
    assert ending is Ending.HANDED_OVER  # it worked, so a successor carries on


def test_a_drain_that_worked_but_cannot_renew_does_not_hand_over():
    lock = Lock()
    queue = Queue(lock, [(1, True)] * 6)
    lock.renew = lambda token: False  # type: ignore[method-assign]
    ending, successors = run(lock, queue)
    assert (ending, successors) == (Ending.RELEASED, [])
    assert lock.holder is None


def test_a_lost_lease_ends_the_life_without_a_successor():
    lock = Lock(stolen_after=2)
    queue = Queue(lock, [(4, True)] * 6)
    ending, successors = run(lock, queue)
    assert (ending, successors) == (Ending.RELEASED, [])
    assert queue.passes == 3  # two in its life, then the last one
    assert lock.holder == "someone-else"  # not ours to release
    assert "release refused" in lock.log


def test_a_failing_pass_still_releases_the_lock():
    lock = Lock()
    queue = Queue(lock, [(1, True)], fail_at=2)
    with pytest.raises(RuntimeError):
        run(lock, queue)
    assert lock.holder is None
    assert lock.log[-1] == "release ok"
