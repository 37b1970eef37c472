"""What operators and the operations commands see: `queue_view` (the operator's counts,
batches and chart), `readiness` (`/readyz`), `reconcile` (our books against the bank's
record, `shunfuri reconcile`) and `invariants` (the money invariants as queries)."""
