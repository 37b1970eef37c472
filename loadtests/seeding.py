"""What a scenario puts in place before the load: members (through the staff API), their
payees, and for `batch` the scheduled transfers (through the product's own acceptance)."""

from __future__ import annotations

import concurrent.futures
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import httpx

from loadtests.context import Target
from loadtests.scenarios import CREDIT_LIMIT, TRANSFER_AMOUNT

ADMIN_HEADER = "X-Admin-Key"
PIN = "2580"
PARALLEL = 4  # requests at once: enough to seed quickly, not so many the API queues them


def create_members(target: Target, count: int, payees: tuple[dict[str, str], ...]) -> list[dict]:
    """`count` members through the staff API, each with the full credit line; member i
    pays `payees[i % len]`."""
    headers = {ADMIN_HEADER: target.admin_key}

    def one(i: int) -> dict:
        with httpx.Client(base_url=target.host, timeout=30) as client:
            resp = client.post(
                "/v1/admin/members", headers=headers,
                json={"credit_limit": CREDIT_LIMIT, "pin": PIN},
            )
        if resp.status_code != 201:
            raise RuntimeError(f"creating a member: {resp.status_code} {resp.text[:300]}")
        body = resp.json()
        return {"member_id": body["member_id"], "card_number": body["card_number"], "pin": PIN,
                **payees[i % len(payees)]}

    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(one, range(count)))


def seed_history(target: Target, count: int, payees: tuple[dict[str, str], ...]) -> int:
    """`count` past transfers (`loadtests.history`) for one member of their own, on the
    database of a system started here; how many."""
    if count <= 0 or not target.database_url:
        return 0
    from loadtests.history import seed_history as insert_history

    register_payees(target, create_members(target, 1, payees))
    return insert_history(target.database_url, count, bank_database_url=_bank_database(target))


def _bank_database(target: Target) -> str | None:
    """The bank simulator's database: its own on the embedded defaults, else ours."""
    if target.embedded and target.data_dir is not None:
        from shunfuri.embedded import database_urls

        return database_urls(target.data_dir)[1]
    return target.env.get("SHUNFURI_BANK_DATABASE_URL") or target.database_url


def members_needed(users: int, rate: float, seconds: float) -> int:
    """Enough members that nobody runs out of credit (with a 2x margin)."""
    per_member = CREDIT_LIMIT // TRANSFER_AMOUNT
    return max(users, math.ceil(2 * rate * seconds / per_member))


def members_file(path: Path, members: list[dict]) -> Path:
    """The JSON file Locust reads its members from (`LOADTEST_MEMBERS`)."""
    path.write_text(json.dumps(members))
    return path


def register_payees(target: Target, members: list[dict]) -> dict[int, int]:
    """One payee per member through the member API; {member_id: payee_id}."""

    def one(m: dict) -> tuple[int, int]:
        with httpx.Client(base_url=target.host, timeout=30) as client:
            login = client.post("/v1/login",
                                json={"card_number": m["card_number"], "pin": m["pin"]})
            login.raise_for_status()
            resp = client.post(
                "/v1/payees",
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
                json={
                    "bank_code": m["bank_code"],
                    "branch_code": m["branch_code"],
                    "account_type": "ordinary",
                    "account_number": f"{m['member_id'] % 9_000_000 + 1_000_000:07d}",
                    "holder_name": "ﾔﾏﾀﾞ ﾊﾅｺ",
                    "pin": m["pin"],
                },
            )
            resp.raise_for_status()
            return m["member_id"], resp.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return dict(pool.map(one, members))


def seed_batch(target: Target, members: list[dict], payee_ids: dict[int, int], count: int) -> int:
    """`count` transfers spread over `members`, accepted in bulk through the product's own
    path (`services.transfers.bulk.accept_many`) on the run's database; how many were accepted."""
    from sqlalchemy.orm import sessionmaker

    from shunfuri.db.session import make_engine
    from shunfuri.services.transfers import bulk as transfers

    if not target.database_url:
        raise RuntimeError("seeding the batch needs the run's database URL")
    engine = make_engine(target.database_url, pool_size=1)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    seeded = 0
    per_member = math.ceil(count / len(members))
    left = count
    try:
        for m in members:
            n = min(per_member, left)
            if n <= 0:
                break
            with factory() as session:
                seeded += transfers.accept_many(
                    session,
                    member_id=m["member_id"],
                    payee_id=payee_ids[m["member_id"]],
                    amounts=[TRANSFER_AMOUNT] * n,
                    now=target.simulated_now(),
                    wall=datetime.now(UTC),
                )
            left -= n
    finally:
        engine.dispose()
    return seeded
