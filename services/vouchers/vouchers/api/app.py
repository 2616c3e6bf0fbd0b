# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' HTTP API for one town, on the runtime's service kit."""

from __future__ import annotations

from fastapi import FastAPI

from downtown_events.runtime.http.app import create_service_app
from vouchers.api.problems import VOUCHERS_PROBLEMS
from vouchers.api.routes import (
    authorizations,
    balance,
    campaigns,
    merchant_settlements,
    programmes,
    purchases,
    redemptions,
    reports,
)
from vouchers.bootstrap import build_api
from vouchers.settings import VouchersSettings


def create_app(settings: VouchersSettings) -> FastAPI:
    return create_service_app(
        title=f"Downtown vouchers — {settings.display_name}",
        description="Merchant and town vouchers: sale, codes, redemption, campaigns, settlement. "
        "Merchants send `Authorization: Bearer <merchant token>` (the catalog's), the association its token; "
        "a buyer opens a purchase with the access token its start gave. Amounts are integer cents "
        '(a merchant may type what it redeems or refunds in euros, `amount: "12,50"`).',
        settings=settings,
        open_container=lambda: build_api(settings),
        routers=[
            module.router
            for module in (
                programmes,
                campaigns,
                purchases,
                redemptions,
                balance,
                authorizations,
                reports,
                merchant_settlements,
            )
        ],
        problems=VOUCHERS_PROBLEMS,
    )
