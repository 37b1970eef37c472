"""The `overload` fault's load: new instant transfers offered at a fixed rate (open loop:
a request is sent on time whether or not earlier ones were answered, as a crowd of
members would), from the cluster's `client` host to both API hosts, each with a fresh
Idempotency-Key and never retried. Every answer is recorded, so the checker can hold
the system to "refused up front or paid within 10 s": a 503 `overloaded` must have left
no row, an acceptance must have been paid in time.

Its own members (limit ¥5,000,000 each, a payee at SMBC), set up before the clock of
the fault starts; ¥1,000 a transfer. Requests in flight are capped
(`MAX_IN_FLIGHT`): past it a due request is counted as not sent rather than queued in
this process, which would turn the open loop into a closed one.

Run: `python -m cluster.overload --api URL --api URL --rate 1000 --seconds 60
--out FILE --seed N`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import time
import uuid

import httpx

from cluster.clients import ADMIN

MEMBERS = 20
LIMIT = 5_000_000
AMOUNT = 1000
MAX_IN_FLIGHT = 400
TIMEOUT_S = 10.0
SETUP_S = 60.0


async def _must(http: httpx.AsyncClient, urls: list[str], path: str, body: dict,
                headers: dict | None, status: int) -> dict:
    """One set-up call, on either API host, retried for up to SETUP_S (other faults may
    be active). A creation retried after a lost answer may leave a spare member: harmless."""
    deadline, last = time.monotonic() + SETUP_S, ""
    while time.monotonic() < deadline:
        try:
            r = await http.post(random.choice(urls) + path, headers=headers, json=body)
            if r.status_code == status:
                return r.json()
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        await asyncio.sleep(1)
    raise SystemExit(f"set-up: {path} -> {last}")


async def _setup(http: httpx.AsyncClient, urls: list[str], rng: random.Random) -> list[dict]:
    members = []
    for n in range(MEMBERS):
        pin = f"{rng.randrange(10000):04d}"
        made = await _must(http, urls, "/v1/admin/members",
                           {"credit_limit": LIMIT, "pin": pin}, ADMIN, 201)
        token = (await _must(http, urls, "/v1/login", {
            "card_number": made["card_number"], "pin": pin}, None, 200))["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        payee = await _must(http, urls, "/v1/payees", {
            "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
            "account_number": f"{2000000 + n:07d}", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
            "pin": pin}, auth, 201)
        members.append({"member_id": made["member_id"], "auth": auth, "payee": payee["id"]})
    return members


async def _one(http: httpx.AsyncClient, url: str, member: dict, records: list) -> None:
    key = uuid.uuid4().hex
    record: dict = {"member_id": member["member_id"], "key": key, "amount": AMOUNT,
                    "sent": time.time()}
    try:
        r = await http.post(f"{url}/v1/transfers", headers={
            **member["auth"], "Idempotency-Key": key},
            json={"payee_id": member["payee"], "amount": AMOUNT})
    except httpx.HTTPError as exc:
        record.update(status=None, code=type(exc).__name__)
    else:
        try:
            body = r.json()
        except ValueError:
            body = {}
        record.update(status=r.status_code, code=body.get("code"),
                      retry_after=r.headers.get("Retry-After"))
        if r.status_code == 202:
            record.update(id=body["id"], decision=body["decision"],
                          accepted_at=body["accepted_at"])
    record["done"] = time.time()
    records.append(record)


async def run(urls: list[str], rate: float, seconds: float, out: str, seed: int,
              stop: asyncio.Event) -> None:
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=200)
    records: list[dict] = []
    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as http:
        members = await _setup(http, urls, rng)
        started, due, skipped = time.time(), 0, 0
        until = started + seconds
        tasks: set[asyncio.Task] = set()
        while not stop.is_set():
            at = started + due / rate
            if at >= until:
                break
            delay = at - time.time()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except TimeoutError:
                    pass
            if len(tasks) >= MAX_IN_FLIGHT:
                skipped += 1
            else:
                task = asyncio.create_task(_one(http, urls[due % len(urls)],
                                                members[due % len(members)], records))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            due += 1
        ended = time.time()
        if tasks:
            await asyncio.wait(tasks, timeout=TIMEOUT_S + 5)
    with open(out, "w") as file:
        file.write(json.dumps({"summary": {
            "rate": rate, "started": started, "ended": ended, "due": due,
            "sent": len(records), "not_sent": skipped,
            "members": [m["member_id"] for m in members]}}) + "\n")
        for record in records:
            file.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", action="append", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="after the set-up")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    async def go() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run(args.api, args.rate, args.seconds, args.out, args.seed, stop)

    asyncio.run(go())


if __name__ == "__main__":
    main()
