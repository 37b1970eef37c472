"""Steady clients of the cluster, recording a history (`cluster.history`): members who
borrow, cancel scheduled transfers, repay and look at their balance, and a staff actor
who suspends and reinstates them. Runs in the cluster's `client` host, so partitions
reach it too; it talks to both API hosts, as a load balancer would.

Like a careful real client, a transfer or a repayment carries an Idempotency-Key and is
retried with the same key, on either API host, while no definite answer comes (a broken
connection, a 5xx, a 503 other than `service_closed`), for up to `OP_BUDGET_S`. The
completion is `ok` on an acceptance, `fail` on a refusal that no earlier attempt can
contradict, `info` when some attempt may have reached the server unanswered and no
acceptance came: the checker then allows either outcome.

Run: `python -m cluster.clients --plan schedule.json --history history.jsonl --ready FILE
--until EPOCH --api URL --api URL`.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cluster.history import Recorder

OP_BUDGET_S = 20.0
ADMIN = {"X-Admin-Key": "dev-admin-key-change-me"}  # the development key the cluster runs with
BANKS = {"0009": "001", "0033": "001", "0005": "001"}  # SMBC, PayPay (real-time), a standard bank
LIMITS = (50_000, 100_000, 200_000)
# "Nothing was changed": retry. `overloaded`: admission control refused before storing.
NO_OP_503 = ("database_unavailable", "not_ready", "overloaded")


@dataclass
class Answer:
    status: int | None  # None: no definite answer within the budget
    body: dict
    indeterminate: bool  # some attempt may have reached the server without an answer


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"items": data}


class Api:
    def __init__(self, urls: list[str], rng: random.Random, stop: threading.Event) -> None:
        self.urls, self.rng, self.stop = urls, rng, stop
        self.http = httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))

    def call(self, method: str, path: str, *, headers: dict | None = None,
             body: dict | None = None, retry: bool = True) -> Answer:
        deadline = time.monotonic() + OP_BUDGET_S
        indeterminate, last = False, {"code": "no_answer"}
        while True:
            url = self.rng.choice(self.urls)
            try:
                r = self.http.request(method, url + path, headers=headers, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                last = {"code": "connect_failed"}  # never sent
            except httpx.HTTPError as exc:
                indeterminate, last = True, {"code": type(exc).__name__}
            else:
                data = _json(r)
                code = data.get("code")
                if r.status_code < 500 and r.status_code != 429 or code == "service_closed":
                    return Answer(r.status_code, data, indeterminate)
                if r.status_code != 503 or code not in NO_OP_503:
                    indeterminate = True
                last = {"code": code or f"http_{r.status_code}"}
            if not retry or time.monotonic() > deadline or self.stop.is_set():
                return Answer(None, last, indeterminate)
            time.sleep(0.3 + self.rng.random())


@dataclass
class Member:
    member_id: int
    card: str
    pin: str
    credit_limit: int
    payees: dict[str, int]
    token: str | None = None
    scheduled: list[str] = field(default_factory=list)  # acknowledged, cancellable


class Clients:
    def __init__(self, args: argparse.Namespace) -> None:
        plan = json.loads(Path(args.plan).read_text())
        self.conf = plan["clients"]
        self.rng = random.Random(self.conf["seed"])
        self.urls = list(args.api)
        self.until = args.until
        self.stop = threading.Event()
        self.recorder = Recorder(Path(args.history))
        self.members: list[Member] = []
        self.suspended: set[int] = set()
        self.lock = threading.Lock()

    # ---------------------------------------------------------------- setup

    def setup(self) -> None:
        api = Api(self.urls, random.Random(self.rng.random()), self.stop)
        for n in range(self.conf["members"]):
            pin = f"{self.rng.randrange(10000):04d}"
            limit = self.rng.choice(LIMITS)
            made = self._must(api, "POST", "/v1/admin/members", ADMIN,
                              {"credit_limit": limit, "pin": pin}, 201)
            member = Member(made["member_id"], made["card_number"], pin, limit, {})
            self.login(api, member)
            for bank, branch in BANKS.items():
                payee = self._must(api, "POST", "/v1/payees", self.auth(member), {
                    "bank_code": bank, "branch_code": branch, "account_type": "ordinary",
                    "account_number": f"{1000000 + n:07d}", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
                    "pin": pin}, 201)
                member.payees[bank] = payee["id"]
            self.members.append(member)
            self.recorder.record(-1, "setup", "member", {
                "member_id": member.member_id, "credit_limit": limit, "payees": member.payees})

    def _must(self, api: Api, method: str, path: str, headers: dict, body: dict,
              status: int) -> dict:
        answer = api.call(method, path, headers=headers, body=body)
        if answer.status != status:
            raise SystemExit(f"setup: {method} {path} -> {answer.status} {answer.body}")
        return answer.body

    def login(self, api: Api, member: Member) -> bool:
        answer = api.call("POST", "/v1/login", body={"card_number": member.card,
                                                     "pin": member.pin})
        member.token = answer.body.get("access_token") if answer.status == 200 else None
        return member.token is not None

    @staticmethod
    def auth(member: Member) -> dict:
        return {"Authorization": f"Bearer {member.token}"}

    # ---------------------------------------------------------------- members

    def member_loop(self, index: int, member: Member) -> None:
        rng = random.Random(self.conf["seed"] * 1000 + index)
        api = Api(self.urls, rng, self.stop)
        process = index * 1000
        period = len(self.members) / self.conf["rate"]
        next_at = time.monotonic() + rng.uniform(0, period)
        while not self.stop.is_set():
            if self.stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += period
            if member.token is None and not self.login(api, member):
                continue  # suspended, or the API is unreachable: try later
            # Repayments keep members near, not stuck at, their limits: the limit check is
            # exercised without every transfer being refused.
            f = rng.choices(("transfer", "repay", "cancel", "read"), (55, 25, 10, 10))[0]
            if f == "cancel" and not member.scheduled:
                f = "read"
            outcome = getattr(self, f"_{f}")(api, rng, member, process)
            if outcome == "info":
                process += 1  # Jepsen: a process that saw `info` may be gone; go on as another

    def _done(self, process: int, f: str, answer: Answer, ok: bool, value: dict) -> str:
        if ok:
            kind = "ok"
        elif not answer.indeterminate:
            kind = "fail"  # refused, or never reached a server (connect failed, 503 no-op)
        else:
            kind = "info"
        self.recorder.record(process, kind, f, {**value, "status": answer.status,
                                               "code": answer.body.get("code")})
        return kind

    def _keyed(self, api: Api, member: Member, process: int, f: str, path: str,
               body: dict) -> tuple[str, Answer]:
        key = uuid.uuid4().hex
        self.recorder.record(process, "invoke", f, {"member_id": member.member_id,
                                                    "key": key, **body})
        answer = api.call("POST", path, headers={**self.auth(member), "Idempotency-Key": key},
                          body=body)
        if answer.status == 401:
            member.token = None  # revoked (a suspension): log in again before the next op
        return key, answer

    def _transfer(self, api: Api, rng: random.Random, member: Member, process: int) -> str:
        bank = rng.choices(list(BANKS), (4, 3, 3))[0]
        body = {"payee_id": member.payees[bank], "amount": 1000 * rng.randint(1, 10)}
        key, answer = self._keyed(api, member, process, "transfer", "/v1/transfers", body)
        ok = answer.status in (200, 201, 202)
        value = {"member_id": member.member_id, "key": key, "bank": bank, **body}
        if ok:
            t = answer.body
            value.update(id=t["id"], decision=t["decision"], settle_at=t["settle_at"],
                         accepted_at=t["accepted_at"], accepted_status=t["status"])
            if t["decision"] == "scheduled":
                member.scheduled.append(t["id"])
        return self._done(process, "transfer", answer, ok, value)

    def _repay(self, api: Api, rng: random.Random, member: Member, process: int) -> str:
        body = {"payee_id": member.payees["0005"], "amount": 1000 * rng.randint(2, 20)}
        key, answer = self._keyed(api, member, process, "repay", "/v1/repayments", body)
        ok = answer.status in (200, 201, 202)
        value = {"member_id": member.member_id, "key": key, **body}
        if ok:
            value["id"] = answer.body["id"]
        return self._done(process, "repay", answer, ok, value)

    def _cancel(self, api: Api, rng: random.Random, member: Member, process: int) -> str:
        transfer_id = member.scheduled.pop(rng.randrange(len(member.scheduled)))
        value = {"member_id": member.member_id, "id": transfer_id}
        self.recorder.record(process, "invoke", "cancel", value)
        answer = api.call("POST", f"/v1/transfers/{transfer_id}/cancel",
                          headers=self.auth(member))
        status = answer.body.get("status") or answer.body.get("transfer_status")
        # A second cancel of our own, after an unanswered first, finds it cancelled: ok.
        ok = answer.status == 200 or (answer.indeterminate and status == "cancelled")
        return self._done(process, "cancel", answer, ok, {
            **value, "transfer_status": status, "in_doubt": answer.body.get("in_doubt")})

    def _read(self, api: Api, rng: random.Random, member: Member, process: int) -> str:
        self.recorder.record(process, "invoke", "read", {"member_id": member.member_id})
        answer = api.call("GET", "/v1/me", headers=self.auth(member), retry=False)
        body = answer.body
        fields = ("credit_limit", "outstanding", "held", "available")
        return self._done(process, "read", answer, answer.status == 200, {
            "member_id": member.member_id, **{k: body.get(k) for k in fields}})

    # ---------------------------------------------------------------- staff

    def staff_loop(self) -> None:
        rng = random.Random(self.conf["seed"] * 1000 + 999)
        api = Api(self.urls, rng, self.stop)
        process = 999_000
        while not self.stop.wait(rng.uniform(15, 30)):
            member = rng.choice(self.members)
            for f in ("suspend", "reinstate"):
                self.recorder.record(process, "invoke", f, {"member_id": member.member_id})
                answer = api.call("POST", f"/v1/admin/members/{member.member_id}/{f}",
                                  headers=ADMIN)
                if self._done(process, f, answer, answer.status == 200,
                              {"member_id": member.member_id}) == "info":
                    process += 1
                if f == "suspend":
                    self.stop.wait(rng.uniform(5, 12))  # a stop reinstates at once

    # ---------------------------------------------------------------- run

    def run(self, ready: Path) -> None:
        self.setup()
        ready.write_text(json.dumps([m.member_id for m in self.members]))
        threads = [threading.Thread(target=self.member_loop, args=(i, m), daemon=True)
                   for i, m in enumerate(self.members)]
        threads.append(threading.Thread(target=self.staff_loop, daemon=True))
        for thread in threads:
            thread.start()
        self.stop.wait(max(0.0, self.until - time.time()))
        self.stop.set()
        for thread in threads:
            thread.join(timeout=OP_BUDGET_S + 15)
        self.recorder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--history", required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--until", type=float, required=True)
    parser.add_argument("--api", action="append", required=True)
    args = parser.parse_args()
    clients = Clients(args)
    signal.signal(signal.SIGTERM, lambda *_: clients.stop.set())
    clients.run(args.ready)


if __name__ == "__main__":
    main()
