"""`web.db`: one session per page request, made by `Depends`, closed in the endpoint's own
thread (so what waits for the dependency's clean-up holds no connection), and closed
whatever the endpoint does. No database: the sessions here are never bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import web.db
from shunfuri import catalogue
from shunfuri.errors import ShunfuriError
from web.db import PageSession, db
from web.security import Site, route_class


class CountedSession(Session):
    made: list[CountedSession] = []

    def __init__(self) -> None:
        super().__init__()
        self.closed_in: list[int] = []
        self.before_clean_up: list[int] = []
        CountedSession.made.append(self)

    def close(self) -> None:
        self.closed_in.append(threading.get_ident())
        super().close()


def _sessions() -> Iterator[Session]:
    session = CountedSession()
    try:
        yield session
    finally:
        session.before_clean_up = list(session.closed_in)
        session.close()


SITE = Site(name="t", cookie="t_session", anon_cookie="t_form", login_path="/login",
            load=lambda session, token, wall: None)


def _app() -> tuple[FastAPI, dict]:
    from fastapi import APIRouter

    seen: dict = {}
    router = APIRouter(route_class=route_class(
        SITE, lambda request, error: PlainTextResponse(error.code, status_code=catalogue.status(error))))

    @router.get("/page")
    def page(request: Request, session: PageSession) -> Response:
        seen["thread"] = threading.get_ident()
        seen["same"] = db(request) is session
        return PlainTextResponse("ok")

    @router.get("/helper-only")
    def helper_only(request: Request) -> Response:
        seen["helper"] = db(request)  # no parameter: the route still made one
        return PlainTextResponse("ok")

    @router.get("/refused")
    def refused(request: Request, session: PageSession) -> Response:
        seen["thread"] = threading.get_ident()
        raise ShunfuriError("not_found")

    app = FastAPI()
    app.include_router(router)
    return app, seen


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict]]:
    monkeypatch.setattr(web.db, "request_session", _sessions)
    CountedSession.made.clear()
    app, seen = _app()
    with TestClient(app) as test_client:
        yield test_client, seen


def test_one_session_per_request_the_same_for_parameter_and_helper(client) -> None:
    test_client, seen = client
    assert test_client.get("/page").status_code == 200
    assert test_client.get("/page").status_code == 200
    assert len(CountedSession.made) == 2  # one each, never two in one request
    assert seen["same"] is True


def test_closed_by_the_endpoint_before_the_clean_up(client) -> None:
    test_client, seen = client
    test_client.get("/page")
    (session,) = CountedSession.made
    assert session.before_clean_up == [seen["thread"]]
    assert len(session.closed_in) == 2  # and by the clean-up, which finds nothing to do


def test_a_route_without_the_parameter_still_has_its_session(client) -> None:
    test_client, seen = client
    assert test_client.get("/helper-only").status_code == 200
    assert seen["helper"] is CountedSession.made[0]
    assert CountedSession.made[0].closed_in


def test_closed_when_the_endpoint_refuses(client) -> None:
    test_client, seen = client
    response = test_client.get("/refused")
    assert response.status_code == 404
    (session,) = CountedSession.made
    assert session.before_clean_up == [seen["thread"]]
