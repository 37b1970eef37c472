"""A history in the database before a load test, as every lender's database has one.

A database created a second before the run has empty tables, and PostgreSQL plans the
first statements on a table it believes is empty: sequential scans, which the prepared
statements keep for the rest of the run while the table grows by hundreds of rows a
second (autovacuum's first ANALYZE comes only after its one-minute nap). That measures
the first minute of a new installation, which no lender runs in production. So a run
starts, as production does, on tables with a past: `count` transfers of earlier months
that ended without money moving (`failed`: the bank refused them), with the bank's
record of each refusal, then ANALYZE - what autovacuum would have done long ago. They
belong to one member of their own (`seeding.seed_history`), so no member of the run
starts with a past of refusals.
Nothing here touches a balance, the ledger or a paid record, so `shunfuri reconcile`
compares exactly what the run itself did.
"""

from __future__ import annotations

import psycopg

from loadtests.databases import libpq_url

_TRANSFERS = """
WITH p AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, member_id, bank_code
           FROM payees)
INSERT INTO transfers (id, member_id, payee_id, amount, status, decision, bank_code,
                       accepted_at, settle_at, failure_code, attempts, updated_at, sent_at)
SELECT gen_random_uuid()::text, p.member_id, p.id, 10000, 'failed', 'instant', p.bank_code,
       t.at, t.at, 'account_closed', 1, t.at, t.at
FROM generate_series(1, %(count)s) AS g
JOIN p ON p.n = g %% %(payees)s
CROSS JOIN LATERAL (SELECT now() - interval '90 days' + g * interval '1 second' AS at) AS t
RETURNING id, amount, bank_code, accepted_at
"""
_BANK = """
INSERT INTO bank_sim_payments (transfer_id, amount, bank_code, account_number, status, code,
                               paid_at, requests)
SELECT id, amount, bank_code, '9999999', 'rejected', 'account_closed', accepted_at, 1
FROM unnest(%(ids)s::text[], %(amounts)s::bigint[], %(banks)s::text[],
            %(ats)s::timestamptz[]) AS h(id, amount, bank_code, accepted_at)
"""


def seed_history(database_url: str, count: int, *, bank_database_url: str | None = None) -> int:
    """`count` refused transfers of the last 90 days and the bank's record of each (in
    the bank simulator's database, ours unless said)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        payees = conn.execute("SELECT count(*) FROM payees").fetchone()[0]
        if not payees or count <= 0:
            return 0
        rows = conn.execute(_TRANSFERS, {"count": count, "payees": payees}).fetchall()
        conn.execute("ANALYZE")
    ids, amounts, banks, ats = (list(column) for column in zip(*rows, strict=True))
    with psycopg.connect(libpq_url(bank_database_url or database_url), autocommit=True) as bank:
        bank.execute(_BANK, {"ids": ids, "amounts": amounts, "banks": banks, "ats": ats})
        bank.execute("ANALYZE")
    return count
