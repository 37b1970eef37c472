"""The migrations are the schema: they build the models exactly, on both databases."""

from __future__ import annotations

from alembic import command

from shunfuri.db.migrate import alembic_config, upgrade


def test_postgres_schema_matches_the_models(database_url):
    command.check(alembic_config(database_url))  # raises if autogenerate would change anything


def test_sqlite_embedded_default_migrates_from_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'shunfuri.db'}"
    upgrade(url)
    upgrade(url)  # idempotent, as `shunfuri up` runs it at every start
    command.check(alembic_config(url))
