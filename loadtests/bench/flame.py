"""Read a py-spy profile (`py-spy record -f raw`: collapsed stacks) as two tables: where
the CPU was spent by layer (the sampled frame's library), and the functions that held
the most of it including what they called.

    .venv/bin/python -m loadtests.bench.flame loadtests/bench/results/api.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# First match wins: the layer a frame's file belongs to.
LAYERS = (
    ("uvicorn", "uvicorn/"), ("granian", "granian/"), ("uvloop / asyncio", "asyncio/"),
    ("uvloop / asyncio", "uvloop/"), ("starlette", "starlette/"), ("fastapi", "fastapi/"),
    ("pydantic", "pydantic"), ("sqlalchemy", "sqlalchemy/"), ("psycopg", "psycopg"),
    ("redis", "redis/"), ("greenlet", "greenlet"), ("anyio", "anyio/"),
    ("prometheus", "prometheus_client/"), ("json", "json/"), ("shunfuri", "shunfuri/"),
    ("api", "/api/"), ("web", "/web/"),
)
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


def layer(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    where = match.group("file") if match else frame
    for name, marker in LAYERS:
        if marker in where:
            return name
    return "other (stdlib, C)" if match else "other"


def function(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    short = "/".join(path.split("/")[-2:])
    return f"{match.group('name')} ({short})"


def read(path: Path) -> tuple[Counter, Counter, int]:
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        total += samples
        if not frames:
            # A thread busy outside Python (granian's Rust runtime threads, for one).
            own["native thread, no Python frame"] += samples
            continue
        own[layer(frames[-1])] += samples
        for name in {function(f) for f in frames}:
            inclusive[name] += samples
    return own, inclusive, total


def main() -> None:
    for arg in sys.argv[1:]:
        own, inclusive, total = read(Path(arg))
        print(f"{arg}: {total} samples")
        print("  by layer (self):")
        for name, samples in own.most_common(14):
            print(f"    {name:22} {samples / total:6.1%}")
        print("  functions (inclusive):")
        for name, samples in inclusive.most_common(30):
            print(f"    {samples / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
