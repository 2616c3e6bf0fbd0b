# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's HTTP API for one town, on the runtime's service kit."""

from __future__ import annotations

from fastapi import FastAPI

from catalog.api.problems import CATALOG_PROBLEMS
from catalog.api.routes import members, merchant_sign_in, merchants, offers, photos, town
from catalog.bootstrap import build_api
from catalog.settings import CatalogSettings
from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.http.body_limit import RouteLimit


def create_app(settings: CatalogSettings) -> FastAPI:
    return create_service_app(
        title=f"Downtown catalog — {settings.town}",
        description="Merchants, their offers and the town catalog and directory. "
        "Merchant calls need `Authorization: Bearer <merchant token>` (from registration, or a session "
        "opened with an e-mailed sign-in link: `POST /merchants/sign-in-links`).",
        settings=settings,
        open_container=lambda: build_api(settings),
        routers=[module.router for module in (merchant_sign_in, merchants, members, offers, town, photos)],
        problems=CATALOG_PROBLEMS,
        body_limits=photo_upload_limits(settings),
    )


def photo_upload_limits(settings: CatalogSettings) -> list[RouteLimit]:
    """The multipart routes that carry a photo may be as large as a photo plus the form."""
    limit = settings.max_photo_bytes + 64 * 1024
    hint = "photos larger than that should be resized on the phone first"
    return [
        RouteLimit("POST", "/offers/products", limit, hint),
        RouteLimit("POST", "/offers/[^/]+/photos", limit, hint),
    ]
