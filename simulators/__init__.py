"""Stand-ins for the outside world, run as processes of their own beside the system:
`bank` (an HTTP bank that pays, collects and answers inquiries, keyed by order id),
`bureau` (the credit bureau: records set by tests, inquiries answered by the spec's key),
and `faults` (the fault controls every simulator shares: latency, transient errors, lost
answers, an outage, garbled answers). Outside the core package: the core reaches them
only over HTTP, through `shunfuri.gateway`, as it would reach the real ones
(reconciliation included: it reads the bank's statement)."""
