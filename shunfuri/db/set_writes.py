"""Write a session's changed rows with one UPDATE per table, and new rows with one
INSERT, for the worker's passes.

The unit of work writes changed rows one statement per row (batched per group of
rows that changed the same columns): at 300 transfers a second its bookkeeping was a
quarter of the instant worker's CPU. Here every changed row of a table goes out in
one `UPDATE ... FROM unnest(...)` of the columns any of them changed (a row whose
value did not change writes it back unchanged), and the rows are then marked clean so
the commit writes nothing more: each written column's value is made its committed value
(`attributes.set_committed_value`, SQLAlchemy's public API; the commit's flush still
looks at the rows, finds nothing to write and writes nothing). Until issue 25 item 8 this
called the private `InstanceState._commit_all`, which also took the rows out of the
flush: 2.7 µs a row, against 14.5-15 µs now (`python -m loadtests.bench.set_writes`,
docs/performance.md), at most four rows a transfer. The changed columns are read through
the public `InstanceState.unmodified` (not the undocumented `committed_state`).

Only for code that locked every row it changes (the passes lock theirs with FOR
UPDATE) and that does not read its own changes back through queries: autoflush is off
while such code runs (`no_autoflush`), so a query would not see them.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, TextClause, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import set_committed_value

_DIALECT = postgresql.dialect()


def write_changes(session: Session) -> int:
    """Write every modified persistent object of `session`; returns how many rows."""
    changed: dict[Mapper, list[tuple[Any, tuple[str, ...]]]] = defaultdict(list)
    for obj in list(session.dirty):
        state = inspect(obj)
        # The columns set since load (`unmodified` is the rest, what the unit of work
        # would not write); relationships are never set on these rows.
        unmodified = state.unmodified
        keys = tuple(k for k in state.mapper.columns.keys() if k not in unmodified)
        if keys:
            changed[state.mapper].append((obj, keys))
    written = 0
    for mapper, items in changed.items():
        columns = tuple(sorted({k for _, keys in items for k in keys}))
        pk = cast(str, mapper.primary_key[0].key)  # a table's column always has one
        params: dict[str, list] = {f"c{i}": [getattr(obj, c) for obj, _ in items]
                                   for i, c in enumerate(columns)}
        params["pk"] = [getattr(obj, pk) for obj, _ in items]
        session.execute(_statement(mapper, pk, columns), params)
        for obj, keys in items:
            for key in keys:  # written: what the session holds is now the row's value
                set_committed_value(obj, key, getattr(obj, key))
        written += len(items)
    return written


@lru_cache(maxsize=64)
def _statement(mapper: Mapper, pk: str, columns: tuple[str, ...]) -> TextClause:
    table = cast(Table, mapper.local_table)

    def array(name: str) -> str:
        return f"{table.c[name].type.compile(dialect=_DIALECT)}[]"

    sources = [f"CAST(:pk AS {array(pk)})"]
    sources += [f"CAST(:c{i} AS {array(c)})" for i, c in enumerate(columns)]
    names = ", ".join(["pk", *columns])
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    # Only the mapped table's own names are formatted in; every value is a bound array.
    return text(
        f"UPDATE {table.name} AS t SET {assignments} "  # noqa: S608
        f"FROM unnest({', '.join(sources)}) AS v({names}) WHERE t.{pk} = v.pk"
    )


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) in one `INSERT ... SELECT FROM unnest(...)`.

    An executemany is one statement per row on the wire and in the server (the 09:30
    batch's ledger: 500 a chunk)."""
    if not rows:
        return
    columns = tuple(rows[0])
    params = {f"c{i}": [row[c] for row in rows] for i, c in enumerate(columns)}
    session.execute(_insert(table, columns), params)


@lru_cache(maxsize=16)
def _insert(table: Table, columns: tuple[str, ...]) -> TextClause:
    sources = ", ".join(
        f"CAST(:c{i} AS {table.c[c].type.compile(dialect=_DIALECT)}[])"
        for i, c in enumerate(columns)
    )
    names = ", ".join(columns)
    # Only the table's own column names are formatted in; every value is a bound array.
    return text(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({sources})")  # noqa: S608
