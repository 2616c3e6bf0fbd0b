# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ordering HTTP API for one town, on the runtime's service kit."""

from __future__ import annotations

from fastapi import FastAPI

from downtown_events.runtime.http.app import create_service_app
from ordering.api.problems import ORDERING_PROBLEMS
from ordering.api.routes import accounts, baskets, figures, invoices, orders, quotes, shops
from ordering.bootstrap import build_api
from ordering.settings import OrderingSettings


def create_app(settings: OrderingSettings) -> FastAPI:
    return create_service_app(
        title=f"Downtown ordering — {settings.display_name}",
        description="Baskets from several shops of the town, checkout into one order per shop, the orders' life "
        "(accept, pack, ready, handed over, delivered), cancellation, invoices, assisted orders. Guests send "
        "`Basket-Token` / `Order-Token`; customers `Authorization: Bearer <customer token>` (from a sign-in link); "
        "merchants their merchant token (the catalog's); the association its token. Amounts are integer cents.",
        settings=settings,
        open_container=lambda: build_api(settings),
        routers=[module.router for module in (baskets, orders, invoices, accounts, figures, shops, quotes)],
        problems=ORDERING_PROBLEMS,
    )
