"""PostgreSQL is the only engine: another DATABASE_URL is refused at start-up, clearly,
and an unset one means the data folder's private PostgreSQL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shunfuri.embedded import PrivatePostgres, PrivateRedis
from shunfuri.settings import Settings


@pytest.mark.parametrize("url", ["sqlite:///tmp/shunfuri.db", "mysql://u@h/db", "shunfuri.db"])
def test_a_database_url_that_is_not_postgresql_is_refused_with_the_remedy(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "PostgreSQL only" in message and "leave DATABASE_URL unset" in message
    assert url not in message  # the input is not echoed (it may carry a password)


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/db", "postgres://u@h/db",
                                 "postgresql+psycopg://u@h/db"])
def test_postgresql_urls_are_taken_as_given(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    settings = Settings()
    assert settings.resolved_database_url == url
    assert settings.resolved_bank_database_url == url  # the simulator's table beside ours


def test_unset_means_the_private_postgresql_of_the_data_folder(monkeypatch, tmp_path):
    for key in ("DATABASE_URL", "SHUNFURI_BANK_DATABASE_URL", "BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SHUNFURI_DATA_DIR", str(tmp_path))
    settings = Settings()
    server, redis = PrivatePostgres(tmp_path / "postgres"), PrivateRedis(tmp_path / "redis")
    assert settings.resolved_database_url == server.url("shunfuri")
    assert settings.resolved_bank_database_url == server.url("bank_simulator")
    assert settings.resolved_broker_url == redis.url
    assert server.url("shunfuri").startswith("postgresql://postgres@/shunfuri?host=/")
