"""SMTP_URL: its forms, and production refusing a missing or clear-text one."""

from __future__ import annotations

import pytest
from pydantic import AliasChoices, ValidationError

from shunfuri.settings import Settings
from shunfuri.smtp_url import parse_smtp_url

PRODUCTION = {"SHUNFURI_ENV": "production", "SHUNFURI_ADMIN_KEY": "k" * 20,
              "SHUNFURI_PIN_PEPPER": "p" * 20, "DATABASE_URL": "postgresql://db/x",
              "BROKER_URL": "redis://r:6379/0", "SHUNFURI_PUBLIC_URL": "https://shunfuri.example"}


@pytest.mark.parametrize(("url", "security", "host", "port"), [
    ("smtps://relay.example", "tls", "relay.example", 465),
    ("smtp+starttls://relay.example", "starttls", "relay.example", 587),
    ("smtp://127.0.0.1", "plain", "127.0.0.1", 25),
    ("SMTPS://relay.example:2465", "tls", "relay.example", 2465),
    ("smtp://[::1]:8025", "plain", "::1", 8025),
])
def test_forms(url: str, security: str, host: str, port: int) -> None:
    target = parse_smtp_url(url)
    assert (target.security, target.host, target.port) == (security, host, port)
    assert target.encrypted == (security != "plain")


def test_credentials_are_percent_decoded_and_never_shown() -> None:
    target = parse_smtp_url("smtps://mailer%40shop:p%40ss%3Aw0rd@relay.example?timeout=2.5"
                            "&cafile=/etc/ca.pem")
    assert (target.username, target.password) == ("mailer@shop", "p@ss:w0rd")
    assert (target.timeout, target.cafile) == (2.5, "/etc/ca.pem")
    assert "p@ss" not in repr(target) and "p@ss" not in target.redacted()
    assert target.redacted() == "smtps://mailer@shop:***@relay.example:465"


@pytest.mark.parametrize(("url", "why"), [
    ("http://relay.example", "must start with"), ("relay.example:25", "must start with"),
    ("smtps://", "no host"), ("smtp://relay:99999", "port"), ("smtp://relay?tls=1", "unknown"),
    ("smtp://relay?timeout=soon", "timeout"), ("smtp://relay?timeout=0", "timeout"),
])
def test_bad_urls_say_why(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_smtp_url(url)


def setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else [])
    return {n for n in names if isinstance(n, str)}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings from exactly `env` (the test session sets some, e.g. no login rate limit)."""
    for key in setting_names():
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.mark.parametrize("env", [{}, {"SMTP_URL": "smtp://relay.example"}])
def test_production_refuses_a_missing_or_clear_text_smtp_url(monkeypatch, env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="SMTP_URL must be set and use TLS"):
        settings(monkeypatch, **PRODUCTION, **env)


@pytest.mark.parametrize("url", ["smtps://u:pw@relay.example", "smtp+starttls://relay.example"])
def test_production_accepts_tls(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    assert settings(monkeypatch, **PRODUCTION, SMTP_URL=url).smtp_is_encrypted


@pytest.mark.parametrize("env", [{}, {"SMTP_URL": "smtp://relay.example"}])
def test_production_accepts_insecure_when_told(monkeypatch, env) -> None:  # type: ignore[no-untyped-def]
    s = settings(monkeypatch, **PRODUCTION, **env, SHUNFURI_SMTP_ALLOW_INSECURE="true")
    assert not s.smtp_is_encrypted


def test_development_needs_no_smtp_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUNFURI_ENV", "development")
    assert settings(monkeypatch).smtp_url is None


def test_a_refused_url_never_prints_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, SMTP_URL="smtps://u:Sup3rS3cret@relay.example:99999")
    assert "Sup3rS3cret" not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, **PRODUCTION, SMTP_URL="smtp://u:Sup3rS3cret@relay.example")
    assert "Sup3rS3cret" not in str(caught.value) and "k" * 20 not in str(caught.value)


@pytest.mark.parametrize("url", ["http://shunfuri.example", "http://127.0.0.1:8000"])
def test_production_refuses_mail_links_without_https(monkeypatch, url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="SHUNFURI_PUBLIC_URL must be"):
        settings(monkeypatch, **{**PRODUCTION, "SHUNFURI_PUBLIC_URL": url},
                 SMTP_URL="smtps://relay.example")
