"""Prometheus metrics. With PROMETHEUS_MULTIPROC_DIR set (as `shunfuri up` does), the
API's /metrics aggregates what every local process (API, workers) recorded."""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)

ACCEPTED = Counter("shunfuri_transfers_accepted", "Transfers accepted by the API", ["decision"])
SETTLED = Counter("shunfuri_transfers_settled", "Transfers settled at the bank", ["decision"])
REFUSED_OVERLOADED = Counter(
    "shunfuri_transfers_refused_overloaded",
    "Instant transfers refused up front because the instant queue was behind (503 overloaded)",
)
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
INQUIRIES = Counter(
    "shunfuri_bank_inquiries", "Status inquiries about orders in doubt, by answer", ["answer"]
)
NEEDS_ATTENTION = Counter(
    "shunfuri_transfers_gave_up", "Transfers handed to staff after the retry budget (in doubt)"
)
LOGINS = Counter("shunfuri_logins", "Login attempts", ["outcome"])
STAFF_LOCKOUTS = Counter(
    "shunfuri_staff_login_lockouts",
    "Staff login lockouts: `account` (wrong attempts from a browser known for the "
    "account) or `unknown_browsers` (only browsers not known for that login ID)",
    ["scope"],
)
UNAUTHENTICATED_REFUSALS = Counter(
    "shunfuri_unauthenticated_refusals",
    "Refused requests without a valid credential (the audit keeps one row per hour of each)",
    ["action", "reason"],
)
MAIL = Counter("shunfuri_mail", "Member mail sends by outcome (sent, retrying, failed)",
               ["kind", "outcome"])

# Becoming a member: counted by status and decision only, never by anything the
# applicant typed (spec/application.md, "Personal data").
APPLICATIONS = Counter("shunfuri_applications", "Applications entering each status",
                       ["status"])
APPLICATION_DECISION_SECONDS = Histogram(
    "shunfuri_application_decision_seconds",
    "Received to an automatic decision (real time)", buckets=LATENCY_BUCKETS,
)
BUREAU_ERRORS = Counter("shunfuri_bureau_errors",
                        "Credit bureau calls that gave no usable answer", ["kind"])
# The ongoing review (途上与信): each answer recorded, by what it led to (clear, suspended,
# ready for a screener, unreviewable), and each screener's decision (lifted, kept).
CREDIT_REVIEWS = Counter("shunfuri_credit_reviews", "Ongoing reviews by outcome",
                         ["outcome"])


class _Gauges:
    """Gauges read from the database at scrape time (the database is the record; a
    gauge kept by one process would be wrong for the others)."""

    def __init__(self, values: dict[str, tuple[str, float]]) -> None:
        self.values = values

    def collect(self):
        for name, (help_text, value) in self.values.items():
            yield GaugeMetricFamily(name, help_text, value=value)


def render(gauges: dict[str, tuple[str, float]] | None = None) -> bytes:
    """The exposition text; `gauges` maps a name to (help, value) read by the caller."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Proxy())
    if gauges:
        registry.register(_Gauges(gauges))
    return generate_latest(registry)


class _Proxy:
    """This process's default registry, inside a registry of its own for one scrape."""

    def collect(self):
        return REGISTRY.collect()
