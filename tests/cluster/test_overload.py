"""The overload fault: drawn apart from the other faults (old seeds unchanged), and the
checker's overload rule on answers made by hand: a refusal that left a row, an
acceptance paid late, are violations; the right refusals and prompt payments are not."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from cluster.business import JST, ClockLine
from cluster.checker import Facts, Payment, Row
from cluster.facts import Window
from cluster.history import Op
from cluster.hosts import DEFAULT
from cluster.overload_check import load_figures, overload_rule, read_loads
from cluster.schedule import OVERLOAD_S, QUIET_END_S, Fault, Plan, draw

T0 = 1_000_000.0
START = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
OVERLOAD = Fault("o1", "overload", 100, 160, {"rate": 1000.0, "seed": 1})
REDIS = Fault("f1", "redis", 0, 0, {})
FAULTS = {f.id: f for f in (OVERLOAD, REDIS)}


def test_one_overload_per_ten_minutes_appended_without_changing_the_rest():
    for seed in range(30):
        plan = draw(seed, 30, DEFAULT)
        overloads = [f for f in plan.faults if f.kind == "overload"]
        assert [f.id for f in overloads] == ["o1", "o2", "o3"]
        for f in overloads:
            assert abs(f.heal_s - f.start_s - OVERLOAD_S) < 0.01
            assert f.heal_s <= 30 * 60 - QUIET_END_S
        assert all(a.heal_s <= b.start_s for a, b in zip(overloads, overloads[1:]))
        others = [f for f in plan.faults if f.kind != "overload"]
        # Drawn after the rest from a generator of their own: a seed's faults and
        # clients are those it had before the overload kind existed.
        assert all(f.id.startswith("f") for f in others)
    assert not [f for f in draw(11, 5, DEFAULT).faults if f.kind == "overload"]
    plan = draw(3, 30, DEFAULT)
    assert Plan.from_dict(json.loads(plan.to_json())).to_json() == plan.to_json()


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def facts(ops: list[Op], transfers: dict, payments: dict) -> Facts:
    return Facts(ops=ops, transfers=transfers, repayments={}, ledger={}, payments=payments,
                 collections={}, clock=ClockLine(((T0, START),)),
                 business_end=START + timedelta(minutes=10), limit_check=True, reconcile={})


def record(n: int, sent: float, status: int | None, **extra) -> dict:
    return {"member_id": 7, "key": f"k{n}", "amount": 1000, "sent": T0 + sent,
            "done": T0 + sent + 0.2, "status": status, **extra}


def accepted(n: int, sent: float) -> dict:
    return record(n, sent, 202, id=f"t{n}", decision="instant", accepted_at=at(sent + 0.1))


def refused(n: int, sent: float) -> dict:
    return record(n, sent, 503, code="overloaded", retry_after="3")


WINDOWS = [Window("o1", "overload", T0 + 100, T0 + 160), Window("f1", "redis", T0 + 200,
                                                                 T0 + 210)]


def paid(transfer_id: str, at_s: float) -> Payment:
    return Payment(transfer_id, 1000, "paid", T0 + at_s)


def test_refused_left_nothing_and_accepted_paid_in_time_is_clean():
    loads = {"o1": {"summary": {"rate": 1000.0, "started": T0 + 100, "ended": T0 + 160,
                                "due": 3, "sent": 3, "not_sent": 0},
                    "records": [accepted(1, 101), refused(2, 102), accepted(3, 150)]}}
    f = facts([], {"t1": Row("t1", 7, 1000, "settled", key="k1"),
                   "t3": Row("t3", 7, 1000, "settled", key="k3")},
              {"t1": paid("t1", 103.0), "t3": paid("t3", 160.0)})
    rule = overload_rule(f, loads, WINDOWS, FAULTS, DEFAULT)
    assert (rule.checked, rule.violations, rule.counted) == (3, [], True)
    figures = load_figures(f, loads)["o1"]
    assert figures["answers"] == {"accepted": 2, "overloaded": 1}
    assert figures["accept_to_paid"]["n"] == 2 and figures["accept_to_paid"]["max"] == 9.9


def test_a_refusal_that_stored_a_row_and_a_late_acceptance_are_violations():
    loads = {"o1": {"summary": {}, "records": [accepted(1, 101), refused(2, 102)]}}
    f = facts([], {"t1": Row("t1", 7, 1000, "settled", key="k1"),
                   "t2": Row("t2", 7, 1000, "accepted", key="k2")},
              {"t1": paid("t1", 112.0)})
    rule = overload_rule(f, loads, WINDOWS, FAULTS, DEFAULT)
    assert rule.checked == 2 and len(rule.violations) == 2
    assert any("refused as overloaded, yet stored: t2" in v for v in rule.violations)
    assert any("t1 accepted under overload, paid 10.9 s later" in v for v in rule.violations)


def test_not_judged_outside_the_overload_or_where_another_fault_may_delay_it():
    loads = {"o1": {"summary": {}, "records": [accepted(1, 50), accepted(2, 195)]}}
    f = facts([], {}, {"t1": paid("t1", 99.0), "t2": paid("t2", 240.0)})
    windows = [Window("o1", "overload", T0 + 0, T0 + 60), Window("o1b", "overload", T0 + 190,
                                                                   T0 + 250), WINDOWS[1]]
    faults = {**FAULTS, "o1b": OVERLOAD}
    rule = overload_rule(f, loads, windows, faults, DEFAULT)
    # t1: judged (overload alone) and 48.9 s late; t2: Redis stops 4.9 s after it.
    assert rule.checked == 1 and "t1 accepted under overload" in rule.violations[0]


def test_the_steady_clients_answers_count_too():
    ops = [Op(0, T0 + 120, 1, "invoke", "transfer", {"member_id": 3, "key": "c1"}),
           Op(1, T0 + 120.1, 1, "fail", "transfer", {"member_id": 3, "key": "c1",
                                                     "code": "overloaded"})]
    f = facts(ops, {"x": Row("x", 3, 1000, "settled", key="c1")}, {})
    rule = overload_rule(f, {}, WINDOWS, FAULTS, DEFAULT)
    assert rule.checked == 1 and "yet stored: x" in rule.violations[0]


def test_read_loads(tmp_path):
    (tmp_path / "overload-o1.jsonl").write_text(
        json.dumps({"summary": {"rate": 1}}) + "\n" + json.dumps(refused(1, 1)) + "\n")
    (tmp_path / "overload-o1.log").write_text("not read")
    assert read_loads(tmp_path) == {"o1": {"summary": {"rate": 1}, "records": [refused(1, 1)]}}
