"""Broker URLs as redis-py and Celery read them (issue 23, item 11): the URL is parsed by
the libraries themselves, so TLS (`rediss://` and its `ssl_*` options), the db number of
a Unix socket, a username and a password all reach the connection. The hand-written
parser dropped TLS and a socket's db number.

Nothing connects here (a pool connects on first use);
tests/integration/test_broker_socket.py uses a real socket, with Celery."""

from __future__ import annotations

import ssl

import pytest
import redis

from shunfuri import broker
from tests import loops


def pool_of(url: str) -> tuple[type, dict]:
    pool = broker.client_for.__wrapped__(url).connection_pool
    return pool.connection_class, pool.connection_kwargs


async def async_pool_of(url: str) -> tuple[type, dict]:
    client = broker.async_client(url)
    try:
        return client.connection_pool.connection_class, client.connection_pool.connection_kwargs
    finally:
        await client.aclose()


def test_redis_url_with_db_user_and_password() -> None:
    kind, kwargs = pool_of("redis://app:s%40cret@cache.internal:6380/4")
    assert kind is redis.Connection
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("cache.internal", 6380, 4)
    assert (kwargs["username"], kwargs["password"]) == ("app", "s@cret")
    assert kwargs["socket_timeout"] == 5  # our options still apply


def test_rediss_keeps_tls_and_its_options() -> None:
    url = ("rediss://:pw@cache.internal:6390/2?ssl_cert_reqs=required"
           "&ssl_ca_certs=/etc/ssl/ca.pem")
    kind, kwargs = pool_of(url)
    assert issubclass(kind, redis.SSLConnection)
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == (
        "cache.internal", 6390, 2, "pw")
    assert kwargs["ssl_cert_reqs"] == "required" and kwargs["ssl_ca_certs"] == "/etc/ssl/ca.pem"
    connection = kind(**kwargs)
    assert connection.cert_reqs == ssl.CERT_REQUIRED and connection.ca_certs == "/etc/ssl/ca.pem"


@pytest.mark.parametrize("url", [
    "unix:///run/redis/redis.sock?db=7",
    "redis+socket:///run/redis/redis.sock?virtual_host=7",  # Celery's (kombu's) spelling
])
def test_a_unix_socket_keeps_its_db(url: str) -> None:
    kind, kwargs = pool_of(url)
    assert issubclass(kind, redis.UnixDomainSocketConnection)
    assert (kwargs["path"], kwargs["db"]) == ("/run/redis/redis.sock", 7)


def test_unix_socket_with_password() -> None:
    kind, kwargs = pool_of("unix://:pw@/run/redis/redis.sock?db=3")
    assert issubclass(kind, redis.UnixDomainSocketConnection)
    assert (kwargs["path"], kwargs["db"], kwargs["password"]) == ("/run/redis/redis.sock", 3, "pw")


@pytest.mark.parametrize("url, connection, db", [
    ("redis://cache.internal:6380/4", "Connection", 4),
    ("rediss://cache.internal:6390/2?ssl_cert_reqs=required", "SSLConnection", 2),
    ("unix:///run/redis/redis.sock?db=7", "UnixDomainSocketConnection", 7),
    ("redis+socket:///run/redis/redis.sock?virtual_host=7", "UnixDomainSocketConnection", 7),
])
def test_the_async_client_reads_the_url_the_same_way(url: str, connection: str,
                                                     db: int) -> None:
    kind, kwargs = loops.run(async_pool_of(url))
    assert kind.__name__ == connection  # redis.asyncio's class of that name
    assert kwargs["db"] == db and kwargs["socket_timeout"] == 2


@pytest.mark.parametrize("url, expected", [
    ("unix:///run/redis/redis.sock?db=7", "redis+socket:///run/redis/redis.sock?virtual_host=7"),
    ("redis+socket:///run/redis/redis.sock?db=7",  # kombu ignores db=: given as it reads it
     "redis+socket:///run/redis/redis.sock?virtual_host=7"),
    ("redis+socket:///run/redis/redis.sock?virtual_host=7",
     "redis+socket:///run/redis/redis.sock?virtual_host=7"),
    ("redis+socket:///run/redis/redis.sock", "redis+socket:///run/redis/redis.sock"),
    ("redis://h:6379/3", "redis://h:6379/3"),
    ("rediss://h:6390/2?ssl_cert_reqs=required", "rediss://h:6390/2?ssl_cert_reqs=required"),
])
def test_celery_is_given_the_socket_and_db_in_its_own_spelling(url: str, expected: str) -> None:
    assert broker.celery_url(url) == expected
