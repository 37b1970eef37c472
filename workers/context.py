"""The pipeline context for this worker process: sessions, bank, clocks, events."""

from __future__ import annotations

from functools import lru_cache

from shunfuri.services.pipeline import Context


@lru_cache(maxsize=1)
def context() -> Context:
    from shunfuri.broker import get_redis, publish_transfer_events
    from shunfuri.clock import SystemClock, get_clock
    from shunfuri.db.session import session_factory
    from shunfuri.gateway.http import HttpBankGateway
    from shunfuri.settings import get_settings

    clock, wall, settings = get_clock(), SystemClock(), get_settings()
    return Context(
        sessions=session_factory(),
        gateway=HttpBankGateway(settings.bank_url),
        now=clock.now,
        wall=wall.now,
        publish=lambda changes: publish_transfer_events(get_redis(), changes),
        real_delay=clock.real_delay,
        budget=settings.doubt_budget,
    )
