"""The 10-second promise rule: judged only where worker hosts were to spare."""

from __future__ import annotations

from cluster.facts import Window
from cluster.hosts import DEFAULT
from cluster.promise import promise_rule, worker_hosts_hit
from cluster.schedule import Fault

KILL_W1 = Fault("f1", "kill", 0, 0, {"host": "worker1"})
CUT_W2 = Fault("f2", "partition", 0, 0, {"mode": "both", "a": "worker2", "b": "postgres"})
ISOLATE_W3 = Fault("f3", "partition", 0, 0, {"mode": "isolate", "a": "worker3", "b": None})
BANK = Fault("f4", "bank", 0, 0, {"what": "outage", "control": {"outage": True}})
FAULTS = {f.id: f for f in (KILL_W1, CUT_W2, ISOLATE_W3, BANK)}


def window(fault: Fault, start: float, end: float) -> Window:
    return Window(fault.id, fault.kind, start, end)


def sample(accepted: float, seconds: float) -> dict:
    return {"id": f"t{accepted:g}", "accepted": accepted, "seconds": seconds}


def test_which_faults_take_away_only_worker_hosts() -> None:
    assert worker_hosts_hit(KILL_W1, DEFAULT) == {"worker1"}
    assert worker_hosts_hit(CUT_W2, DEFAULT) == {"worker2"}
    assert worker_hosts_hit(ISOLATE_W3, DEFAULT) == {"worker3"}
    assert worker_hosts_hit(BANK, DEFAULT) is None
    assert worker_hosts_hit(Fault("x", "kill", 0, 0, {"host": "api1"}), DEFAULT) is None
    api_cut = Fault("x", "partition", 0, 0, {"mode": "both", "a": "api1", "b": "postgres"})
    assert worker_hosts_hit(api_cut, DEFAULT) is None
    slow = Fault("x", "link", 0, 0, {"client": "worker2", "server": "bank", "what": "slow",
                                    "faults": {"delay_ms": 50}})
    assert worker_hosts_hit(slow, DEFAULT) == {"worker2"}


def test_late_where_workers_were_to_spare_is_a_violation() -> None:
    windows = [window(KILL_W1, 100, 130), window(CUT_W2, 110, 140)]
    judged = [sample(50, 0.3), sample(102, 12.0), sample(115, 2.0), sample(116, 10.5)]
    rule = promise_rule(judged, windows, FAULTS, DEFAULT, counted=False)
    assert (rule.checked, len(rule.violations), rule.counted) == (3, 1, False)
    assert "t116 paid 10.5 s after acceptance with f1, f2 active" in rule.violations[0]
    assert rule.violations[0].endswith("worker hosts there: worker3")
    # t102: f2 began 8 s later and may rightly have caught it in flight: not judged.


def test_not_judged_when_every_worker_was_down_another_fault_was_on_or_began_soon() -> None:
    windows = [window(KILL_W1, 100, 200), window(CUT_W2, 100, 200),
               window(ISOLATE_W3, 150, 200), window(BANK, 300, 320)]
    late = [sample(120, 30.0),  # f1 and f2: worker3 there -> judged
            sample(160, 30.0),  # all three worker hosts down: not judged
            sample(295, 30.0),  # the bank fails 5 s later: not judged
            sample(310, 30.0)]  # the bank is out: not judged
    rule = promise_rule(late, windows, FAULTS, DEFAULT, counted=True)
    assert rule.checked == 1 and len(rule.violations) == 1 and rule.counted
