"""The databases the tests make (tests/services.py) skip the WAL flush at commit, copies of
the migrated template included (a database's own settings are not copied with it)."""

from __future__ import annotations

import psycopg
import pytest

from tests.services import _dsn, create_database, create_migrated_database, drop_database


@pytest.mark.parametrize("make", [create_database, create_migrated_database])
def test_a_test_database_commits_without_waiting_for_the_flush(make):
    url = make()
    try:
        with psycopg.connect(_dsn(url)) as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
    finally:
        drop_database(url)
