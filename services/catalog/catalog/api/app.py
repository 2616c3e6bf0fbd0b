"""The catalog's HTTP API for one town."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.middleware.base import RequestResponseEndpoint

from catalog.api.problems import install_problem_handlers, problem
from catalog.api.routes import health, merchants, offers, photos, town
from catalog.bootstrap import build_api
from catalog.settings import CatalogSettings


def create_app(settings: CatalogSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.container = await build_api(settings)
        try:
            yield
        finally:
            await app.state.container.close()

    app = FastAPI(
        title=f"Downtown catalog — {settings.town}",
        description="Merchants, their offers and the town catalog and directory. "
        "Merchant calls need `Authorization: Bearer <merchant token>` (from registration).",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    limit = settings.max_photo_bytes + 1024 * 1024  # a photo plus the form's other fields

    @app.middleware("http")
    async def refuse_oversized_bodies(request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Refuse a huge upload from its Content-Length, before it is spooled to disk."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return problem(
                413,
                "Request too large",
                f"send at most {limit // (1024 * 1024)} MB; "
                "photos larger than that should be resized on the phone first",
            )
        return await call_next(request)

    for module in (merchants, offers, town, photos, health):
        app.include_router(module.router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app
