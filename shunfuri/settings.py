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
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shunfuri.domain.credit_review import ReviewPolicy
from shunfuri.domain.lockout import UntrustedPolicy
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
    # Clients the member never logged in from (`shunfuri.domain.lockout`): this many
    # failures for one identifier close it to all such clients for the lockout, doubled
    # at each further lockout up to the maximum; forgotten after a quiet week.
    untrusted_login_failures: int = Field(
        default=3, ge=1, validation_alias="SHUNFURI_UNTRUSTED_LOGIN_FAILURES")
    untrusted_lockout_seconds: float = Field(
        default=900.0, gt=0, validation_alias="SHUNFURI_UNTRUSTED_LOCKOUT_SECONDS")
    untrusted_lockout_max_seconds: float = Field(
        default=86_400.0, gt=0, validation_alias="SHUNFURI_UNTRUSTED_LOCKOUT_MAX_SECONDS")
    untrusted_forget_seconds: float = Field(
        default=7 * 86_400.0, gt=0, validation_alias="SHUNFURI_UNTRUSTED_FORGET_SECONDS")
    # Asking whether a Web-ID is free (PUT /v1/me/web-id, the Web-ID page), per member
    # and per client address.
    web_id_rate_limit: str = Field(default="10/hour", validation_alias="SHUNFURI_WEB_ID_RATE_LIMIT")
    # Becoming a member, per client address (`services.applications.throttle`): お試し診断
    # (API and page), new applications (API and page: each one costs a bureau inquiry),
    # and every other post of the applicant's pages (the form's steps, 続きから, documents,
    # the contract).
    eligibility_rate_limit: str = Field(
        default="30/minute", validation_alias="SHUNFURI_ELIGIBILITY_RATE_LIMIT")
    application_rate_limit: str = Field(
        default="10/hour", validation_alias="SHUNFURI_APPLICATION_RATE_LIMIT")
    apply_pages_rate_limit: str = Field(
        default="60/minute", validation_alias="SHUNFURI_APPLY_PAGES_RATE_LIMIT")
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
    # The ongoing review (途上与信): every this many calendar months (1-3; the law's
    # minimum is a check each 3 months), each member with a balance is asked about.
    review_interval_months: int = Field(default=1, ge=1, le=3,
                                        validation_alias="SHUNFURI_REVIEW_INTERVAL_MONTHS")
    # How a member whose use is stopped reaches us (the suspended page says it).
    contact_phone: str = Field(default="0120-000-000", validation_alias="SHUNFURI_CONTACT_PHONE")
    contact_hours: str = Field(default="平日 9:00〜18:00",
                               validation_alias="SHUNFURI_CONTACT_HOURS")
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
    # PostgreSQL ends a session of ours left idle inside a transaction this long, and
    # frees its row locks (`db.session.server_options`): about a worker's lease, so a
    # host cut off mid-transaction holds up others no longer than a dead worker does.
    db_idle_in_transaction_seconds: float = Field(
        default=10.0, ge=1, le=600, validation_alias="SHUNFURI_DB_IDLE_IN_TRANSACTION_TIMEOUT"
    )
    # Connections each process's pool keeps (the API's async pool twice this): a test run
    # with two systems up at once on one PostgreSQL (max_connections 100) sets it lower.
    db_pool_size: int = Field(default=10, ge=1, le=100, validation_alias="SHUNFURI_DB_POOL_SIZE")
    # Connections the API opens before its first request (at most its pool): opening them
    # under the first burst of load stalled its first second. The tests' in-process apps,
    # one a test, set 0: ten PostgreSQL backends forked for each made a test's app take
    # 176 ms to start instead of 51.
    db_warm_connections: int = Field(default=10, ge=0, le=200,
                                     validation_alias="SHUNFURI_DB_WARM_CONNECTIONS")
    # Admission control (`shunfuri.domain.admission`): a new instant transfer is refused
    # (503 `overloaded`) while the oldest instant transfer accepted and not yet claimed by
    # a worker has waited this long; 0 switches it off. The API reads that age from the
    # database at most once per `admission_sample_seconds` per process.
    admission_max_wait_seconds: float = Field(
        default=2.0, ge=0, le=10, validation_alias="SHUNFURI_ADMISSION_MAX_WAIT")
    admission_sample_seconds: float = Field(
        default=0.1, gt=0, le=5, validation_alias="SHUNFURI_ADMISSION_SAMPLE")
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
    # The credential of `/metrics` and `/readyz?deep=true` (`Authorization: Bearer ...`), as
    # Prometheus sends it from its scrape config. Unset: open in development, refused to
    # everyone in production.
    metrics_token: SecretStr | None = Field(default=None,
                                            validation_alias="SHUNFURI_METRICS_TOKEN")
    # The Host names the site answers to, comma-separated (`shunfuri.example`,
    # `*.shunfuri.example`); production defaults to SHUNFURI_PUBLIC_URL's host.
    allowed_hosts: str | None = Field(default=None, validation_alias="SHUNFURI_ALLOWED_HOSTS")

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

    @field_validator("metrics_token", "allowed_hosts", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose passes `${VAR:-}` through as an empty string: the same as not set.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("login_rate_limit", "web_id_rate_limit", "eligibility_rate_limit",
                     "application_rate_limit", "apply_pages_rate_limit")
    @classmethod
    def _rate_parses(cls, value: str) -> str:
        if value.strip() != "0" and not _RATE.match(value):
            raise ValueError("must be N/second, N/minute, N/hour or 0")
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
        if self.web_id_rate_limit.strip() == "0":
            problems.append("SHUNFURI_WEB_ID_RATE_LIMIT=0 (no rate limit) is refused in production")
        for name in ("eligibility", "application", "apply_pages"):
            if getattr(self, f"{name}_rate_limit").strip() == "0":
                problems.append(f"SHUNFURI_{name.upper()}_RATE_LIMIT=0 (no rate limit) is "
                                "refused in production")
        if self.untrusted_lockout_seconds < 60:
            problems.append("SHUNFURI_UNTRUSTED_LOCKOUT_SECONDS below 60 is refused in "
                            "production (it bounds PIN guessing)")
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
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            problems.append("SHUNFURI_METRICS_TOKEN is shorter than 16 characters")
        if "*" in [h.strip() for h in (self.allowed_hosts or "").split(",")]:
            problems.append("SHUNFURI_ALLOWED_HOSTS=* would answer to any Host in production")
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
    def trusted_hosts(self) -> list[str] | None:
        """The Host names to answer to (Starlette's `TrustedHostMiddleware` patterns), or
        None for any: production always has a list (SHUNFURI_ALLOWED_HOSTS, else the host
        of SHUNFURI_PUBLIC_URL); development only when SHUNFURI_ALLOWED_HOSTS is set."""
        listed = [h.strip() for h in (self.allowed_hosts or "").split(",") if h.strip()]
        if listed:
            return listed
        if self.env != "production":
            return None
        host = urlsplit(self.public_url).hostname
        return [host] if host else []

    @property
    def api_docs(self) -> bool:
        """/docs (Swagger UI, served from a package) outside production only."""
        return self.env != "production"

    @property
    def doubt_budget(self) -> Budget:
        return Budget(after=timedelta(seconds=self.doubt_attention_after_seconds),
                      max_attempts=self.doubt_max_attempts)

    @property
    def review_policy(self) -> ReviewPolicy:
        return ReviewPolicy(interval_months=self.review_interval_months)

    @property
    def login_rate(self) -> tuple[int, int] | None:
        """(attempts, period seconds), or None when limiting is off."""
        return _rate(self.login_rate_limit)

    @property
    def web_id_rate(self) -> tuple[int, int] | None:
        return _rate(self.web_id_rate_limit)

    @property
    def eligibility_rate(self) -> tuple[int, int] | None:
        return _rate(self.eligibility_rate_limit)

    @property
    def application_rate(self) -> tuple[int, int] | None:
        return _rate(self.application_rate_limit)

    @property
    def apply_pages_rate(self) -> tuple[int, int] | None:
        return _rate(self.apply_pages_rate_limit)

    @property
    def untrusted_policy(self) -> UntrustedPolicy:
        lockout = timedelta(seconds=self.untrusted_lockout_seconds)
        return UntrustedPolicy(
            failures=self.untrusted_login_failures, lockout=lockout,
            max_lockout=max(lockout, timedelta(seconds=self.untrusted_lockout_max_seconds)),
            forget_after=timedelta(seconds=self.untrusted_forget_seconds))

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


def _rate(text: str) -> tuple[int, int] | None:
    match = _RATE.match(text)
    if not match:
        return None
    return int(match.group(1)), _PERIOD[match.group(2)]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
