"""SHUNFURI_ADMIN_KEY is for automation: in production the `X-Admin-Key` API is off until
a key is configured (people use the staff console), and a configured key must be long."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shunfuri.settings import DEV_ADMIN_KEY, Settings

PRODUCTION = {"SHUNFURI_ENV": "production", "SHUNFURI_PIN_PEPPER": "p" * 20,
              "DATABASE_URL": "postgresql://db/x", "BROKER_URL": "redis://r:6379/0",
              "SHUNFURI_SMTP_ALLOW_INSECURE": "true", "SHUNFURI_LOGIN_RATE_LIMIT": "10/minute",
              "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "10/minute", "SHUNFURI_APPLICATION_RATE_LIMIT": "10/minute",
              "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "10/minute",
              "SHUNFURI_PUBLIC_URL": "https://shunfuri.example"}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    # Whatever the rest of the test session set (a rate limit of 0, a clock) is not ours.
    for key in ("SHUNFURI_ADMIN_KEY", "SHUNFURI_CLOCK", *PRODUCTION):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_production_without_a_key_starts_with_the_key_api_switched_off(monkeypatch):
    assert not settings(monkeypatch, **PRODUCTION).admin_key_enabled
    assert not settings(monkeypatch, **PRODUCTION,
                        SHUNFURI_ADMIN_KEY=DEV_ADMIN_KEY).admin_key_enabled


def test_production_with_a_configured_key_enables_it(monkeypatch):
    assert settings(monkeypatch, **PRODUCTION, SHUNFURI_ADMIN_KEY="k" * 20).admin_key_enabled


def test_production_refuses_a_short_configured_key(monkeypatch):
    with pytest.raises(ValidationError, match="shorter than 16"):
        settings(monkeypatch, **PRODUCTION, SHUNFURI_ADMIN_KEY="short")


def test_development_keeps_its_default_key(monkeypatch):
    assert settings(monkeypatch).admin_key_enabled
