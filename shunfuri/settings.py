"""Settings from the environment (pydantic-settings).

The names are the public contract of `spec/api.md`; everything a deployment or a test
sets goes through here so that nothing below the edges reads `os.environ` itself.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shunfuri.domain.orders import Budget

DEV_ADMIN_KEY = "dev-admin-key-change-me"
DEV_PIN_PEPPER = "dev-pin-pepper-change-me"

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
_PERIOD = {"second": 1, "minute": 60, "hour": 3600}


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal must not print SMTP_URL's password or the keys.
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, hide_input_in_errors=True
    )

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    broker_url: str | None = Field(default=None, validation_alias="BROKER_URL")
    env: Literal["development", "production"] = Field(
        default="development", validation_alias="SHUNFURI_ENV"
    )
    admin_key: SecretStr = Field(
        default=SecretStr(DEV_ADMIN_KEY), validation_alias="SHUNFURI_ADMIN_KEY"
    )
    pin_pepper: SecretStr = Field(
        default=SecretStr(DEV_PIN_PEPPER), validation_alias="SHUNFURI_PIN_PEPPER"
    )
    clock: str | None = Field(default=None, validation_alias="SHUNFURI_CLOCK")
    # Set by `shunfuri up` so that every child process measures simulated time from
    # the same real instant; without it a process anchors at its own start.
    clock_anchor: float | None = Field(default=None, validation_alias="SHUNFURI_CLOCK_ANCHOR")
    login_rate_limit: str = Field(default="10/minute", validation_alias="SHUNFURI_LOGIN_RATE_LIMIT")
    data_dir: Path = Field(
        default=Path(".shunfuri"),
        validation_alias=AliasChoices("SHUNFURI_DATA_DIR", "DATA_DIR"),
    )
    bank_url: str = Field(default="http://127.0.0.1:8081", validation_alias="SHUNFURI_BANK_URL")
    bank_database_url: str | None = Field(
        default=None, validation_alias="SHUNFURI_BANK_DATABASE_URL"
    )
    # The credit bureau (指定信用情報機関; `shunfuri up` starts its simulator), and how long
    # one inquiry may take before screening treats the bureau as down and retries.
    bureau_url: str = Field(default="http://127.0.0.1:8082",
                            validation_alias="SHUNFURI_BUREAU_URL")
    bureau_timeout_seconds: float = Field(default=5.0, gt=0,
                                          validation_alias="SHUNFURI_BUREAU_TIMEOUT")
    token_ttl_seconds: int = Field(default=900, validation_alias="SHUNFURI_TOKEN_TTL_SECONDS")
    amount_step: int = Field(default=1000, validation_alias="SHUNFURI_AMOUNT_STEP")
    amount_minimum: int = Field(default=1000, validation_alias="SHUNFURI_AMOUNT_MINIMUM")
    # A transfer left `accepted` or `processing` longer than this is picked up again by
    # the recovery sweep: the bound on how long a lost broker message can delay money.
    recovery_after_seconds: float = Field(default=3.0, validation_alias="SHUNFURI_RECOVERY_AFTER")
    # A transfer in doubt (sent, no definitive answer) goes to `needs_attention` after
    # this much real time since it was sent, or this many attempts, whichever first.
    doubt_attention_after_seconds: float = Field(
        default=1800.0, gt=0, validation_alias="SHUNFURI_DOUBT_ATTENTION_AFTER"
    )
    doubt_max_attempts: int = Field(
        default=100, ge=1, validation_alias="SHUNFURI_DOUBT_MAX_ATTEMPTS"
    )
    max_body_bytes: int = 64 * 1024
    # Where mail goes (`shunfuri.smtp_url`: smtps://, smtp+starttls:// or smtp://); a
    # SecretStr because the URL may carry the relay's password.
    smtp_url: SecretStr | None = Field(default=None, validation_alias="SMTP_URL")
    smtp_allow_insecure: bool = Field(
        default=False, validation_alias="SHUNFURI_SMTP_ALLOW_INSECURE"
    )
    mail_from: str = Field(
        default="瞬フリ <no-reply@shunfuri.localhost>", validation_alias="SHUNFURI_MAIL_FROM"
    )
    # Where members reach the member site: the links in mail (settings page, address
    # confirmation) start with it.
    public_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="SHUNFURI_PUBLIC_URL"
    )

    @field_validator("database_url", "bank_database_url")
    @classmethod
    def _postgresql_only(cls, value: str | None) -> str | None:
        # Only PostgreSQL runs this code (row locks, SKIP LOCKED); say so at start-up
        # instead of failing on the first query.
        if value and not value.split("://", 1)[0].startswith(("postgresql", "postgres")):
            raise ValueError(
                "must be a PostgreSQL URL (postgresql://user@host:port/db): Shunfuri runs on "
                "PostgreSQL only; leave DATABASE_URL unset for the data folder's private one"
            )
        return value

    @field_validator("login_rate_limit")
    @classmethod
    def _rate_parses(cls, value: str) -> str:
        if value.strip() != "0" and not _RATE.match(value):
            raise ValueError("SHUNFURI_LOGIN_RATE_LIMIT must be N/second, N/minute, N/hour or 0")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from shunfuri.smtp_url import parse_smtp_url

            parse_smtp_url(value.get_secret_value())  # ValueError names the problem only
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.pin_pepper.get_secret_value() == DEV_PIN_PEPPER:
            problems.append("SHUNFURI_PIN_PEPPER is the development default")
        # The staff API key is for automation: unset (or left at the development default)
        # it is switched off (`admin_key_enabled`); set, it must be long.
        if self.admin_key_enabled and len(self.admin_key.get_secret_value()) < 16:
            problems.append("SHUNFURI_ADMIN_KEY is shorter than 16 characters")
        if self.clock:
            problems.append("SHUNFURI_CLOCK (the simulated clock) is refused in production")
        if self.login_rate_limit.strip() == "0":
            problems.append("SHUNFURI_LOGIN_RATE_LIMIT=0 (no rate limit) is refused in production")
        if not self.database_url or not self.broker_url:
            problems.append("production needs DATABASE_URL and BROKER_URL (no embedded defaults)")
        if not self.smtp_allow_insecure and not self.smtp_is_encrypted:
            problems.append(
                "SMTP_URL must be set and use TLS (smtps:// or smtp+starttls://) in production;"
                " SHUNFURI_SMTP_ALLOW_INSECURE=true accepts a missing or clear-text one"
            )
        if not self.public_url.startswith("https://"):
            problems.append("SHUNFURI_PUBLIC_URL must be the member site's https:// address in "
                            "production (mail links to it)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def admin_key_enabled(self) -> bool:
        """False in production unless SHUNFURI_ADMIN_KEY is configured: people use the
        staff console; the `X-Admin-Key` API is for automation that is given a key."""
        key = self.admin_key.get_secret_value()
        return self.env != "production" or key not in ("", DEV_ADMIN_KEY)

    @property
    def doubt_budget(self) -> Budget:
        return Budget(after=timedelta(seconds=self.doubt_attention_after_seconds),
                      max_attempts=self.doubt_max_attempts)

    @property
    def login_rate(self) -> tuple[int, int] | None:
        """(attempts, period seconds), or None when limiting is off."""
        match = _RATE.match(self.login_rate_limit)
        if not match:
            return None
        return int(match.group(1)), _PERIOD[match.group(2)]

    @property
    def smtp_is_encrypted(self) -> bool:
        if self.smtp_url is None:
            return False
        from shunfuri.smtp_url import parse_smtp_url

        return parse_smtp_url(self.smtp_url.get_secret_value()).encrypted

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or the private PostgreSQL of the data folder (started by
        `shunfuri up` or, for the other commands, by `shunfuri.embedded`)."""
        from shunfuri.embedded import database_urls

        return self.database_url or database_urls(self.data_dir)[0]

    @property
    def resolved_bank_database_url(self) -> str:
        from shunfuri.embedded import database_urls

        return self.bank_database_url or self.database_url or database_urls(self.data_dir)[1]

    @property
    def resolved_broker_url(self) -> str:
        from shunfuri.embedded import broker_url

        return self.broker_url or broker_url(self.data_dir)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
