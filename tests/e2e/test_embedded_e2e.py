"""`make run` on a laptop with only Python: `shunfuri up` with DATABASE_URL and BROKER_URL
unset starts a private PostgreSQL and Redis in its data folder, settles a transfer, stops
them on Ctrl-C, and a second `up` on the same folder finds the data again."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from shunfuri.embedded import PrivatePostgres, PrivateRedis
from tests.e2e.conftest import new_member
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e

CLOCK = "2026-12-01T10:00:00+09:00"


def test_embedded_defaults_settle_a_transfer_and_a_second_up_finds_it_again(tmp_path):
    # pytest's tmp_path is deep: the sockets go to the short fallback folder.
    data_dir = tmp_path / "a-data-folder-deep-enough-that-its-sockets-must-live-elsewhere"
    with running_system(clock=CLOCK, embedded=True, data_dir=data_dir) as system:
        database = make_url(system.database_url)
        assert database.database == "shunfuri"
        assert database.host is None  # a Unix socket, no TCP listener
        assert (data_dir / "postgres" / "data" / "PG_VERSION").read_text().strip() == "18"
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
        # A command in another shell finds the running private servers through --data-dir.
        reconciled = system.cli("reconcile", "--json", "--data-dir", str(data_dir))
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        assert '"ledger": 1' in reconciled.stdout and '"bank_paid": 1' in reconciled.stdout
        # One `up` per folder: a second one is refused, and the first keeps running.
        second = system.cli("up", "--port", "1", "--data-dir", str(data_dir))
        assert second.returncode != 0
        assert "another `shunfuri up` is running" in second.stderr
        assert system.http.get("/readyz").status_code == 200

    # Ctrl-C (SIGTERM) stopped the private servers with the rest.
    assert not PrivatePostgres(data_dir / "postgres").running()
    assert not PrivateRedis(data_dir / "redis").running()

    with running_system(clock=CLOCK, embedded=True, data_dir=data_dir) as system:
        r = system.http.get(f"/v1/transfers/{transfer_id}", headers=member["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "settled"
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert me["outstanding"] == 3000
        reconciled = system.cli("reconcile", "--data-dir", str(data_dir))
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
