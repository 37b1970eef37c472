"""A simulated quarter of borrowing and repaying on a running system (API, workers, beat,
bank simulator), the clock jumping from day to day: early, minimum, partial, late and full
repayments, the first advance's 30 interest-free days, a due date on a weekend and one on
the year-end holidays, the leap day, an overdue member refused and lifted. Every figure is
checked against the spec's formula written out here, not against the code's ledger:

    interest of a period = floor(P x rate_bp x days / (10000 x Y)), Y = 366 in 2028.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from shunfuri.db.session import normalise_url
from shunfuri.domain.instants import parse_instant
from tests.e2e.conftest import new_member
from tests.e2e.test_pipeline_e2e import set_clock
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e

RATE = 1780  # the default rate: both members' limits are below ¥1,000,000


def interest(principal: int, first: date, last: date, free_through: date) -> int:
    """The spec's rule, day by day: the days `first`..`last` not interest-free, grouped
    by calendar year (Y is a property of the day), floored per group."""
    days_by_year: dict[int, int] = {}
    day = first
    while day <= last:
        if day > free_through:
            days_by_year[day.year] = days_by_year.get(day.year, 0) + 1
        day += timedelta(days=1)
    return sum(principal * RATE * n // (10000 * (366 if y % 4 == 0 else 365))
               for y, n in days_by_year.items())


class Quarter:
    def __init__(self, system) -> None:  # type: ignore[no-untyped-def]
        self.system = system
        self.engine = create_engine(normalise_url(system.database_url), pool_size=1)

    def at(self, day: str) -> None:
        """Stand on `day` at 10:00 JST (every API and worker process at its next reading)."""
        set_clock(self.system, f"{day}T10:00:00+09:00")

        def there() -> bool:
            quote = self.system.http.get("/v1/availability", params={"bank_code": "0033"})
            return (quote.json().get("settle_at") or "").startswith(day)

        poll(there, timeout=10, interval=0.05, what=f"the clock at {day}")

    def me(self, member: dict) -> dict:
        r = self.system.http.get("/v1/me", headers=member["headers"])
        assert r.status_code == 200, r.text
        return r.json()

    def borrow(self, member: dict, amount: int) -> None:
        r = self.transfer(member, amount)
        assert r.status_code == 202, r.text
        done = poll(lambda: self._final(f"/v1/transfers/{r.json()['id']}", member),
                    timeout=30, what="the advance to settle")
        assert done["status"] == "settled", done

    def transfer(self, member: dict, amount: int):  # type: ignore[no-untyped-def]
        return self.system.http.post(
            "/v1/transfers", json={"payee_id": member["payees"]["0033"], "amount": amount},
            headers={**member["headers"], "Idempotency-Key": uuid.uuid4().hex})

    def repay(self, member: dict, amount: int) -> dict:
        r = self.system.http.post(
            "/v1/repayments", json={"payee_id": member["payees"]["0033"], "amount": amount},
            headers={**member["headers"], "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 202, r.text
        done = poll(lambda: self._final(f"/v1/repayments/{r.json()['id']}?wait=5", member),
                    timeout=30, what="the repayment to settle")
        assert done["status"] == "settled", done
        return done

    def _final(self, path: str, member: dict) -> dict | None:
        body = self.system.http.get(path, headers=member["headers"]).json()
        return body if body["status"] in ("settled", "failed", "rejected") else None

    def marked_overdue(self, member: dict) -> date | None:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT overdue_since FROM members WHERE id = :m"),
                                {"m": member["member_id"]}).scalar()


def test_a_quarter_of_repayments_follows_the_spec():
    with running_system(clock="2027-12-01T10:00:00+09:00") as system:
        q = Quarter(system)
        early = new_member(system, credit_limit=500_000)  # due day 25 (the default)
        late = new_member(system, credit_limit=300_000)

        # Wed 1 Dec 2027: `late` chooses the 15th, then both borrow; free 2 .. 31 Dec (the
        # first advance's 30 days). (The clock is set first: a change of terms counts in
        # the order of business time, and a jump back would put it after the advance.)
        q.at("2027-12-01")
        r = system.http.put("/v1/me/due-day", json={"due_day": 15}, headers=late["headers"])
        assert r.status_code == 200, r.text
        q.borrow(early, 100_000)
        q.borrow(late, 50_000)
        free = date(2027, 12, 31)
        me = q.me(early)
        # First due date: the first 25th at least 14 days after 1 Dec = Sat 25 Dec 2027,
        # not a bank business day -> Mon 27 Dec. Minimum for ¥100,000: ¥4,000.
        assert (me["next_due_date"], me["minimum_due"], me["interest_due"]) == (
            "2027-12-27", 4_000, 0)
        assert q.me(late)["next_due_date"] == "2027-12-15"  # exactly 14 days: it counts

        # Fri 10 Dec: an early repayment, inside the free days: all of it is principal.
        q.at("2027-12-10")
        paid = q.repay(early, 5_000)
        assert (paid["to_interest"], paid["to_principal"]) == (0, 5_000)
        assert q.me(early)["minimum_due"] == 0  # ¥5,000 already meets 27 Dec's ¥4,000

        # Thu 16 Dec: `late` missed 15 Dec: overdue from today, new transfers refused.
        q.at("2027-12-16")
        assert q.me(late)["overdue"] is True
        poll(lambda: q.marked_overdue(late), timeout=30, what="the daily overdue job")
        refused = q.transfer(late, 1_000)
        assert refused.status_code == 409 and refused.json()["code"] == "repayment_overdue"
        assert refused.json()["amount_due"] == 4_000  # the minimum; no interest yet (free)
        assert "インターネット返済" in refused.json()["detail_ja"]

        # Mon 20 Dec: a partial payment does not lift it; what is left to pay does.
        q.at("2027-12-20")
        q.repay(late, 2_000)
        again = q.transfer(late, 1_000)
        assert again.status_code == 409 and again.json()["amount_due"] == 2_000
        q.at("2027-12-21")
        q.repay(late, 2_000)
        assert q.me(late)["overdue"] is False and q.marked_overdue(late) is None
        q.borrow(late, 1_000)  # lifted at once: borrowing works again
        late_principal = 50_000 - 4_000 + 1_000

        # Wed 5 Jan 2028: `late`'s next due date, 15 Jan (a Saturday), is Mon 17 Jan; the
        # ¥4,000 paid since 15 Dec already meets its minimum.
        q.at("2028-01-05")
        me = q.me(late)
        assert (me["next_due_date"], me["minimum_due"], me["overdue"]) == (
            "2028-01-17", 0, False)

        # Tue 25 Jan 2028: `early` pays exactly the minimum: interest first, then principal.
        q.at("2028-01-25")
        principal = 95_000
        owed = interest(principal, date(2027, 12, 11), date(2028, 1, 25), free)
        me = q.me(early)
        assert (me["interest_due"], me["minimum_due"]) == (owed, 4_000)
        paid = q.repay(early, 4_000)
        assert (paid["to_interest"], paid["to_principal"]) == (owed, 4_000 - owed)
        principal -= 4_000 - owed

        # Fri 25 Feb 2028: `early` pays everything off on the due date.
        q.at("2028-02-25")
        owed = interest(principal, date(2028, 1, 26), date(2028, 2, 25), free)
        me = q.me(early)
        assert me["payoff_today"] == principal + owed
        q.repay(early, principal + owed)
        me = q.me(early)
        assert (me["outstanding"], me["interest_due"], me["available"]) == (0, 0, 500_000)

        # Tue 29 Feb 2028, the leap day: `late` missed 15 Feb (nothing paid since 18 Jan).
        q.at("2028-02-29")
        owed = interest(late_principal, date(2027, 12, 22), date(2028, 2, 29), free)
        assert owed == late_principal * RATE * 60 // 3_660_000  # 1 Jan .. 29 Feb, Y = 366
        me = q.me(late)
        assert (me["overdue"], me["interest_due"]) == (True, owed)
        poll(lambda: q.marked_overdue(late), timeout=30, what="the daily overdue job")
        refused = q.transfer(late, 1_000)
        assert refused.status_code == 409
        assert refused.json()["amount_due"] == owed + 4_000
        assert refused.json()["missed_due_date"] == "2028-02-15"
        paid = q.repay(late, owed + 4_000)
        assert (paid["to_interest"], paid["to_principal"]) == (owed, 4_000)
        assert q.me(late)["overdue"] is False

        statement = system.http.get("/v1/statement?month=2028-02",
                                    headers=late["headers"]).json()
        assert statement["due_dates"][0]["due_date"] == "2028-02-15"
        assert statement["due_dates"][0]["met"] is False
        assert statement["closing_principal"] == late_principal - 4_000
        reconciled = system.cli("reconcile", "--json", "--data-dir", str(system.data_dir))
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        assert '"repayments": {"ours": 6, "bank": 6' in reconciled.stdout
        assert parse_instant(paid["settled_at"]).date() == date(2028, 2, 29)
        q.engine.dispose()
