"""One way to reach the database from a page: the request's session.

Every page route depends on `page_session` (the route class adds it, as it adds the CSRF
check), so a page request has exactly one session, made by FastAPI's `Depends` from the
same `request_session` as the API's routes and closed when the request ends. An endpoint
names it as a parameter (`session: PageSession`: the same object, FastAPI caches a
dependency per request) and a POST commits through it; helpers deeper down (the principal
loader, the role check) reach it with `db(request)`.

Why endpoints end their transaction themselves (`releasing`): FastAPI runs a plain `def`
endpoint and the dependency's clean-up in separate thread-pool hops. A pooled connection
held between the two lets a burst deadlock: every thread waits for a connection while
every connection waits for a thread to run its clean-up (the API's `current_member` says
the same). So the route class wraps each `def` endpoint to close the session in the
endpoint's own thread, and what waits for the clean-up holds no connection.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shunfuri.db.session import request_session


def page_session(request: Request) -> Iterator[Session]:
    with contextmanager(request_session)() as session:
        request.state.db = session
        yield session


PageSession = Annotated[Session, Depends(page_session)]


def db(request: Request) -> Session:
    """The request's session (made by `page_session`, which every page route depends on)."""
    return request.state.db


def releasing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint`, closing the request's session when it returns or raises, in its own
    thread (see the module's note). `async def` endpoints run on the event loop, where a
    blocking close has no place: they end each transaction themselves."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            found = {id(v): v for v in (
                getattr(v.state, "db", None) if isinstance(v, Request) else v
                for v in kwargs.values()) if isinstance(v, Session)}
            for session in found.values():  # the parameter and `db(request)`: one object
                session.close()

    return run


@contextmanager
def released(session: Session) -> Iterator[Session]:
    """A unit of work that hands its connection back when it ends (`close`: rows read
    stay usable, detached; the session serves the next unit). For what an `async def`
    page runs in the thread pool, and for the reads a long-poll repeats: the event loop
    must never wait on a connection, nor keep one while it waits for an event."""
    try:
        yield session
    finally:
        session.close()
