"""Prometheus for the cluster: the scrape configuration (rendered for the cluster's
addresses) and the alert rules (`rules.yml`, tested with `promtool test rules` by
tests/cluster/test_alert_rules.py).

Debian's `prometheus` package provides /usr/bin/prometheus and /usr/bin/promtool; the
cluster runs the program itself in its `prometheus` host, never the package's service.
"""

from __future__ import annotations

import json
from pathlib import Path

from cluster.hosts import API_PORT, EXPORTER_PORT, Topology

RULES = Path(__file__).with_name("rules.yml")
SCRAPE_INTERVAL = "5s"


def config(topology: Topology, *, token_file: Path) -> str:
    """prometheus.yml (JSON is YAML): every API host's /metrics with the bearer token
    from `token_file`, every worker host's exporter; a `host` label on each target."""
    def targets(role: str, port: int) -> list[dict]:
        return [{"targets": [f"{topology.address(h.name)}:{port}"], "labels": {"host": h.name}}
                for h in topology.hosts if role in h.roles or (role == "worker" and h.is_worker)]

    document = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL,
                   "scrape_timeout": "4s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": "api", "metrics_path": "/metrics",
             "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
             "static_configs": targets("api", API_PORT)},
            {"job_name": "worker", "metrics_path": "/metrics",
             "static_configs": targets("worker", EXPORTER_PORT)},
        ],
    }
    return json.dumps(document, indent=2) + "\n"
