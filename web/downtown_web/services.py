# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's services as the web front calls them: their public HTTP APIs, nothing else.

One kept-alive client per service. Every call says the reader's language
(``Accept-Language``: the directory's notes and the slots come back in it) and turns an
answer other than 2xx into :class:`ServiceProblem` (the RFC 9457 body the services write),
which ``problems`` words for a person. A service that cannot be reached is a
:class:`ServiceProblem` too (503), so a page says so instead of failing.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from downtown_web.settings import WebSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceProblem(Exception):
    """A service's refusal (or its silence) as it answered it."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    """A 422's fields: ``{"field": "customer.email", "reason": ...}``."""

    @classmethod
    def of(cls, response: httpx.Response) -> ServiceProblem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        return cls(response.status_code, str(body.get("title", "")), str(body.get("detail", "")), errors)


FORWARDED_FOR: ContextVar[str | None] = ContextVar("forwarded_for", default=None)
"""The ``X-Forwarded-For`` the town's ingress gave the page's request, passed on unchanged to
every service it calls: a service limits what a client may try (sign-in links, guest
checkouts) by the address its one trusted proxy appended last, which is the visitor's, not
this front's (two front pods would otherwise share two budgets for the whole town)."""
MAX_FORWARDED = 1000


class Service:
    """One service's API."""

    def __init__(self, name: str, base_url: str, timeout: float) -> None:
        self.name = name
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def call(
        self, method: str, path: str, *, language: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """The answer's JSON; :class:`ServiceProblem` for anything but 2xx."""
        try:
            forwarded = FORWARDED_FOR.get()
            sent = {"Accept-Language": language, **({"X-Forwarded-For": forwarded} if forwarded else {})}
            response = await self._client.request(method, path, headers={**sent, **(headers or {})}, **kwargs)
        except httpx.HTTPError as error:
            log.warning("%s %s %s: %s", self.name, method, path, error)
            raise ServiceProblem(503, "Unavailable", f"{self.name} did not answer") from error
        if response.status_code >= 400:
            problem = ServiceProblem.of(response)
            log.info("%s %s %s: %s %s", self.name, method, path, problem.status, problem.detail)
            raise problem
        return response.json() if response.content else None

    async def get_bytes(
        self, path: str, headers: dict[str, str] | None = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        """A file as the service sends it (a photo, a PDF), handed back by the caller; a service
        that cannot be reached is a :class:`ServiceProblem` (503), as for :meth:`call`."""
        try:
            return await self._client.get(path, headers=headers, params=params)
        except httpx.HTTPError as error:
            log.warning("%s GET %s: %s", self.name, path, error)
            raise ServiceProblem(503, "Unavailable", f"{self.name} did not answer") from error

    async def close(self) -> None:
        await self._client.aclose()


class Services:
    """The town's services this front reads and writes through."""

    def __init__(self, settings: WebSettings) -> None:
        timeout = settings.service_timeout_seconds
        self.catalog = Service("catalog", str(settings.catalog_url), timeout)
        self.ordering = Service("ordering", str(settings.ordering_url), timeout)
        self.vouchers = Service("vouchers", str(settings.vouchers_url), timeout)
        self.dispatch = Service("dispatch", str(settings.dispatch_url), timeout)

    async def close(self) -> None:
        for service in (self.catalog, self.ordering, self.vouchers, self.dispatch):
            await service.close()
