"""Admission control with real processes: the bank made slow, so the one instant drain
spends seconds in each call and new instant transfers wait unclaimed; the overload
fault's own sender (`cluster.overload`) then offers transfers at a fixed rate. The API
must refuse some up front (503 `overloaded`, Retry-After) and store nothing for them;
every one it accepted is paid once the bank is quick again; reconcile is clean."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import create_engine, text

from cluster.overload import run
from shunfuri.db.session import normalise_url
from tests import loops
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e


def test_a_saturated_instant_path_refuses_up_front_and_stores_nothing(tmp_path):
    with running_system(clock="2026-12-01T10:00:00+09:00",
                        SHUNFURI_ADMISSION_MAX_WAIT="0.5") as system:
        system.bank(latency_ms=2500)
        out = tmp_path / "overload.jsonl"
        # In a thread of its own: a browser test before this one in the same process may
        # have left an event loop running in this thread (`tests.loops`).
        loops.run(run([system.url], rate=20, seconds=6, out=str(out), seed=1,
                      stop=asyncio.Event()), timeout=120)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        summary, records = lines[0]["summary"], lines[1:]
        refused = [r for r in records if r["status"] == 503]
        accepted = [r for r in records if r["status"] == 202]
        assert summary["sent"] == len(records) > 0
        assert refused and accepted, [(r["status"], r.get("code")) for r in records]
        assert {r["code"] for r in refused} == {"overloaded"}
        assert all(1 <= int(r["retry_after"]) <= 30 for r in refused)
        assert {r["status"] for r in records} <= {202, 503}

        system.bank(latency_ms=2)
        engine = create_engine(normalise_url(system.database_url))
        keys = [r["key"] for r in refused]
        ids = [r["id"] for r in accepted]
        with engine.connect() as conn:
            stored = conn.execute(text(
                "SELECT count(*) FROM transfers WHERE idempotency_key = ANY(:k)"),
                {"k": keys}).scalar()
        assert stored == 0

        def all_settled() -> bool:
            with engine.connect() as conn:
                return conn.execute(text(
                    "SELECT count(*) FROM transfers WHERE id = ANY(:i) AND status = "
                    "'settled'"), {"i": ids}).scalar() == len(ids)

        poll(all_settled, timeout=90, interval=0.5, what="every accepted transfer settled")
        with engine.connect() as conn:
            held = conn.execute(text("SELECT coalesce(sum(held), 0) FROM members")).scalar()
        assert held == 0  # no hold left behind by anything refused
        engine.dispose()
        result = system.cli("reconcile", "--data-dir", str(system.data_dir))
        assert result.returncode == 0, result.stdout + result.stderr
