"""A Redis on a Unix socket, named with a db number (issue 23, item 11): our clients
(sync and async) and Celery's producer all use that db, in either spelling of the URL.
The hand-written parser sent every socket URL to db 0, apart from Celery."""

from __future__ import annotations

import json

import pytest
import redis

from shunfuri import broker
from shunfuri.embedded import PrivateRedis
from tests import loops


@pytest.fixture(scope="module")
def socket_path(tmp_path_factory):
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.socket_dir / "redis.sock"
    finally:
        server.destroy()


@pytest.mark.parametrize("spelling", ["unix://{path}?db={db}",
                                      "redis+socket://{path}?virtual_host={db}"])
def test_our_clients_and_celery_share_the_db_the_url_names(socket_path, spelling):
    db = 5 if spelling.startswith("unix") else 6
    url = spelling.format(path=socket_path, db=db)
    raw = redis.Redis(unix_socket_path=str(socket_path), db=db)
    others = [redis.Redis(unix_socket_path=str(socket_path), db=n) for n in (0, 5, 6)
              if n != db]
    for client in (raw, *others):
        client.flushdb()
    broker.client_for.__wrapped__(url).set("shunfuri:probe", "sync")

    async def via_async() -> None:
        client = broker.async_client(url)
        try:
            await client.set("shunfuri:probe-async", "async")
        finally:
            await client.aclose()

    loops.run(via_async())
    producer = broker._producer.__wrapped__(url)
    producer.send_task("repayments.drain", queue=producer.amqp.queues["instant"])
    assert raw.get("shunfuri:probe") == b"sync"
    assert raw.get("shunfuri:probe-async") == b"async"
    [message] = raw.lrange("instant", 0, -1)
    assert json.loads(message)["headers"]["task"] == "repayments.drain"
    assert all(client.dbsize() == 0 for client in others)
