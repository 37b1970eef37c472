"""The seeded schedule: the same seed gives the same schedule; faults overlap but never
hold the same thing twice; each heals in time; clock jumps land just before the spec's
boundaries and only move forward. And the business calendar the checker relies on."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from cluster.business import JST, ClockLine, crossing, in_maintenance, is_business_day
from cluster.hosts import DEFAULT
from cluster.schedule import QUIET_END_S, QUIET_START_S, Plan, business_line, draw

SEEDS = range(200)


def test_the_same_seed_gives_the_same_schedule_byte_for_byte() -> None:
    first = draw(24, 5, DEFAULT)
    assert draw(24, 5, DEFAULT).to_json() == first.to_json()
    assert draw(24, 5, DEFAULT).table() == first.table()
    assert draw(25, 5, DEFAULT).to_json() != first.to_json()
    assert draw(24, 6, DEFAULT).to_json() != first.to_json()


def test_a_saved_schedule_reads_back_as_the_same_plan() -> None:
    plan = draw(7, 30, DEFAULT)
    assert Plan.from_dict(json.loads(plan.to_json())).to_json() == plan.to_json()


@pytest.mark.parametrize("minutes", [5, 30])
def test_faults_overlap_heal_in_time_and_never_hold_the_same_thing_twice(minutes) -> None:
    overlapping = 0
    for seed in SEEDS:
        plan = draw(seed, minutes, DEFAULT)
        total = minutes * 60
        assert len(plan.faults) >= minutes * 2
        for f in plan.faults:
            assert QUIET_START_S <= f.start_s < f.heal_s <= total - QUIET_END_S, f
        for a in plan.faults:
            for b in plan.faults:
                if a.id < b.id and a.start_s < b.heal_s and b.start_s < a.heal_s:
                    overlapping += 1
                    assert a.holds is None or a.holds != b.holds, (seed, a, b)
    assert overlapping > len(SEEDS)  # several at once, routinely


def test_every_kind_and_variant_is_drawn_over_many_seeds() -> None:
    kinds: Counter = Counter()
    for seed in SEEDS:
        for f in draw(seed, 5, DEFAULT).faults:
            kinds[f.kind] += 1
            kinds[(f.kind, f.params.get("mode") or f.params.get("what")
                   or f.params.get("boundary"))] += 1
    for kind in ("partition", "link", "kill", "bank", "postgres", "redis", "clock"):
        assert kinds[kind] > 0, kind
    for variant in (("partition", "both"), ("partition", "one-way"), ("partition", "isolate"),
                    ("link", "blackhole"), ("link", "lossy"), ("bank", "lose-answers"),
                    ("bank", "outage"), ("postgres", "immediate"), ("clock", "sunday-2100"),
                    ("clock", "1450"), ("clock", "0930"), ("clock", "year-end")):
        assert kinds[variant] > 0, variant


def test_partitions_and_links_are_between_hosts_that_talk() -> None:
    links = set(DEFAULT.links())
    proxied = set(DEFAULT.proxied_links())
    for seed in SEEDS:
        for f in draw(seed, 5, DEFAULT).faults:
            p = f.params
            if f.kind == "partition" and p["mode"] != "isolate":
                assert (p["a"], p["b"]) in links or (p["b"], p["a"]) in links
            if f.kind == "link":
                assert (p["client"], p["server"]) in proxied
            if f.kind == "kill":
                assert DEFAULT.host(p["host"]).is_app


def test_clock_jumps_only_move_forward_and_land_just_before_a_boundary() -> None:
    for seed in SEEDS:
        plan = draw(seed, 30, DEFAULT)
        line = business_line(plan)
        instants = [b for _, b in line.points]
        for (wall_a, a), (wall_b, b) in zip(line.points, line.points[1:], strict=False):
            assert b > a + timedelta(seconds=wall_b - wall_a), (seed, instants)
        for f in plan.faults:
            if f.kind == "clock":
                to = datetime.fromisoformat(f.params["to"]).astimezone(JST)
                assert (to.time().isoformat(), to.weekday() if f.params["boundary"] ==
                        "sunday-2100" else None) in {
                    ("20:59:50", 6), ("14:49:50", None), ("08:50:00", None),
                    ("23:59:50", None)}, f


def test_crossings_from_a_tuesday_morning() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
    got = {b: tuple(x.isoformat() for x in crossing(b, now))
           for b in ("sunday-2100", "1450", "0930", "year-end")}
    assert got == {
        "sunday-2100": ("2026-12-06T20:59:50+09:00", "2026-12-07T06:59:50+09:00"),
        "1450": ("2026-12-01T14:49:50+09:00", "2026-12-02T09:29:50+09:00"),
        "0930": ("2026-12-02T08:50:00+09:00", "2026-12-02T09:29:50+09:00"),
        "year-end": ("2026-12-31T23:59:50+09:00", "2027-01-04T09:29:50+09:00"),
    }
    # Friday 14:50 is followed by Monday's 09:30 (2026-12-07).
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=JST)
    assert crossing("1450", friday)[0].date() == date(2026, 12, 7)
    assert crossing("1450", friday)[1] == datetime(2026, 12, 8, 9, 29, 50, tzinfo=JST)


def test_business_days_and_maintenance_windows_are_the_specs() -> None:
    assert not is_business_day(date(2026, 12, 31))
    assert not is_business_day(date(2027, 1, 3))
    assert not is_business_day(date(2026, 11, 23))  # 勤労感謝の日, a Monday
    assert is_business_day(date(2027, 1, 4))

    def at(d: int, hh: int, mm: int, ss: int = 0) -> datetime:
        return datetime(2026, 12, d, hh, mm, ss, tzinfo=JST)  # Dec 6 is a Sunday

    assert in_maintenance("0009", at(6, 21, 0)) and not in_maintenance("0009", at(6, 20, 59, 59))
    assert in_maintenance("0009", at(7, 6, 59, 59)) and not in_maintenance("0009", at(7, 7, 0))
    assert not in_maintenance("0033", at(6, 23, 0)) and in_maintenance("0033", at(7, 0, 0))
    assert in_maintenance("0033", datetime(2027, 1, 1, 12, 0, tzinfo=JST))
    assert in_maintenance("0009", datetime(2027, 1, 1, 12, 0, tzinfo=JST))
    assert not in_maintenance("0005", at(7, 3, 0))


def test_the_clock_line_maps_wall_time_to_business_time_and_back() -> None:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
    jumped = datetime(2026, 12, 6, 20, 59, 50, tzinfo=JST)
    line = ClockLine(((1000.0, start),)).then(1030.0, jumped)
    assert line.at(1010.0) == start + timedelta(seconds=10)
    assert line.at(1040.0) == jumped + timedelta(seconds=10)
    assert line.wall_of(start + timedelta(seconds=20), before=1050.0) == 1020.0
    assert line.wall_of(jumped + timedelta(seconds=5), before=1050.0) == 1035.0
    assert line.wall_of(start + timedelta(hours=1), before=1050.0) is None
