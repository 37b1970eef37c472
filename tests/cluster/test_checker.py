"""The checker on histories made by hand: a clean run passes every rule, and each kind of
broken money is caught by its rule (and counted as lost, doubled or over limit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from cluster.business import JST, ClockLine
from cluster.checker import Facts, Payment, Row, check
from cluster.facts import Window
from cluster.history import Op
from cluster.report import latencies, render

T0 = 1_000_000.0  # wall clock of the run's start
START = datetime(2026, 12, 1, 10, 0, tzinfo=JST)  # business time then (a Tuesday)
LIMIT = 50_000


class History:
    def __init__(self) -> None:
        self.ops: list[Op] = [Op(0, T0, -1, "setup", "member", {
            "member_id": 1, "credit_limit": LIMIT, "payees": {}})]

    def add(self, at: float, process: int, type_: str, f: str, value: dict) -> None:
        self.ops.append(Op(len(self.ops), T0 + at, process, type_, f, value))

    def transfer(self, at: float, transfer_id: str, amount: int, *, decision: str = "instant",
                 settle_at: datetime | None = None, done: str = "ok",
                 bank: str = "0005") -> None:
        accepted = START + timedelta(seconds=at)
        value = {"member_id": 1, "key": f"k-{transfer_id}", "amount": amount, "bank": bank}
        self.add(at, 1, "invoke", "transfer", value)
        self.add(at + 0.05, 1, done, "transfer", {
            **value, "id": transfer_id, "decision": decision,
            "settle_at": (settle_at or accepted).isoformat(), "accepted_at": accepted.isoformat()})


def facts(history: History, **changes) -> Facts:  # type: ignore[no-untyped-def]
    base = Facts(
        ops=history.ops, transfers={}, repayments={}, ledger={}, payments={}, collections={},
        clock=ClockLine(((T0, START),)), business_end=START + timedelta(minutes=10),
        limit_check=True, reconcile={"clean": True, "ledger": 0, "missing": 0, "doubled": 0,
                                     "invariants": {}}, bank_stats={})
    return replace(base, **changes)


def settled(transfer_id: str, amount: int, at: float, bank: str = "0005") -> dict:
    return {
        "transfers": {transfer_id: Row(transfer_id, 1, amount, "settled", bank_code=bank)},
        "ledger": {transfer_id: [amount]},
        "payments": {transfer_id: Payment(transfer_id, amount, "paid", T0 + at,
                                          bank_code=bank)},
    }


def merged(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for key, value in part.items():
            out.setdefault(key, {}).update(value)
    return out


def broken(verdict) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {r.name: r.violations for r in verdict.rules if r.violations}


def test_a_clean_history_passes_every_rule() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    h.transfer(2, "t2", 20_000)
    verdict = check(facts(h, **merged(settled("t1", 10_000, 1.5), settled("t2", 20_000, 3))))
    assert verdict.ok, broken(verdict)
    assert (verdict.counts["lost"], verdict.counts["doubled"], verdict.counts["over_limit"]) \
        == (0, 0, 0)
    assert verdict.counts["operations"]["transfer"] == {"ok": 2}


def test_an_acknowledged_transfer_we_lost_is_counted_lost() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    verdict = check(facts(h))
    assert verdict.counts["lost"] == 1
    assert "not in our records" in broken(verdict)[
        "acknowledged transfers final, scheduled as quoted"][0]


def test_a_transfer_left_in_doubt_is_neither_final_nor_resolved() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    verdict = check(facts(h, transfers={"t1": Row("t1", 1, 10_000, "processing")}))
    assert verdict.counts["lost"] == 1
    assert set(broken(verdict)) == {"acknowledged transfers final, scheduled as quoted",
                                    "every in-doubt order resolved by the bank's answer"}


def test_two_ledger_entries_for_one_payment_are_doubled() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    parts = settled("t1", 10_000, 2)
    parts["ledger"] = {"t1": [10_000, 10_000]}
    verdict = check(facts(h, **parts))
    assert verdict.counts["doubled"] == 1
    assert broken(verdict)["nothing settled twice (bank record = ledger, per id)"] == [
        "t1: 2 ledger entries"]


def test_a_failure_the_bank_paid_was_released_on_a_guess() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    parts = settled("t1", 10_000, 2)
    parts["transfers"] = {"t1": Row("t1", 1, 10_000, "failed")}
    parts["ledger"] = {}
    verdict = check(facts(h, **parts))
    rules = broken(verdict)
    assert rules["every in-doubt order resolved by the bank's answer"] == [
        "transfer t1 failed, yet the bank paid it"]
    assert rules["nothing settled twice (bank record = ledger, per id)"] == [
        "t1: paid by the bank, ours is failed"]


def test_the_bank_paying_past_the_limit_is_over_limit_and_repayments_count() -> None:
    h = History()
    for i, amount in enumerate((30_000, 25_000)):
        h.transfer(i + 1, f"t{i}", amount)
    parts = merged(settled("t0", 30_000, 2), settled("t1", 25_000, 4))
    verdict = check(facts(h, **parts))
    assert verdict.counts["over_limit"] == 1
    # A collection of 10,000 between the two payments keeps the member within the limit.
    repaid = {"repayments": {"r1": Row("r1", 1, 10_000, "settled")},
              "collections": {"r1": Payment("r1", 10_000, "paid", T0 + 3)}}
    assert check(facts(h, **parts, **repaid)).ok


def test_a_read_over_the_limit_and_a_missing_check_constraint_are_over_limit() -> None:
    h = History()
    h.add(1, 2, "invoke", "read", {"member_id": 1})
    h.add(1.1, 2, "ok", "read", {"member_id": 1, "credit_limit": LIMIT, "outstanding": 40_000,
                                  "held": 20_000, "available": -10_000})
    verdict = check(facts(h, limit_check=False))
    assert len(broken(verdict)["no member over limit at any instant"]) == 2


def test_a_cancel_that_succeeded_for_a_paid_order_is_caught() -> None:
    h = History()
    nine_thirty = START.replace(hour=9, minute=30) + timedelta(days=1)
    h.transfer(1, "t1", 10_000, decision="scheduled", settle_at=nine_thirty)
    h.add(5, 1, "invoke", "cancel", {"member_id": 1, "id": "t1"})
    h.add(5.1, 1, "ok", "cancel", {"member_id": 1, "id": "t1", "transfer_status": "cancelled"})
    parts = {"transfers": {"t1": Row("t1", 1, 10_000, "cancelled")},
             "payments": {"t1": Payment("t1", 10_000, "paid", T0 + 6)}}
    verdict = check(facts(h, **parts))
    assert broken(verdict)["no cancel succeeded for an order the bank paid"] == [
        "t1 cancelled, yet the bank paid it"]


def test_a_scheduled_transfer_paid_before_its_quoted_time_is_caught() -> None:
    h = History()
    later = START + timedelta(minutes=30)
    h.transfer(1, "t1", 10_000, decision="scheduled", settle_at=later)
    early = check(facts(h, **settled("t1", 10_000, 60)))
    assert "was paid at" in broken(early)["acknowledged transfers final, scheduled as quoted"][0]
    # The clock jumped to the quoted time; paid a second after it: as quoted.
    jumped = ClockLine(((T0, START),)).then(T0 + 50, later)
    assert check(facts(h, clock=jumped, **settled("t1", 10_000, 51))).ok


def test_still_scheduled_is_fine_only_before_its_quoted_time() -> None:
    h = History()
    later = START + timedelta(hours=2)
    h.transfer(1, "t1", 10_000, decision="scheduled", settle_at=later)
    row = {"transfers": {"t1": Row("t1", 1, 10_000, "scheduled", settle_at=later)}}
    assert check(facts(h, **row)).ok
    assert check(facts(h, business_end=later + timedelta(seconds=1), **row)).counts["lost"] == 1


def test_a_payment_to_smbc_inside_its_sunday_maintenance_is_caught() -> None:
    sunday_night = datetime(2026, 12, 6, 22, 0, tzinfo=JST)
    clock = ClockLine(((T0, START),)).then(T0 + 10, sunday_night)
    for bank, expected in (("0009", False), ("0033", True)):  # PayPay's is Monday's
        h = History()
        h.transfer(1, "t1", 10_000, bank=bank)
        verdict = check(facts(h, clock=clock, **settled("t1", 10_000, 20, bank=bank)))
        assert verdict.ok is expected, (bank, broken(verdict))


def test_a_slow_bank_call_sent_before_a_clock_jump_is_judged_where_it_was_sent() -> None:
    """Seed 5: sent at Monday 07:00:03 (SMBC open), the bank took 8 s, and meanwhile the
    clock jumped to Sunday 31 Dec 23:59:50 (inside SMBC's window): not a violation. Paid
    after a jump that happened more than a bank call earlier, it still is."""
    monday = datetime(2028, 1, 10, 7, 0, 0, tzinfo=JST)
    sunday = datetime(2028, 12, 31, 23, 59, 50, tzinfo=JST)
    clock = ClockLine(((T0, monday),)).then(T0 + 20, sunday)
    for paid_at, expected in ((25, True), (35, False)):
        h = History()
        h.transfer(1, "t1", 10_000, bank="0009")
        verdict = check(facts(h, clock=clock, **settled("t1", 10_000, paid_at, bank="0009")))
        assert verdict.ok is expected, (paid_at, broken(verdict))


def test_a_payment_the_bank_recorded_in_a_window_is_judged_at_our_send_time() -> None:
    """Seed 5's replay: accepted 23:59:50 JST on 31 Dec, recorded by a slowed bank at
    00:00:04 inside PayPay's New Year window. Sent by us at 23:59:51 it is the bank's
    lateness, not ours; sent by us at 00:00:03 it is a violation."""
    new_year_eve = datetime(2028, 12, 31, 23, 59, 50, tzinfo=JST)
    clock = ClockLine(((T0, new_year_eve),))
    for sent, expected in ((1, True), (13, False)):
        h = History()
        h.transfer(0.5, "t1", 10_000, bank="0033")
        parts = settled("t1", 10_000, 14, bank="0033")
        parts["transfers"] = {"t1": replace(parts["transfers"]["t1"], sent_at=T0 + sent)}
        verdict = check(facts(h, clock=clock, **parts))
        assert verdict.ok is expected, (sent, broken(verdict))


def test_an_unknown_outcome_may_have_happened_either_way() -> None:
    h = History()
    h.add(1, 1, "invoke", "transfer", {"member_id": 1, "key": "k1", "amount": 10_000})
    h.add(21, 1, "info", "transfer", {"member_id": 1, "key": "k1", "amount": 10_000,
                                      "code": "ReadTimeout"})
    assert check(facts(h)).ok  # it did not happen
    assert check(facts(h, **settled("t9", 10_000, 3))).ok  # it did, once
    assert check(facts(h, **settled("t9", 10_000, 3))).counts["operations"]["transfer"] == {
        "info": 1, "info:ReadTimeout": 1}


def test_reconcile_not_clean_is_a_violation() -> None:
    verdict = check(facts(History(), reconcile={"clean": False, "missing": 1, "doubled": 0}))
    assert verdict.counts["lost"] == 1 and not verdict.ok


def test_latency_is_from_acceptance_to_the_banks_payment_by_fault_kind() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    h.transfer(30, "t2", 10_000)

    h.transfer(33, "t3", 10_000)
    payments = {"t1": Payment("t1", 10_000, "paid", T0 + 1.5),
                "t2": Payment("t2", 10_000, "paid", T0 + 42),
                "t3": Payment("t3", 10_000, "paid", T0 + 40)}
    kill = Window("f1", "kill", T0 + 20, T0 + 35, label="kill worker")
    bank = Window("f2", "bank", T0 + 32, T0 + 50, label="bank slow")
    got = latencies(h.ops, payments, [kill, bank], ClockLine(((T0, START),)))
    assert got == {
        "kill worker": {"n": 2, "p50": 7.0, "p99": 12.0, "max": 12.0, "over_10s": 1},
        "kill worker (alone)": {"n": 1, "p50": 12.0, "p99": 12.0, "max": 12.0, "over_10s": 1},
        "bank slow": {"n": 1, "p50": 7.0, "p99": 7.0, "max": 7.0, "over_10s": 0},
        "none": {"n": 1, "p50": 0.5, "p99": 0.5, "max": 0.5, "over_10s": 0}}


def test_the_report_names_the_seed_the_verdict_and_what_fired() -> None:
    h = History()
    h.transfer(1, "t1", 10_000)
    parts = settled("t1", 10_000, 30)
    verdict = check(facts(h, **parts))
    kill = Window("f1", "kill", T0, T0 + 20, "kill -9 every process of worker1", "kill worker")
    fired = [{"alert": "WorkerHostDown", "host": "worker1", "from_s": 15.0, "to_s": 25.0,
              "faults": ["f1"]}]
    lat = latencies(h.ops, parts["payments"], [kill], ClockLine(((T0, START),)))
    text = render(24, verdict, [kill], lat, fired, (True, [], 3.0), [], T0)
    assert text.startswith("seed 24: PASS - lost 0, doubled 0, over limit 0")
    assert "kill worker (alone) | 1 " in text and "WorkerHostDown | worker1" in text
    assert "alerts after healing: all cleared" in text
    failing = check(facts(h))
    assert render(24, failing, [], {}, [], (False, ["ApiHostDown api1"], 180.0), [],
                  T0).startswith("seed 24: FAIL - lost 1")
