# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's HTTP API for one town, on the runtime's service kit."""

from __future__ import annotations

from fastapi import FastAPI

from dispatch.api.routes import merchants, statements
from dispatch.bootstrap import build_api
from dispatch.settings import DispatchSettings
from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS


def create_app(settings: DispatchSettings) -> FastAPI:
    return create_service_app(
        title=f"Downtown dispatch — {settings.town}",
        description="Downtown's dispatch service.",
        settings=settings,
        open_container=lambda: build_api(settings),
        routers=[merchants.router, statements.router],
        problems=DOMAIN_PROBLEMS,
    )
