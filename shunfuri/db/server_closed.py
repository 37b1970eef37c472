"""Pooled connections the server has closed, left behind before they fail a request.

A PostgreSQL restart (or `pg_terminate_backend`) ends every backend; each idle pooled
connection then holds a termination message and an end-of-file in its socket, unread.
SQLAlchemy learns of it only when a request uses the connection and fails: that request
answers 503, and the pool is invalidated, but only that engine's, in that process. An
engine that serves few requests (the API's sync one: the staff desk, the member pages)
kept its stale connections until its next request, which then failed long after the
database was back (in the chaos suite, a staff action a minute later).

`pool_pre_ping` would catch it with a round trip per checkout: ~0.12 ms of the client's
CPU (measured) and PostgreSQL's for the empty query, on an API that spends 1.2-1.6 ms a
transfer in all. An idle connection's socket has nothing to read unless the server has spoken, so a
zero-timeout poll of it (a system call, microseconds) finds these connections, and the
pool replaces them in the same checkout. A connection silently cut by the network still
reads as healthy here; its request fails once and invalidates the pool, as before.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def replace_server_closed_connections(engine: Engine) -> None:
    """On `engine`'s pool (an async engine: pass its `sync_engine`)."""
    event.listen(engine, "checkout", _refuse_if_server_closed)


def _refuse_if_server_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # The async adapter wraps psycopg's AsyncConnection; both expose the libpq socket.
    connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    if connection.closed:
        raise DisconnectionError("the pooled connection is closed")
    poller = select.poll()
    poller.register(connection.pgconn.socket, select.POLLIN)
    if poller.poll(0):
        # Raising DisconnectionError here makes the pool discard this connection and
        # open a new one for the same checkout.
        raise DisconnectionError("the server closed the pooled connection")
