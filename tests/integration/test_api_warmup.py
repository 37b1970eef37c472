"""The API opens `SHUNFURI_DB_WARM_CONNECTIONS` connections before its first request (at
most its pool), so the first burst of load finds them open; the tests' apps open none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shunfuri.settings import get_settings


@pytest.mark.parametrize(("warm", "pool", "opened"), [(3, 5, 3), (0, 5, 0), (20, 2, 4)])
def test_the_api_opens_its_warm_connections_at_start(db, monkeypatch, warm, pool, opened):
    from api.app import create_app

    monkeypatch.setenv("SHUNFURI_DB_WARM_CONNECTIONS", str(warm))
    monkeypatch.setenv("SHUNFURI_DB_POOL_SIZE", str(pool))
    get_settings.cache_clear()
    try:
        app = create_app()
        with TestClient(app):
            assert app.state.db.engine.pool.checkedin() == opened
    finally:
        get_settings.cache_clear()
