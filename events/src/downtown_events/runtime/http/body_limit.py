# SPDX-License-Identifier: Apache-2.0
"""Limits on a request body, enforced as it arrives: how many bytes, and how soon.

A ``Content-Length`` header is a client's claim; a chunked body has none. So the size limit
is enforced twice: a declared length above it is refused before a byte is read, and the
bytes actually received are counted, so the first chunk past the limit stops the read.
Either way the client gets a 413 problem, whatever the application would have answered
to a body cut short, and no route parses, spools or authenticates an oversized body. A route
whose callers are people (a web page's form) may answer in their words instead: its
:class:`RouteLimit` names a :data:`TooLargeAnswer`, asked for the answer once the body is
refused (the problem all the same if it fails).

A body must also arrive in time (:class:`BodyDeadline`): a client sending one byte a second,
or nothing after its headers, held a connection and a request task for as long as it liked.
Past the deadline the client gets a 408 problem and the connection is closed.

Plain ASGI (no framework import), so every service's HTTP app can be wrapped in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """An answer of the application's own to a body refused as too large (a page that says
    so in the reader's language, with the form again), in place of the 413 problem."""

    status: int
    headers: Sequence[tuple[bytes, bytes]]
    """The answer's headers, as ASGI sends them; the content length and ``connection: close``
    are the middleware's."""
    body: bytes


TooLargeAnswer = Callable[[Scope, "RouteLimit"], Awaitable[Refusal]]
"""Draws a route's answer to a body too large for it, from the request's scope (its path,
headers, cookies: never its body, which is not read) and the limit it broke."""


@dataclass(frozen=True)
class RouteLimit:
    """A larger (or smaller) limit for the routes whose method and path match."""

    method: str
    path: str  # a regular expression matched against the whole path
    max_bytes: int
    hint: str = ""  # what the client can do instead, e.g. resize a photo
    too_large: TooLargeAnswer | None = field(default=None, compare=False, repr=False)
    """The route's own answer to a body too large (else the 413 problem)."""


@dataclass(frozen=True)
class BodyDeadline:
    """A body must have arrived ``seconds`` after the application began to read it, plus the
    time its bytes need at ``min_bytes_per_second``.

    A fixed deadline alone would refuse a large photo sent over a slow phone connection; a
    pause allowed between chunks alone would let a byte a second through for ever. Time earned
    only by bytes received lets a slow but steady upload finish, and a trickle is cut off after
    ``seconds`` (a byte earns 1/``min_bytes_per_second`` of a second). The clock starts at the
    first read: a route that waits for a slot before reading (a photo upload) does not spend
    the client's time.
    """

    seconds: float = 30.0
    min_bytes_per_second: int = 16 * 1024

    def allows(self, received: int) -> float:
        """Seconds since the first read that a body of which ``received`` bytes arrived may take."""
        return self.seconds + received / self.min_bytes_per_second


DRAIN_AT_LEAST = 64 * 1024 * 1024
"""How much of a refused body is read and discarded before answering (see :func:`_drain`)."""


class BodyTooLarge(Exception):
    """Raised into the application when the body grows past its limit."""


class BodyTooSlow(Exception):
    """Raised into the application when the body has not arrived by its deadline."""


class BodySizeLimit:
    """ASGI middleware: at most ``default_bytes`` per request body, unless a route says
    otherwise, arriving within ``deadline``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_bytes: int,
        routes: Sequence[RouteLimit] = (),
        deadline: BodyDeadline = BodyDeadline(),
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.deadline = deadline
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
            await _send_too_large(send, scope, limit)
            return
        guard = _GuardedExchange(scope, receive, send, limit, self.deadline)
        try:
            await self.app(scope, guard.receive, guard.send)
        except (BodyTooLarge, BodyTooSlow):
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
    """Counts and times the body as it is received; once it is past its limit or its
    deadline, whatever the app answers becomes a 413 or a 408."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: RouteLimit, deadline: BodyDeadline) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._limit = limit
        self._deadline = deadline
        self._received = 0
        self._first_read: float | None = None
        self._body_done = False
        self.refused: BodyTooLarge | BodyTooSlow | None = None
        self.response_started = False

    async def receive(self) -> Message:
        if self.refused is not None:
            raise type(self.refused)(*self.refused.args)  # the app read on after being told
        if self._body_done:  # what follows the body (a disconnect) may be awaited as long as the app likes
            return await self._receive()
        message = await self._in_time()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit.max_bytes:
                self.refused = BodyTooLarge(self._limit.max_bytes)
                raise self.refused
            self._body_done = not message.get("more_body")
        else:
            self._body_done = True  # the client went away
        return message

    async def _in_time(self) -> Message:
        now = asyncio.get_running_loop().time()
        if self._first_read is None:
            self._first_read = now
        due = self._first_read + self._deadline.allows(self._received)
        if now < due:
            timeout = asyncio.timeout_at(due)
            try:
                async with timeout:
                    return await self._receive()
            except TimeoutError:
                if not timeout.expired():
                    raise
        self.refused = BodyTooSlow(self._deadline.allows(self._received))
        raise self.refused

    async def refuse(self) -> None:
        self.response_started = True
        if isinstance(self.refused, BodyTooSlow):
            await _send_too_slow(self._send, self._deadline)
            return
        await _drain(self._receive, max_bytes=max(4 * self._limit.max_bytes, DRAIN_AT_LEAST))
        await _send_too_large(self._send, self._scope, self._limit)

    async def send(self, message: Message) -> None:
        if self.refused is not None:
            # The app reacted to a body cut short (often with a 400); the client is owed a 413 or 408.
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


async def _send_too_large(send: Send, scope: Scope, limit: RouteLimit) -> None:
    if limit.too_large is not None:
        try:
            refusal = await limit.too_large(scope, limit)
        except Exception:  # the route's page failed to draw: the client is owed an answer all the same
            log.exception(
                "the answer to a body too large for %s %s failed; sending the problem", limit.method, limit.path
            )
        else:
            await _send_answer(send, refusal.status, refusal.headers, refusal.body)
            return
    detail = f"this request may carry at most {_size(limit.max_bytes)} of body"
    await _send_problem(send, 413, "Request too large", f"{detail}; {limit.hint}" if limit.hint else detail)


async def _send_too_slow(send: Send, deadline: BodyDeadline) -> None:
    detail = (
        f"the body of this request did not arrive in time ({deadline.seconds:g} s, and longer only while it "
        f"arrives at {_size(deadline.min_bytes_per_second)}/s or faster); send it again"
    )
    await _send_problem(send, 408, "Request too slow", detail)


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    await _send_answer(send, status, [(b"content-type", b"application/problem+json")], json.dumps(problem).encode())


async def _send_answer(send: Send, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
    own = {b"content-length", b"connection"}
    sent = [
        *((name, value) for name, value in headers if name.lower() not in own),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read
    ]
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": body})
