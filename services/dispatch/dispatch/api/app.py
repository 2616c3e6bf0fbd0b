# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's HTTP API for one town, on the runtime's service kit."""

from __future__ import annotations

from fastapi import FastAPI

from dispatch.api.routes import board, courier, courier_sign_in, merchants, setup, statements, terms, tours
from dispatch.bootstrap import build_api
from dispatch.settings import DispatchSettings
from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.http.body_limit import RouteLimit
from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS

TERMS_LIMIT = RouteLimit("PUT", "/delivery-terms", 1024 * 1024, "draw the zones with fewer corners")
"""Twenty zones of 500 corners each outgrow the kit's 64 KiB for a JSON body."""


def create_app(settings: DispatchSettings) -> FastAPI:
    return create_service_app(
        title=f"Downtown dispatch — {settings.town}",
        description="Downtown's dispatch service. A courier signs in by an e-mailed one-time link "
        "(`POST /couriers/sign-in-links`, then `POST /couriers/sessions`) and sends "
        "`Authorization: Bearer <courier token>`.",
        settings=settings,
        open_container=lambda: build_api(settings),
        routers=[
            merchants.router,
            courier_sign_in.router,
            setup.router,
            terms.router,
            statements.router,
            board.router,
            tours.router,
            courier.router,
        ],
        problems=[*DOMAIN_PROBLEMS, *courier.COURIER_PROBLEMS],
        body_limits=[TERMS_LIMIT, courier.proof_photo_limit(settings)],
    )
