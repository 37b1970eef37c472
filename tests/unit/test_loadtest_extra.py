"""Locust and matplotlib are the optional `loadtest` extra: the service runs without them,
and `shunfuri loadtest` says how to install them when they are missing."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter, the extra's modules made unimportable (as in an install
# without the extra), then the given code.
WITHOUT_EXTRA = """
import sys
for name in ("locust", "matplotlib", "psutil"):
    sys.modules[name] = None
"""


def run_without_extra(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA + code], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_the_extra_holds_the_load_test_dependencies_and_the_service_does_not():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {d.split(">")[0].split("=")[0].split("[")[0] for d in project["dependencies"]}
    extra = {d.split(">")[0] for d in project["optional-dependencies"]["loadtest"]}
    assert {"locust", "matplotlib", "psutil"} <= extra
    assert not names & {"locust", "matplotlib"}


def test_the_service_imports_without_the_extra():
    done = run_without_extra(
        "import api.app, workers.app, shunfuri.cli.main, loadtests.cli\nprint('imported')"
    )
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout


def test_loadtest_without_the_extra_says_how_to_install_it():
    done = run_without_extra(
        "sys.argv = ['shunfuri', 'loadtest', 'instant', '--duration', '1']\n"
        "from shunfuri.cli.main import main\nmain()"
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "needs the `loadtest` extra" in done.stderr
    assert "missing: locust, matplotlib" in done.stderr
    assert "pip install 'shunfuri[loadtest]'" in done.stderr
    assert "uv sync --extra loadtest" in done.stderr
    assert "Traceback" not in done.stderr
