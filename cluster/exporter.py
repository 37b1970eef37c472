"""A worker host's /metrics: what its Celery processes recorded (prometheus_client's
multiprocess files in the host's folder), served on the host's address.

Celery workers have no HTTP server; in a deployment a sidecar like this one (or the
node's exporter) is what Prometheus scrapes on a worker host. It dies with the host's
other processes when the nemesis kills the host, which is how Prometheus sees a worker
host gone (`up == 0`).

Run: `python -m cluster.exporter --listen ADDR:PORT --dir METRICS_DIR [--until EPOCH]`.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--until", type=float, default=None, help="exit at this epoch time")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(args.dir)
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    host, _, port = args.listen.rpartition(":")
    start_http_server(int(port), addr=host, registry=registry)
    deadline = args.until if args.until is not None else float("inf")
    while time.time() < deadline:
        time.sleep(min(1.0, max(0.0, deadline - time.time())))


if __name__ == "__main__":
    main()
