# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web front's ASGI app: pages, static files, health, and how a refusal becomes a page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from downtown_events.runtime.http.body_limit import BodySizeLimit
from downtown_events.runtime.texts import Texts
from downtown_web.pages import SECURITY_HEADERS, page
from downtown_web.routes import (
    accounts,
    association,
    association_audit,
    basket,
    checkout,
    courier,
    merchant,
    merchant_accounts,
    merchant_vouchers,
    orders,
    storefront,
    vouchers,
)
from downtown_web.routes.forms import FormRefused
from downtown_web.services import FORWARDED_FOR, MAX_FORWARDED, ServiceProblem, Services
from downtown_web.settings import WebSettings

log = logging.getLogger(__name__)

FORM_LIMIT = 64 * 1024
"""The most a form may send (a checkout is a few hundred bytes)."""


def create_app(settings: WebSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services(settings)
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPI(
        title=f"Downtown {settings.display_name}", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.texts = Texts("downtown_web", zone=settings.timezone)
    for router in (
        storefront.router,
        basket.router,
        checkout.router,
        orders.router,
        accounts.router,
        merchant.router,
        courier.router,
        association.router,
        association_audit.router,
        vouchers.router,
        merchant_vouchers.router,
        merchant_accounts.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(str(files("downtown_web") / "static"))), name="static")
    _install_health(app)
    _install_refusals(app)
    app.middleware("http")(_edge)
    app.add_middleware(BodySizeLimit, default_bytes=FORM_LIMIT, routes=(*merchant.BODY_LIMITS, *courier.BODY_LIMITS))
    return app


async def _edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every page's way in and out: the visitor's forwarded address noted for the services it
    calls (``services.FORWARDED_FOR``), the security headers put on the answer."""
    forwarded = request.headers.get("x-forwarded-for", "")
    FORWARDED_FOR.set(forwarded if 0 < len(forwarded) <= MAX_FORWARDED else None)
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _install_health(app: FastAPI) -> None:
    @app.get("/healthz/live", include_in_schema=False)
    @app.get("/healthz/ready", include_in_schema=False)
    async def healthy() -> dict[str, str]:
        # The front holds no state: it is ready when it answers (a service that is down is
        # said on the page that needs it, not by taking the whole storefront out).
        return {"status": "ok"}


def _install_refusals(app: FastAPI) -> None:
    """A service's refusal, a bad address or a forged form as a page in the visitor's language."""

    @app.exception_handler(ServiceProblem)
    async def refused(request: Request, problem: ServiceProblem) -> Response:
        shown = page(request)
        status = problem.status if 400 <= problem.status < 600 else 502
        return shown.render("refused.html", status_code=status, said=shown.refusal(problem))

    @app.exception_handler(FormRefused)
    async def forged(request: Request, _: Exception) -> Response:
        shown = page(request)
        said = shown.refusal(ServiceProblem(403, "Forbidden", "form token"))
        said.message = shown._("This form has expired. Please go back, reload the page and send it again.")
        return shown.render("refused.html", status_code=403, said=said)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, _: Exception) -> Response:
        shown = page(request)
        return shown.render("refused.html", status_code=422, said=shown.refusal(ServiceProblem(404, "", "")))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        shown = page(request)
        return shown.render(
            "refused.html", status_code=error.status_code, said=shown.refusal(ServiceProblem(error.status_code, "", ""))
        )
