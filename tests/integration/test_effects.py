"""After-commit effects (`shunfuri.services.effects`): run once the service's transaction
commits, after it; never on rollback, on a close without commit, or for a savepoint's
release alone; a failing effect never undoes or hides the commit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from shunfuri.db.session import session_factory
from shunfuri.services import effects
from tests import loops


@dataclass
class Seen:
    calls: list[str] = field(default_factory=list)
    fail: bool = False
    committed_rows: list[int] = field(default_factory=list)

    def effect(self, name: str) -> Recorded:
        return Recorded(self, name)


@dataclass(frozen=True)
class Recorded:
    seen: Seen
    name: str

    def run(self) -> None:
        # What the effect would see from another connection: the row must be there.
        with session_factory()() as other:
            self.seen.committed_rows.append(
                other.scalar(text("SELECT count(*) FROM effects_probe")) or 0)
        self.seen.calls.append(self.name)
        if self.seen.fail:
            raise RuntimeError("broker down")


@pytest.fixture(autouse=True)
def _probe_table(db) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A scratch table for each test, dropped after it: the session's database must keep
    exactly the models' schema (`test_migrations` compares them)."""
    with session_factory().begin() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS effects_probe (n int)"))
        s.execute(text("DELETE FROM effects_probe"))
    yield
    with session_factory().begin() as s:
        s.execute(text("DROP TABLE IF EXISTS effects_probe"))


def _write(s) -> None:  # type: ignore[no-untyped-def]
    s.execute(text("INSERT INTO effects_probe VALUES (1)"))


def test_runs_after_the_commit_and_sees_its_rows(db) -> None:
    seen = Seen()
    with session_factory()() as s:
        _write(s)
        effects.after_commit(s, seen.effect("wake"), seen.effect("count"))
        assert seen.calls == []
        s.commit()
    assert seen.calls == ["wake", "count"]
    assert seen.committed_rows == [1, 1]


def test_nothing_happens_on_rollback_or_close(db) -> None:
    seen = Seen()
    with session_factory()() as s:
        _write(s)
        effects.after_commit(s, seen.effect("rolled back"))
        s.rollback()
        _write(s)
        effects.after_commit(s, seen.effect("closed"))
    with session_factory()() as s:
        _write(s)
        effects.after_commit(s, seen.effect("failed"))
        try:
            s.execute(text("SELECT 1/0"))
        except Exception:  # noqa: BLE001 - the statement's error is the point
            s.rollback()
        s.commit()  # a later, empty commit must not run what the rollback dropped
    assert seen.calls == []


def test_a_savepoint_release_is_not_the_commit(db) -> None:
    seen = Seen()
    with session_factory()() as s:
        with s.begin_nested():
            _write(s)
            effects.after_commit(s, seen.effect("inner"))
        assert seen.calls == []
        s.rollback()
    assert seen.calls == []


def test_a_failing_effect_is_logged_and_the_next_still_runs(db, caplog) -> None:
    seen = Seen(fail=True)
    with session_factory()() as s:
        _write(s)
        effects.after_commit(s, seen.effect("first"), seen.effect("second"))
        s.commit()  # does not raise
    assert seen.calls == ["first", "second"]
    assert "after-commit Recorded failed" in caplog.text
    with session_factory()() as s:
        assert s.scalar(text("SELECT count(*) FROM effects_probe")) == 1


def test_deferred_effects_wait_for_the_caller(db) -> None:
    seen = Seen()
    with session_factory()() as s:
        collected = effects.defer(s)
        _write(s)
        effects.after_commit(s, seen.effect("later"))
        s.commit()
        assert seen.calls == [] and len(collected) == 1
    loops.run(effects.run_async(collected, redis=None))
    assert seen.calls == ["later"]


def test_an_autocommitted_statement_releases_them_itself(db) -> None:
    seen = Seen()
    with session_factory()() as s:
        s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        _write(s)
        effects.after_commit(s, seen.effect("fast"))
        effects.committed(s)
        assert seen.calls == ["fast"]
        s.rollback()
    assert seen.calls == ["fast"]
