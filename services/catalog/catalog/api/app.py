"""The catalog's HTTP API for one town."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from catalog.api.problems import install_problem_handlers
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
    for module in (merchants, offers, town, photos, health):
        app.include_router(module.router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app
