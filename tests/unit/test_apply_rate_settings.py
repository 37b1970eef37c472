"""The applicant's rate limits as settings: the defaults, their shape, and production
refusing to switch any of them off (as it refuses for logins)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.unit.test_admin_key_setting import PRODUCTION, settings

LIMITS = ("ELIGIBILITY", "APPLICATION", "APPLY_PAGES")


def test_defaults_parse(monkeypatch):
    env = {k: v for k, v in PRODUCTION.items() if not any(n in k for n in LIMITS)}
    read = settings(monkeypatch, **env)
    assert (read.eligibility_rate, read.application_rate, read.apply_pages_rate) == (
        (30, 60), (10, 3600), (60, 60))


@pytest.mark.parametrize("name", LIMITS)
def test_production_refuses_no_limit(monkeypatch, name):
    with pytest.raises(ValidationError, match=f"SHUNFURI_{name}_RATE_LIMIT=0"):
        settings(monkeypatch, **{**PRODUCTION, f"SHUNFURI_{name}_RATE_LIMIT": "0"})
    assert settings(monkeypatch, **{f"SHUNFURI_{name}_RATE_LIMIT": "0"})  # development


@pytest.mark.parametrize("name", LIMITS)
def test_a_malformed_limit_is_refused(monkeypatch, name):
    with pytest.raises(ValidationError, match="N/second, N/minute, N/hour or 0"):
        settings(monkeypatch, **{f"SHUNFURI_{name}_RATE_LIMIT": "ten a minute"})
