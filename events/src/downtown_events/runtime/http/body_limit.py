"""A limit on the bytes a request body may carry, counted as they arrive.

A ``Content-Length`` header is a client's claim; a chunked body has none. So the limit is
enforced twice: a declared length above it is refused before a byte is read, and the
bytes actually received are counted, so the first chunk past the limit stops the read.
Either way the client gets a 413 problem, whatever the application would have answered
to a body cut short, and no route parses, spools or authenticates an oversized body.

Plain ASGI (no framework import), so every service's HTTP app can be wrapped in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class RouteLimit:
    """A larger (or smaller) limit for the routes whose method and path match."""

    method: str
    path: str  # a regular expression matched against the whole path
    max_bytes: int
    hint: str = ""  # what the client can do instead, e.g. resize a photo


DRAIN_AT_LEAST = 64 * 1024 * 1024
"""How much of a refused body is read and discarded before answering (see :func:`_drain`)."""


class BodyTooLarge(Exception):
    """Raised into the application when the body grows past its limit."""


class BodySizeLimit:
    """ASGI middleware: at most ``default_bytes`` per request body, unless a route says otherwise."""

    def __init__(self, app: ASGIApp, *, default_bytes: int, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self._routes = [(re.compile(route.path), route) for route in routes]

    def limit_for(self, method: str, path: str) -> RouteLimit:
        for pattern, route in self._routes:
            if method == route.method.upper() and pattern.fullmatch(path):
                return route
        return RouteLimit(method, ".*", self.default_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _send_too_large(send, limit)
            return
        guard = _GuardedExchange(receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except BodyTooLarge:
            if not guard.response_started:
                await guard.refuse()


async def _drain(receive: Receive, *, max_bytes: int, seconds: float = 5.0) -> None:
    """Read and discard more of a refused body before answering (like nginx's lingering close).

    Answering and closing while the client still sends makes the kernel reset the
    connection, and the reset can destroy the 413 before the client reads it. So a client
    that overshot gets its answer once its body is read; one sending without end is cut off
    after ``max_bytes`` or ``seconds``. Nothing read is kept: memory stays flat.
    """
    discarded = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while discarded < max_bytes:
                message = await receive()
                discarded += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body"):
                    return


class _GuardedExchange:
    """Counts received bytes; once past the limit, whatever the app answers becomes a 413."""

    def __init__(self, receive: Receive, send: Send, limit: RouteLimit) -> None:
        self._receive = receive
        self._send = send
        self._limit = limit
        self._received = 0
        self.exceeded = False
        self.response_started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise BodyTooLarge(self._limit.max_bytes)
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit.max_bytes:
                self.exceeded = True
                raise BodyTooLarge(self._limit.max_bytes)
        return message

    async def refuse(self) -> None:
        self.response_started = True
        await _drain(self._receive, max_bytes=max(4 * self._limit.max_bytes, DRAIN_AT_LEAST))
        await _send_too_large(self._send, self._limit)

    async def send(self, message: Message) -> None:
        if self.exceeded:
            # The app reacted to a body cut short (often with a 400); the client is owed a 413.
            if message["type"] == "http.response.start" and not self.response_started:
                await self.refuse()
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.0f} MB"
    return f"{size // 1024} KB" if size >= 1024 else f"{size} bytes"


async def _send_too_large(send: Send, limit: RouteLimit) -> None:
    detail = f"this request may carry at most {_size(limit.max_bytes)} of body"
    problem = {
        "type": "about:blank",
        "title": "Request too large",
        "status": 413,
        "detail": f"{detail}; {limit.hint}" if limit.hint else detail,
    }
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
