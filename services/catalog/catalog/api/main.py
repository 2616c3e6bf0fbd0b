"""``catalog-api``: serve one town's catalog API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

import uvicorn

from catalog.api.app import create_app
from catalog.settings import SERVICE, CatalogSettings
from downtown_events.runtime.telemetry import setup_telemetry


def main() -> None:
    settings = CatalogSettings()  # type: ignore[call-arg]
    setup_telemetry(f"{SERVICE}-api", settings.town, log_level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",
        port=settings.http_port,
        log_config=None,
        proxy_headers=True,
        access_log=False,
    )
