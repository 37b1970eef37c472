"""Money invariants as queries over the ledger: used by `shunfuri reconcile`, the chaos
suite and the load test, so every one of them checks the same thing the same way.

Each check returns the offending rows (empty = holds); nothing is trusted from
counters that the code under test maintains.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

# Rows: (member_id, credit_limit, outstanding, held)
OVER_LIMIT = text(
    "SELECT id, credit_limit, outstanding, held FROM members "
    "WHERE outstanding + held > credit_limit OR outstanding < 0 OR held < 0"
)
# Outstanding (the principal) must equal what was advanced (the ledger) less the
# principal part of every settled repayment.
LEDGER_MISMATCH = text(
    "SELECT m.id, m.outstanding, COALESCE(l.total, 0) - COALESCE(r.total, 0) AS ledger "
    "FROM members m "
    "LEFT JOIN (SELECT member_id, SUM(amount) AS total FROM ledger_entries "
    "GROUP BY member_id) l ON l.member_id = m.id "
    "LEFT JOIN (SELECT member_id, SUM(to_principal) AS total FROM repayments "
    "WHERE status = 'settled' GROUP BY member_id) r ON r.member_id = m.id "
    "WHERE m.outstanding <> COALESCE(l.total, 0) - COALESCE(r.total, 0)"
)
# A settled repayment carries its split; any other has none (no balance moved).
REPAYMENT_SPLIT = text(
    "SELECT id, status FROM repayments "
    "WHERE (status = 'settled') <> (to_principal IS NOT NULL)"
)
# Holds must equal what is in flight: processing, scheduled and needs_attention
# transfers (a transfer in doubt keeps its hold, whatever else happens).
HOLD_MISMATCH = text(
    "SELECT m.id, m.held, COALESCE(SUM(t.amount), 0) AS in_flight FROM members m "
    "LEFT JOIN transfers t ON t.member_id = m.id "
    "AND t.status IN ('processing', 'scheduled', 'needs_attention') "
    "GROUP BY m.id, m.held HAVING m.held <> COALESCE(SUM(t.amount), 0)"
)
SETTLED_WITHOUT_LEDGER = text(
    "SELECT t.id FROM transfers t LEFT JOIN ledger_entries l ON l.transfer_id = t.id "
    "WHERE (t.status = 'settled') <> (l.id IS NOT NULL)"
)
STALE_ACCEPTED = text("SELECT id FROM transfers WHERE status = 'accepted' AND updated_at < :before")


def check(engine: Engine, *, wall: datetime, recovery_bound_s: float = 30.0
          ) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            "over_limit": list(conn.execute(OVER_LIMIT)),
            "ledger_mismatch": list(conn.execute(LEDGER_MISMATCH)),
            "hold_mismatch": list(conn.execute(HOLD_MISMATCH)),
            "settled_without_ledger": list(conn.execute(SETTLED_WITHOUT_LEDGER)),
            "repayment_split": list(conn.execute(REPAYMENT_SPLIT)),
            "stale_accepted": list(
                conn.execute(STALE_ACCEPTED, {"before": wall - timedelta(seconds=recovery_bound_s)})
            ),
        }
