"""The `db` fixture's emptying (tests/conftest.py `empty_written_tables`) leaves what a
TRUNCATE of every table with RESTART IDENTITY would: no row anywhere, every id from 1."""

from __future__ import annotations

from sqlalchemy import text

from shunfuri.db.models import Base
from shunfuri.db.session import engine_for
from tests import factories
from tests.conftest import empty_written_tables


def test_written_tables_are_emptied_and_moved_sequences_restart(db, database_url):
    member_id = factories.member()
    factories.payee(member_id)
    engine = engine_for(database_url)
    with engine.begin() as conn:
        # A sequence moved by an insert that was rolled back, its table left empty.
        conn.execute(text("SELECT nextval('staff_accounts_id_seq')"))
    tables = [t.name for t in Base.metadata.sorted_tables]

    with engine.begin() as conn:
        empty_written_tables(conn, tables)

    with engine.begin() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                  for t in tables}
        assert {t: n for t, n in counts.items() if n} == {}
        firsts = [conn.execute(text(f"SELECT nextval('{s}')")).scalar_one()
                  for s in ("members_id_seq", "payees_id_seq", "staff_accounts_id_seq")]
    assert firsts == [1, 1, 1]
    assert factories.member() == 2  # the probe above took 1; the table itself still works
