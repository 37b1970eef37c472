"""Stand-ins for the outside world, run as processes of their own beside the system:
`bureau` (the credit bureau: records set by tests, inquiries answered by the spec's key),
and `faults` (the fault controls every simulator shares: latency, transient errors, lost
answers, an outage). Outside the core package: the core reaches them only over HTTP,
through `shunfuri.gateway`, as it would reach the real ones."""
