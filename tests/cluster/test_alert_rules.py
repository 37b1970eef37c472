"""The alert rules Prometheus evaluates in the cluster (cluster/prometheus/rules.yml),
checked and unit-tested by Prometheus' own `promtool` (`make install` installs Debian's
`prometheus` package, which ships it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cluster.prometheus import RULES

HERE = Path(__file__).parent


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120,
                          cwd=HERE)


def test_the_rules_are_valid() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_each_alert_fires_on_its_state_and_not_on_near_misses() -> None:
    done = promtool("test", "rules", "alert_rules_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_test() -> None:
    alerts = {line.split(":", 1)[1].strip() for line in RULES.read_text().splitlines()
              if line.strip().startswith("- alert:")}
    tested = {line.split(":", 1)[1].strip() for line in
              (HERE / "alert_rules_test.yml").read_text().splitlines()
              if line.strip().startswith("alertname:")}
    assert alerts == tested
