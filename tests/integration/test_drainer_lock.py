"""The long-lived drain's lock in Redis: one drain per queue, handed on at end of life,
released and renewed only by its holder, kept alive while the holder works."""

from __future__ import annotations

from shunfuri.broker import (
    DRAIN_FLAG,
    DRAINER_LOCK,
    LOCK_TTL,
    DrainLease,
    claim_drainer,
    get_redis,
    release_drain,
    renew_drain,
)
from tests.system import poll

LOCK = DRAINER_LOCK.format(queue="instant")
FLAG = DRAIN_FLAG.format(queue="instant")


def test_one_drain_at_a_time(db):
    client = get_redis()
    first = claim_drainer(client, "instant")
    assert first
    assert claim_drainer(client, "instant") is None  # a duplicate message only helps
    assert release_drain(client, "instant", first)
    assert claim_drainer(client, "instant")


def test_a_successor_takes_over_with_the_token_and_only_with_it(db):
    client = get_redis()
    token = claim_drainer(client, "instant")
    assert renew_drain(client, "instant", token)
    assert claim_drainer(client, "instant", handover="not-the-token") is None
    assert claim_drainer(client, "instant", handover=token) == token
    assert 0 < client.ttl(LOCK) <= LOCK_TTL  # a dead drain's lock expires


def test_a_stale_handover_cannot_take_a_lock_someone_else_holds(db):
    client = get_redis()
    old = claim_drainer(client, "instant")
    release_drain(client, "instant", old)  # the old drain ended without handing over
    current = claim_drainer(client, "instant")
    assert current != old
    assert claim_drainer(client, "instant", handover=old) is None


def test_only_the_holder_releases_or_renews(db):
    client = get_redis()
    old = claim_drainer(client, "instant")
    client.delete(LOCK)  # the old drain's lease ran out (it was stopped, say)...
    current = claim_drainer(client, "instant")  # ...and a new drain took the lock
    assert renew_drain(client, "instant", current)  # the flag is set with the lease
    assert not release_drain(client, "instant", old)  # the old one comes back: refused
    assert client.get(LOCK).decode() == current and client.exists(FLAG)
    client.pexpire(LOCK, 2000)
    assert not renew_drain(client, "instant", old)  # nor can it extend someone else's
    assert client.pttl(LOCK) <= 2000
    assert release_drain(client, "instant", current)
    assert not client.exists(LOCK) and not client.exists(FLAG)


def test_the_lease_is_renewed_while_the_holder_works(db):
    client = get_redis()
    token = claim_drainer(client, "instant")
    with DrainLease(client, "instant", token, every=0.05) as lease:
        # As if a bank call had taken nearly the whole lease: it is renewed, not lost.
        client.pexpire(LOCK, 300)
        poll(lambda: client.pttl(LOCK) > 1000, timeout=5, what="the lease to be renewed")
        assert not lease.lost.is_set()
    assert client.get(LOCK).decode() == token  # leaving the lease does not release it
    assert release_drain(client, "instant", token)


def test_a_lease_notices_that_the_lock_is_no_longer_its_own(db):
    client = get_redis()
    token = claim_drainer(client, "instant")
    with DrainLease(client, "instant", token, every=0.05) as lease:
        client.set(LOCK, "someone-else", ex=LOCK_TTL)
        poll(lease.lost.is_set, timeout=5, what="the lease to notice")
    assert client.get(LOCK).decode() == "someone-else"  # untouched by the old holder
