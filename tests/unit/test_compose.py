"""docker-compose.yml stays true to the code: real entry points, real settings, health
checks, start order, and the run commands documented for operators."""

from __future__ import annotations

import importlib
import importlib.util
import shlex
from pathlib import Path

import pytest
import typer
import yaml
from pydantic import AliasChoices

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES: dict[str, dict] = COMPOSE["services"]
THIRD_PARTY_ENV_PREFIXES = ("POSTGRES_",)
THIRD_PARTY_ENV = {"PROMETHEUS_MULTIPROC_DIR", "FLOWER_BASIC_AUTH"}
EXPECTED = {"postgres", "redis", "migrate", "api", "worker", "batch-worker", "beat", "bank",
            "flower", "locust"}


def argv(service: dict) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(p) for p in command]


def joined(name: str) -> str:
    return shlex.join(argv(SERVICES[name]))


def shunfuri_commands() -> set[str]:
    from shunfuri.cli.main import app

    for module in ("shunfuri.cli.quote", "shunfuri.cli.reconcile", "loadtests.cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # as `shunfuri.cli.main` tolerates
            if exc.name != module:
                raise
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def setting_aliases() -> set[str]:
    from shunfuri.settings import Settings

    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
    return names


def test_all_services_are_there() -> None:
    assert EXPECTED <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_command_names_a_real_entry_point(name: str) -> None:
    service = SERVICES[name]
    args = argv(service)
    if "build" not in service:
        return  # third-party images (postgres, redis) run their own programs
    assert args, f"{name}: a service built from this repo needs an explicit command"
    program = args[0]
    if program == "shunfuri":
        assert args[1] in shunfuri_commands(), f"{name}: no `shunfuri {args[1]}`"
    elif program == "celery":
        assert args[1] == "-A"
        module = importlib.import_module(args[2])
        assert type(module.app).__name__ == "Celery"
        assert args[3] in {"worker", "beat", "flower"}
        if args[3] == "flower":
            assert importlib.util.find_spec("flower"), "flower is not installed"
        if args[3] == "worker":
            queues = set(args[args.index("-Q") + 1].split(","))
            declared = {q.name for q in module.app.conf.task_queues}
            assert queues <= declared, f"{name}: unknown queue(s) {queues - declared}"
    elif program == "uvicorn":
        module_name, _, attr = args[1].partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        assert callable(factory) and "--factory" in args
    elif program == "locust":
        path = args[args.index("-f") + 1]
        # The locustfile is someone else's file; accept its agreed path before it lands.
        assert path == "loadtests/locustfile.py" or (ROOT / path).is_file()
    else:
        pytest.fail(f"{name}: unexpected program {program!r}")


def test_api_worker_beat_commands() -> None:
    assert joined("api") == "uvicorn api.app:create_app --factory --host 0.0.0.0 --port 8000"
    assert joined("worker").startswith("celery -A workers.app worker -Q instant,maintenance")
    assert joined("batch-worker").startswith("celery -A workers.app worker -Q batch")
    assert joined("beat").startswith("celery -A workers.app beat")
    assert joined("bank").startswith("shunfuri bank-simulator --host 0.0.0.0 --port 8081")
    assert joined("flower").startswith("celery -A workers.app flower")
    assert joined("locust").startswith("locust -f loadtests/locustfile.py")
    assert joined("migrate") == "shunfuri migrate"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_environment_uses_real_settings_only(name: str) -> None:
    environment = SERVICES[name].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    known = setting_aliases()
    for key in environment:
        assert (
            key in known or key in THIRD_PARTY_ENV or key.startswith(THIRD_PARTY_ENV_PREFIXES)
        ), f"{name}: {key} is not a Shunfuri setting"


def test_production_settings_are_required_not_defaulted() -> None:
    env = SERVICES["api"]["environment"]
    assert env["SHUNFURI_ENV"] == "production"
    for key in ("SHUNFURI_ADMIN_KEY", "SHUNFURI_PIN_PEPPER"):
        assert ":?" in env[key], f"{key} must be required from the operator, not baked in"
    assert "SHUNFURI_CLOCK" not in env


def one_shots() -> set[str]:
    return {
        target
        for service in SERVICES.values()
        for target, rule in (service.get("depends_on") or {}).items()
        if isinstance(rule, dict) and rule.get("condition") == "service_completed_successfully"
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_health_checks(name: str) -> None:
    if name in one_shots():
        assert SERVICES[name].get("restart") == "no"
        return
    check = SERVICES[name].get("healthcheck")
    assert check and check.get("test"), f"{name} has no health check"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_depends_on_with_conditions(name: str) -> None:
    depends = SERVICES[name].get("depends_on") or {}
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
    for target, rule in depends.items():
        assert target in SERVICES
        condition = rule["condition"]
        assert condition in {"service_healthy", "service_completed_successfully"}
        if condition == "service_healthy":
            assert "healthcheck" in SERVICES[target], f"{target} cannot become healthy"


def test_start_order() -> None:
    for name in ("api", "worker", "batch-worker", "beat", "bank"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_run_commands_are_documented() -> None:
    docs = "".join(
        p.read_text("utf-8") for p in (ROOT / "README.md", ROOT / "docs" / "operations.md")
        if p.is_file()
    )
    for name in ("api", "worker", "batch-worker", "beat"):
        assert joined(name) in docs, f"docs do not show the {name} command: {joined(name)}"


def test_only_the_api_is_published_beyond_the_host() -> None:
    """Flower (it can revoke tasks and stop workers) and Locust (it starts load) listen on
    the host's loopback only; the API is the one service meant to be reached."""
    for name, service in SERVICES.items():
        for port in service.get("ports") or []:
            if name == "api":
                continue
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to everyone"


def test_dockerfile_installs_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "uv sync --locked" in dockerfile
    assert "COPY pyproject.toml uv.lock" in dockerfile
