# SPDX-License-Identifier: Apache-2.0
"""Serving a service's API: uvicorn, behind the town's proxy, logging through telemetry's JSON.

What uvicorn is told, and why:

- ``proxy_headers=False``: who the client is, is decided in one place, ``clients.py``, from
  ``DOWNTOWN_TRUSTED_PROXY_HOPS``. Uvicorn's own handling, trusting a proxy, took the
  leftmost ``X-Forwarded-For`` entry, which the client writes. Nothing builds a URL from
  the request (links use the service's configured public URL), so ``X-Forwarded-Proto`` is
  not needed either.
- a request's head must arrive within :data:`HEAD_SECONDS` of the connection opening (or
  of the previous answer on a kept-alive connection): uvicorn has no such deadline, and a
  client sending its headers a byte at a time held a connection for hours. Bodies have
  theirs in ``body_limit.py``; h11 bounds a head's size (:data:`HEAD_BYTES`).
- an idle kept-alive connection closes after ``DOWNTOWN_HTTP_KEEP_ALIVE_SECONDS``, and on
  SIGTERM open requests get :data:`GRACEFUL_SECONDS` to finish (Kubernetes waits 30 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.telemetry import setup_telemetry

S = TypeVar("S", bound=ServiceSettings)

HEAD_SECONDS = 10.0
"""How long a request line and its headers may take to arrive (nginx allows 60 s; a phone on
a weak link sends a few hundred bytes of head in well under a second)."""
HEAD_BYTES = 16 * 1024
"""The most a request's head may hold (h11's default, said out loud: nginx's is 4 × 8 KB)."""
GRACEFUL_SECONDS = 20
"""What SIGTERM leaves open requests, inside Kubernetes' 30 s before it kills the pod."""


def serve_api(service: str, settings: S, create_app: Callable[[S], FastAPI]) -> None:
    """Set up telemetry, build the app and serve it until SIGTERM (how Kubernetes stops a pod)."""
    setup_telemetry(f"{service}-api", settings.town, log_level=settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, **server_options(settings))


class Listening(Protocol):
    """What :func:`server_options` reads: a service's settings, or the web front's."""

    @property
    def http_port(self) -> int: ...

    @property
    def http_keep_alive_seconds(self) -> int: ...


def server_options(settings: Listening) -> dict[str, Any]:
    """uvicorn's options for a service's API or the web front (see the module's docstring)."""
    return {
        "host": "0.0.0.0",
        "port": settings.http_port,
        "http": heads_in_time(HEAD_SECONDS),
        "proxy_headers": False,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
        "h11_max_incomplete_event_size": HEAD_BYTES,
        "log_config": None,
        "access_log": False,
    }


def heads_in_time(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose next request's head is not all
    there ``seconds`` after the connection opened or its first byte arrived."""

    class HeadsInTime(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._await_head()  # a kept-alive connection's next request begins
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # the head is complete: the request runs
                self._head_arrived()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._head_arrived()
            self._head_timer = self.loop.call_later(seconds, self._head_late)

        def _head_arrived(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_late(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.logger.debug("closing a connection whose request head did not arrive within %.0f s", seconds)
                self.transport.close()  # nothing can be answered before a request was read

    return HeadsInTime
