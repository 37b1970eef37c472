"""Alembic environment: the URL comes from the settings (or the caller), never a file."""

from __future__ import annotations

from alembic import context

from shunfuri.db.models import Base
from shunfuri.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
if not url:
    from shunfuri.settings import get_settings

    url = get_settings().resolved_database_url


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
