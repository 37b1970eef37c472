"""A whole week of mixed transfers on a running system, the clock jumping from moment to moment.

At each instant of interest the clock is moved there (`shunfuri clock ...`), the
member asks for transfers to a real-time and a standard bank, and the answer must be
what the rules engine says for the instant the server stamped. At the end the clock
jumps past the last `settle_at` and every transfer must have settled, never before
its `settle_at`.
"""

from __future__ import annotations

import pytest

from shunfuri.domain.banks import get_bank
from shunfuri.domain.instants import iso_jst, parse_instant
from shunfuri.domain.windows import quote
from tests.e2e.conftest import new_member
from tests.e2e.test_pipeline_e2e import set_clock
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e

# Week of Mon 2026-09-14 .. Sun 2026-09-20, then the September holiday run (21-23).
MOMENTS = [
    "2026-09-14T06:58:00",  # Monday: service closed
    "2026-09-14T07:02:00",  # Monday: open again; standard bank before 09:00
    "2026-09-15T10:00:00",  # Tuesday: standard instant window
    "2026-09-15T14:48:00",  # just before 14:50
    "2026-09-15T14:52:00",  # just after 14:50 -> next business day
    "2026-09-18T16:00:00",  # Friday after hours -> past the weekend and the holidays
    "2026-09-19T12:00:00",  # Saturday
    "2026-09-20T20:58:00",  # Sunday before SMBC maintenance
    "2026-09-20T21:02:00",  # Sunday inside SMBC maintenance
    "2026-09-22T12:00:00",  # citizens' holiday
]


def test_a_week_of_mixed_transfers_settles_by_the_rules():
    # Real speed at each moment: the closed window at Monday 06:58 lasts two real minutes,
    # not 0.12 s, so a busy machine still asks inside it.
    with running_system(clock=f"{MOMENTS[0]}+09:00", redis_db=13) as system:
        member = new_member(system, credit_limit=5_000_000)
        placed = []
        for moment in MOMENTS:
            set_clock(system, f"{moment}+09:00")
            for bank in ("0009", "0005", "0033"):
                r = system.http.post(
                    "/v1/transfers",
                    json={"payee_id": member["payees"][bank], "amount": 1_000},
                    headers=member["headers"],
                )
                if r.status_code == 503:
                    assert r.json()["code"] == "service_closed"
                    assert r.json()["retry_at"] == "2026-09-14T07:00:00+09:00"
                    continue
                assert r.status_code == 202, r.text
                body = r.json()
                expected = quote(get_bank(bank), parse_instant(body["accepted_at"]))
                assert body["decision"] == expected.decision, (moment, bank, body)
                assert body["settle_at"] == iso_jst(expected.settle_at), (moment, bank, body)
                placed.append(body)
        assert len(placed) == 3 * (len(MOMENTS) - 1)
        set_clock(system, "2026-09-24T12:00:00+09:00@1000")

        def all_settled():
            rows = []
            for body in placed:
                r = system.http.get(f"/v1/transfers/{body['id']}", headers=member["headers"])
                rows.append(r.json())
            return rows if all(row["status"] == "settled" for row in rows) else None

        rows = poll(all_settled, timeout=60, interval=0.5, what="the week to settle")
        for row in rows:
            assert parse_instant(row["settled_at"]) >= parse_instant(row["settle_at"])
        assert system.cli("reconcile", "--data-dir", str(system.data_dir)).returncode == 0
