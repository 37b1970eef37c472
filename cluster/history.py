"""A Jepsen-style history: every client operation as an `invoke`, then its completion
`ok` (it happened), `fail` (it did not) or `info` (unknown: it may or may not have
happened, and the checker must accept either). One JSON object per line, appended and
flushed as it happens, so a history cut short is still a valid prefix.

Fields: `index`, `time` (wall clock, epoch seconds), `process` (a client; a process that
saw `info` continues under a new number, as Jepsen's clients do), `type`, `f` (the
operation: `transfer`, `cancel`, `repay`, `read`, `suspend`, `reinstate`, or `setup`
for a member made before the run), `value`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class Op:
    index: int
    time: float
    process: int
    type: str  # invoke | ok | fail | info | setup
    f: str
    value: dict

    @classmethod
    def from_dict(cls, data: dict) -> Op:
        return cls(**data)


class Recorder:
    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.file: IO[str] = open(path, "a", buffering=1)
        self.index = 0

    def record(self, process: int, type_: str, f: str, value: dict) -> Op:
        with self.lock:
            op = Op(self.index, time.time(), process, type_, f, value)
            self.index += 1
            self.file.write(json.dumps(op.__dict__, default=str) + "\n")
            return op

    def close(self) -> None:
        self.file.close()


def read(path: Path) -> list[Op]:
    ops = []
    for line in path.read_text().splitlines():
        try:
            ops.append(Op.from_dict(json.loads(line)))
        except (ValueError, TypeError):
            break  # a line cut short by a killed client ends the valid prefix
    return ops


@dataclass(frozen=True)
class Pair:
    """An invocation and its completion (None: the client never completed it)."""

    invoke: Op
    done: Op | None

    @property
    def type(self) -> str:
        return self.done.type if self.done is not None else "info"

    @property
    def value(self) -> dict:
        return self.done.value if self.done is not None else {}


def pairs(ops: list[Op]) -> Iterator[Pair]:
    """Each invocation with the next completion of the same process."""
    open_ops: dict[int, Op] = {}
    for op in ops:
        if op.type == "invoke":
            open_ops[op.process] = op
        elif op.type in ("ok", "fail", "info") and op.process in open_ops:
            yield Pair(open_ops.pop(op.process), op)
    for invoke in open_ops.values():
        yield Pair(invoke, None)
