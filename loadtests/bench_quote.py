"""Quotes per second in one process: `python -m loadtests.bench_quote [--n N] [--seed S]`.

Draws a spread of banks (both real-time banks and a sample of standard ones) and
instants over several years (so holiday and year-end look-ups are exercised, not just
cached for one day), then times `quote()` and the full `quote_json()` the API and the
CLI answer with.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from shunfuri.domain.banks import bank_codes, get_bank
from shunfuri.domain.windows import quote
from shunfuri.services.transfers.availability import quote_json


def workload(n: int, seed: int) -> list[tuple[str, datetime]]:
    rng = random.Random(seed)
    codes = ["0009", "0033", *rng.sample(bank_codes(), 200)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=365 * 4).total_seconds())
    return [
        (rng.choice(codes), start + timedelta(seconds=rng.randrange(span))) for _ in range(n)
    ]


def rate(fn, items) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    for code, at in items:
        fn(code, at)
    return len(items) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="quotes per measurement")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()
    items = workload(args.n, args.seed)
    # Warm-up: load the Zengin master and the bank table once, as a running process has.
    for code, at in items[:1000]:
        quote_json(code, at)
    domain = rate(lambda code, at: quote(get_bank(code), at), items)
    full = rate(quote_json, items)
    print(f"quote():      {domain:,.0f} quotes/s ({args.n:,} quotes, 202 banks, 4 years)")
    print(f"quote_json(): {full:,.0f} quotes/s (what the API and `shunfuri quote` run)")


if __name__ == "__main__":
    main()
