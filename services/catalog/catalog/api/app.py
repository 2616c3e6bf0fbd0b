"""The catalog's HTTP API for one town."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from catalog.api.openapi import install_problem_documentation
from catalog.api.problems import install_problem_handlers
from catalog.api.routes import health, merchants, offers, photos, town
from catalog.bootstrap import build_api
from catalog.settings import CatalogSettings
from downtown_events.runtime.body_limit import BodySizeLimit, RouteLimit

JSON_BODY_LIMIT = 64 * 1024  # the largest JSON a route takes (a service's description) is ~17 KB


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
    install_problem_documentation(app)
    # Outermost, so nothing parses, spools or authenticates a body past its limit.
    app.add_middleware(BodySizeLimit, default_bytes=JSON_BODY_LIMIT, routes=photo_upload_limits(settings))
    for module in (merchants, offers, town, photos, health):
        app.include_router(module.router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app


def photo_upload_limits(settings: CatalogSettings) -> list[RouteLimit]:
    """The multipart routes that carry a photo may be as large as a photo plus the form."""
    limit = settings.max_photo_bytes + 64 * 1024
    hint = "photos larger than that should be resized on the phone first"
    return [
        RouteLimit("POST", "/offers/products", limit, hint),
        RouteLimit("POST", "/offers/[^/]+/photos", limit, hint),
    ]
