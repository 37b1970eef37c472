"""Broker adapter: the Redis connection shared by the API and the workers.

Beside Celery's own use of Redis, two small things live here: the transfer-event
channel that wakes `?wait=` long-polls, and the "drain requested" flag that lets many
accepted transfers share one Celery message.
"""

from __future__ import annotations

import logging
import secrets
import threading
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
import redis
from kombu import Exchange, Queue

# One direct exchange per queue, declared by producers and workers alike, so a message
# sent before any worker started still lands in its queue (and only there).
QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("instant", "batch", "maintenance", "applications")
)

EVENTS_CHANNEL = "shunfuri:transfer-events"


def events_channel(client: redis.Redis | Any) -> str:
    """The event channel of the db this client uses. Redis pub/sub ignores db numbers, so
    two systems sharing one Redis server on different dbs (two `shunfuri up`, a test run
    beside another) would hear each other's events on one name; the db in the name keeps
    each system's long-polls to its own."""
    return f"{EVENTS_CHANNEL}:{client.connection_pool.connection_kwargs.get('db', 0)}"


# Celery (kombu) and redis-py spell a Unix socket differently: kombu reads
# `redis+socket:///path?virtual_host=N` (and ignores `db=`), redis-py reads
# `unix:///path?db=N` (and knows no `redis+socket`). Either spelling is accepted as
# BROKER_URL and handed to each library in its own, so Celery's messages and our keys
# share one db. Everything else about a URL (TLS and its `ssl_*` options, username,
# password, host, port, db) is left to the libraries' own parsers.
_SOCKET_SCHEMES = ("redis+socket", "socket", "unix")


def _socket_db(query: list[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    """The db a socket URL names (`virtual_host` or `db`), and the rest of its query."""
    db = None
    rest = []
    for key, value in query:
        if key in ("virtual_host", "db"):
            db = value.strip("/") or db
        else:
            rest.append((key, value))
    return db, rest


def _respell(url: str, scheme: str, db_key: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in _SOCKET_SCHEMES:
        return url
    db, rest = _socket_db(parse_qsl(parts.query, keep_blank_values=True))
    query = urlencode([*rest, (db_key, db)] if db is not None else rest)
    # Not urlunsplit: it writes `unix:/path` for an empty host, which neither library reads.
    return f"{scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")


def redis_url(url: str) -> str:
    """BROKER_URL as redis-py reads it (`Redis.from_url`): `redis://`, `rediss://` and
    `unix://` as they are; Celery's `redis+socket:///path?virtual_host=N` as
    `unix:///path?db=N`."""
    return _respell(url, "unix", "db")


def celery_url(url: str) -> str:
    """BROKER_URL as Celery reads it: TCP URLs as they are; a Unix socket
    (`unix:///path?db=N`, or kombu's own spelling) as `redis+socket:///path?virtual_host=N`."""
    return _respell(url, "redis+socket", "virtual_host")


@lru_cache(maxsize=4)
def client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url(url), socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )


def get_redis() -> redis.Redis:
    from shunfuri.settings import get_settings

    return client_for(get_settings().resolved_broker_url)


def publish_transfer_events(client: redis.Redis, changes: list[tuple[str, dict]]) -> None:
    """Tell long-polls which transfers changed: one message per call, a line
    `id|<view as JSON>` per change.

    Every API process receives every message on the channel, so one message per pass
    instead of one per transfer: a 09:30 chunk of 500 was 500 messages for each API
    process to parse, while nobody waited on any of them.
    """
    if not changes:
        return
    payload = b"\n".join(
        transfer_id.encode() + b"|" + orjson.dumps(view) for transfer_id, view in changes
    )
    try:
        client.publish(events_channel(client), payload)
    except redis.RedisError as exc:
        # The database already holds the change; a waiter falls back to its timeout.
        logging.getLogger("shunfuri.broker").warning("event publish failed: %s", exc)


@lru_cache(maxsize=4)
def _producer(url: str):
    """A send-only Celery app: the API enqueues by task *name*, never importing workers."""
    from celery import Celery

    app = Celery("shunfuri-producer", broker=celery_url(url), set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=True, task_ignore_result=True, task_queues=QUEUES
    )
    app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT}
    return app


# Redis redelivers an unacknowledged message after this long; our tasks take well
# under a second, and the recovery sweep covers anything lost in between.
VISIBILITY_TIMEOUT = 120


def send_task(name: str, *, args: list | None = None, queue: str = "instant") -> None:
    from shunfuri.settings import get_settings

    app = _producer(get_settings().resolved_broker_url)
    app.send_task(name, args=args or [], queue=app.amqp.queues[queue], ignore_result=True)


def warm_producer() -> None:
    """Build the producer and open its connection before serving.

    The first `send_task` of a process imports much of Celery and kombu and connects:
    ~0.3 s of work holding the GIL, which stalled every request of an API process at the
    moment it first had to start a drain.
    """
    from shunfuri.settings import get_settings

    app = _producer(get_settings().resolved_broker_url)
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)
        for queue in QUEUES:
            queue.bind(producer.channel).declare()


DRAIN_FLAG = "shunfuri:drain-active:{queue}"
WAKE_LIST = "shunfuri:wake:{queue}"
FLAG_TTL = 3


# Flag "a drain is queued or running" (set only when absent), nudge its wake list, keep
# the list short. One script, so a transfer costs one Redis command, not three.
_REQUEST_DRAIN = """
local started = redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1])
redis.call('RPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], -16, -1)
if started then return 1 end
return 0
"""


def _drain_keys(queue: str) -> list[str]:
    return [DRAIN_FLAG.format(queue=queue), WAKE_LIST.format(queue=queue)]


def request_drain(queue: str = "instant") -> bool:
    """Make sure a worker is draining `queue`, and nudge it.

    The flag means "a drain is queued or running". A running drain holds it (renewing
    its TTL) and sleeps on the wake list between passes, so a steady stream of transfers
    is served by one long-lived task instead of a Celery message per transfer: that
    message costs more CPU than settling the transfer does. The drain deletes the flag
    *before* its last pass, so a transfer committed before we looked is always seen.
    If the drain dies, the TTL lets the next request send a fresh message, and the
    recovery sweep covers the gap from the database side.
    """
    client = get_redis()
    started = _script(client, _REQUEST_DRAIN)(keys=_drain_keys(queue), args=[FLAG_TTL])
    if started:
        send_task(f"transfers.drain_{queue}", queue=queue)
        return True
    return False


@lru_cache(maxsize=16)
def _script(client, source: str):
    """A registered script (EVALSHA, loaded again by redis-py if the server lost it)."""
    return client.register_script(source)


DRAINER_LOCK = "shunfuri:drainer:{queue}"
# The drainer lock's lease. Its holder renews it every RENEW_EVERY seconds from a thread
# of its own (`DrainLease`), also while a bank call takes longer than the lease: a live
# drain never loses the lock to a slow bank, and a dead one frees it within LOCK_TTL.
LOCK_TTL = 5
RENEW_EVERY = 1.0


# Take the drainer lock when it is free, or when the current holder handed it to us.
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held == false or (ARGV[2] ~= '' and held == ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  return 1
end
return 0
"""

# Renew the lease (and the "drain running" flag) only while we still hold the lock.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  return 1
end
return 0
"""

# Release only our own lock: a drain whose lease ran out must not free its successor's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


def _lock_keys(queue: str) -> list[str]:
    return [DRAINER_LOCK.format(queue=queue), DRAIN_FLAG.format(queue=queue)]


def claim_drainer(client: redis.Redis, queue: str, handover: str | None = None) -> str | None:
    """At most one long-lived drain per queue; a duplicate message only helps once.

    Returns the lock's token, or None when another drain holds it. `handover` is the
    token of a drain that ended its life and sent this message as its successor.
    """
    token = handover or secrets.token_hex(8)
    taken = _script(client, _CLAIM)(
        keys=[DRAINER_LOCK.format(queue=queue)], args=[token, handover or "", LOCK_TTL]
    )
    return token if taken else None


def renew_drain(client: redis.Redis, queue: str, token: str) -> bool:
    """Extend the lease and the drain flag; False when the lock is no longer ours."""
    return bool(_script(client, _RENEW)(keys=_lock_keys(queue), args=[token, LOCK_TTL, FLAG_TTL]))


def release_drain(client: redis.Redis, queue: str, token: str) -> bool:
    """Delete the lock and the drain flag if (and only if) `token` holds the lock."""
    return bool(_script(client, _RELEASE)(keys=_lock_keys(queue), args=[token]))


class DrainLease:
    """Keeps a drainer lock alive from a background thread while the drain works.

    `lost` is set when a renewal finds the lock taken by someone else (our lease ran out,
    e.g. the process was stopped); the drain then ends without handing over.
    """

    def __init__(self, client: redis.Redis, queue: str, token: str,
                 every: float = RENEW_EVERY) -> None:
        self.client, self.queue, self.token, self.every = client, queue, token, every
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"drain-lease-{queue}",
                                        daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if not renew_drain(self.client, self.queue, self.token):
                    self.lost.set()
                    return
            except redis.RedisError as exc:
                # Redis is away: the lease may lapse; the claim decides who drains next.
                logging.getLogger("shunfuri.broker").warning("lease renewal failed: %s", exc)

    def __enter__(self) -> DrainLease:
        if not renew_drain(self.client, self.queue, self.token):
            self.lost.set()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def async_client(url: str):
    """A Redis client for an event loop (the API makes one in its lifespan): its pooled
    connections belong to the loop that opened them.

    One immediate retry (a pooled connection may have outlived a Redis restart), no
    backoff: the wake-up after a commit is best effort, and redis-py's default retries
    with backoff held every `POST /v1/transfers` for 4 s while Redis was down.
    """
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(redis_url(url), socket_timeout=2, socket_connect_timeout=1,
                                   retry=Retry(NoBackoff(), 1))


async def request_drain_async(client, queue: str = "instant") -> bool:
    """`request_drain` for the event loop, on `client` (`async_client`): True when the
    caller must send the Celery message."""
    started = await _script(client, _REQUEST_DRAIN)(keys=_drain_keys(queue), args=[FLAG_TTL])
    return bool(started)


def wait_for_wake(client: redis.Redis, queue: str, timeout: float) -> bool:
    """Block until an API process nudges `queue` (True) or `timeout` passes (False)."""
    key = WAKE_LIST.format(queue=queue)
    woke = client.blpop([key], timeout=timeout) is not None
    if woke:
        client.delete(key)  # one pass serves every nudge so far
    return woke
