"""Issue 23, item 5: a deployment that fails open. Each test performs the attack against
the real thing (the image's own command and environment, the app under production
settings, a real Flower) and checks that it now fails closed."""

from __future__ import annotations

import base64
import os
import re
import shlex
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.system import free_port, poll

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BIN = Path(sys.executable).parent
TOKEN = "prometheus-scrape-token-0123456789"


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage (what every container starts with)."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    final = text[text.rindex("\nFROM "):]
    env: dict[str, str] = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def image_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    return yaml.safe_load(re.findall(r"^CMD (.+)$", text, re.M)[-1])


def run_as_the_image(argv: list[str]) -> subprocess.CompletedProcess:
    """The image's command with the image's environment and nothing else: no secrets, no
    database, no broker (what `docker run shunfuri` does on a host that forgot them)."""
    env = {k: v for k, v in image_env().items() if k.startswith("SHUNFURI_")}
    env.update(PATH=f"{PYTHON_BIN}:/usr/bin:/bin", HOME=os.environ.get("HOME", "/tmp"),
               SHUNFURI_DATA_DIR=str(ROOT / ".shunfuri-never-made"),
               COLUMNS="400", NO_COLOR="1")  # one refusal a line, unwrapped
    program = str(PYTHON_BIN / argv[0])
    return subprocess.run([program, *argv[1:]], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_docker_image_runs_as_production_by_default():
    assert image_env()["SHUNFURI_ENV"] == "production"
    assert "COPY web ./web" in (ROOT / "Dockerfile").read_text("utf-8")  # the pages it serves


@pytest.mark.parametrize("argv", [image_cmd(), ["shunfuri", "migrate"]],
                         ids=["image CMD (api)", "shunfuri migrate"])
def test_the_image_refuses_to_start_without_its_secrets(argv):
    started = run_as_the_image([*argv[:-1], str(free_port())] if argv[0] == "uvicorn" else argv)
    out = started.stdout + started.stderr
    assert started.returncode != 0, out
    assert "refusing to start in production" in out
    assert "SHUNFURI_PIN_PEPPER is the development default" in out
    assert "DATABASE_URL and BROKER_URL" in out
    assert "dev-pin-pepper" not in out and "dev-admin-key" not in out


# --- the app under production settings ---------------------------------------------------


PRODUCTION = {"SHUNFURI_ENV": "production", "SHUNFURI_PIN_PEPPER": "p" * 40,
              "SHUNFURI_SMTP_ALLOW_INSECURE": "true", "SHUNFURI_LOGIN_RATE_LIMIT": "100/minute",
              "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "100/minute", "SHUNFURI_APPLICATION_RATE_LIMIT": "100/minute",
              "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "100/minute",
              "SHUNFURI_PUBLIC_URL": "https://shunfuri.example"}


@pytest.fixture()
def app_client(db, monkeypatch):  # type: ignore[no-untyped-def]
    """`with app_client(**settings) as client`: the app built under production settings
    (the test database and broker), asked at `base_url`."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from shunfuri.settings import get_settings

    @contextmanager
    def build(base_url: str = "https://shunfuri.example", **extra: str):  # type: ignore[no-untyped-def]
        for key in ("SHUNFURI_METRICS_TOKEN", "SHUNFURI_ALLOWED_HOSTS", "SHUNFURI_CLOCK"):
            monkeypatch.delenv(key, raising=False)
        for key, value in {**PRODUCTION, **extra}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        with TestClient(create_app(), base_url=base_url,
                        raise_server_exceptions=False) as client:
            yield client

    yield build
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_foreign_host_is_refused_in_production(app_client):
    with app_client() as client:
        assert client.get("/login").status_code == 200
        for host in ("evil.example", "shunfuri.example.evil.example", "127.0.0.1:8000"):
            assert client.get("/login", headers={"host": host}).status_code == 400
            assert client.post("/v1/login", headers={"host": host},
                               json={"card_number": "x", "pin": "1"}).status_code == 400
        # Load balancers and Prometheus reach a process by its address.
        assert client.get("/readyz", headers={"host": "10.0.3.7:8000"}).status_code == 200
        assert client.get("/healthz", headers={"host": "10.0.3.7:8000"}).status_code == 200
    with app_client(base_url="https://www.shunfuri.example",
                    SHUNFURI_ALLOWED_HOSTS="shunfuri.example, www.shunfuri.example") as client:
        assert client.get("/login").status_code == 200
        assert client.get("/login", headers={"host": "evil.example"}).status_code == 400


def test_production_refuses_a_host_wildcard_and_a_short_metrics_token(monkeypatch):
    from pydantic import ValidationError

    from shunfuri.settings import Settings

    base = {"SHUNFURI_ENV": "production", "SHUNFURI_PIN_PEPPER": "p" * 40,
            "DATABASE_URL": "postgresql://db/x", "BROKER_URL": "redis://r:6379/0",
            "SHUNFURI_SMTP_ALLOW_INSECURE": "true", "SHUNFURI_LOGIN_RATE_LIMIT": "10/minute",
            "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "10/minute", "SHUNFURI_APPLICATION_RATE_LIMIT": "10/minute",
            "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "10/minute",
            "SHUNFURI_PUBLIC_URL": "https://shunfuri.example"}
    for key in (*base, "SHUNFURI_CLOCK", "SHUNFURI_ALLOWED_HOSTS", "SHUNFURI_METRICS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    assert Settings().trusted_hosts == ["shunfuri.example"]
    assert Settings().metrics_token is None
    monkeypatch.setenv("SHUNFURI_ALLOWED_HOSTS", "*")
    with pytest.raises(ValidationError, match="would answer to any Host"):
        Settings()
    monkeypatch.setenv("SHUNFURI_ALLOWED_HOSTS", "")
    monkeypatch.setenv("SHUNFURI_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError, match="SHUNFURI_METRICS_TOKEN is shorter"):
        Settings()


# --- /docs ------------------------------------------------------------------------------------


def test_docs_use_no_external_script_and_carry_the_csp(client):
    page = client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # nothing inline: the CSP would block it
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    for path in sources:
        got = client.get(path)
        assert got.status_code == 200 and got.content, path
    assert "SwaggerUIBundle(" in client.get("/docs/init.js").text
    assert client.get("/redoc").status_code == 404  # ReDoc needs what the CSP forbids


def test_no_docs_in_production(app_client):
    with app_client() as client:
        for path in ("/docs", "/redoc", "/docs/init.js", "/docs/assets/swagger-ui-bundle.js",
                     "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404, path
        assert client.get("/openapi.json").status_code == 200  # integrators read this


# --- /metrics and /readyz?deep=true ----------------------------------------------------------


def test_metrics_and_deep_readiness_refuse_strangers_in_production(app_client):
    with app_client() as client:  # no token configured: nobody may
        for path in ("/metrics", "/readyz?deep=true", "/readyz?deep=1"):
            refused = client.get(path, headers={"authorization": "Bearer anything-at-all"})
            assert refused.status_code == 401, path
            assert refused.json()["code"] == "operations_token_required"
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/readyz").status_code == 200  # load balancers need no credential
    with app_client(SHUNFURI_METRICS_TOKEN=TOKEN) as client:
        for header in ({}, {"authorization": "Bearer wrong-token-0123456789-abcd"},
                       {"authorization": TOKEN}, {"authorization": f"Basic {TOKEN}"}):
            assert client.get("/metrics", headers=header).status_code == 401, header
        scraped = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200 and "shunfuri_logins" in scraped.text
        member_token = client.get("/readyz?deep=true",
                                  headers={"authorization": "Bearer not-the-operators"})
        assert member_token.status_code == 401


def test_a_configured_token_is_asked_in_development_too(client, monkeypatch):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from shunfuri.settings import get_settings

    assert client.get("/metrics").status_code == 200  # unset in development: open
    monkeypatch.setenv("SHUNFURI_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as dev:
            assert dev.get("/metrics").status_code == 401
            assert dev.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"}
                           ).status_code == 200
    finally:
        monkeypatch.delenv("SHUNFURI_METRICS_TOKEN")
        get_settings.cache_clear()


# --- Flower ------------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))["services"]


def test_flower_is_published_on_the_loopback_only_and_asks_for_credentials():
    flower = compose()["flower"]
    assert flower["ports"] == ["127.0.0.1:5555:5555"]
    assert ":?" in flower["environment"]["FLOWER_BASIC_AUTH"]  # no default, no way round it
    assert not any("auth" in arg and "=" not in arg for arg in flower["command"])


def test_a_running_flower_refuses_a_stranger(configured, broker_url, database_url):
    """Flower as compose runs it (its command, FLOWER_BASIC_AUTH from the environment):
    the UI and its API answer 401 without the login; its health check stays open."""
    port = free_port()
    argv = [*compose()["flower"]["command"][:-1], f"--port={port}", "--address=127.0.0.1"]
    env = {**os.environ, "BROKER_URL": broker_url, "DATABASE_URL": database_url,
           "FLOWER_BASIC_AUTH": "ops:Lamp-Otter-91", "PATH": f"{PYTHON_BIN}:/usr/bin:/bin"}
    flower = subprocess.Popen([str(PYTHON_BIN / argv[0]), *argv[1:]], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _answers(f"{base}/healthcheck"), timeout=60, what="Flower to start")
        for path in ("/", "/workers", "/tasks", "/api/workers", "/api/tasks"):
            assert httpx.get(base + path, timeout=5).status_code == 401, path
        wrong = base64.b64encode(b"ops:guess").decode()
        assert httpx.get(base + "/", headers={"authorization": f"Basic {wrong}"},
                         timeout=5).status_code == 401
        right = base64.b64encode(b"ops:Lamp-Otter-91").decode()
        assert httpx.get(base + "/", headers={"authorization": f"Basic {right}"},
                         timeout=10).status_code == 200
    finally:
        flower.terminate()
        flower.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
