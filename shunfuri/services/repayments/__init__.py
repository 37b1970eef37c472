"""Internet repayment and what a member owes: `accept` (accept, read and list
repayments; the due day), `collections` (the worker's collection and settlement), `dues`
(what a member owes at an instant, replayed from the ledger), `terms` (rate and due day,
set by staff), `statements` (the month as JSON and CSV) and `overdue_marks` (the daily
overdue job)."""
