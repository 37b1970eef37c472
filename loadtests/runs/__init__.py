"""One module per scenario: how each one drives the system and what it adds to summary.json.

Each exposes `drive(run: Run) -> dict` (the scenario's summary, before reconcile and the
machine figures that `loadtests/runner.py` adds to every run).
"""
