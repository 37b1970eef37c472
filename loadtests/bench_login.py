"""Login cost: `python -m loadtests.bench_login [--hash-only] [--url URL ...]`.

Two measurements, so a load test can budget for logins:

1. **hash**: argon2id verifications per second with the production parameters
   (`shunfuri.services.members.passwords`), on one core and on `--processes` cores. This is
   the floor: every login attempt (right, wrong or unknown identifier) costs one.
2. **end to end** (with `--url`): creates `--members` members through the staff API,
   then `--concurrency` threads log in (card number + PIN) for `--seconds` seconds
   against a running API and report logins/s and latency percentiles. Start the API
   with the rate limit off, e.g.

       SHUNFURI_LOGIN_RATE_LIMIT=0 DATABASE_URL=... BROKER_URL=... \\
         .venv/bin/uvicorn --factory api.app:create_app --port 8099 --workers 2

   and run `python -m loadtests.bench_login --url http://127.0.0.1:8099`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PIN = "2580"


def _verify_loop(seconds: float) -> int:
    from shunfuri.services.members import passwords

    stored = passwords.hash_pin(PIN, pepper="bench-pepper")
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        passwords.verify_pin(stored, "0000", pepper="bench-pepper")
        done += 1
    return done


def bench_hash(seconds: float, processes: int) -> None:
    from shunfuri.services.members import passwords

    one = _verify_loop(seconds) / seconds
    print(
        f"argon2id t={passwords.TIME_COST} m={passwords.MEMORY_COST_KIB} KiB "
        f"p={passwords.PARALLELISM}: {one:.1f} verifies/s on 1 core "
        f"({1000 / one:.1f} ms each)"
    )
    if processes > 1:
        with ProcessPoolExecutor(processes) as pool:
            counts = list(pool.map(_verify_loop, [seconds] * processes))
        print(f"  {sum(counts) / seconds:.1f} verifies/s on {processes} processes")


def bench_http(url: str, admin_key: str, members: int, concurrency: int, seconds: float) -> None:
    import httpx

    with httpx.Client(base_url=url, timeout=30) as client:
        cards = []
        for _ in range(members):
            response = client.post(
                "/v1/admin/members", json={"credit_limit": 100_000, "pin": PIN},
                headers={"X-Admin-Key": admin_key},
            )
            response.raise_for_status()
            cards.append(response.json()["card_number"])

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            n = index
            while time.perf_counter() < deadline:
                card = cards[n % len(cards)]
                n += concurrency
                began = time.perf_counter()
                response = client.post("/v1/login", json={"card_number": card, "pin": PIN})
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ok = statuses.get(200, 0)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    print(
        f"end to end: {ok / elapsed:.1f} logins/s ({concurrency} clients, {elapsed:.1f} s, "
        f"statuses {statuses}); latency p50 {q[49] * 1000:.0f} ms, "
        f"p95 {q[94] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--hash-only", action="store_true")
    parser.add_argument("--url", help="a running API (rate limit off) for the end-to-end run")
    parser.add_argument("--admin-key", default=os.environ.get("SHUNFURI_ADMIN_KEY",
                                                              "dev-admin-key-change-me"))
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(f"cpu cores: {os.cpu_count()}")
    bench_hash(args.seconds, args.processes)
    if args.url and not args.hash_only:
        bench_http(args.url, args.admin_key, args.members, args.concurrency, args.seconds)


if __name__ == "__main__":
    main()
