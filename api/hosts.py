"""The Host names the app answers to (Starlette's `TrustedHostMiddleware`), from the
settings (`Settings.trusted_hosts`; in production always a list).

A request for any other Host is answered 400 before any route runs, so no page, link or
redirect is ever built from a Host an attacker chose. The operational endpoints are the
exception: load balancers, orchestrators and Prometheus reach each process by its address
(`10.0.3.7:8000`, `127.0.0.1:8000`), not by the site's name, and those endpoints build
nothing from the Host (`/metrics` and `/readyz?deep=true` have a credential of their own).
"""

from __future__ import annotations

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})


class TrustedHosts:
    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts,
                                             www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in OPERATIONS:
            await self.app(scope, receive, send)
        else:
            await self.checked(scope, receive, send)
