"""The checker: the recorded history and the final state, after healing and draining,
against the rules a payments queue must keep. Pure: `check(facts)` reads only what
`cluster.facts` gathered (the clients' history, the nemesis log, the bank's own record,
our rows' ids and statuses), so a test can hand it any history.

Independent of the code under test: nothing from `shunfuri` is imported; balances are
recomputed from the bank's record and the history, never read from our members'
`outstanding` / `held`; the maintenance windows and business days are the spec's, written
again in `cluster.business`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cluster.business import ClockLine, in_maintenance
from cluster.history import Op, Pair, pairs

FINAL = ("settled", "failed", "rejected", "cancelled")
IN_DOUBT = ("processing", "needs_attention")
SKEW = timedelta(seconds=2)  # the clock file reaches every process within 50 ms; margin
BANK_CALL_S = 9.0  # a bank call's longest work: the slow-bank fault's 8 s (past our 5 s timeout)


@dataclass(frozen=True)
class Payment:
    """A row of the bank's own record (payments or collections)."""

    id: str
    amount: int
    status: str  # paid | rejected
    paid_at: float  # wall clock, epoch seconds
    requests: int = 1
    bank_code: str = ""


@dataclass(frozen=True)
class Row:
    """Our row of a transfer or repayment: identity and status only."""

    id: str
    member_id: int
    amount: int
    status: str
    key: str | None = None
    decision: str | None = None
    settle_at: datetime | None = None
    bank_code: str | None = None
    sent_at: float | None = None  # our first send to the bank, wall clock (transfers.sent_at)


@dataclass
class Facts:
    ops: list[Op]
    transfers: dict[str, Row]
    repayments: dict[str, Row]
    ledger: dict[str, list[int]]  # transfer id -> amounts of its ledger entries
    payments: dict[str, Payment]  # the bank's record
    collections: dict[str, Payment]
    clock: ClockLine  # business time by wall time
    business_end: datetime  # business time when the state was read
    limit_check: bool  # the database's CHECK (outstanding + held <= credit_limit) is there
    reconcile: dict  # `shunfuri reconcile --json`
    bank_stats: dict = field(default_factory=dict)


@dataclass
class Rule:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    counted: bool = True  # False: reported, not part of the verdict (nor the exit status)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass
class Verdict:
    rules: list[Rule]
    counts: dict

    @property
    def ok(self) -> bool:
        return all(rule.ok for rule in self.rules if rule.counted)


def check(facts: Facts) -> Verdict:
    done = list(pairs(facts.ops))
    transfers_ok = [p for p in done if p.invoke.f == "transfer" and p.type == "ok"]
    rules = [
        _acknowledged(facts, transfers_ok),
        _settled_once(facts),
        _over_limit(facts, done),
        _cancels(facts, done),
        _in_doubt(facts),
        _maintenance(facts),
        _reconcile(facts),
    ]
    lost = sum(1 for p in transfers_ok if _unfinished(facts, p.value)) + \
        facts.reconcile.get("missing", 0)
    doubled = sum(1 for amounts in facts.ledger.values() if len(amounts) > 1) + \
        facts.reconcile.get("doubled", 0)
    counts = {
        "lost": lost, "doubled": doubled, "over_limit": len(rules[2].violations),
        "operations": _operation_counts(done),
        "transfers": len(facts.transfers), "bank_paid": sum(
            1 for p in facts.payments.values() if p.status == "paid"),
        "bank": facts.bank_stats,
        "resent": sum(1 for p in facts.payments.values() if p.requests > 1),
    }
    return Verdict(rules, counts)


def _operation_counts(done: list[Pair]) -> dict:
    """Per operation: ok / fail / info, and the codes of the refusals and unknowns."""
    out: dict = defaultdict(lambda: defaultdict(int))
    for pair in done:
        out[pair.invoke.f][pair.type] += 1
        if pair.type != "ok":
            code = pair.value.get("code") or "no_answer"
            out[pair.invoke.f][f"{pair.type}:{code}"] += 1
    return {f: dict(types) for f, types in sorted(out.items())}


def _unfinished(facts: Facts, value: dict) -> bool:
    """Acknowledged, and missing or neither final nor legitimately still scheduled."""
    row = facts.transfers.get(value["id"])
    if row is None:
        return True
    if row.status == "scheduled":
        quoted = datetime.fromisoformat(value["settle_at"])
        return row.settle_at != quoted or quoted <= facts.business_end
    return row.status not in FINAL


def _acknowledged(facts: Facts, acked: list[Pair]) -> Rule:
    """Every acknowledged transfer is ours, final, and a scheduled one was not paid before
    its quoted time (or, still scheduled, its time has not come)."""
    rule = Rule("acknowledged transfers final, scheduled as quoted", checked=len(acked))
    for pair in acked:
        value = pair.value
        row = facts.transfers.get(value["id"])
        if row is None:
            rule.violations.append(f"{value['id']} acknowledged at {pair.done.time:.1f} "
                                   "is not in our records")  # type: ignore[union-attr]
            continue
        if (row.member_id, row.amount) != (value["member_id"], value["amount"]):
            rule.violations.append(f"{row.id} is not what was asked: {row} vs {value}")
        quoted = datetime.fromisoformat(value["settle_at"])
        if row.status == "scheduled":
            if row.settle_at != quoted or quoted <= facts.business_end:
                rule.violations.append(f"{row.id} still scheduled for {row.settle_at} "
                                       f"(quoted {quoted}; business now {facts.business_end})")
        elif row.status not in FINAL:
            rule.violations.append(f"{row.id} not final after draining: {row.status}")
        paid = facts.payments.get(row.id)
        if value["decision"] == "scheduled" and paid is not None and paid.status == "paid":
            at = facts.clock.at(paid.paid_at)
            if at < quoted - SKEW:
                rule.violations.append(f"{row.id} quoted for {quoted} was paid at {at}")
    return rule


def _settled_once(facts: Facts) -> Rule:
    """The bank's record equals our ledger, per id: one entry, the same amount."""
    ids = set(facts.ledger) | {i for i, p in facts.payments.items() if p.status == "paid"}
    rule = Rule("nothing settled twice (bank record = ledger, per id)", checked=len(ids))
    for transfer_id in sorted(ids):
        entries = facts.ledger.get(transfer_id, [])
        paid = facts.payments.get(transfer_id)
        row = facts.transfers.get(transfer_id)
        if len(entries) > 1:
            rule.violations.append(f"{transfer_id}: {len(entries)} ledger entries")
        if paid is None or paid.status != "paid":
            rule.violations.append(f"{transfer_id}: in our ledger, not paid by the bank")
        elif not entries:
            status = row.status if row else "no row at all"
            if status not in IN_DOUBT:
                rule.violations.append(f"{transfer_id}: paid by the bank, ours is {status}")
        elif entries[0] != paid.amount or (row and row.amount != paid.amount):
            rule.violations.append(f"{transfer_id}: we booked {entries}, the bank paid "
                                   f"{paid.amount}")
    return rule


def _over_limit(facts: Facts, done: list[Pair]) -> Rule:
    """Nobody over their limit at any instant: the database's own CHECK is in force; the
    bank's payments less its collections, replayed in time order per member, never pass
    the limit (collections count whole, so this can only under-state a balance: a
    violation is certain); no read showed outstanding + held above the limit."""
    limits = {op.value["member_id"]: op.value["credit_limit"]
              for op in facts.ops if op.type == "setup"}
    rule = Rule("no member over limit at any instant", checked=len(limits))
    if not facts.limit_check:
        rule.violations.append("the members table has no CHECK (outstanding + held <= "
                               "credit_limit)")
    events: dict[int, list[tuple[float, int, str]]] = defaultdict(list)
    for book, sign in ((facts.payments, 1), (facts.collections, -1)):
        rows = facts.transfers if sign == 1 else facts.repayments
        for order_id, pay in book.items():
            row = rows.get(order_id)
            if pay.status == "paid" and row is not None:
                events[row.member_id].append((pay.paid_at, sign * pay.amount, order_id))
    for member_id, items in events.items():
        balance, limit = 0, limits.get(member_id)
        for at, amount, order_id in sorted(items):
            balance += amount
            if limit is not None and balance > limit:
                rule.violations.append(f"member {member_id} at {at:.1f}: the bank has paid "
                                       f"{balance} net of collections, limit {limit} "
                                       f"({order_id})")
                break
    for pair in done:
        v = pair.value
        if pair.invoke.f == "read" and pair.type == "ok" and v.get("credit_limit") is not None:
            if v["outstanding"] + v["held"] > v["credit_limit"]:
                rule.violations.append(f"member {v['member_id']} read {v}")
    return rule


def _cancels(facts: Facts, done: list[Pair]) -> Rule:
    """No cancel succeeded for an order the bank paid; what a cancel ended stays unpaid."""
    cancels = [p for p in done if p.invoke.f == "cancel" and p.type == "ok"]
    rule = Rule("no cancel succeeded for an order the bank paid", checked=len(cancels))
    cancelled = {p.invoke.value["id"] for p in cancels} | {
        r.id for r in facts.transfers.values() if r.status == "cancelled"}
    for transfer_id in sorted(cancelled):
        row, paid = facts.transfers.get(transfer_id), facts.payments.get(transfer_id)
        if paid is not None and paid.status == "paid":
            rule.violations.append(f"{transfer_id} cancelled, yet the bank paid it")
        if row is not None and row.status != "cancelled" and transfer_id in {
                p.invoke.value["id"] for p in cancels}:
            rule.violations.append(f"{transfer_id}: cancel answered ok, status {row.status}")
    return rule


def _in_doubt(facts: Facts) -> Rule:
    """Nothing left in doubt, and every order ended as the bank says: nothing failed,
    rejected or cancelled that the bank paid (a guess would), no repayment failed that
    the bank collected."""
    rows = list(facts.transfers.values()) + list(facts.repayments.values())
    rule = Rule("every in-doubt order resolved by the bank's answer", checked=len(rows))
    for row in facts.transfers.values():
        if row.status not in FINAL and row.status != "scheduled":
            rule.violations.append(f"transfer {row.id} still {row.status}")
        paid = facts.payments.get(row.id)
        if row.status in ("failed", "rejected") and paid is not None and paid.status == "paid":
            rule.violations.append(f"transfer {row.id} {row.status}, yet the bank paid it")
    for row in facts.repayments.values():
        collected = facts.collections.get(row.id)
        if row.status not in FINAL:
            rule.violations.append(f"repayment {row.id} still {row.status}")
        elif row.status != "settled" and collected is not None and collected.status == "paid":
            rule.violations.append(f"repayment {row.id} {row.status}, yet the bank collected it")
        elif row.status == "settled" and (collected is None or collected.status != "paid"):
            rule.violations.append(f"repayment {row.id} settled, the bank collected nothing")
    return rule


def _maintenance(facts: Facts) -> Rule:
    """No payment to a real-time bank sent inside its maintenance window (business time
    from the clock line); a payment within SKEW of a window's edge is not judged.

    Our duty is not to send into a window; when the bank records the payment is the
    bank's. So a payment the bank recorded inside a window is judged at our own send
    time (`transfers.sent_at`, the first send; a re-send after a lost answer inside a
    window is held back by the sender until the bank reopens). A payment with no sent row
    of ours is judged at the bank's record time and at the business time before any
    clock jump during a bank call (seed 5)."""
    paid = [p for p in facts.payments.values() if p.status == "paid"]
    rule = Rule("no payment inside a bank's maintenance window", checked=len(paid))
    for pay in paid:
        row = facts.transfers.get(pay.id)
        bank = pay.bank_code or (row.bank_code if row else "") or ""
        at = facts.clock.at(pay.paid_at)
        if not _inside(bank, at):
            continue
        if row is not None and row.sent_at is not None:
            sent = facts.clock.at(row.sent_at)
            if _inside(bank, sent):
                rule.violations.append(f"{pay.id} sent to {bank} at {sent.isoformat()} "
                                       f"(paid at {at.isoformat()})")
            continue
        before = [facts.clock.at(wall - 0.001) for wall, _ in facts.clock.points[1:]
                  if pay.paid_at - BANK_CALL_S <= wall <= pay.paid_at]
        if all(in_maintenance(bank, sent) for sent in before):
            rule.violations.append(f"{pay.id} paid to {bank} at {at.isoformat()}")
    return rule


def _inside(bank: str, at: datetime) -> bool:
    """Inside the window, and not within SKEW of either edge."""
    return all(in_maintenance(bank, at + d) for d in (-SKEW, timedelta(0), SKEW))


def _reconcile(facts: Facts) -> Rule:
    rec = facts.reconcile
    rule = Rule("shunfuri reconcile clean", checked=rec.get("ledger", 0))
    if not rec.get("clean"):
        rule.violations.append(f"reconcile: {rec}")
    broken = {k: v for k, v in (rec.get("invariants") or {}).items() if v}
    if broken:
        rule.violations.append(f"invariants broken: {broken}")
    return rule
