"""The pipeline context for this worker process: sessions, bank, clocks, events."""

from __future__ import annotations

from functools import lru_cache

from shunfuri.services.applications.screening import Context as ScreeningContext
from shunfuri.services.credit_review.worker import Context as ReviewContext
from shunfuri.services.mail.outbox import MailContext
from shunfuri.services.orders.pipeline import Context


@lru_cache(maxsize=1)
def context() -> Context:
    from shunfuri.broker import get_redis, publish_transfer_events
    from shunfuri.clock import SystemClock, get_clock
    from shunfuri.db.session import session_factory
    from shunfuri.gateway.http import shared
    from shunfuri.settings import get_settings

    clock, wall, settings = get_clock(), SystemClock(), get_settings()
    return Context(
        sessions=session_factory(),
        gateway=shared(settings.bank_url),
        now=clock.now,
        wall=wall.now,
        publish=lambda changes: publish_transfer_events(get_redis(), changes),
        real_delay=clock.real_delay,
        budget=settings.doubt_budget,
    )


@lru_cache(maxsize=1)
def mail_context() -> MailContext | None:
    """The outbox sender's context, or None while no SMTP_URL is set (mail then waits in
    the outbox: `shunfuri up` always sets one, its own sink by default)."""
    from shunfuri.clock import SystemClock, get_clock
    from shunfuri.db.session import session_factory
    from shunfuri.mail.smtp import SmtpSender
    from shunfuri.settings import get_settings

    settings = get_settings()
    if settings.smtp_url is None:
        return None
    return MailContext(
        sessions=session_factory(),
        sender=SmtpSender.from_url(settings.smtp_url.get_secret_value()),
        now=get_clock().now,
        wall=SystemClock().now,
        mail_from=settings.mail_from,
        public_url=settings.public_url,
        pepper=settings.pin_pepper.get_secret_value(),
    )


@lru_cache(maxsize=1)
def screening_context() -> ScreeningContext:
    """Sessions, the credit bureau, both clocks: what screening an application needs."""
    from shunfuri.clock import SystemClock, get_clock
    from shunfuri.db.session import session_factory
    from shunfuri.gateway.bureau import HttpBureauGateway
    from shunfuri.settings import get_settings

    settings = get_settings()
    return ScreeningContext(
        sessions=session_factory(),
        bureau=HttpBureauGateway(settings.bureau_url, timeout=settings.bureau_timeout_seconds),
        now=get_clock().now,
        wall=SystemClock().now,
    )


@lru_cache(maxsize=1)
def review_context() -> ReviewContext:
    """The ongoing review's: screening's sessions, bureau client and clocks (the review
    runs in the same worker process), and the review interval."""
    from shunfuri.settings import get_settings

    screening = screening_context()
    return ReviewContext(sessions=screening.sessions, bureau=screening.bureau,
                         now=screening.now, wall=screening.wall,
                         policy=get_settings().review_policy)
