"""Prometheus metrics. With PROMETHEUS_MULTIPROC_DIR set (as `shunfuri up` does), the
API's /metrics aggregates what every local process (API, workers) recorded."""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)

ACCEPTED = Counter("shunfuri_transfers_accepted", "Transfers accepted by the API", ["decision"])
SETTLED = Counter("shunfuri_transfers_settled", "Transfers settled at the bank", ["decision"])
FAILED = Counter("shunfuri_transfers_failed", "Transfers failed or rejected", ["code"])
RESCHEDULED = Counter(
    "shunfuri_transfers_rescheduled", "Instant transfers moved out of a maintenance window"
)
RECOVERED = Counter(
    "shunfuri_transfers_recovered", "Transfers picked up by the recovery sweep", ["status"]
)
QUEUE_LAG = Histogram(
    "shunfuri_queue_lag_seconds", "Acceptance to first worker touch", buckets=LATENCY_BUCKETS
)
ACCEPT_TO_SETTLED = Histogram(
    "shunfuri_accept_to_settled_seconds",
    "Acceptance to settlement (instant transfers)",
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "shunfuri_batch_size", "Transfers per worker batch", ["queue"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
BATCH_DURATION = Histogram(
    "shunfuri_batch_duration_seconds", "Time to process one worker batch", ["queue"],
    buckets=LATENCY_BUCKETS,
)
BANK_ERRORS = Counter("shunfuri_bank_errors", "Bank gateway errors", ["kind"])
LOGINS = Counter("shunfuri_logins", "Login attempts", ["outcome"])


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
