"""What transfers and repayments share as bank orders: `pipeline` (passes as the worker
tasks run them), `transitions` (the one door for every status change), `claims` (which
rows a pass takes), `sending` + `bank_step` (around each send, and the bank call itself),
`outcome` (what a pass did; leases and backoff), `drain` (the instant queue's lock and
hand-over), `doubts` (orders in doubt: list, count, ask the bank) and `cursors` (page
cursors of the member's lists)."""
