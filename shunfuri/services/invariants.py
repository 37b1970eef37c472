"""Money invariants as queries over the ledger: used by `shunfuri reconcile`, the chaos
suite and the load test, so every one of them checks the same thing the same way.

Each check returns the offending rows (empty = holds); nothing is trusted from
counters that the code under test maintains.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, text

# Rows: (member_id, credit_limit, outstanding, held)
OVER_LIMIT = text(
    "SELECT id, credit_limit, outstanding, held FROM members "
    "WHERE outstanding + held > credit_limit OR outstanding < 0 OR held < 0"
)
# Outstanding must equal the sum of the member's ledger (no repayments in this system).
LEDGER_MISMATCH = text(
    "SELECT m.id, m.outstanding, COALESCE(SUM(l.amount), 0) AS ledger FROM members m "
    "LEFT JOIN ledger_entries l ON l.member_id = m.id GROUP BY m.id, m.outstanding "
    "HAVING m.outstanding <> COALESCE(SUM(l.amount), 0)"
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


def check(engine: Engine, *, wall: datetime, recovery_bound_s: float = 30.0) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            "over_limit": list(conn.execute(OVER_LIMIT)),
            "ledger_mismatch": list(conn.execute(LEDGER_MISMATCH)),
            "hold_mismatch": list(conn.execute(HOLD_MISMATCH)),
            "settled_without_ledger": list(conn.execute(SETTLED_WITHOUT_LEDGER)),
            "stale_accepted": list(
                conn.execute(STALE_ACCEPTED, {"before": wall - timedelta(seconds=recovery_bound_s)})
            ),
        }
