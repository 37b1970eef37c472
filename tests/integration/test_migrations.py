"""The migrations are the schema: they build the models exactly, and run again harmlessly
(`shunfuri up` runs them at every start)."""

from __future__ import annotations

from alembic import command

from shunfuri.db.migrate import alembic_config, upgrade


def test_postgres_schema_matches_the_models(database_url):
    upgrade(database_url)  # a copy of the template migrated from nothing: idempotent
    command.check(alembic_config(database_url))  # raises if autogenerate would change anything
