"""The long-lived drain's lock in Redis: one drain per queue, handed on at end of life."""

from __future__ import annotations

from shunfuri.broker import DRAINER_LOCK, claim_drainer, get_redis, hold_drain, release_drain


def test_one_drain_at_a_time(db):
    client = get_redis()
    first = claim_drainer(client, "instant")
    assert first
    assert claim_drainer(client, "instant") is None  # a duplicate message only helps
    release_drain(client, "instant")
    assert claim_drainer(client, "instant")


def test_a_successor_takes_over_with_the_token_and_only_with_it(db):
    client = get_redis()
    token = claim_drainer(client, "instant")
    hold_drain(client, "instant", token)
    assert claim_drainer(client, "instant", handover="not-the-token") is None
    assert claim_drainer(client, "instant", handover=token) == token
    assert client.ttl(DRAINER_LOCK.format(queue="instant")) > 0  # a dead drain's lock expires


def test_a_stale_handover_cannot_take_a_lock_someone_else_holds(db):
    client = get_redis()
    old = claim_drainer(client, "instant")
    release_drain(client, "instant")  # the old drain ended without handing over
    current = claim_drainer(client, "instant")
    assert current != old
    assert claim_drainer(client, "instant", handover=old) is None
