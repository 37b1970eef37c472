"""Stand-ins for the outside world, run as processes of their own beside the system:
`bank` (an HTTP bank that pays, collects and answers inquiries, keyed by order id, with
fault controls). Outside the core package: nothing in `shunfuri` depends on them except
the `shunfuri bank-simulator` command (and, for now, `reconcile`: see pyproject.toml)."""
