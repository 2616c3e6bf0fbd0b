# SPDX-License-Identifier: Apache-2.0
"""A database that is away is a 503 with ``Retry-After``, never a 500; a read is tried once more.

The database can be away for a moment in three ways an API request meets: the server
restarted and the connection the request got had died with it (the pool checks connections
as they leave it, but one can die mid-request), no connection came free within the pool's
timeout, or too many requests already wait for one. None is the request's fault and none
is a bug: the client is told to try again shortly. A read (``GET``/``HEAD``) that met a dead
connection before anything was answered is tried once more at once, on a fresh connection,
since reading twice changes nothing; a write is not repeated here (the client repeats it,
with its Idempotency-Key).

Plain ASGI, between the body limit and the application's own error handling, which leaves
these exceptions to it.
"""

from __future__ import annotations

import json
import logging

import psycopg

from downtown_events.runtime.driver_failures import classify
from downtown_events.runtime.failures import Failure
from downtown_events.runtime.http.body_limit import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
READS = frozenset({"GET", "HEAD"})


def database_away(error: BaseException) -> bool:
    """A database error that says nothing about the request: an outage, a full pool."""
    return isinstance(error, psycopg.Error) and classify(error) is Failure.TRANSIENT


class DatabaseUnavailable:
    """ASGI middleware: transient database failures become 503, and reads get one more try."""

    def __init__(self, app: ASGIApp, *, retry_after_seconds: int = 2) -> None:
        self.app = app
        self.retry_after = retry_after_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tries = 2 if scope["method"] in READS else 1
        for attempt in range(1, tries + 1):
            answered = False

            async def watched(message: Message) -> None:
                nonlocal answered
                answered = answered or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, receive, watched)
                return
            except Exception as error:
                if answered or not database_away(error):
                    raise
                log.warning("%s %s: the database is away (%r), try %d", scope["method"], scope["path"], error, attempt)
        await self._busy(send)

    async def _busy(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Temporarily unavailable",
                "status": 503,
                "detail": f"the database is not reachable right now; try again in {self.retry_after} s",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
