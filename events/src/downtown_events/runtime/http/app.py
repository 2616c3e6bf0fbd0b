# SPDX-License-Identifier: Apache-2.0
"""``create_service_app``: the FastAPI app every Downtown service's API starts from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import BaseModel

from downtown_events.runtime.health import Readiness
from downtown_events.runtime.http.body_limit import BodyDeadline, BodySizeLimit, RouteLimit
from downtown_events.runtime.http.docs import docs_router
from downtown_events.runtime.http.health import health_router
from downtown_events.runtime.http.openapi import install_problem_documentation
from downtown_events.runtime.http.problems import ProblemRule, install_problem_handlers
from downtown_events.runtime.http.projections import projections_router
from downtown_events.runtime.http.unavailable import DatabaseUnavailable
from downtown_events.runtime.settings import ServiceSettings

SERVICES_LICENCE = "AGPL-3.0-or-later"
"""The services' licence (decision 35): every API names it and where its source is."""

JSON_BODY_LIMIT = 64 * 1024
"""Default body limit: generous for any JSON a person types (a 4000-character text is ~16 KB)."""


class ServiceContainer(Protocol):
    """What a service's API process is wired from (its ``bootstrap.ApiContainer``)."""

    @property
    def readiness(self) -> Readiness: ...

    async def close(self) -> None: ...


def create_service_app(
    *,
    title: str,
    description: str,
    settings: ServiceSettings,
    open_container: Callable[[], Awaitable[ServiceContainer]],
    routers: Sequence[APIRouter],
    problems: Sequence[ProblemRule] = (),
    body_limits: Sequence[RouteLimit] = (),
    default_body_limit: int = JSON_BODY_LIMIT,
    version: str = "0.1.0",
) -> FastAPI:
    """The app: the container opened at start (``app.state.container``) and closed at the end,
    the service's routers, problem details, body limits and deadline (``settings``), health
    routes, the association's ``/projections/rebuilds`` and tracing."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.container = await open_container()
        try:
            yield
        finally:
            await app.state.container.close()

    def readiness(request: Request) -> Readiness:
        container: ServiceContainer = request.app.state.container
        return container.readiness

    app = FastAPI(
        title=title,
        description=f"{description}\n\nFree software ({SERVICES_LICENCE}): the source of what runs here is at "
        f"{settings.source_url} (also `GET /source`).",
        version=version,
        license_info={"name": SERVICES_LICENCE, "identifier": SERVICES_LICENCE},
        lifespan=lifespan,
        # FastAPI's /docs and /redoc load their scripts from a CDN: /docs is the kit's own
        # (docs_router, offline), and /redoc is off rather than a second bundle to vendor.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app, problems)
    install_problem_documentation(app)
    app.add_middleware(DatabaseUnavailable)
    # Outermost, so nothing parses, spools or authenticates a body past its limit.
    deadline = BodyDeadline(settings.http_body_timeout_seconds, settings.http_body_min_bytes_per_second)
    app.add_middleware(BodySizeLimit, default_bytes=default_body_limit, routes=body_limits, deadline=deadline)
    kit_routers = (
        health_router(readiness),
        source_router(settings.source_url, version),
        docs_router(title),
        projections_router(settings),  # the association's audit of the service's projection rebuilds
    )
    for router in (*routers, *kit_routers):
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app


class Source(BaseModel):
    licence: str
    source: str
    version: str


def source_router(url: str, version: str) -> APIRouter:
    """``GET /source``: the offer of the source the AGPL's section 13 asks of an instance that
    people use over the network, in a form a web front or a client can link to."""
    router = APIRouter(tags=["source"])

    @router.get("/source", summary="Where the source of the code this service runs is, and its licence")
    def source() -> Source:
        return Source(licence=SERVICES_LICENCE, source=url, version=version)

    return router
