"""`make run` on a laptop with only Python: `shunfuri up` with DATABASE_URL and
BROKER_URL unset runs on SQLite and a private redis-server, and a transfer settles."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_member
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e


def test_embedded_defaults_settle_an_instant_transfer_and_replay_a_key():
    with running_system(clock="2026-12-01T10:00:00+09:00", embedded=True, redis_db=12) as system:
        assert (system.data_dir / "shunfuri.db").exists() or list(system.data_dir.glob("*.db"))
        member = new_member(system)
        body = {"payee_id": member["payees"]["0009"], "amount": 3000}
        headers = {**member["headers"], "Idempotency-Key": "embedded-1"}
        first = system.http.post("/v1/transfers", json=body, headers=headers)
        assert first.status_code == 202, first.text
        transfer_id = first.json()["id"]

        def settled():
            r = system.http.get(f"/v1/transfers/{transfer_id}", params={"wait": 5},
                                headers=member["headers"])
            assert r.status_code == 200, r.text
            return r.json() if r.json()["status"] == "settled" else None

        done = poll(settled, timeout=60, interval=0, what="the transfer to settle")
        assert done["decision"] == "instant"
        again = system.http.post("/v1/transfers", json=body, headers=headers)
        assert (again.status_code, again.json()["id"]) == (202, transfer_id)
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert me["outstanding"] == 3000
