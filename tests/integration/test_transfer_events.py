"""The API's event listener (`api.waiter`) against real Redis: a pass's changes arrive as
one message, and each waiting request gets the view of its own transfer only."""

from __future__ import annotations

import asyncio

import orjson

from api.waiter import TransferWaiter
from shunfuri.broker import events_channel, get_redis, publish_transfer_events
from shunfuri.settings import get_settings
from tests import loops


def test_one_message_per_pass_wakes_each_waiter_with_its_own_view(db):
    async def scenario() -> tuple[dict, dict, bool]:
        waiter = TransferWaiter(get_settings().resolved_broker_url)
        try:
            async with waiter.watch("t-1") as first, waiter.watch("t-2") as second:
                await asyncio.to_thread(publish_transfer_events, get_redis(), [
                    ("t-0", {"id": "t-0", "status": "settled"}),
                    ("t-1", {"id": "t-1", "status": "processing"}),
                    ("t-2", {"id": "t-2", "status": "failed", "failure_code": "bank_rejected"}),
                    ("t-1", {"id": "t-1", "status": "settled"}),
                ])
                await asyncio.wait_for(
                    asyncio.gather(first.event.wait(), second.event.wait()), timeout=5
                )
            assert first.view is not None and second.view is not None
            return orjson.loads(first.view), orjson.loads(second.view), bool(waiter._events)
        finally:
            await waiter.close()

    first, second, still_watched = loops.run(scenario())
    # The later line of the same transfer wins, as a later message did.
    assert first == {"id": "t-1", "status": "settled"}
    assert second == {"id": "t-2", "status": "failed", "failure_code": "bank_rejected"}
    assert still_watched is False


def test_one_publish_per_call(db):
    client = get_redis()
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(events_channel(client))
    try:
        publish_transfer_events(client, [(f"t-{i}", {"id": f"t-{i}"}) for i in range(500)])
        message = None
        for _ in range(50):
            message = pubsub.get_message(timeout=0.1)
            if message is not None:
                break
        assert message is not None
        lines = message["data"].split(b"\n")
        assert len(lines) == 500
        assert lines[499] == b't-499|{"id":"t-499"}'
        assert pubsub.get_message(timeout=0.2) is None
    finally:
        pubsub.close()


def test_systems_on_other_dbs_of_one_redis_never_hear_each_other(db):
    from redis import ConnectionPool, Redis

    ours = get_redis()
    pool = ours.connection_pool
    neighbour = Redis(connection_pool=ConnectionPool(
        connection_class=pool.connection_class,
        **{**pool.connection_kwargs, "db": pool.connection_kwargs.get("db", 0) + 1}))
    pubsub = ours.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(events_channel(ours))
    try:
        publish_transfer_events(neighbour, [("t-theirs", {"id": "t-theirs"})])
        publish_transfer_events(ours, [("t-ours", {"id": "t-ours"})])
        message = None
        for _ in range(50):
            message = pubsub.get_message(timeout=0.1)
            if message is not None:
                break
        assert message is not None and message["data"] == b't-ours|{"id":"t-ours"}'
    finally:
        pubsub.close()
        neighbour.close()
