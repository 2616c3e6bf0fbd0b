"""``vouchers-api``: serve one town's vouchers API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

import uvicorn

from downtown_events.runtime.telemetry import setup_telemetry
from vouchers.api.app import create_app
from vouchers.settings import SERVICE, VouchersSettings


def main() -> None:
    settings = VouchersSettings()  # type: ignore[call-arg]
    setup_telemetry(f"{SERVICE}-api", settings.town, log_level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",
        port=settings.http_port,
        log_config=None,
        proxy_headers=True,
        access_log=False,
    )
