"""Refuse oversized bodies before anything parses them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from shunfuri.errors import ShunfuriError


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, then counts streamed bytes too."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await problem_response(ShunfuriError("payload_too_large"))(scope, receive, send)
                    return
        seen = 0
        refused = started = False

        async def limited() -> Message:
            # A body without Content-Length (chunked) is counted as it streams; past the
            # limit we answer 413 ourselves and tell the app the client went away. (Raising
            # here instead would surface inside FastAPI's body parsing as a 400/422.)
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    if not refused and not started:
                        refused = True
                        await problem_response(ShunfuriError("payload_too_large"))(
                            scope, receive, send
                        )
                    if started:
                        raise _TooLarge
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer; whatever the app says after it is dropped
            started = True
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except _TooLarge:
            pass  # the app had already answered before reading the whole body


class _TooLarge(Exception):
    pass
