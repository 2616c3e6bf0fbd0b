"""``create_service_app``: the FastAPI app every Downtown service's API starts from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI, Request
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from downtown_events.runtime.health import Readiness
from downtown_events.runtime.http.body_limit import BodySizeLimit, RouteLimit
from downtown_events.runtime.http.health import health_router
from downtown_events.runtime.http.openapi import install_problem_documentation
from downtown_events.runtime.http.problems import ProblemRule, install_problem_handlers

JSON_BODY_LIMIT = 64 * 1024
"""Default body limit: generous for any JSON a person types (a 4000-character text is ~16 KB)."""


def create_service_app(
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    readiness: Callable[[Request], Readiness],
    problems: Sequence[ProblemRule] = (),
    body_limits: Sequence[RouteLimit] = (),
    default_body_limit: int = JSON_BODY_LIMIT,
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    install_problem_handlers(app, problems)
    install_problem_documentation(app)
    # Outermost, so nothing parses, spools or authenticates a body past its limit.
    app.add_middleware(BodySizeLimit, default_bytes=default_body_limit, routes=body_limits)
    for router in (*routers, health_router(readiness)):
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app
